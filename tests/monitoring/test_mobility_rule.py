"""跃迁 flags found by monitoring feed the UPWARD_MOBILITY rule: no new subsidised loan after the flag date."""

import dataclasses

import pandas as pd

from features.build.table import build_features
from models.policy import load_policy
from models.rules import evaluate_rules
from monitoring.mobility import upward_mobility_flags

PROGRAM = load_policy()  # the policy the features' ratios are taken against


def test_flags_from_revisits_turn_upward_mobility_to_fail_after_the_flag(sources, policy):
    # given the flags monitoring finds in the simulated county
    flags = upward_mobility_flags(sources.revisits, sources.list_refresh, sources.base_list, policy)
    assert len(flags) > 0
    flagged = flags.iloc[0]
    with_flags = dataclasses.replace(sources, upward_mobility=flags)
    # when the household applies before and after the flag date
    requests = pd.DataFrame({"household_id": [flagged["household_id"]] * 2,
                             "as_of": [flagged["flagged_on"] - pd.Timedelta(days=1),
                                       flagged["flagged_on"] + pd.Timedelta(days=30)],
                             "requested_amount": [50_000.0] * 2, "purpose": ["business"] * 2})
    features = build_features(with_flags, requests, PROGRAM)
    before, after = ({r.code: r for r in evaluate_rules(features.iloc[i].to_dict(), policy)} for i in (0, 1))
    # then only the later application is refused the subsidy, with the evidence in its message
    assert before["UPWARD_MOBILITY"].outcome == "pass"
    assert after["UPWARD_MOBILITY"].outcome == "fail"
    assert flagged["evidence"][:6] in after["UPWARD_MOBILITY"].message_zh
