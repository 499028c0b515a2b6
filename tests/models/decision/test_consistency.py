"""No decision card contradicts itself, counted over whole simulated counties (the shared one and a smaller one).

A card contradicts itself when its grade, shown score, recommendation, review note, what-would-change and offer
say different things (``models.decision.consistency``). The smaller county is the 6,000-household one where an
approval-grade score shown at the bar was once called "in the review band".
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from features.build.table import training_table
from features.simulate.county import SimulationConfig, simulate_county
from features.sources.load import load_sources
from models.decision.builder import decide_frame
from models.decision.consistency import (
    NO_OFFER_ZH,
    ORDINARY_OFFER_ZH,
    REVIEW_BAND_ZH,
    approval_bar,
    contradictions,
)
from models.explain.reasons import display_points
from models.terms.check import CAPACITY_CAPS_ZH
from training.registry import load_by_alias, set_alias
from training.train import train_and_register

NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


def _champion(store, monkeypatch_env):
    monkeypatch_env.setenv("KUOZHONG_MLRUNS", str(store))
    return load_by_alias("champion")


@pytest.fixture(scope="module")
def shared(trained_store, table, policy):
    with pytest.MonkeyPatch.context() as env:
        champion = _champion(trained_store[0], env)
        return table, decide_frame(table, champion.model, champion.ref, policy, now=NOW)


@pytest.fixture(scope="module")
def smaller(policy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("county-6000")
    simulate_county(SimulationConfig.trainable(6000, 7)).write(folder)
    frame = training_table(load_sources(folder), policy)
    with pytest.MonkeyPatch.context() as env:
        store = tmp_path_factory.mktemp("mlruns-6000")
        env.setenv("KUOZHONG_MLRUNS", str(store))
        set_alias("champion", train_and_register(frame, policy, seed=7, plots=False).model_version)
        champion = load_by_alias("champion")
        return frame, decide_frame(frame, champion.model, champion.ref, policy, now=NOW)


def _wrong(frame, decisions, policy) -> dict[str, list[str]]:
    classes = frame["household_class"].tolist()
    found = {d.request_id: contradictions(d, policy, c if isinstance(c, str) else None)
             for d, c in zip(decisions, classes, strict=True)}
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("which", ["shared", "smaller"])
def test_no_card_contradicts_itself_over_the_county(which, request, policy):
    frame, decisions = request.getfixturevalue(which)
    bar = approval_bar(policy)
    # the county holds the cases where cards went wrong: 跃迁 households, approval-grade referrals, scores within
    # a point under the bar (which a rounded display once showed at the bar)
    assert len(decisions) > 1000
    assert sum(not d.eligibility.subsidised and d.recommendation != "decline" for d in decisions) > 5
    assert any(d.recommendation == "refer" and d.score >= bar for d in decisions)
    assert any(bar - 1 < d.score < bar for d in decisions)
    assert any(d.recommendation == "refer" and d.score < bar and "也无法签约" in d.review_note_zh for d in decisions)
    assert any(d.recommendation == "approve" and not d.eligibility.subsidised for d in decisions)
    assert _wrong(frame, decisions, policy) == {}


def test_a_score_under_a_bound_never_shows_at_it(policy):
    bounds = np.array([g.min_score for g in policy.grades if g.min_score > 0])
    under = np.concatenate([bounds - 0.01, bounds - 0.5, bounds - 0.004])
    assert all(policy.grade_for(float(display_points(s))).grade == policy.grade_for(round(float(s), 2)).grade
               for s in under)
    assert (display_points(bounds) == bounds).all()


def test_the_check_sees_each_kind_of_contradiction(shared, policy):
    frame, decisions = shared
    bar = approval_bar(policy)
    approved = next(d for d in decisions if d.recommendation == "approve")
    risen = next(d for d in decisions if not d.eligibility.subsidised and d.terms is not None)
    blocked = next(d for d in decisions if d.recommendation == "refer" and d.score >= bar)
    gongfu = policy.products[0]
    cases = {
        "review band above the bar": blocked.model_copy(update={"review_note_zh": f"评级处于{REVIEW_BAND_ZH}"}),
        "approval without offer": approved.model_copy(update={"terms": None}),
        "grade of another score": approved.model_copy(update={"score": bar - 30.0}),
        "跃迁 offered 共富": risen.model_copy(update={"terms": risen.terms.model_copy(
            update={"product_code": gongfu.code, "subsidised": True})}),
        "跃迁 approval called eligible": risen.model_copy(update={
            "recommendation": "approve", "review_note_zh": "符合条件，模型建议批准"}),
        "what-would-change of another case": blocked.model_copy(
            update={"what_would_change": approved.what_would_change}),
    }
    assert {name: bool(contradictions(d, policy)) for name, d in cases.items()} == dict.fromkeys(cases, True)
    assert contradictions(approved, policy) == [] and contradictions(blocked, policy) == []


def test_the_check_sees_an_offer_on_a_decline_a_request_not_lent_and_a_share_turned_round(shared, policy):
    frame, decisions = shared
    classes = dict(zip(frame["request_id"], frame["household_class"], strict=True))
    # given sound cards of each kind the county holds: a 跃迁 household's model decline, its referral with an
    # ordinary offer, a referral whose offer cannot be signed, a smaller request proposed, a moratorium reason
    risen_decline = next(d for d in decisions if not d.eligibility.subsidised and d.recommendation == "decline"
                         and d.decided_by == "model")
    risen_refer = next(d for d in decisions if not d.eligibility.subsidised and d.recommendation == "refer"
                       and d.decided_by == "model" and NO_OFFER_ZH not in d.review_note_zh)
    unsignable = next(d for d in decisions if d.recommendation == "refer" and NO_OFFER_ZH in d.review_note_zh)
    smaller = next(d for d in decisions if d.what_would_change is not None and d.what_would_change.status == "found"
                   and "requested_amount" in d.what_would_change.new_values)
    moratorium = next(d for d in decisions for r in d.reasons
                      if r.feature == "moratorium_income_dip_12m" and "申请人中位数" in r.text_zh)
    sound = [risen_decline, risen_refer, unsignable, smaller, moratorium]
    assert all(contradictions(d, policy, classes[d.request_id]) == [] for d in sound)
    # when each is broken in one place
    change = smaller.what_would_change
    asked = change.new_values["requested_amount"]
    where = next(i for i, r in enumerate(moratorium.reasons) if r.feature == "moratorium_income_dip_12m")
    text = moratorium.reasons[where].text_zh
    turned = text.replace("低于", "高于") if "低于" in text else text.replace("高于", "低于")

    def reason(new_text):
        reasons = list(moratorium.reasons)
        reasons[where] = reasons[where].model_copy(update={"text_zh": new_text})
        return moratorium.model_copy(update={"reasons": reasons})

    broken = {
        "a decline offering the ordinary product": risen_decline.model_copy(update={
            "review_note_zh": risen_decline.review_note_zh + "；该户已认定为跃迁家庭，适用本行普通产品和正常利率"}),
        "a referral offering it before approval": risen_refer.model_copy(update={
            "review_note_zh": risen_refer.review_note_zh.replace("如经审核批准，", "")}),
        "an unsignable referral offering it": unsignable.model_copy(update={
            "review_note_zh": unsignable.review_note_zh + "；适用本行普通产品和正常利率"}),
        "a request the approval would not lend": smaller.model_copy(update={"what_would_change": change.model_copy(
            update={"text_zh": f"{change.text_zh}；{CAPACITY_CAPS_ZH}：核定额度约{asked / 2:,.0f}元，低于申请金额"
                               f"{asked:,.0f}元"})}),
        "a moratorium comparison turned round": reason(turned),
        "a fall set against a rise": reason("休渔期收入降幅为96%（申请人中位数：高于其他月份1%），评分减少5分"),
    }
    # then the check sees each
    assert {name: bool(contradictions(d, policy, classes[d.request_id])) for name, d in broken.items()} == dict.fromkeys(
        broken, True)
    # and over the county: no decline offers a product, and no proposed smaller request is lent less than it
    assert sum(ORDINARY_OFFER_ZH in d.review_note_zh for d in decisions if d.recommendation == "decline") == 0
    proposed = [d for d in decisions if d.what_would_change is not None and d.what_would_change.status == "found"
                and "requested_amount" in d.what_would_change.new_values]
    assert len(proposed) > 10 and not any(CAPACITY_CAPS_ZH in d.what_would_change.text_zh for d in proposed)
