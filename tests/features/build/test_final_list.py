"""ON_LIST reads the 最终名单 as it stood on the decision date, before the base list's flag."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from features.build.table import FeatureBuilder
from models.policy import Policy
from models.rules import evaluate_rules
from tests.models.rules.rule_rows import passing_row


def _on_list(row: dict, policy: Policy):
    return next(r for r in evaluate_rules(row, policy) if r.code == "ON_LIST")


@pytest.fixture(scope="module")
def two_versions(sources):
    """A household flagged 扩中 on the base list, under review in version 1, refused in version 2."""
    base = sources.base_list
    household = str(base.loc[base["is_kuozhong"].astype(bool), "household_id"].iloc[0])
    other = str(base.loc[base["is_kuozhong"].astype(bool), "household_id"].iloc[1])
    final = pd.DataFrame({
        "household_id": [household, other, household],
        "list_version": [1, 1, 2],
        "effective_on": pd.to_datetime(["2024-03-05", "2024-03-05", "2024-04-20"]),
        "list_status": ["under_review", "under_review", "not_confirmed"],
        "batch_no": ["B20240305-01-01"] * 3, "lent_while_reviewing": [False] * 3})
    return household, dataclasses.replace(sources, final_list=final)


@pytest.mark.parametrize(("day", "status", "version"), [
    ("2024-03-01", None, None),              # before the first version: no final list yet
    ("2024-03-05", "under_review", "1"),     # the day version 1 came into force
    ("2024-04-19", "under_review", "1"),     # between the two versions
    ("2024-04-20", "not_confirmed", "2"),
    ("2025-01-01", "not_confirmed", "2"),
])
def test_the_builder_reads_the_list_as_it_stood_on_the_date(two_versions, policy, day, status, version):
    household, sources = two_versions
    row = FeatureBuilder(sources, policy).build_one(household, pd.Timestamp(day)).iloc[0]
    assert row["final_list_status"] == status and row["final_list_version"] == version
    # and the base list's flag is still there beside it, unchanged
    assert bool(row["on_list"]) is True


def test_a_household_missing_from_a_version_gets_the_version_but_no_status(two_versions, policy, sources):
    _, with_list = two_versions
    base = sources.base_list
    third = str(base["household_id"].iloc[-1])
    row = FeatureBuilder(with_list, policy).build_one(third, pd.Timestamp("2024-05-01")).iloc[0]
    assert row["final_list_status"] is None and row["final_list_version"] == "2"


def test_on_list_between_two_versions_follows_each_version(two_versions, policy):
    household, sources = two_versions
    builder = FeatureBuilder(sources, policy)
    results = {}
    for day in ("2024-03-01", "2024-04-19", "2024-04-20"):
        row = builder.build_one(household, pd.Timestamp(day)).iloc[0].to_dict()
        results[day] = _on_list(row, policy)
    # before any version the base list's flag stands; under review it passes as 边审核边放款; refused, it fails
    assert (results["2024-03-01"].outcome, results["2024-03-01"].value) == ("pass", "LISTED")
    assert (results["2024-04-19"].outcome, results["2024-04-19"].value) == ("pass", "under_review")
    assert "边审核边放款" in results["2024-04-19"].message_zh
    assert (results["2024-04-20"].outcome, results["2024-04-20"].effect) == ("fail", "decline")
    assert "第2版" in results["2024-04-20"].message_zh


def _policy(policy: Policy, **review) -> Policy:
    return policy.model_copy(update={"list_review": policy.list_review.model_copy(update=review)})


def test_lending_while_reviewing_is_a_policy_setting(policy):
    row = passing_row(final_list_status="under_review", final_list_version="3")
    assert _on_list(row, policy).outcome == "pass"
    held = _on_list(row, _policy(policy, lend_while_reviewing=False))
    assert (held.outcome, held.effect) == ("fail", "refer")
    # and only a household the base list flags 扩中 borrows under review: another waits for the confirmation
    waits = _on_list(passing_row(on_list=False, final_list_status="under_review", final_list_version="3"), policy)
    assert (waits.outcome, waits.effect) == ("fail", "refer") and "省级名单未标识" in waits.message_zh


def test_the_provincial_flag_stands_only_where_the_policy_says_so(policy):
    # a final list exists (version 3) but has no entry for the household; the base list says 扩中
    row = passing_row(on_list=True, final_list_status=None, final_list_version="3")
    fallback = _on_list(row, policy)
    assert fallback.outcome == "pass" and "按省级名单标识" in fallback.message_zh
    strict = _on_list(row, _policy(policy, provincial_flag_fallback=False))
    assert strict.outcome == "cannot_decide"
    # and without any final list the base list's flag decides, as before
    assert _on_list(passing_row(on_list=False), policy).outcome == "fail"


def test_a_confirmed_household_passes_even_when_the_base_list_says_otherwise(policy):
    result = _on_list(passing_row(on_list=False, final_list_status="confirmed", final_list_version="5"), policy)
    assert (result.outcome, result.value) == ("pass", "confirmed")
