"""The calibration map keeps the trees' ranking, even where held-out scores happen to rank the bad rows low."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from models.credit.model import _platt


def _reversed_holdout(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out raw scores of 600 rows where the 9 bad rows sit among the lowest scores (a chance inversion)."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(-4.0, 0.5, 600)
    y = np.zeros(600, dtype=int)
    y[np.argsort(raw)[rng.choice(100, 9, replace=False)]] = 1  # bad rows drawn from the 100 lowest scores
    return raw, y


def test_a_negative_platt_slope_is_replaced_by_the_trees_own_order() -> None:
    for seed in range(5):
        raw, y = _reversed_holdout(seed)
        free = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
        assert free.coef_[0, 0] < 0  # the case itself: a free fit would reverse the ranking
        slope, intercept, fixed = _platt(raw, y, None)
        assert fixed and slope == 1.0
        pd_after = 1.0 / (1.0 + np.exp(-(slope * raw + intercept)))
        assert np.all(np.diff(pd_after[np.argsort(raw)]) >= 0)  # order kept
        assert abs(pd_after.mean() - y.mean()) < 1e-6  # level: mean PD equals the bad rate


def test_the_fixed_slope_level_is_weighted() -> None:
    raw, y = _reversed_holdout(0)
    weight = np.where(y == 1, 3.0, 1.0)
    slope, intercept, fixed = _platt(raw, y, weight)
    pd_after = 1.0 / (1.0 + np.exp(-(slope * raw + intercept)))
    assert fixed
    assert abs(np.average(pd_after, weights=weight) - np.average(y, weights=weight)) < 1e-6


def test_a_positive_slope_is_platts_own() -> None:
    rng = np.random.default_rng(1)
    raw = rng.normal(-3.0, 1.0, 2000)
    y = (rng.random(2000) < 1.0 / (1.0 + np.exp(-(0.8 * raw + 0.5)))).astype(int)
    free = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
    slope, intercept, fixed = _platt(raw, y, None)
    assert not fixed
    assert slope == float(free.coef_[0, 0]) and intercept == float(free.intercept_[0])
    assert pd.Series(raw).corr(pd.Series(slope * raw + intercept)) > 0.999
