"""Rule inputs about the right person and the right list: the applicant's own member, the list on the date."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features.build.table import build_features
from features.ids import make_id_number
from models.decision.builder import eligibility_for
from models.policy import load_policy
from tests.features import hand_made as hm

POLICY = load_policy()
OLD_HEAD = [{"relation": "户主", "age": 71, "civil_capacity": "full", "health": "good"},
            {"relation": "配偶", "age": 45, "civil_capacity": "full", "health": "good"}]


def _rule(frame: pd.DataFrame, code: str):
    return next(r for r in eligibility_for(frame, POLICY)[0].rules if r.code == code)


def test_a_non_head_applicant_is_judged_on_their_own_age_and_capacity():
    # given a 45-year-old spouse applying in a 71-year-old head's household (the form names the applicant's relation)
    spouse_id = make_id_number("330922", dt.date(1979, 6, 1), 21)
    form = hm.visit(applicant={"name": "测试", "id_number": spouse_id, "relation": "配偶"}, members=OLD_HEAD)
    frame = build_features(hm.sources(visits=[form]), hm.request(), POLICY)
    # then the age on the form is the spouse's, so AGE passes without a mismatch, and so does capacity
    assert frame.loc[0, "applicant_age_on_form"] == 45 and frame.loc[0, "applicant_relation"] == "配偶"
    assert _rule(frame, "AGE").outcome == "pass"
    assert _rule(frame, "CIVIL_CAPACITY").outcome == "pass" and "配偶" in _rule(frame, "CIVIL_CAPACITY").message_zh
    # and when the spouse (not the head) lacks full capacity, the applicant fails CIVIL_CAPACITY
    limited = [OLD_HEAD[0], {**OLD_HEAD[1], "civil_capacity": "limited"}]
    frame = build_features(hm.sources(visits=[{**form, "members": limited}]), hm.request(), POLICY)
    assert _rule(frame, "CIVIL_CAPACITY").outcome == "fail"


def test_the_applicant_is_found_by_age_when_the_form_does_not_name_them():
    # given the same household, the applicant's relation left out: the member of the ID's age is the applicant
    spouse_id = make_id_number("330922", dt.date(1979, 6, 1), 21)
    form = hm.visit(applicant={"name": "测试", "id_number": spouse_id}, members=OLD_HEAD)
    frame = build_features(hm.sources(visits=[form]), hm.request(), POLICY)
    assert frame.loc[0, "applicant_relation"] == "配偶" and _rule(frame, "AGE").outcome == "pass"
    # while an ID of nobody on the form still cannot be decided (the ID may not be the applicant's)
    stranger = make_id_number("330922", dt.date(1995, 6, 1), 21)
    frame = build_features(hm.sources(visits=[{**form, "applicant": {"name": "测试", "id_number": stranger}}]),
                           hm.request(), POLICY)
    assert _rule(frame, "AGE").outcome == "cannot_decide"


@pytest.mark.parametrize(("total", "by_source", "outcome"), [
    (50_000.0, {"fishing": 500_000.0, "wage": 400_000.0}, "cannot_decide"),
    (900_000.0, {"fishing": 30_000.0, "wage": 20_000.0}, "cannot_decide"),
    (90_000.0, {"fishing": 60_000.0, "wage": 30_000.0}, "pass"),
])
def test_declared_total_is_held_against_the_sum_by_source(total, by_source, outcome):
    form = hm.visit(declared_income={"total": total, **by_source})
    frame = build_features(hm.sources(visits=[form]), hm.request(), POLICY)
    assert frame.loc[0, "declared_income_total"] == total
    assert frame.loc[0, "declared_income_sources"] == sum(by_source.values())
    rule = _rule(frame, "INCOME_CONSISTENT")
    assert rule.outcome == outcome
    if outcome != "pass":  # both figures named
        assert f"{total:,.0f}" in rule.message_zh and f"{sum(by_source.values()):,.0f}" in rule.message_zh


def test_income_declared_far_below_the_inflows_is_referred_with_both_figures():
    # given 40,000 declared while 30,000 a month (360,000 a year) flows into the accounts
    form = hm.visit(declared_income={"total": 40_000.0})
    frame = build_features(hm.sources(visits=[form], inflows=[30_000.0] * 24), hm.request(), POLICY)
    rule = _rule(frame, "INCOME_OBSERVED")
    assert (rule.outcome, rule.effect) == ("fail", "refer")
    assert "40,000" in rule.message_zh and "360,000" in rule.message_zh
    assert eligibility_for(frame, POLICY)[0].status == "cannot_decide"
    # and the same declaration against inflows it explains passes
    frame = build_features(hm.sources(visits=[form], inflows=[3_000.0] * 24), hm.request(), POLICY)
    assert _rule(frame, "INCOME_OBSERVED").outcome == "pass"


def _with_refresh(reasons: str, on: str = "2024-06-30"):
    sources = hm.sources()
    sources.base_list = sources.base_list.assign(listed_on=pd.Timestamp("2023-09-01"))
    sources.list_refresh = pd.DataFrame({"household_id": [hm.HH], "refreshed_on": [pd.Timestamp(on)],
                                         "change": ["dropped"], "on_list": [False], "reasons": [reasons]})
    return sources


def test_the_refresh_applies_by_default_without_any_update_step():
    # given a household dropped at a refresh for income, and no 跃迁 flags table written by monitoring
    sources = _with_refresh("收入超标")
    assert sources.upward_mobility.empty
    # when built at a date after the refresh, and at one before it
    after = build_features(sources, hm.request(), POLICY)
    before = build_features(sources, hm.request(as_of=pd.Timestamp("2024-06-29")), POLICY)
    # then it is off the list as 跃迁 after, and on the list before
    assert (after.loc[0, "list_status"], bool(after.loc[0, "on_list"])) == ("RISEN", False)
    assert after.loc[0, "upward_mobility_flagged_on"] == "2024-06-30"
    assert _rule(after, "UPWARD_MOBILITY").outcome == "fail"
    assert (before.loc[0, "list_status"], bool(before.loc[0, "on_list"])) == ("LISTED", True)


@pytest.mark.parametrize(("reasons", "code", "risen"), [
    ("收入超标", "RISEN", True),
    ("迁出", "LEFT_MOVED", False),
    ("户主死亡", "LEFT_DIED", False),
    ("已享受低收入帮扶", "LEFT_ASSISTED", False),
    ("", "LEFT_OTHER", False),
    ("收入超标;迁出", "LEFT_MOVED", False),
])
def test_each_reason_for_leaving_the_list_has_its_code_and_effect(reasons, code, risen):
    frame = build_features(_with_refresh(reasons), hm.request(), POLICY)
    assert frame.loc[0, "list_status"] == code
    on_list, upward = _rule(frame, "ON_LIST"), _rule(frame, "UPWARD_MOBILITY")
    assert on_list.outcome == "fail" and on_list.value == code
    verdict = eligibility_for(frame, POLICY)[0]
    if risen:  # 跃迁: still a loan at the bank's ordinary terms, no subsidy
        assert upward.outcome == "fail" and on_list.effect == "no_subsidy" and not verdict.subsidised
    else:  # left for another reason: off the program, not 跃迁
        assert upward.outcome == "pass" and on_list.effect == "decline" and verdict.status == "fail"


def test_a_revisit_above_the_cap_makes_the_household_risen_from_that_day():
    sources = hm.sources()
    sources.revisits = pd.DataFrame({"visit_id": ["R1"], "household_id": [hm.HH],
                                     "visited_at": [pd.Timestamp("2024-10-01")], "household_size": [4],
                                     "declared_income": [{"total": 200_000.0}]})
    frame = build_features(sources, hm.request(), POLICY)
    assert frame.loc[0, "list_status"] == "RISEN" and "200,000" in frame.loc[0, "upward_mobility_evidence"]
    earlier = build_features(sources, hm.request(as_of=pd.Timestamp("2024-09-30")), POLICY)
    assert earlier.loc[0, "list_status"] == "LISTED"
