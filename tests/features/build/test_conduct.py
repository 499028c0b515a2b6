"""Account-conduct features on a hand-made household: returned debits, saving months, a saving plan."""

from __future__ import annotations

import math

import pytest

from features.build.checks import FeatureInputError
from features.build.table import build_features
from models.policy import load_policy
from tests.features import hand_made as hm

PROGRAM = load_policy()  # the policy the features' ratios are taken against


def _with_flows(**columns: list[float]):
    src = hm.sources()
    src.account_flows = src.account_flows.assign(**columns)
    return src


def test_returned_debits_saving_months_and_plan_are_counted_on_paper():
    # given 24 months (oldest first): two debits returned 20 months before the as-of month and one the month
    # before it, six months spending more than came in, a saving plan paid in alternate months
    returned = [0.0] * 24
    returned[4], returned[23] = 2.0, 1.0
    outflow = [9_000.0] * 24
    for i in (0, 3, 8, 12, 17, 22):
        outflow[i] = 11_000.0
    plan = [500.0 if i % 2 else 0.0 for i in range(24)]
    src = _with_flows(debits_scheduled=[2] * 24, debits_returned=returned, outflow=outflow, saving_plan_deposit=plan)
    # when
    row = build_features(src, hm.request(), PROGRAM).iloc[0]
    # then the last month's return is in both windows, the older one only in 24 months
    assert row["returned_debits_12m"] == 1
    assert row["returned_debits_24m"] == 3
    assert row["saving_months_share_24m"] == pytest.approx(18 / 24)
    assert row["saving_plan_months_share_24m"] == pytest.approx(12 / 24)


def test_flows_without_the_optional_columns_leave_those_features_unknown():
    # given the hand-made flows, which carry no direct debits and no saving plan
    row = build_features(hm.sources(), hm.request(), PROGRAM).iloc[0]
    # then the counts are unknown (not zero) and the saving months still come from inflow and outflow
    assert math.isnan(row["returned_debits_12m"]) and math.isnan(row["returned_debits_24m"])
    assert math.isnan(row["saving_plan_months_share_24m"])
    assert row["saving_months_share_24m"] == 1.0


@pytest.mark.parametrize("column", ["debits_returned", "saving_plan_deposit"])
def test_a_negative_count_or_deposit_is_refused_naming_field_value_and_rule(column):
    # given a negative value in the latest month of the window
    src = _with_flows(**{column: [0.0] * 23 + [-2.0]})
    # when / then
    with pytest.raises(FeatureInputError) as err:
        build_features(src, hm.request(), PROGRAM)
    message = str(err.value)
    assert f"account_flows.{column} = -2" in message and f"{column} ≥ 0" in message
    assert "2024-12" in message and hm.HH in message
