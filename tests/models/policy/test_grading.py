"""Grades and their PD bands: one computation from the policy's scorecard scaling, stated the same everywhere."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from models.credit.model import CreditModel
from models.policy.grading import grade_bands, grade_index, stated_score

ROOT = Path(__file__).resolve().parents[3]
# "A PD ≤ 2.75%, B ≤ 4.54%": a grade letter, an optional "PD", "≤" and a percentage
STATED_BAND = re.compile(r"\b([A-Z]) (?:PD )?≤ (\d+(?:\.\d+)?)%")


def _pd_from_model_scaling(policy, score: float) -> float:
    """PD at a score through the model's own scaling (its offset and factor), inverted: a second computation."""
    model = CreditModel.from_policy(policy)
    logit_bad = (model.points_offset - score) / model.points_factor
    return 1.0 / (1.0 + math.exp(-logit_bad))


def test_each_grade_band_is_the_pd_at_its_bounds(policy):
    # given the policy's grades and scaling
    bands = policy.grade_bands()
    # then each band runs from the PD at the better grade's bound to the PD at its own bound
    assert [b.grade for b in bands] == [g.grade for g in policy.grades]
    for band, better in zip(bands, [None, *bands[:-1]], strict=True):
        assert band.pd_high == pytest.approx(_pd_from_model_scaling(policy, band.min_score)) or band.min_score <= 0
        assert band.pd_low == (0.0 if better is None else better.pd_high)
    # the 41号 policy: 600 points at 50:1, 20 points to double the odds, bars 590/575/557/537
    assert [f"{b.pd_high:.2%}" for b in bands[:4]] == ["2.75%", "4.54%", "8.15%", "15.08%"]


def test_a_score_in_a_band_has_a_pd_inside_the_band(policy):
    # given scores spread over every band
    model = CreditModel.from_policy(policy)
    scores = np.linspace(480.0, 640.0, 3201)
    pds = 1.0 / (1.0 + np.exp(-(model.points_offset - scores) / model.points_factor))
    bands = {b.grade: b for b in policy.grade_bands()}
    # when each is graded
    grades = policy.grades_of(scores)
    # then its PD lies in its grade's stated range
    for grade, pd_ in zip(grades, pds, strict=True):
        band = bands[grade]
        assert band.pd_low - 1e-12 < pd_ <= band.pd_high + 1e-12, (grade, pd_, band)


def _statements() -> list[tuple[str, str, str]]:
    files = [ROOT / "models" / "policy" / "shengsi-2023-41.yaml", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    out = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "PD" in line:
                out += [(path.name, grade, pct) for grade, pct in STATED_BAND.findall(line)]
    return out


def test_every_stated_pd_band_is_the_computed_one(policy):
    # given every "grade PD ≤ x%" in the policy file and the docs
    stated = _statements()
    bands = {b.grade: b for b in policy.grade_bands()}
    # then there is at least the policy's own comment, and each figure is the computed bound at 2 decimals
    assert any(name.endswith(".yaml") for name, _, _ in stated)
    for name, grade, pct in stated:
        assert grade in bands, (name, grade)
        assert pct == f"{bands[grade].pd_high * 100:.2f}", (name, grade, pct, f"{bands[grade].pd_high:.2%}")


def test_the_catch_all_grade_has_no_upper_pd():
    # given a lowest grade at 0 points
    bands = grade_bands([("A", 600.0, "approve"), ("E", 0.0, "decline")], 600.0, 50.0, 20.0)
    # then its range is stated as above the better grade's bound
    assert bands[-1].pd_high == 1.0 and bands[-1].pd_range_zh() == f"违约概率 > {bands[0].pd_high:.2%}"
    assert bands[0].pd_range_zh() == f"违约概率 ≤ {1 / 51:.2%}"


def test_the_stated_score_is_pythons_round():
    # given scores at 3 and more decimals, many of them at a half-cent
    rng = np.random.default_rng(7)
    scores = np.concatenate([np.round(rng.uniform(500, 600, 20_000), 3), rng.uniform(500, 600, 20_000)])
    # then stating them rounds as the Decision's round(score, 2) does
    assert np.array_equal(stated_score(scores), np.array([round(float(s), 2) for s in scores]))


def test_a_score_within_half_a_hundredth_under_a_bar_takes_the_bar(policy):
    # given scores just under and just over half a hundredth below each bar
    bounds = [g.min_score for g in policy.grades]
    for k, bar in enumerate(bounds[:-1]):
        # then 0.004 under is stated as the bar and graded so; 0.006 under is the grade below
        assert policy.grade_for(bar - 0.004).grade == policy.grades[k].grade
        assert policy.grade_for(bar - 0.006).grade == policy.grades[k + 1].grade
        assert grade_index(np.array([bar - 0.004, bar - 0.006]), bounds).tolist() == [k, k + 1]
