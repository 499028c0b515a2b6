"""Score → grade, and each grade's PD band: the one computation every surface grades and states a grade with.

A score is graded as the Decision states it: rounded to 2 decimals (556.996 is stated as 557.00 and graded so),
so the model's own frame, the MLflow pyfunc, the API, the batch and the fairness search give a row one grade.

A grade's PD band follows from the policy's scorecard scaling: ``base_points`` at good:bad odds ``base_odds`` and
``pdo`` points to double the odds, so a score s has odds base_odds × 2^((s − base_points) / pdo) and
PD = 1 / (1 + odds). The band of a grade runs from the PD at the next better grade's bound (exclusive) to the PD at
its own bound (inclusive); the policy comment, the docs and the cards state these figures, never hand-typed ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCORE_DECIMALS = 2  # a score is stored, stated and graded at 2 decimals


def stated_score(score: np.ndarray | float) -> np.ndarray:
    """The score as a Decision states it: Python's ``round(score, 2)`` of every value, as a float array.

    ``np.round`` scales by 100 and rounds the product, which differs from ``round`` on about 3% of 3-decimal
    values (581.585: 581.58 against 581.59); the values near a half-cent are rounded one by one with ``round``.
    """
    values = np.asarray(score, dtype=float)
    out = np.round(values, SCORE_DECIMALS)
    scaled = values * 10**SCORE_DECIMALS
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        flat, exact = out.reshape(-1), values.reshape(-1)
        for i in np.flatnonzero(near_half.reshape(-1)):
            flat[i] = round(float(exact[i]), SCORE_DECIMALS)
        out = flat.reshape(values.shape)
    return out


def grade_index(scores: np.ndarray | float, bounds: Sequence[float]) -> np.ndarray:
    """Index of each score's grade: the first bound (best first) its stated score reaches, else the last grade."""
    stated = np.atleast_1d(stated_score(scores))
    index = np.full(stated.shape, len(bounds) - 1, dtype=np.int64)
    for k in reversed(range(len(bounds))):  # the first band whose bound the score reaches wins
        index[stated >= bounds[k]] = k
    return index


def grade_labels(scores: np.ndarray | float, grades: Sequence[tuple[str, float]]) -> np.ndarray:
    """Each score's grade label (object array); '' for every score when there are no grades."""
    stated = np.atleast_1d(np.asarray(scores, dtype=float))
    if not grades:
        return np.full(stated.shape, "", dtype=object)
    labels = np.array([g for g, _ in grades], dtype=object)
    return labels[grade_index(stated, [low for _, low in grades])]


def pd_at_score(score: float, base_points: float, base_odds: float, pdo: float) -> float:
    """The PD a score stands for under the scorecard scaling (odds base_odds × 2^((score − base) / pdo))."""
    odds = base_odds * math.pow(2.0, (score - base_points) / pdo)
    return 1.0 / (1.0 + odds)


@dataclass(frozen=True)
class GradeBand:
    """A grade, its score bounds and the PD range they stand for (``pd_low`` exclusive, ``pd_high`` inclusive)."""

    grade: str
    min_score: float
    max_score: float | None  # the next better grade's bound (None for the best grade)
    pd_low: float            # PD at ``max_score`` (0 for the best grade)
    pd_high: float           # PD at ``min_score`` (1 when the grade has no lower bound worth stating)
    recommendation: str

    def pd_range_zh(self) -> str:
        """The band in words for a card: "违约概率 4.54%–8.15%" ("≤ 2.75%" for the best grade)."""
        if self.max_score is None:
            return f"违约概率 ≤ {self.pd_high:.2%}"
        if self.pd_high >= 1.0:
            return f"违约概率 > {self.pd_low:.2%}"
        return f"违约概率 {self.pd_low:.2%}–{self.pd_high:.2%}"


def grade_bands(grades: Sequence[tuple[str, float, str]], base_points: float, base_odds: float,
                pdo: float) -> list[GradeBand]:
    """Every grade's PD band, best first, from (grade, min_score, recommendation) and the scorecard scaling.

    A lowest grade whose bound is at or below zero points (the catch-all) has no upper PD worth stating: 1.
    """
    out: list[GradeBand] = []
    upper: float | None = None
    for grade, low, recommendation in grades:
        pd_high = pd_at_score(low, base_points, base_odds, pdo) if low > 0 else 1.0
        pd_low = 0.0 if upper is None else pd_at_score(upper, base_points, base_odds, pdo)
        out.append(GradeBand(grade, low, upper, pd_low, pd_high, recommendation))
        upper = low
    return out
