"""贷后跟进: revisits falling due, misuse signals from account flows soon after disbursement, and confirmed misuse.

- Revisits: the first is due ``first_revisit_days`` after disbursement, then every ``revisit_every_days`` after the
  last revisit while the loan is outstanding (policy ``post_loan``). The due list holds what is overdue or due within
  ``due_ahead_days``.
- Flow signals: in the ``misuse_window_weeks`` after disbursement, the household's account outflow beyond its usual
  (the median month of the six before disbursement) reaching ``misuse_outflow_share`` of the loan. A month's flows
  are known at its end, so a signal is raised at the end of the month it shows in: weeks, not a year, after the
  money left. A signal asks for a check; only a revisit that finds the use differs confirms misuse.
- Confirmed misuse stops the loan's subsidy and claws back what was paid (``monitoring.subsidy``).
"""

from __future__ import annotations

import pandas as pd

from features.errors import InputError
from models.policy import Policy
from models.policy.postloan import PostLoan
from models.terms.offer import PURPOSE_ZH
from monitoring.kpi_facts import day_of, days_for

USE_ZH = {**PURPOSE_ZH, "consumption": "日常消费", "other": "其他"}
DUE_COLUMNS = ("loan_id", "household_id", "account_manager_id", "disbursed_on", "last_revisit", "due_on",
               "days_overdue", "status")
SIGNAL_COLUMNS = ("loan_id", "household_id", "account_manager_id", "disbursed_on", "signal_on", "amount",
                  "excess_outflow", "share", "evidence")
MISUSE_COLUMNS = ("loan_id", "household_id", "found_on", "source", "declared_purpose", "observed_use", "evidence")


def settings(policy: Policy) -> PostLoan:
    """The policy's post-loan settings; a policy without them cannot schedule revisits or read flows."""
    if policy.post_loan is None:
        raise InputError(f"policy '{policy.version}': section 'post_loan' is missing (post-loan settings: revisit "
                         "schedule and misuse signal) / 政策文件缺少 post_loan（贷后回访与资金用途预警）设置")
    return policy.post_loan


def _outstanding(ledger: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    if ledger.empty:
        return ledger
    settled = day_of(ledger["settled_on"]) if "settled_on" in ledger else pd.Series(pd.NaT, index=ledger.index)
    return ledger[(day_of(ledger["disbursed_on"]) <= as_of) & ~(settled <= as_of)]


def revisits_due(ledger: pd.DataFrame, revisits: pd.DataFrame, policy: Policy, as_of: pd.Timestamp) -> pd.DataFrame:
    """Loans outstanding at the day whose next revisit is overdue or falls due within the policy's look-ahead."""
    rules = settings(policy)
    loans = _outstanding(ledger, as_of)
    if loans.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DUE_COLUMNS})
    disbursed = day_of(loans["disbursed_on"])
    last = pd.Series(pd.NaT, index=loans.index, dtype="datetime64[ns]")
    if not revisits.empty and "loan_id" in revisits:
        seen = revisits.assign(day=day_of(revisits["visited_at"]))
        seen = seen[seen["day"] <= as_of].groupby("loan_id")["day"].max()
        last = days_for(loans["loan_id"], seen)
        last = last.where(last >= disbursed)
    due = (last + pd.Timedelta(days=rules.revisit_every_days)).fillna(
        disbursed + pd.Timedelta(days=rules.first_revisit_days))
    late = (as_of - due).dt.days
    show = due <= as_of + pd.Timedelta(days=rules.due_ahead_days)
    out = pd.DataFrame({
        "loan_id": loans["loan_id"], "household_id": loans["household_id"],
        "account_manager_id": loans["account_manager_id"], "disbursed_on": disbursed, "last_revisit": last,
        "due_on": due, "days_overdue": late.clip(lower=0),
        "status": late.map(lambda d: "逾期未访" if d > 0 else ("今日应访" if d == 0 else "即将到期"))})[show]
    return out.sort_values(["due_on", "loan_id"], kind="stable").reset_index(drop=True)


def flow_signals(ledger: pd.DataFrame, flows: pd.DataFrame, policy: Policy, as_of: pd.Timestamp) -> pd.DataFrame:
    """Loans whose account outflow in the weeks after disbursement exceeds the usual by the policy's share."""
    rules = settings(policy)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in SIGNAL_COLUMNS})
    loans = ledger[day_of(ledger["disbursed_on"]) <= as_of] if not ledger.empty else ledger
    if loans.empty or flows.empty or "outflow" not in flows:
        return empty
    month = day_of(flows["month"]).dt.to_period("M")
    flows = flows.assign(period=month, known_on=month.dt.to_timestamp(how="end").dt.normalize())
    rows = []
    by_household = dict(tuple(flows.groupby("household_id")))
    for loan in loans.itertuples(index=False):
        own = by_household.get(loan.household_id)
        if own is None:
            continue
        start = pd.Timestamp(loan.disbursed_on).normalize()
        first, last = start.to_period("M"), (start + pd.Timedelta(weeks=rules.misuse_window_weeks)).to_period("M")
        usual = own.loc[(own["period"] < first) & (own["period"] >= first - 6), "outflow"].median()
        window = own[(own["period"] >= first) & (own["period"] <= last) & (own["known_on"] <= as_of)]
        if pd.isna(usual) or window.empty:
            continue
        excess = (window["outflow"] - usual).cumsum()
        crossed = excess >= rules.misuse_outflow_share * loan.amount
        if crossed.any():
            at = crossed.idxmax()
            rows.append({"loan_id": loan.loan_id, "household_id": loan.household_id,
                         "account_manager_id": loan.account_manager_id, "disbursed_on": start,
                         "signal_on": window.at[at, "known_on"], "amount": float(loan.amount),
                         "excess_outflow": round(float(excess[at]), 2),
                         "share": round(float(excess[at] / loan.amount), 4)})
    if not rows:
        return empty
    out = pd.DataFrame(rows)
    out["evidence"] = [f"放款后{rules.misuse_window_weeks}周内账户流出较平常多{e:,.0f}元，达贷款金额的{s:.0%}，请核实资金用途"
                       for e, s in zip(out["excess_outflow"], out["share"], strict=True)]
    return out[list(SIGNAL_COLUMNS)]


def confirmed_misuse(revisits: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Loans a revisit on or before the day found used otherwise than declared (first finding per loan)."""
    if revisits.empty or "loan_use" not in revisits:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MISUSE_COLUMNS})
    rows = revisits[revisits["loan_use"].map(lambda u: isinstance(u, dict) and u.get("as_declared") is False)]
    rows = rows.assign(found_on=day_of(rows["visited_at"]))
    rows = rows[rows["found_on"] <= as_of].sort_values("found_on", kind="stable").drop_duplicates("loan_id")
    declared = rows["loan_use"].map(lambda u: USE_ZH.get(u.get("declared_purpose"), u.get("declared_purpose")))
    observed = rows["loan_use"].map(lambda u: USE_ZH.get(u.get("observed_use"), u.get("observed_use")))
    return pd.DataFrame({
        "loan_id": rows["loan_id"].to_numpy(), "household_id": rows["household_id"].to_numpy(),
        "found_on": rows["found_on"].to_numpy(), "source": "回访核实", "declared_purpose": declared.to_numpy(),
        "observed_use": observed.to_numpy(),
        "evidence": [f"回访发现实际用于{o}，与申报用途{d}不符，停止贴息并追回已贴息"
                     for d, o in zip(declared, observed, strict=True)]})
