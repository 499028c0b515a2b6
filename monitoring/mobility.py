"""跃迁 and loan-use follow-up from revisits and the yearly list refresh (stage 4 of the plan).

A household rises out of the group (跃迁) when a revisit finds its annual income above the policy's cap for its
size, or when the yearly list refresh drops it for income. Households dropped for other reasons (moved, died,
低收入帮扶) left the list but did not rise out of it; they are not 跃迁 (``features.build.listing`` tells them
apart, and is where the rules read the list as it stands on a date). The flags table this module writes (household_id, flagged_on,
evidence) is the source the ``UPWARD_MOBILITY`` rule reads (``upward_mobility.parquet`` beside the other sources).
"""

from __future__ import annotations

import pandas as pd

from features.build.listing import leaving_code
from features.build.listing import revisit_income as _form_income
from features.build.listing import risen_at_revisit as _risen
from models.policy import Policy

FLAG_COLUMNS = ("household_id", "flagged_on", "evidence")


def _naive_day(values: pd.Series) -> pd.Series:
    dates = pd.to_datetime(values)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize()


def revisit_income(revisits: pd.DataFrame) -> pd.Series:
    """Declared annual household income at each revisit (元), NaN where not answered."""
    if revisits.empty or "declared_income" not in revisits:
        return pd.Series(dtype=float, index=revisits.index)
    return revisits["declared_income"].map(_form_income).astype(float)


def risen_at_revisit(revisits: pd.DataFrame, base_list: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Revisits whose declared income is above the household's cap: flag date, income, cap and size."""
    return _risen(revisits, base_list, policy)


def upward_mobility_flags(revisits: pd.DataFrame, list_refresh: pd.DataFrame, base_list: pd.DataFrame,
                          policy: Policy) -> pd.DataFrame:
    """One row per household that rose out: the first date and the evidence (revisit income or list refresh)."""
    risen = risen_at_revisit(revisits, base_list, policy)
    from_revisits = pd.DataFrame({
        "household_id": risen["household_id"], "flagged_on": risen["flagged_on"],
        "evidence": [f"回访申报家庭年收入{i:,.0f}元，超过{int(s)}口之家上限{c:,.0f}元"
                     for i, c, s in zip(risen["income"], risen["cap"], risen["household_size"], strict=True)]})
    frames = [from_revisits]
    if not list_refresh.empty and "change" in list_refresh:
        dropped = list_refresh[list_refresh["change"] == "dropped"]
        if "reasons" in dropped:
            dropped = dropped[[leaving_code(r) == "RISEN" for r in dropped["reasons"]]]
        frames.append(pd.DataFrame({
            "household_id": dropped["household_id"].to_numpy(),
            "flagged_on": _naive_day(dropped["refreshed_on"]).to_numpy(),
            "evidence": [f"年度名单更新移出（{r or '未注明原因'}）" for r in dropped.get("reasons", [""] * len(dropped))]}))
    flags = pd.concat([f for f in frames if not f.empty] or [pd.DataFrame(columns=list(FLAG_COLUMNS))],
                      ignore_index=True)
    if flags.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})
    flags = flags.sort_values(["household_id", "flagged_on"], kind="stable").drop_duplicates("household_id")
    return flags[list(FLAG_COLUMNS)].reset_index(drop=True)


def misused_loans(revisits: pd.DataFrame) -> pd.DataFrame:
    """Loans whose observed use at the revisit does not match the declared purpose, for follow-up."""
    if revisits.empty or "loan_use" not in revisits:
        return pd.DataFrame(columns=["loan_id", "household_id", "visited_at", "declared_purpose", "observed_use"])
    use = revisits["loan_use"]
    misused = use.map(lambda u: isinstance(u, dict) and u.get("as_declared") is False)
    rows = revisits[misused]
    return pd.DataFrame({
        "loan_id": rows["loan_id"].to_numpy(), "household_id": rows["household_id"].to_numpy(),
        "visited_at": _naive_day(rows["visited_at"]).to_numpy(),
        "declared_purpose": rows["loan_use"].map(lambda u: u.get("declared_purpose")).to_numpy(),
        "observed_use": rows["loan_use"].map(lambda u: u.get("observed_use")).to_numpy()})
