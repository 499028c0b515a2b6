"""What would change the outcome: changes that really flip refer/decline to approve, and honest "none"."""

from __future__ import annotations

import numpy as np
import pytest

from features.metadata import FEATURES
from models.explain.counterfactual import what_would_change, what_would_change_frame


@pytest.fixture(scope="module")
def model(trained_store):
    _, result = trained_store
    return result.model


@pytest.fixture(scope="module")
def answers(model, table, policy):
    return what_would_change_frame(model, table, policy)


def _approve_bar(policy) -> float:
    return min(g.min_score for g in policy.grades if g.recommendation == "approve")


def test_found_changes_really_flip_the_outcome_when_rescored(model, table, policy, answers):
    # given the applicants for whom a change was found
    found = [(i, a) for i, a in enumerate(answers) if a.status == "found"]
    assert found, "the simulated county should have someone a change can help"
    for i, answer in found:
        before = table.iloc[[i]].copy()
        assert float(model.credit_score(before)[0]) < _approve_bar(policy)
        # when the changed values are put into the applicant's row and scored again by the model itself
        after = before.copy()
        for name, value in answer.new_values.items():
            after[name] = after[name].astype(float)
            after.iloc[0, after.columns.get_loc(name)] = value
        score = float(model.credit_score(after)[0])
        # then the score reaches an approving grade
        assert policy.grade_for(score).recommendation == "approve"
        assert score == pytest.approx(answer.score_after, abs=0.01)
        assert answer.changes and answer.text_zh.startswith("如")


def test_changes_touch_only_actionable_features_in_their_favourable_direction(table, answers):
    for i, answer in enumerate(answers):
        for name, value in answer.new_values.items():
            if name == "requested_amount":
                # asking for less is always the applicant's choice
                assert value < float(table.iloc[i]["requested_amount"])
                continue
            info = FEATURES[name]
            # then no fixed fact (age, township, household) is ever moved
            assert info.actionable, name
            old = float(table.iloc[i][name])
            if np.isnan(old):
                # a value nobody knew stays unknown
                assert np.isnan(value), name
                continue
            # and monotone features only move towards less risk
            if info.monotone:
                assert (value - old) * info.monotone <= 1e-9, (name, old, value)


def test_fewer_levers_are_preferred(model, table, policy, answers):
    # given answers that needed two or more changes
    multi = [i for i, a in enumerate(answers) if a.status == "found" and len(a.changes) > 1]
    for i in multi[:5]:
        # when only one lever is allowed
        single = what_would_change(model, table.iloc[[i]], policy, max_levers=1)
        # then nothing is found: a smaller set would have been chosen had it existed
        assert single.status == "none_within_reach"


def test_none_within_reach_is_an_answer_with_no_changes(model, table, policy, answers):
    # given an eligible applicant the model would decline even with every lever at its limit
    nothing = [a for a in answers if a.status == "none_within_reach"]
    assert nothing
    for answer in nothing:
        # then no change is claimed and the officer is pointed to a review
        assert answer.changes == [] and answer.score_after is None
        assert "人工审核" in answer.text_zh


def test_ineligible_and_approved_applicants_get_no_search(model, table, policy, answers):
    statuses = {a.status for a in answers}
    assert "ineligible" in statuses
    for answer in answers:
        if answer.status == "ineligible":
            assert answer.changes == [] and "准入" in answer.text_zh
        if answer.status == "already_approved":
            assert answer.score_before >= _approve_bar(policy)


def test_single_row_answer_equals_the_frame_answer(model, table, policy, answers):
    picks = [i for i, a in enumerate(answers) if a.status in ("found", "none_within_reach")][:4]
    for i in picks:
        # compared as text: a moved feature can be NaN (missing input), and NaN != NaN in the models' own ==
        assert repr(what_would_change(model, table.iloc[[i]], policy)) == repr(answers[i])
    assert not np.isnan(answers[picks[0]].score_before)


def test_pruned_search_gives_the_same_answers_as_the_full_search(model, table, policy, answers):
    # given the county's applicants and the default answers (lever sets whose largest steps fail are skipped)
    # when the search is run again trying every combination of every lever set
    full = what_would_change_frame(model, table, policy, prune=False)
    # then every answer is the same: the same status, changes, new values and verified score
    assert [a.model_dump_json() for a in answers] == [a.model_dump_json() for a in full]  # NaN compares as text
    assert sum(a.status == "found" for a in full) > 0 and sum(a.status == "none_within_reach" for a in full) > 0


def test_asking_for_less_or_repaying_moves_the_declared_income_ratio_alike():
    # given a row whose service with the request is 0.30 of bank inflows and 0.20 of declared income
    from models.explain.counterfactual import _debt_lever, _request_lever

    col = {"requested_to_income": 0, "debt_service_ratio": 1, "debt_service_ratio_with_request": 2,
           "debt_service_ratio_with_request_declared": 3, "debt_balance": 4, "debt_to_income": 5}
    row = np.array([1.0, 0.10, 0.30, 0.20, 50_000.0, 0.5])
    for lever in (_request_lever(row, col, 100_000.0, 0.9), _debt_lever(row, col)):
        assert lever is not None and "debt_service_ratio_with_request_declared" in lever.moved
        for step in lever.steps:
            # when the step is applied
            moved = row.copy()
            step.edits(moved, col)
            # then the ratio to declared income keeps its proportion to the ratio to bank inflows (one numerator)
            assert moved[2] < row[2]
            assert moved[3] / moved[2] == pytest.approx(row[3] / row[2])


def test_a_smaller_request_is_cut_on_to_what_the_approval_would_lend(model, table, policy, answers):
    # given the applicants for whom asking for less was found to reach an approval
    asked = {i: a for i, a in enumerate(answers) if a.status == "found" and "requested_amount" in a.new_values}
    assert len(asked) >= 5

    # when the approval each leads to would lend only about a third of the smaller request (capacity caps it)
    rows = sorted(asked)
    cap = {k: max(1000.0, asked[i].new_values["requested_amount"] // 3000 * 1000) for k, i in enumerate(rows)}

    def lendable(k, new_values, changes, grade):
        return cap[k] if new_values["requested_amount"] > cap[k] else None

    cut = what_would_change_frame(model, table.iloc[rows], policy, lendable=lendable)
    for k, (i, after) in enumerate(zip(rows, cut, strict=True)):
        # then the suggestion is the amount the approval would lend, still verified to reach an approval
        assert after.status == "found"
        amount = after.new_values["requested_amount"]
        assert amount == cap[k] < asked[i].new_values["requested_amount"]
        assert policy.grade_for(after.score_after).recommendation == "approve"
        assert f"降至{amount:,.0f}元" in after.text_zh
        # and the score it states is the model's for the changed row
        row = table.iloc[[i]].copy()
        for name, value in after.new_values.items():
            row[name] = row[name].astype(float)
            row.iloc[0, row.columns.get_loc(name)] = value
        assert float(model.credit_score(row)[0]) == pytest.approx(after.score_after, abs=0.01)
