"""The government's side of stage 2 as the simulator tells it: list-review events from the visits.

Each month's visits form a 待审核名单 batch per township, submitted on the 5th of the next month (from the
first pilot month, 2023-08, wherever visits exist). Reviewers confirm most entries, refuse some (mostly households
the base list flags as not 扩中, with its reasons), return a few for more material (the bank resubmits); each
batch's confirmation is recorded (短信通知 or 村小组评议) and published as a version of the final list. A quarter
of refused households appeal and are reviewed again; a few households the base list missed are added (补充名单).
The events are a plain list replayed through the review service by the demo; nothing here decides anything.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PILOT_START = pd.Timestamp("2023-08-01")
CONFIRM_SHARE = 0.88  # of households the base list flags 扩中, confirmed at the first review
RETURN_SHARE = 0.07  # returned for more material (of every household)
APPEAL_SHARE = 0.25  # of refused households
SUPPLEMENT_SHARE = 0.01  # of households never visited and flagged not 扩中 for no income reason
NOT_CONFIRM_REASONS = ("走访核实家庭年收入超过扩中标准", "走访核实非本县常住", "家庭成员信息与户籍登记不符")
RETURN_REASONS = ("缺少收入证明材料，请补充", "家庭成员信息不完整，请补充", "走访照片不足，请补拍")


def _day(value: pd.Timestamp) -> str:
    return value.date().isoformat()


def review_events(seed: int, visits: list[dict], base_list: pd.DataFrame) -> list[dict[str, Any]]:
    """The review trail's events in date order (same seed and inputs, same events)."""
    rng = np.random.default_rng([seed, 22])
    flags = dict(zip(base_list["household_id"], base_list["is_kuozhong"], strict=False))
    reasons = dict(zip(base_list["household_id"], base_list.get("non_kuozhong_reasons", pd.Series(dtype=object)),
                       strict=False))
    forms = pd.DataFrame([{"household_id": v["household_id"], "visited_at": pd.Timestamp(v["visited_at"]),
                           "township": (v.get("residence") or {}).get("township")}
                          for v in visits if v.get("visit_type", "initial") == "initial" and v.get("visited_at")])
    forms = forms.dropna().sort_values("visited_at").drop_duplicates("household_id")
    forms = forms[forms["visited_at"] >= PILOT_START]
    events: list[dict[str, Any]] = []
    forms["submitted_on"] = (forms["visited_at"].dt.to_period("M").dt.to_timestamp() + pd.DateOffset(months=1)
                             + pd.Timedelta(days=4))
    for (submitted, township), part in forms.groupby(["submitted_on", "township"], sort=True):
        batch = f"{_day(submitted)}/{township}"
        households = part["household_id"].tolist()
        events.append({"event": "submit", "on": _day(submitted), "township": township, "batch": batch,
                       "household_ids": households})
        events += _batch_review(rng, batch, submitted, households, flags, reasons)
    events += _supplements(rng, base_list, set(forms["household_id"]), flags, reasons)
    order = {"submit": 0, "supplement": 0, "action": 1, "confirmation": 2, "publish": 3}
    return sorted(events, key=lambda e: (e["on"], order[e["event"]]))


def _refusal(rng: np.random.Generator, household: str, reasons: dict) -> str:
    listed = reasons.get(household)
    return f"省级名单：{listed}" if isinstance(listed, str) and listed else str(rng.choice(NOT_CONFIRM_REASONS))


