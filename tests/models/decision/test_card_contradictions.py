"""Each kind of contradiction a reader found on decision cards is caught by ``contradictions``, and none is left.

Sound cards of the shared county are changed in one place each (a reason shown at 0 points, reasons out of order,
a value stated as "-0%", an approval for less than the request that the note does not state, an offer above the
request, a subsidy split that does not make up the reference rate, a subsidy for a household off the list, a PD
outside its grade's band); the check names each, and the county's own cards carry none of them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from models.decision.builder import decide_frame
from models.decision.consistency import contradictions
from training.registry import load_by_alias

NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def cards(trained_store, table, policy):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KUOZHONG_MLRUNS", str(trained_store[0]))
        champion = load_by_alias("champion")
    rows = table.iloc[:400].reset_index(drop=True)
    return rows, decide_frame(rows, champion.model, champion.ref, policy, now=NOW)


def _first(decisions, test):
    found = next((d for d in decisions if test(d)), None)
    assert found is not None, "the county holds no such card"
    return found


def _said(decision, policy, words: str) -> bool:
    return any(words in w for w in contradictions(decision, policy))


def test_the_countys_cards_hold_none_of_the_new_contradictions(cards, policy):
    rows, decisions = cards
    classes = rows["household_class"].tolist()
    wrong = {d.request_id: w for d, c in zip(decisions, classes, strict=True)
             if (w := contradictions(d, policy, c if isinstance(c, str) else None))}
    assert wrong == {}
    # the cases the new checks read are there: approvals lending less than asked, offers with a subsidy
    assert any(d.recommendation == "approve" and 0 < d.terms.limit < d.terms.requested_amount for d in decisions)
    assert any(d.terms is not None and d.terms.subsidised and d.terms.limit > 0 for d in decisions)
    # and every card states its grade's PD band as the policy computes it
    assert all(d.grade_band_zh == policy.grade_band(d.grade).pd_range_zh() for d in decisions)
    assert {d.grade_band_zh for d in decisions if d.grade == "C"} == {"违约概率 4.54%–8.15%"}


def test_a_reason_under_a_point_or_out_of_order_is_caught(cards, policy):
    _, decisions = cards
    card = _first(decisions, lambda d: len(d.reasons) >= 2)
    small = card.reasons[0].model_copy(update={"points": 0.3, "points_int": 0})
    assert _said(card.model_copy(update={"reasons": [*card.reasons, small]}), policy, "less than the point")
    # two reasons of one side, the smaller listed first
    same = _first(decisions, lambda d: len(d.reasons) >= 2 and (d.reasons[0].points < 0) == (d.reasons[1].points < 0)
                  and abs(d.reasons[0].points_int) > abs(d.reasons[1].points_int))
    flipped = [same.reasons[1], same.reasons[0], *same.reasons[2:]]
    assert _said(same.model_copy(update={"reasons": flipped}), policy, "order of their points")
    minus = card.reasons[0].model_copy(update={"text_zh": "近12个月结余率为-0%，低于申请人中位数10%，评分减少6分"})
    assert _said(card.model_copy(update={"reasons": [minus, *card.reasons[1:]]}), policy, "-0")
    plus = card.reasons[0].model_copy(update={"text_zh": "近6个月余额趋势为每月+0元，低于申请人中位数每月+356元，评分减少4分"})
    assert _said(card.model_copy(update={"reasons": [plus, *card.reasons[1:]]}), policy, "signed zero")


def test_an_approval_for_less_than_asked_must_say_so(cards, policy):
    _, decisions = cards
    card = _first(decisions, lambda d: d.recommendation == "approve" and 0 < d.terms.limit < d.terms.requested_amount)
    assert "低于申请金额" in card.review_note_zh and f"{card.terms.limit:,.0f}元" in card.review_note_zh
    silent = card.model_copy(update={"review_note_zh": card.review_note_zh.split("；核定额度")[0]})
    assert _said(silent, policy, "less than the request")


def test_an_offer_above_the_request_or_with_a_split_that_does_not_add_up_is_caught(cards, policy):
    _, decisions = cards
    card = _first(decisions, lambda d: d.terms is not None and d.terms.subsidised and d.terms.limit > 0
                  and d.terms.requested_amount > 0)
    t = card.terms
    above = t.model_copy(update={"limit": t.requested_amount + 1000})
    assert _said(card.model_copy(update={"terms": above}), policy, "above the")
    split = t.model_copy(update={"bank_concession_rate": t.bank_concession_rate - 0.001})
    assert _said(card.model_copy(update={"terms": split}), policy, "do not make up the reference")
    yearly = t.model_copy(update={"annual_subsidy_finance": t.annual_subsidy_finance + 50})
    assert _said(card.model_copy(update={"terms": yearly}), policy, "limit times its rate")


def test_a_subsidy_for_a_household_off_the_list_is_caught(cards, policy):
    _, decisions = cards
    card = _first(decisions, lambda d: d.terms is not None and d.terms.subsidised
                  and any(r.code == "ON_LIST" for r in d.eligibility.rules))
    rules = [r.model_copy(update={"outcome": "fail"}) if r.code == "ON_LIST" else r for r in card.eligibility.rules]
    off = card.model_copy(update={"eligibility": card.eligibility.model_copy(update={"rules": rules})})
    assert _said(off, policy, "list check is fail")


def test_a_pd_outside_its_grades_band_is_caught(cards, policy):
    _, decisions = cards
    card = _first(decisions, lambda d: d.grade == "C")
    band = policy.grade_band("C")
    assert band.pd_low < card.pd <= band.pd_high
    assert _said(card.model_copy(update={"pd": band.pd_high + 0.002}), policy, "outside grade C")


def test_a_decline_leads_with_what_lowered_the_score_and_an_approval_with_what_raised_it(cards, policy):
    _, decisions = cards
    for recommendation, lowered_first in (("decline", True), ("approve", False)):
        # given a card of each kind whose reasons lie on both sides
        card = _first(decisions, lambda d, r=recommendation: d.recommendation == r
                      and {x.points < 0 for x in d.reasons} == {True, False})
        # then it opens with the side its recommendation rests on
        assert (card.reasons[0].points < 0) is lowered_first
        # and listing the other side first is caught
        other = [x for x in card.reasons if (x.points < 0) is not lowered_first]
        moved = [other[0], *[x for x in card.reasons if x is not other[0]]]
        assert _said(card.model_copy(update={"reasons": moved}), policy, "side the recommendation rests on")


def test_the_rate_rate_subsidy_and_concession_add_up_as_the_card_states_them(cards, policy):
    from serving.approval.view import approval_view

    _, decisions = cards
    offers = [d for d in decisions if d.terms is not None and d.terms.subsidised]
    below = [d for d in offers if d.terms.bank_discount_below_cap > 0]
    assert offers and below  # rates below the program cap are there to read
    for d in below:
        t = d.terms
        # the statement names each part once; its bank part is the bank's whole concession (share + cut below cap)
        shown = [float(x.rstrip("%")) for x in re.findall(r"\d+\.\d\d%", t.pricing_zh)]
        assert len(shown) == 4 and round(sum(shown[:3]) * 100) == round(shown[3] * 100)
        assert shown[2] == round((t.bank_concession_rate + t.bank_discount_below_cap) * 100, 2)
        assert t.pricing_zh.count("银行让利") == 1
    # the approval file shows the statement and one bank figure that is its whole concession
    t = below[0].terms
    rows = dict(approval_view(below[0], policy=policy).terms)
    assert rows["利率构成"] == t.pricing_zh
    assert rows["银行让利"].startswith(f"{t.bank_concession_total_rate:.2%}")
    assert f"{t.annual_concession_bank_total:,.2f}" in rows["银行让利"]
    # a concession that is not the bank's whole one is caught
    wrong = t.model_copy(update={"bank_discount_below_cap": t.bank_discount_below_cap + 0.001})
    assert _said(below[0].model_copy(update={"terms": wrong}), policy, "whole concession")


def test_an_approval_capped_by_capacity_says_so_in_what_would_change(cards, policy):
    from models.terms.check import CAPACITY_CAPS_ZH, capacity_caps

    _, decisions = cards
    capped = [d for d in decisions if d.recommendation == "approve" and capacity_caps(d.terms)]
    assert capped
    for d in capped:
        text = d.what_would_change.text_zh
        assert CAPACITY_CAPS_ZH in text and f"{d.terms.limit:,.0f}元" in text
    card = capped[0]
    silent = card.what_would_change.model_copy(update={"text_zh": "已达到批准条件，无需改变"})
    assert _said(card.model_copy(update={"what_would_change": silent}), policy, "does not say so")
    # a change leading to an approval whose limit capacity still caps says so, with the limit it leads to
    found = [d for d in decisions if d.what_would_change is not None and d.what_would_change.status == "found"
             and CAPACITY_CAPS_ZH in d.what_would_change.text_zh]
    assert found
    assert all("核定额度约" in d.what_would_change.text_zh for d in found)
