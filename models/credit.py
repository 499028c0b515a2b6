"""The credit model: LightGBM with monotone constraints, Platt calibration on held-out data, score scaling.

Calibration is a logistic map of the trees' raw log-odds (Platt scaling), chosen over isotonic regression because
it keeps the score linear in the TreeSHAP contributions: base points + Σ feature points equals the score exactly,
so the gradient-boosted model reads like a scorecard.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from features.metadata import CATEGORICAL_FEATURES, FEATURES, MODEL_FEATURES

DEFAULT_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 5,
    "min_child_samples": 30,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "cat_smooth": 10.0,
    "n_estimators": 300,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
}


class ModelInputError(ValueError):
    """Input the model cannot score: a missing feature column."""


class CreditModel(ClassifierMixin, BaseEstimator):
    """PD, score and contributions for household feature frames; sklearn-style (params in __init__, fit -> self).

    Parameters
    ----------
    features: names of the model's input columns (MODEL_FEATURES by default).
    params: LightGBM parameters overriding DEFAULT_PARAMS.
    calibration_size: share of the training rows held out for early stopping and Platt calibration.
    base_points, base_odds, pdo: score scaling (base points at good:bad odds ``base_odds``, ``pdo`` to double).
    random_state: seed for the split and for LightGBM.
    """

    def __init__(
        self,
        features: Sequence[str] = MODEL_FEATURES,
        params: dict[str, object] | None = None,
        calibration_size: float = 0.25,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
        early_stopping_rounds: int = 50,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.params = params
        self.calibration_size = calibration_size
        self.base_points = base_points
        self.base_odds = base_odds
        self.pdo = pdo
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------------------------
    def _matrix(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ModelInputError(f"model input lacks feature column(s): {', '.join(missing)}")
        frame = X[list(self.features)].copy()
        for col in frame.columns:
            if col in CATEGORICAL_FEATURES:
                if not isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype("category")
            else:
                frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        return frame

    def monotone_constraints(self) -> list[int]:
        """LightGBM monotone constraints from the feature metadata (+1 more risk, -1 less risk, 0 free)."""
        return [FEATURES[c].monotone if c in FEATURES else 0 for c in self.features]

    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray) -> CreditModel:
        """Fit the trees on one part, early-stop and calibrate on the held-out part."""
        matrix = self._matrix(X)
        target = np.asarray(y).astype(int)
        x_fit, x_cal, y_fit, y_cal = train_test_split(matrix, target, test_size=self.calibration_size,
                                                      stratify=target, random_state=self.random_state)
        params = {**DEFAULT_PARAMS, **(self.params or {}), "random_state": self.random_state,
                  "monotone_constraints": self.monotone_constraints(), "monotone_constraints_method": "advanced"}
        self.booster_ = lgb.LGBMClassifier(**params)  # type: ignore[arg-type]
        self.booster_.fit(x_fit, y_fit, eval_X=(x_cal,), eval_y=(y_cal,), eval_metric="binary_logloss",
                          callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)])
        raw_cal = self.booster_.predict(x_cal, raw_score=True)
        platt = LogisticRegression(C=1e6).fit(np.asarray(raw_cal).reshape(-1, 1), y_cal)
        self.calibration_slope_ = float(platt.coef_[0, 0])
        self.calibration_intercept_ = float(platt.intercept_[0])
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(self.features)
        self.best_iteration_ = int(self.booster_.best_iteration_ or self.booster_.n_estimators)
        return self

    # -- prediction ------------------------------------------------------------------------------------------
    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' log-odds of default, before calibration."""
        return np.asarray(self.booster_.predict(self._matrix(X), raw_score=True), dtype=float)

    def calibrated_logit(self, raw: np.ndarray) -> np.ndarray:
        """Log-odds of default after Platt calibration."""
        return self.calibration_slope_ * raw + self.calibration_intercept_

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of default (90+ days past due within 12 months)."""
        return 1.0 / (1.0 + np.exp(-self.calibrated_logit(self.raw_score(X))))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities of [good, bad] per row."""
        pd_ = self.predict_pd(X)
        return np.column_stack([1.0 - pd_, pd_])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where the PD is at least one half."""
        return (self.predict_pd(X) >= 0.5).astype(int)

    @property
    def points_factor(self) -> float:
        """Points per unit of log-odds: PDO / ln 2."""
        return self.pdo / math.log(2.0)

    @property
    def points_offset(self) -> float:
        """Score at log-odds of good of zero."""
        return self.base_points - self.points_factor * math.log(self.base_odds)

    def score_from_logit(self, logit_bad: np.ndarray) -> np.ndarray:
        """Credit score from the calibrated log-odds of default (higher score, lower risk)."""
        return self.points_offset - self.points_factor * logit_bad

    def credit_score(self, X: pd.DataFrame) -> np.ndarray:
        """Credit score (base points at base odds, PDO points to double the good:bad odds)."""
        return self.score_from_logit(self.calibrated_logit(self.raw_score(X)))

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Exact TreeSHAP contributions in raw log-odds (n × features) and the expected value per row."""
        contrib = np.asarray(self.booster_.predict(self._matrix(X), pred_contrib=True), dtype=float)
        return contrib[:, :-1], contrib[:, -1]

    def model_hash(self) -> str:
        """SHA-256 of the trees' text and the calibration: equal hashes, equal models."""
        text = self.booster_.booster_.model_to_string()
        text += f"|{self.calibration_slope_:.12g}|{self.calibration_intercept_:.12g}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