def _batch_review(rng: np.random.Generator, batch: str, submitted: pd.Timestamp, households: list[str],
                  flags: dict, reasons: dict) -> list[dict[str, Any]]:
    """First review of a batch, its confirmation and version; then returns, appeals and a second version."""
    first: list[dict[str, Any]] = []
    later: list[dict[str, Any]] = []
    for household in households:
        on = submitted + pd.Timedelta(days=int(rng.integers(5, 21)))
        draw = rng.random()
        listed = bool(flags.get(household, False))
        if draw < RETURN_SHARE:
            first.append(_action(on, household, "return", str(rng.choice(RETURN_REASONS))))
            again = on + pd.Timedelta(days=int(rng.integers(5, 16)))
            later.append(_action(again, household, "resubmit", "已补充材料，重新提交"))
            decided = again + pd.Timedelta(days=int(rng.integers(3, 11)))
            later.append(_action(decided, household, "confirm", "") if listed
                         else _action(decided, household, "not_confirm", _refusal(rng, household, reasons)))
        elif listed and draw < RETURN_SHARE + CONFIRM_SHARE * (1 - RETURN_SHARE):
            first.append(_action(on, household, "confirm", ""))
        elif listed and rng.random() < 0.5:
            first.append(_action(on, household, "confirm", "经村（社区）核实符合"))
        else:
            first.append(_action(on, household, "not_confirm", _refusal(rng, household, reasons)))
            if rng.random() < APPEAL_SHARE:
                appealed = on + pd.Timedelta(days=int(rng.integers(30, 61)))
                later.append(_action(appealed, household, "appeal", "户主申诉：提供最新收入证明"))
                decided = appealed + pd.Timedelta(days=int(rng.integers(7, 21)))
                later.append(_action(decided, household, "confirm", "申诉复核：收入证明属实") if rng.random() < 0.5
                             else _action(decided, household, "not_confirm", "申诉复核：维持不予确认"))
    events = first + _confirm_and_publish(rng, batch, max(pd.Timestamp(e["on"]) for e in first), "first")
    if later:
        events += later + _confirm_and_publish(rng, batch, max(pd.Timestamp(e["on"]) for e in later), "later")
    return events


def _action(on: pd.Timestamp, household: str, action: str, reason: str) -> dict[str, Any]:
    return {"event": "action", "on": _day(on), "household_id": household, "action": action, "reason": reason}


def _confirm_and_publish(rng: np.random.Generator, batch: str, after: pd.Timestamp, round_: str) -> list[dict]:
    on = after + pd.Timedelta(days=int(rng.integers(3, 11)))
    method = "短信通知" if rng.random() < 0.6 else "村小组评议"
    result = ("短信通知本批确认户，无异议" if method == "短信通知" else "村小组评议通过") if round_ == "first" \
        else "退回补充及申诉复核结果已告知本户"
    return [{"event": "confirmation", "on": _day(on), "batch": batch, "method": method, "result": result},
            {"event": "publish", "on": _day(on + pd.Timedelta(days=1)), "batch": batch}]


def _supplements(rng: np.random.Generator, base_list: pd.DataFrame, visited: set[str], flags: dict,
                 reasons: dict) -> list[dict[str, Any]]:
    """补充名单: households never visited, flagged not 扩中 for a reason other than income, added by a township."""
    if "township" not in base_list.columns:
        return []
    candidates = base_list[~base_list["household_id"].isin(visited) & ~base_list["is_kuozhong"].astype(bool)
                           & ~base_list["non_kuozhong_reasons"].fillna("").str.contains("收入")]
    chosen = candidates[rng.random(len(candidates)) < SUPPLEMENT_SHARE]
    events: list[dict[str, Any]] = []
    for row in chosen.itertuples(index=False):
        on = PILOT_START + pd.Timedelta(days=int(rng.integers(30, 500)))
        batch = f"supplement/{row.household_id}"
        events.append({"event": "supplement", "on": _day(on), "household_id": row.household_id,
                       "township": row.township, "batch": batch,
                       "reason": "经村（社区）核实，该户在本县常住且收入符合，省级底册遗漏"})
        decided = on + pd.Timedelta(days=int(rng.integers(7, 30)))
        events.append(_action(decided, row.household_id, "confirm", "补充名单经审核确认") if rng.random() < 0.8
                      else _action(decided, row.household_id, "not_confirm", str(rng.choice(NOT_CONFIRM_REASONS))))
        events += _confirm_and_publish(rng, batch, decided, "first")
    return events
