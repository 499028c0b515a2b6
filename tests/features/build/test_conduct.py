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


def test_returned_debits_growing_savings_and_plan_are_counted_on_paper():
    # given 24 months (oldest first): two debits returned 20 months before the as-of month and one the month
    # before it; month-end balances of 20,000 for a year, then alternately 19,000 and 21,000; a saving plan paid
    # in alternate months
    returned = [0.0] * 24
    returned[4], returned[23] = 2.0, 1.0
    balance = [20_000.0] * 12 + [19_000.0, 21_000.0] * 6
    plan = [500.0 if i % 2 else 0.0 for i in range(24)]
    src = _with_flows(debits_scheduled=[2] * 24, debits_returned=returned, balance=balance, saving_plan_deposit=plan)
    # when
    row = build_features(src, hm.request(), PROGRAM).iloc[0]
    # then the last month's return is in both windows, the older one only in 24 months
    assert row["returned_debits_12m"] == 1
    assert row["returned_debits_24m"] == 3
    # and half of the last 12 month-ends are above the same month's a year before
    assert row["balance_yoy_growth_months_12m"] == pytest.approx(6 / 12)
    assert row["saving_plan_months_share_24m"] == pytest.approx(12 / 24)


def test_a_seasonal_dip_repeated_every_year_is_not_a_failure_to_save():
    # given balances that fall every May-August and recover, each year 1,000 higher than the year before
    base = [30_000.0 if m.month not in (5, 6, 7, 8) else 10_000.0 for m in hm.MONTHS]
    balance = [b + (1_000.0 if i >= 12 else 0.0) for i, b in enumerate(base)]
    row = build_features(_with_flows(balance=balance), hm.request(), PROGRAM).iloc[0]
    # then every month-end is above the same month's a year before
    assert row["balance_yoy_growth_months_12m"] == 1.0


def test_flows_without_the_optional_columns_leave_those_features_unknown():
    # given the hand-made flows, which carry no direct debits and no saving plan
    row = build_features(hm.sources(), hm.request(), PROGRAM).iloc[0]
    # then the counts are unknown (not zero) and growing savings still come from the balances (rising by 100 a month)
    assert math.isnan(row["returned_debits_12m"]) and math.isnan(row["returned_debits_24m"])
    assert math.isnan(row["saving_plan_months_share_24m"])
    assert row["balance_yoy_growth_months_12m"] == 1.0


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
