"""The Decision builder: the frame path equals the single path, knock-outs decline, 跃迁 gets no subsidy, PIPL note."""

from __future__ import annotations

import datetime as dt

import pytest

from models.decision.builder import decide, decide_frame
from training.registry import load_by_alias

NOW = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def loaded(trained_store):
    import os

    store, _ = trained_store
    old = os.environ.get("KUOZHONG_MLRUNS")
    os.environ["KUOZHONG_MLRUNS"] = str(store)
    try:
        return load_by_alias("champion")
    finally:
        if old is None:
            os.environ.pop("KUOZHONG_MLRUNS", None)
        else:
            os.environ["KUOZHONG_MLRUNS"] = old


def _same(a, b):
    keep = {"decision_id"}
    return a.model_dump(exclude=keep) == b.model_dump(exclude=keep)


def test_frame_builder_equals_one_row_at_a_time(loaded, table, policy):
    # given 40 applications; when decided as a frame and one by one; then the decisions are the same
    frame = table.iloc[:40]
    together = decide_frame(frame, loaded.model, loaded.ref, policy, now=NOW)
    apart = [decide(frame.iloc[[i]], loaded.model, loaded.ref, policy, now=NOW) for i in range(len(frame))]
    assert len(together) == 40
    assert all(_same(a, b) for a, b in zip(together, apart, strict=True))
    # and the frame's PD and score are the model's own
    assert [d.pd for d in together] == pytest.approx(loaded.model.predict_pd(frame), abs=1e-6)


def test_a_large_frame_decides_every_row_as_it_would_be_decided_alone(loaded, table, policy):
    # given more applications than a small frame holds (the rules run over columns, traces put together when read,
    # verdicts and review notes reached once per pattern of outcomes)
    from models.explain.reasons import SMALL_FRAME

    frame = table.iloc[:SMALL_FRAME + 60]
    # when decided as one frame and one by one
    together = decide_frame(frame, loaded.model, loaded.ref, policy, now=NOW)
    apart = [decide(frame.iloc[[i]], loaded.model, loaded.ref, policy, now=NOW) for i in range(len(frame))]
    # then every decision is the same, its rule traces and review note included, over several kinds of outcome
    assert len(together) == len(frame) > SMALL_FRAME
    assert all(_same(a, b) for a, b in zip(together, apart, strict=True))
    assert len({(d.recommendation, d.eligibility.status, d.review_note_zh) for d in together}) >= 4


def test_every_decision_records_policy_version_and_hash(loaded, table, policy):
    decision = decide(table.iloc[[0]], loaded.model, loaded.ref, policy, now=NOW)
    assert (decision.policy_version, decision.policy_hash) == (policy.version, policy.content_hash)
    assert len(decision.eligibility.rules) == len(policy.rules)


def test_a_knock_out_declines_with_the_failed_rules_as_reasons(loaded, table, policy):
    # given an eligible-looking row pushed over the income cap
    row = table.iloc[[0]].copy()
    row["declared_income"] = 10_000_000.0
    decision = decide(row, loaded.model, loaded.ref, policy, now=NOW)
    # then the rules decline it, name INCOME_CAP, and offer no terms
    assert decision.recommendation == "decline" and decision.decided_by == "rules"
    assert "INCOME_CAP" in decision.declined_by_rules and "INCOME_CAP" in decision.review_note_zh
    assert decision.terms is None


def test_missing_data_refers_to_a_person(loaded, table, policy):
    row = table.iloc[[0]].copy()
    row["civil_capacity"] = None
    decision = decide(row, loaded.model, loaded.ref, policy, now=NOW)
    if decision.eligibility.knocked_out:  # another rule already knocks this row out
        assert decision.recommendation == "decline"
    else:
        assert (decision.recommendation, decision.decided_by, decision.human_review_required) == (
            "refer", "person", True)
        assert "CIVIL_CAPACITY" in decision.review_note_en


def _eligible_rows(loaded, table, policy):
    decisions = decide_frame(table, loaded.model, loaded.ref, policy, now=NOW, with_what_would_change=False)
    return decisions, [i for i, d in enumerate(decisions) if d.eligibility.status == "pass"]


def test_model_alone_decline_is_a_recommendation_a_person_confirms(loaded, table, policy):
    decisions, _ = _eligible_rows(loaded, table, policy)
    by_model = [d for d in decisions if d.decided_by == "model" and d.recommendation == "decline"]
    assert by_model, "the simulated county should have some model-only declines"
    for d in by_model:
        assert d.human_review_required and "第24条" in d.review_note_zh and "PIPL Art. 24" in d.review_note_en
    assert all(not d.human_review_required for d in decisions if d.recommendation == "approve")


def test_upward_mobility_household_gets_normal_terms_without_subsidy(loaded, table, policy):
    # given an eligible application offered a subsidised loan, flagged 跃迁 before its date
    decisions, eligible = _eligible_rows(loaded, table, policy)
    i = next(i for i in eligible if decisions[i].terms is not None and decisions[i].terms.annual_subsidy_finance > 0)
    row = table.iloc[[i]].copy()
    before = decisions[i]
    row["upward_mobility_flagged_on"] = str((row["as_of"].iloc[0] - dt.timedelta(days=30)).date())
    # when decided
    after = decide(row, loaded.model, loaded.ref, policy, now=NOW)
    # then the loan is still possible, at the bank's normal rate, with no subsidy and no concession
    assert after.eligibility.status == "pass" and not after.eligibility.subsidised
    assert after.recommendation == before.recommendation and after.terms is not None
    assert after.terms.rate == policy.subsidy.reference_rate
    assert after.terms.annual_subsidy_finance == after.terms.annual_concession_bank == 0.0
    assert before.terms.annual_subsidy_finance > 0
    assert "跃迁" in after.terms.explanation_zh


def test_empty_frame_gives_no_decisions(loaded, table, policy):
    assert decide_frame(table.iloc[:0], loaded.model, loaded.ref, policy, now=NOW) == []


def test_existing_loan_payments_shrink_the_offered_limit(loaded, table, policy):
    # given an application with an offer bounded by repayment capacity and no existing loan payments
    decisions = decide_frame(table, loaded.model, loaded.ref, policy, now=NOW, with_what_would_change=False)
    requested = table["requested_amount"].to_numpy()
    i = next(k for k, d in enumerate(decisions) if d.terms is not None and d.terms.capacity_limit is not None
             and 0 < d.terms.limit < requested[k])
    free, burdened = table.iloc[[i]].copy(), table.iloc[[i]].copy()
    free["monthly_payment"] = 0.0
    burdened["monthly_payment"] = 2_000.0
    # when decided without and with 2,000 yuan a month of existing payments
    a = decide(free, loaded.model, loaded.ref, policy, now=NOW)
    b = decide(burdened, loaded.model, loaded.ref, policy, now=NOW)
    # then the score is the same but the offer is smaller, and the capacity sentence counts the 24,000 a year
    assert a.score == b.score
    assert b.terms is not None and a.terms is not None and b.terms.limit < a.terms.limit
    capacity = next(note for note in b.terms.notes if note.figure == "capacity")
    assert "24,000" in capacity.text_zh
