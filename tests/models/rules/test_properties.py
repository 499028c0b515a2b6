"""Property tests: no input crashes a rule, and raising income never turns INCOME_CAP from fail to pass."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.policy import load_policy
from models.rules import RULE_FIELDS, RULES, evaluate_rules
from tests.models.rules.rule_rows import passing_row

POLICY = load_policy()
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.dates(), st.datetimes(), st.just(pd.NA), st.just(pd.NaT), st.just(np.nan),
    st.sampled_from(["是", "否", "full", "limited", "2024-02-30", "330922198003011234", "1e400", "-0"]),
    st.just(np.datetime64("NaT")), st.just(np.float64("inf")), st.lists(st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(RULE_FIELDS), ANY_VALUE, max_size=len(RULE_FIELDS)))
def test_no_input_crashes_any_rule(values):
    # given any mix of values (or none) for the fields the rules read, over a passing row or alone
    for row in (values, passing_row(**values)):
        # when every rule runs; then each returns a verdict with both messages
        for code, rule in RULES.items():
            result = rule(row, POLICY)
            assert result.code == code
            assert result.outcome in ("pass", "fail", "cannot_decide")
            assert result.message_zh and result.message_en


@settings(max_examples=300, deadline=None)
@given(income=st.floats(0, 1e7, allow_nan=False), raise_by=st.floats(0, 1e7, allow_nan=False),
       size=st.integers(1, 12), flat=st.booleans())
def test_raising_income_never_turns_income_cap_from_fail_to_pass(income, raise_by, size, flat):
    # given a household and the same household with more income, under either reading of the cap
    policy = POLICY.model_copy(update={"eligibility": POLICY.eligibility.model_copy(
        update={"income_cap_scaling": "flat" if flat else "per_head"})})
    rule = RULES["INCOME_CAP"]
    before = rule(passing_row(declared_income=income, household_size=float(size)), policy)
    after = rule(passing_row(declared_income=income + raise_by, household_size=float(size)), policy)
    # then a fail stays a fail
    assert not (before.outcome == "fail" and after.outcome == "pass")


@settings(max_examples=200, deadline=None)
@given(born=st.dates(dt.date(1930, 1, 1), dt.date(2015, 12, 31)), applied=st.dates(dt.date(2020, 1, 1),
                                                                                   dt.date(2030, 12, 31)))
def test_age_passes_exactly_when_completed_years_are_18_to_65(born, applied):
    from features.ids import make_id_number

    result = RULES["AGE"](passing_row(id_number=make_id_number("330922", born, 1), as_of=applied), POLICY)
    years = applied.year - born.year - ((applied.month, applied.day) < (born.month, born.day))
    expected = "cannot_decide" if born > applied else "pass" if 18 <= years <= 65 else "fail"
    assert result.outcome == expected


def test_rules_over_the_simulated_county_never_crash_and_some_fail(table):
    # given every application of the simulated county; when the rules run; then each row has a full trace
    outcomes = [r.outcome for row in table.to_dict("records") for r in evaluate_rules(row, POLICY)]
    assert len(outcomes) == len(table) * len(POLICY.rules)
    assert {"pass", "fail"} <= set(outcomes)


@pytest.mark.parametrize("amount", [1.8e306, 1.7e308])
def test_amounts_too_large_to_count_in_fen_fail_the_caps_without_crashing(amount):
    # given an income and a requested amount so large that counting them in fen overflows a float
    row = passing_row(declared_income=amount, requested_amount=amount)
    # when the cap rules run
    income, request = RULES["INCOME_CAP"](row, POLICY), RULES["AMOUNT_CAP"](row, POLICY)
    # then the income is over its cap and the request is assessed at the product's cap (docs/rules.md), with messages
    assert income.outcome == "fail" and request.outcome == "pass" and "按上限" in request.message_zh
    assert income.message_en and request.message_zh
