"""The 扩中 list as it stands on a date: the base list, then every yearly refresh and revisit up to that date.

``ListIndex.status_on`` is the one place that says whether a household is on the list on a request's date and, if
it left, when and why. Leaving is kept apart by reason, each with its code:

- ``RISEN`` (跃迁): dropped at a refresh because its income rose above the cap, or a revisit found its declared
  income above the cap for its size. It may borrow at the bank's ordinary terms; no new subsidised loan.
- ``LEFT_MOVED`` (迁出), ``LEFT_DIED`` (户主死亡), ``LEFT_ASSISTED`` (已享受低收入帮扶), ``LEFT_OTHER`` (no reason
  given): off the list for reasons that are not rising income.
- ``LISTED`` on the list; ``NOT_LISTED`` on the base list but not as 扩中; ``UNKNOWN`` not on the base list.

The refresh is read by default (no extra step); a 跃迁 flags table written by monitoring, when present, adds its
income flags. A final list confirmed by government review can be plugged in by giving ``ListIndex`` its rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.build.program import ProgramTerms

# Reason tags of the list refresh (and of a flag's evidence) and the code each means; the first code found in this
# order wins, so a household that moved away counts as moved even if its income also rose.
LEAVING_REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("LEFT_DIED", ("死亡", "died")),
    ("LEFT_MOVED", ("迁出", "moved")),
    ("LEFT_ASSISTED", ("低收入帮扶", "low-income")),
    ("RISEN", ("收入超标", "income")),
)
STATUS_CODES = ("LISTED", "NOT_LISTED", "UNKNOWN", "RISEN", "LEFT_MOVED", "LEFT_DIED", "LEFT_ASSISTED", "LEFT_OTHER")
COLUMNS = ("list_status", "list_changed_on", "list_evidence", "upward_mobility_flagged_on",
           "upward_mobility_evidence")
_NEVER = np.iinfo(np.int64).max


def leaving_code(reasons: object) -> str:
    """The reason code of a refresh's drop from its tags (``收入超标;迁出`` …); LEFT_OTHER when none is known."""
    text = "" if reasons is None or (isinstance(reasons, float) and np.isnan(reasons)) else str(reasons).lower()
    for code, words in LEAVING_REASONS:
        if any(word in text for word in words):
            return code
    return "LEFT_OTHER"


def revisit_income(declared: object) -> float:
    """Declared annual household income of a revisit form (total, else main), NaN when not answered."""
    value = declared.get("total", declared.get("main")) if isinstance(declared, Mapping) else declared
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def risen_at_revisit(revisits: pd.DataFrame, base_list: pd.DataFrame, program: ProgramTerms) -> pd.DataFrame:
    """Revisits whose declared income is above the household's cap: household, day, income, cap and size."""
    columns = ["household_id", "flagged_on", "income", "cap", "household_size"]
    if revisits is None or revisits.empty or "declared_income" not in revisits:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    base = base_list.drop_duplicates("household_id", keep="last").set_index("household_id")
    form_size = (pd.to_numeric(revisits["household_size"], errors="coerce") if "household_size" in revisits
                 else pd.Series(np.nan, index=revisits.index))
    size = form_size.fillna(revisits["household_id"].map(base["household_size"])).astype(float)
    cap = pd.Series(program.household_income_caps(size.to_numpy()), index=revisits.index)
    income = revisits["declared_income"].map(revisit_income).astype(float)
    risen = income > cap
    days = pd.to_datetime(revisits.loc[risen, "visited_at"])
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_localize(None)
    return pd.DataFrame({"household_id": revisits.loc[risen, "household_id"].astype(str).to_numpy(),
                         "flagged_on": days.dt.normalize().to_numpy(), "income": income[risen].to_numpy(),
                         "cap": cap[risen].to_numpy(), "household_size": size[risen].to_numpy()})


@dataclass
class _Event:
    day: int
    code: str
    evidence: str


