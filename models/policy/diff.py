"""What a policy change does before it is made: which households change eligibility, by rule, township and class.

Both policies' rules run on the same households (their latest application each); a household "changes" when its
rule-layer verdict (pass / fail / cannot decide) differs. Counts come by rule (outcome moves of each rule), by
township and by household class, as tables and one chart.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from models.policy import Policy
from models.rules import RULE_FIELDS, eligibility_status, evaluate_rules

STATUS_ZH = {"pass": "符合", "fail": "不符合", "cannot_decide": "待核实"}
_GROUPS = ("township", "household_class")


@dataclass(frozen=True)
class PolicyDiff:
    """The households' verdicts under both policies and the summaries of what changed."""

    old_version: str
    new_version: str
    households: pd.DataFrame  # one row per household: township, class, old/new status and rule outcomes
    by_rule: pd.DataFrame
    by_township: pd.DataFrame
    by_class: pd.DataFrame

    @property
    def changed(self) -> int:
        """How many households change verdict."""
        return int((self.households["old_status"] != self.households["new_status"]).sum())

    @property
    def newly_eligible(self) -> int:
        """Households that pass under the new policy and did not under the old."""
        h = self.households
        return int(((h["new_status"] == "pass") & (h["old_status"] != "pass")).sum())

    @property
    def newly_ineligible(self) -> int:
        """Households that passed under the old policy and do not under the new."""
        h = self.households
        return int(((h["old_status"] == "pass") & (h["new_status"] != "pass")).sum())


def latest_per_household(features: pd.DataFrame) -> pd.DataFrame:
    """Each household's latest request (the frame's last by as-of date when a household applied twice)."""
    ordered = features.sort_values(["household_id", "as_of"], kind="stable")
    return ordered.drop_duplicates("household_id", keep="last").reset_index(drop=True)


def _verdicts(rows: list[dict], policy: Policy, prefix: str) -> pd.DataFrame:
    records = []
    for row in rows:
        results = evaluate_rules(row, policy)
        status, subsidised = eligibility_status(results)
        records.append({f"{prefix}_status": status, f"{prefix}_subsidised": subsidised,
                        **{f"{prefix}:{r.code}": r.outcome for r in results}})
    return pd.DataFrame.from_records(records)


def diff_policies(old: Policy, new: Policy, features: pd.DataFrame) -> PolicyDiff:
    """Run both policies' rules on every household of a feature frame and count what changes."""
    households = latest_per_household(features)
    present = [c for c in RULE_FIELDS if c in households.columns]
    rows = households[present].astype(object).where(households[present].notna(), None).to_dict("records")
    frame = pd.concat([
        pd.DataFrame({"household_id": households["household_id"].astype(str),
                      **{g: households[g].astype(object).where(households[g].notna(), "未知") if g in households
                         else "未知" for g in _GROUPS}}),
        _verdicts(rows, old, "old"), _verdicts(rows, new, "new")], axis=1)
    return PolicyDiff(old.version, new.version, frame, _by_rule(frame, old, new),
                      _by_group(frame, "township"), _by_group(frame, "household_class"))


def _by_rule(frame: pd.DataFrame, old: Policy, new: Policy) -> pd.DataFrame:
    rows = []
    for code in dict.fromkeys([*old.rules, *new.rules]):
        before = frame.get(f"old:{code}", pd.Series("absent", index=frame.index))
        after = frame.get(f"new:{code}", pd.Series("absent", index=frame.index))
        rows.append({"rule": code, "old_fail": int((before == "fail").sum()), "new_fail": int((after == "fail").sum()),
                     "pass_to_fail": int(((before == "pass") & (after == "fail")).sum()),
                     "fail_to_pass": int(((before == "fail") & (after == "pass")).sum()),
                     "changed": int((before != after).sum())})
    return pd.DataFrame(rows)


def _by_group(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    old_pass, new_pass = frame["old_status"] == "pass", frame["new_status"] == "pass"
    parts = pd.DataFrame({group: frame[group], "households": 1, "old_eligible": old_pass.astype(int),
                          "new_eligible": new_pass.astype(int),
                          "newly_eligible": (new_pass & ~old_pass).astype(int),
                          "newly_ineligible": (old_pass & ~new_pass).astype(int),
                          "changed": (frame["old_status"] != frame["new_status"]).astype(int)})
    return parts.groupby(group, sort=True).sum().reset_index()
