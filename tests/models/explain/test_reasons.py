"""Local explanations: exact TreeSHAP additivity, points that add up to the score, reason sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.metadata import FEATURES
from models.explain.reasons import (
    ReasonWriter,
    contributions,
    display_points,
    explain_frame,
    integer_points,
    make_reason,
    plain_value,
    reason_points,
    reasons_for_row,
    reasons_frame,
)


@pytest.fixture(scope="module")
def model(trained_store):
    _, result = trained_store
    return result.model


def test_contributions_add_up_to_the_raw_score_for_every_applicant(model, table):
    # given every application of the simulated county
    assert len(table) > 300
    # when the exact TreeSHAP contributions are taken
    contrib, expected = contributions(model, table)
    # then expected value + Σ contributions is the trees' raw log-odds
    np.testing.assert_allclose(expected + contrib.sum(axis=1), model.raw_score(table), rtol=0, atol=1e-6)


def test_fast_input_path_gives_the_models_own_contributions(model, table):
    # given a frame with an unseen township and a missing livelihood
    odd = table.head(40).copy()
    odd["township"] = odd["township"].astype(object)
    odd["livelihood"] = odd["livelihood"].astype(object)
    odd.loc[odd.index[0], "township"] = "不存在乡"
    odd.loc[odd.index[1], "livelihood"] = None
    singles = [odd.iloc[[0]], odd.iloc[[1]], *(table.iloc[[i]] for i in range(0, len(table), max(1, len(table) // 30)))]
    for frame in (table, odd, *singles):  # single rows take their own one-pass path
        # when contributions come from the fast matrix and from the model's pandas path
        fast, fast_expected = contributions(model, frame)
        slow, slow_expected = model.contributions(frame)
        # then they are the same numbers
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)
        np.testing.assert_allclose(fast_expected, slow_expected, rtol=0, atol=1e-12)


def test_base_plus_points_is_the_score_and_whole_points_add_up_to_the_displayed_score(model, table):
    # given the explained frame
    explained = explain_frame(model, table)
    score = model.credit_score(table)
    # then base + Σ points equals the score
    np.testing.assert_allclose(explained.base + explained.points.sum(axis=1), score, rtol=0, atol=1e-6)
    # and the displayed base + Σ whole points equals the displayed score on every row
    shown = display_points(explained.base) + explained.points_int.sum(axis=1)
    assert (shown == display_points(score)).all()
    # and no feature's whole points are a point or more off its exact points
    assert np.abs(explained.points_int - explained.points).max() < 1.0


def test_largest_remainder_rounding_keeps_sums_on_awkward_values():
    # given random points including exact halves and negative values
    rng = np.random.default_rng(3)
    points = np.round(rng.normal(0, 15, size=(500, 12)) * 2) / 2
    points[:, 0] += rng.choice([0.495, 0.5, 0.505], size=500)
    base = 600 + rng.normal(0, 30, size=500)
    score = base + points.sum(axis=1)
    # when rounded to whole points
    whole = integer_points(base, points, score)
    # then every row adds up to the displayed score and each point stays within one of its exact value
    assert (display_points(base) + whole.sum(axis=1) == display_points(score)).all()
    assert np.abs(whole - points).max() < 1.0


def test_reason_sentence_is_built_from_the_applicants_own_values():
    # given six overdue months costing 38 points
    reason = make_reason("overdue_months_24m", 6.0, 0.9, -38.2, -38)
    # then the sentence says so in Chinese and English, with advice because the applicant can act on it
    assert reason.text_zh == "近24个月累计逾期6个月，评分减少38分"
    assert "6 overdue months in the last 24" in reason.text_en and "38 points" in reason.text_en
    assert reason.direction == "adverse" and reason.actionable and reason.advice_zh


def test_categorical_values_are_shown_in_chinese_and_non_actionable_features_get_no_advice():
    # given an adverse livelihood and an adverse age
    livelihood = make_reason("livelihood", "mussel", 0.2, -7.4, -7)
    age = make_reason("applicant_age", 63.0, 0.3, -9.0, -9)
    # then the code is shown in Chinese and neither is offered as advice
    assert livelihood.value_zh == "贻贝养殖" and "贻贝养殖" in livelihood.text_zh and "mussel" not in livelihood.text_zh
    assert livelihood.advice_zh is None and age.advice_zh is None
    assert "63" in age.text_zh and "评分减少9分" in age.text_zh


def test_reasons_of_real_decisions_quote_the_row_and_never_advise_on_fixed_facts(model, table):
    # given forty applicants
    rows = table.head(40)
    # when reasons are built for the frame at once
    everyone = reasons_frame(model, rows, top=5)
    explained = explain_frame(model, rows)
    for i, reasons in enumerate(everyone):
        assert 1 <= len(reasons) <= 5
        for reason in reasons:
            value = rows.iloc[i][reason.feature]
            # then each reason carries the applicant's value and its whole points in the sentence
            if isinstance(value, float) and not np.isnan(value):
                assert reason.value == pytest.approx(value)
            j = list(model.features).index(reason.feature)
            assert reason.points_int == explained.points_int[i, j]
            assert f"{abs(reason.points_int)}分" in reason.text_zh and reason.points_int != 0
            # and only actionable adverse factors come with advice
            if reason.advice_zh is not None:
                assert FEATURES[reason.feature].actionable and reason.direction == "adverse"
        # and the largest effect comes first, whichever side it is on
        sizes = [(abs(r.points_int), abs(explained.points[i, list(model.features).index(r.feature)]))
                 for r in reasons]
        assert sizes == sorted(sizes, reverse=True)


def test_frame_and_single_row_reasons_agree(model, table):
    # given the same applicants explained one by one and as a frame
    rows = table.iloc[10:20]
    together = reasons_frame(model, rows, top=4)
    for i in range(len(rows)):
        alone = reasons_for_row(model, rows.iloc[[i]], top=4)
        # then the reasons are the same
        assert [r.model_dump() for r in alone] == [r.model_dump() for r in together[i]]


def test_reasons_are_the_factors_that_move_the_score_most_over_the_county(model, table):
    # given every application of the county, explained
    explained = explain_frame(model, table)
    shown_points = reason_points(explained)
    everyone = reasons_frame(model, table, top=3)
    features = list(model.features)
    under_a_point = 0
    for i, reasons in enumerate(everyone):
        chosen = {features.index(r.feature) for r in reasons}
        # then no reason is under the display resolution: each moves the score by a whole point as shown
        assert all(abs(r.points) >= 0.5 and r.points_int != 0 for r in reasons), reasons
        # and no factor left out moves the shown score more than the smallest reason shown
        left = [(abs(explained.points_int[i, j]), abs(shown_points[i, j])) for j in range(len(features))
                if j not in chosen and shown_points[i, j] != 0 and abs(shown_points[i, j]) >= 0.5
                and explained.points_int[i, j] != 0]
        sizes = [(abs(r.points_int), abs(explained.points[i, features.index(r.feature)])) for r in reasons]
        assert sizes == sorted(sizes, reverse=True)
        if left:
            assert len(reasons) == 3 and min(sizes) >= max(left), (i, sizes, left)
        under_a_point += int(((np.abs(shown_points[i]) > 0) & (np.abs(shown_points[i]) < 0.5)).any())
    # the county holds rows whose small factors used to be listed (the test means something)
    assert under_a_point > len(table) // 4


def test_single_row_helper_refuses_a_frame_of_many(model, table):
    with pytest.raises(ValueError, match="one applicant"):
        reasons_for_row(model, pd.concat([table.iloc[[0]], table.iloc[[1]]]))


def test_a_features_sentences_written_at_once_are_each_values_own(model, table):
    # given every value a reason may quote: the county's own values of each numeric feature, and cells only a type,
    # a zero's sign or a kind of missing tells apart
    writer = ReasonWriter(model)
    odd = [0.0, -0.0, 3, 3.0, np.float64(3.0), float("nan"), None, pd.NA, 1e-9, -1e-9, 12.5, -12.5]
    checked = 0
    for name in model.features:
        if name not in table.columns or table[name].dtype.kind != "f":
            continue
        cells = np.empty(len(table) + len(odd), dtype=object)
        cells[:] = table[name].to_numpy(dtype=object).tolist() + odd
        points = np.resize(np.array([-7.4, 3.2, 0.4, -0.6, 12.0]), len(cells))
        whole = np.resize(np.array([-7, 3, 0, -1, 12]), len(cells))
        # when they are written a feature at a time
        together = writer.sentences_zh(name, cells, points, whole)
        # then each is the sentence its value alone gets
        alone = [writer.sentence_zh(name, plain_value(c), float(p), int(w))
                 for c, p, w in zip(cells.tolist(), points.tolist(), whole.tolist(), strict=True)]
        assert together.tolist() == alone, name
        checked += len(cells)
    assert checked > len(table)