@dataclass
class ListIndex:
    """Every household's list events (refresh drops and keeps, 跃迁 flags), sorted by day."""

    events: dict[str, list[_Event]] = field(default_factory=dict)

    @classmethod
    def from_sources(cls, sources: Any, program: ProgramTerms) -> ListIndex:
        """Index the list refresh, the revisits (income above the cap) and any 跃迁 flags table of the sources."""
        events: dict[str, list[_Event]] = {}

        def add(households: Any, days: Any, codes: Any, evidence: Any) -> None:
            day_numbers = pd.to_datetime(pd.Series(days)).to_numpy().astype("datetime64[D]").astype(np.int64)
            for h, d, c, e in zip(households, day_numbers, codes, evidence, strict=True):
                events.setdefault(str(h), []).append(_Event(int(d), str(c), str(e)))

        refresh = getattr(sources, "list_refresh", None)
        if refresh is not None and not refresh.empty and "change" in refresh:
            reasons = refresh["reasons"] if "reasons" in refresh else pd.Series(None, index=refresh.index)
            dropped = refresh["change"].astype(str).to_numpy() == "dropped"
            codes = np.where(dropped, [leaving_code(r) for r in reasons], "LISTED")
            evidence = [f"年度名单更新移出（{r if isinstance(r, str) and r else '未注明原因'}）" if d else "年度名单更新保留"
                        for r, d in zip(reasons, dropped, strict=True)]
            add(refresh["household_id"], refresh["refreshed_on"], codes, evidence)
        revisits, base = getattr(sources, "revisits", None), getattr(sources, "base_list", None)
        if revisits is not None and base is not None and not revisits.empty:
            risen = risen_at_revisit(revisits, base, program)
            add(risen["household_id"], risen["flagged_on"], ["RISEN"] * len(risen),
                [f"回访申报家庭年收入{i:,.0f}元，超过{int(s)}口之家上限{c:,.0f}元"
                 for i, c, s in zip(risen["income"], risen["cap"], risen["household_size"], strict=True)])
        flags = getattr(sources, "upward_mobility", None)
        if flags is not None and not flags.empty and "household_id" in flags:
            evidence = flags["evidence"] if "evidence" in flags else pd.Series("", index=flags.index)
            # A flag whose evidence names only a reason other than income is a drop the refresh already records.
            keep = np.array([leaving_code(e) in ("RISEN", "LEFT_OTHER") for e in evidence], dtype=bool)
            add(flags["household_id"][keep], flags["flagged_on"][keep], ["RISEN"] * int(keep.sum()),
                [str(e) if isinstance(e, str) and e else "跃迁家庭认定" for e in evidence[keep]])
        for items in events.values():
            items.sort(key=lambda e: e.day)
        return cls(events)

    def status_on(self, households: np.ndarray, as_of_day: np.ndarray, base_on_list: np.ndarray
                  ) -> dict[str, np.ndarray]:
        """Each request's list status on its day: ``on_list`` and the ``COLUMNS`` (code, day, evidence, 跃迁).

        ``base_on_list``: the base list's is-扩中 flag as of the day (None / NA where the household is not on it).
        The first leaving stands: a later refresh that keeps the household (on older income data) does not undo a
        revisit's 跃迁 finding.
        """
        n = households.size
        on_list = np.full(n, None, dtype=object)
        status = np.full(n, "UNKNOWN", dtype=object)
        changed = np.full(n, None, dtype=object)
        evidence = np.full(n, None, dtype=object)
        risen_on = np.full(n, None, dtype=object)
        risen_why = np.full(n, None, dtype=object)
        for i in range(n):
            listed = base_on_list[i]
            known = listed is not None and not pd.isna(listed)
            if known:
                on_list[i], status[i] = bool(listed), "LISTED" if listed else "NOT_LISTED"
            for event in self.events.get(str(households[i]), ()):
                if event.day > as_of_day[i]:
                    break
                if event.code == "LISTED":
                    if status[i] in ("LISTED", "NOT_LISTED", "UNKNOWN"):
                        on_list[i], status[i] = True, "LISTED"
                    continue
                if status[i] not in ("LISTED", "UNKNOWN") or (status[i] == "UNKNOWN" and event.code != "RISEN"):
                    continue  # already off the list: the first leaving stands
                on_list[i], status[i] = False, event.code
                changed[i], evidence[i] = str(np.datetime64(event.day, "D")), event.evidence
                if event.code == "RISEN":
                    risen_on[i], risen_why[i] = changed[i], event.evidence
        return {"on_list": on_list, COLUMNS[0]: status, COLUMNS[1]: changed, COLUMNS[2]: evidence,
                COLUMNS[3]: risen_on, COLUMNS[4]: risen_why}


__all__ = ["COLUMNS", "LEAVING_REASONS", "STATUS_CODES", "ListIndex", "leaving_code", "revisit_income",
           "risen_at_revisit"]
