"""The credit model: LightGBM with monotone constraints, Platt calibration on held-out data, score scaling.

On small data the trees are cross-fitted: k members, each trained on k-1 stratified folds of the training rows and
early-stopped on the remaining fold, are averaged into one booster (``models.credit.bagging``), and the Platt map is fitted
on the out-of-fold scores, so every calibration row is scored by trees that never saw it while every row still
teaches k-1 of the members. On German Credit this lifted repeated-CV AUC by about a point over one 75/25 split.

Calibration is a logistic map of the trees' raw log-odds (Platt scaling), chosen over isotonic regression because
it keeps the score linear in the TreeSHAP contributions: base points + Σ feature points equals the score exactly,
so the gradient-boosted model reads like a scorecard.

Capacity follows the training rows (``models.credit.sizing``): cross-fitting and shallow trees on small data, one
early-stopped booster with larger trees from 2,000 rows on; parameters given explicitly always win.

The model reads the household feature metadata by default (monotone directions, categorical columns); for any
other credit dataset the caller passes the columns, the categorical ones and the monotone hints explicitly.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from features.errors import KuozhongError
from features.metadata import CATEGORICAL_FEATURES, FEATURES, MODEL_FEATURES, SENSITIVE_FEATURES, FeatureInfo
from models.credit.bagging import cross_fit, mean_classifier
from models.credit.sizing import (
    DEFAULT_PARAMS,
    cv_folds_for,
    early_stopping_rounds_for,
    holdout_share_for,
    sized_params,
)
from models.policy.grading import grade_labels

__all__ = ["DEFAULT_PARAMS", "CreditModel", "ModelInputError", "ParamsError", "check_params"]

def category_text(values: pd.Series) -> pd.Series:
    """Categorical values as the text the trees learn and read: 56, 56.0 and "56" are all "56".

    pandas reads a numerically coded category as int64, or as float64 once a value is missing; both, and the
    same code sent as text, must land on one level.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("string")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return _number_text(pd.to_numeric(values, errors="coerce").astype(float))
    if values.dtype == object:
        numbers = pd.Series([v if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
                             else np.nan for v in values], index=values.index, dtype=float)
        text = values.astype("string")
        is_number = numbers.notna()
        if is_number.any():
            text[is_number] = _number_text(numbers[is_number])
        return text
    return values.astype("string")


def _number_text(numbers: pd.Series) -> pd.Series:
    out = pd.Series(pd.NA, index=numbers.index, dtype="string")
    known = numbers.notna()
    whole = known & (numbers == np.round(numbers)) & (numbers.abs() < 2**53)
    out[whole] = numbers[whole].astype("int64").astype("string")
    out[known & ~whole] = numbers[known & ~whole].map(repr).astype("string")
    return out


class ModelInputError(KuozhongError):
    """Input the model cannot score: a missing feature column or a value of the wrong kind."""


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.mean() * abs(float(y[mask].mean()) - float(p[mask].mean()))
    return total


def _platt(raw: np.ndarray, y: np.ndarray, weight: np.ndarray | None) -> tuple[float, float, bool]:
    """Platt's slope and intercept on held-out raw scores; the slope 1 when the fit would not keep the order.

    A calibration map must keep the trees' ranking. On a few bad rows (a dozen, as on the plan's county) the
    held-out scores can rank the bad rows below the good ones by chance, and a free Platt fit then turns the slope
    negative and the whole ranking upside down (one of four such counties: expected AUC 0.62 of the trees, 0.38
    after the map). There the trees' log-odds are kept as they are (slope 1) and only the level is fitted: the
    intercept at which the weighted mean PD equals the weighted bad rate (the intercept's own likelihood equation).
    """
    platt = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y, sample_weight=weight)
    slope = float(platt.coef_[0, 0])
    if slope > 0:
        return slope, float(platt.intercept_[0]), False
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    target = float(np.sum(w * y))
    # the weighted mean PD rises with the intercept: the root of its likelihood equation lies in a wide bracket
    level = brentq(lambda b: float(np.sum(w * expit(raw + b))) - target, -60.0, 60.0, xtol=1e-12)
    return 1.0, float(level), True


class ParamsError(KuozhongError):
    """LightGBM parameters the credit model cannot use, naming the parameter, its value and the rule."""


# Set by the model itself from its metadata and seed; a parameters file must not change them (None: any value).
_MODEL_OWNED: dict[str, object] = {"objective": "binary", "monotone_constraints": None, "categorical_feature": None,
                                   "seed": None}


@contextmanager
def _quiet_native_output() -> Iterator[None]:
    """Silence LightGBM's C++ "[Fatal]" lines, which go to the process's stderr, not through Python."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _lightgbm_names() -> tuple[set[str] | None, dict[str, str]]:
    """Every name LightGBM accepts (None if its private alias table is missing), and each alias of a model-owned key.

    Without the table, only the owned keys' own names are known and every other name is left to the value check.
    """
    owned = {key: key for key in _MODEL_OWNED} | {"random_state": "seed"}
    try:
        from lightgbm.basic import _ConfigAliases
    except ImportError:
        return None, owned
    if not hasattr(_ConfigAliases, "_get_all_param_aliases"):
        return None, owned
    known = {name for key, aliases in _ConfigAliases._get_all_param_aliases().items() for name in (key, *aliases)}
    owned |= {alias: key for key in _MODEL_OWNED for alias in _ConfigAliases.get(key)}
    return known | set(lgb.LGBMClassifier().get_params()), owned


def check_params(params: Mapping[str, object], source: str = "params") -> None:
    """Refuse unknown LightGBM parameters and values LightGBM would refuse, before any fit or MLflow run starts.

    Each parameter is tried on its own over the defaults, on a tiny synthetic fit, so the message names the one
    at fault with LightGBM's own rule ("num_leaves = -3: LightGBM requires num_leaves > 1").
    """
    known, owned = _lightgbm_names()
    for name, value in params.items():
        if known is not None and name not in known:
            raise ParamsError(f"{source}: {name!r} is not a LightGBM parameter")
        if name in owned and value != _MODEL_OWNED[owned[name]]:
            raise ParamsError(f"{source}: {name} = {value!r}: set by the credit model itself "
                              f"(a binary PD model with monotone constraints from the feature metadata and --seed)")
    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2

    def refusal(candidate: Mapping[str, object]) -> str | None:
        merged = {**DEFAULT_PARAMS, **candidate, "n_estimators": 1, "num_threads": 1}
        try:
            with _quiet_native_output(), redirect_stdout(io.StringIO()):
                lgb.LGBMClassifier(**merged).fit(X, y)  # type: ignore[arg-type]
        except (lgb.basic.LightGBMError, ValueError, TypeError) as err:
            rule = str(err).split(" at /")[0].strip().rstrip(".")
            return rule.replace("Check failed: ", "LightGBM requires ").replace("(", "").replace(")", "")
        return None

    for name, value in params.items():
        if (rule := refusal({name: value})) is not None:
            raise ParamsError(f"{source}: {name} = {value!r}: {rule}")
    if (rule := refusal(params)) is not None:
        raise ParamsError(f"{source}: these parameters cannot be used together: {rule}")


@dataclass(frozen=True)
class _TrainingMatrix:
    """The training rows as LightGBM reads them: floats, categorical columns by index and their levels."""

    values: np.ndarray
    names: list[str]
    categorical: list[int]
    levels: list[list[str]]

    def fit_kwargs(self) -> dict[str, Any]:
        """Column names and categorical columns for ``LGBMClassifier.fit``."""
        return {"feature_name": self.names, "categorical_feature": self.categorical}


class CreditModel(ClassifierMixin, BaseEstimator):
    """PD, score and grade for feature frames or single records; sklearn-style (params in __init__, fit -> self).

    Parameters
    ----------
    features: names of the model's input columns (MODEL_FEATURES by default).
    params: LightGBM parameters overriding the ones sized for the training rows (``models.credit.sizing``).
    calibration_size: with one booster, the share of the training rows held out for early stopping and
        Platt calibration (None: sized by the rows, 20% down to 5%).
    base_points, base_odds, pdo: score scaling (base points at good:bad odds ``base_odds``, ``pdo`` to double).
    early_stopping_rounds: rounds without improvement on the held-out part before the trees stop (None: sized).
    random_state: seed for the split and for LightGBM.
    categorical: columns treated as native LightGBM categoricals (None: from the feature metadata).
    monotone: feature -> +1/-1/0 risk direction (None: from the feature metadata).
    grades: (grade, lowest score) pairs, best first, as in the policy; without them ``grade`` is empty.
    cv_folds: number of cross-fitted members averaged into the booster (each early-stopped on its own held-out
        fold, whose out-of-fold scores fit the calibration); 1 fits one booster on a single held-out split;
        None: three below 2,000 training rows or below 300 of the rarer class (five when fewer than 100 are of
        the rarer class), one from there on (``models.credit.sizing``). The number used is ``cv_folds_``.
    catalogue: what each input column means (labels, unit, group, value labels) for a dataset's own table
        (None: the household catalogue, ``features.metadata``).
    sensitive: attributes a lender may not score people on; ``fit`` refuses a feature list holding one (None:
        the household catalogue's, plus any the ``catalogue`` marks; an empty list only for the validation's
        "before" model, which shows what reading them would change).

    Fitted attributes besides the trees: ``reference_``, each input's reference in the training rows (median and
    mean of a number; bad rate of each category and overall), against which every reason states the applicant's
    value.
    """

    def __init__(
        self,
        features: Sequence[str] = MODEL_FEATURES,
        params: dict[str, object] | None = None,
        calibration_size: float | None = None,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
        early_stopping_rounds: int | None = None,
        random_state: int = 0,
        categorical: Sequence[str] | None = None,
        monotone: Mapping[str, int] | None = None,
        grades: Sequence[tuple[str, float]] | None = None,
        cv_folds: int | None = None,
        catalogue: Mapping[str, FeatureInfo] | None = None,
        sensitive: Sequence[str] | None = None,
    ) -> None:
        self.features = features
        self.params = params
        self.calibration_size = calibration_size
        self.base_points = base_points
        self.base_odds = base_odds
        self.pdo = pdo
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state
        self.categorical = categorical
        self.monotone = monotone
        self.grades = grades
        self.cv_folds = cv_folds
        self.catalogue = catalogue
        self.sensitive = sensitive

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle; models saved before cross-fitting existed were fitted on one held-out split."""
        state.setdefault("cv_folds", 1)
        state.setdefault("cv_folds_", state["cv_folds"])
        state.setdefault("catalogue", None)
        state.setdefault("sensitive", None)
        state.setdefault("reference_", {})
        state.setdefault("member_iterations_", [state["best_iteration_"]] if "best_iteration_" in state else [])
        super().__setstate__(state)

    @classmethod
    def from_policy(cls, policy: Any, **kwargs: Any) -> CreditModel:
        """A model whose score scaling and grade bands come from a policy (``models.policy.Policy``)."""
        return cls(base_points=policy.scoring.base_points, base_odds=policy.scoring.base_odds,
                   pdo=policy.scoring.pdo, grades=tuple((g.grade, g.min_score) for g in policy.grades), **kwargs)

    # -- inputs ----------------------------------------------------------------------------------------------
    def feature_info(self, name: str) -> FeatureInfo:
        """What an input column means: the model's catalogue, else the household catalogue, else its name."""
        if self.catalogue is not None and name in self.catalogue:
            return self.catalogue[name]
        if name in FEATURES:
            return FEATURES[name]
        label = name.replace("_", " ").capitalize()
        return FeatureInfo(name=name, label_zh=label, label_en=label, categorical=name in self.categorical_features())

    def sensitive_features(self) -> list[str]:
        """The attributes this model may never read (they stay fairness slices)."""
        if self.sensitive is not None:
            return sorted(self.sensitive)
        return sorted(set(SENSITIVE_FEATURES) | {n for n, info in (self.catalogue or {}).items() if info.sensitive})

    def categorical_features(self) -> list[str]:
        """The input columns the trees split on as categories."""
        declared = CATEGORICAL_FEATURES if self.categorical is None else set(self.categorical)
        return [c for c in self.features if c in declared]

    def monotone_constraints(self) -> list[int]:
        """LightGBM monotone constraints (+1 more risk, -1 less risk, 0 free) from the metadata or the hints."""
        if self.monotone is None:
            return [FEATURES[c].monotone if c in FEATURES else 0 for c in self.features]
        cats = set(self.categorical_features())
        return [0 if c in cats else int(self.monotone.get(c, 0)) for c in self.features]

    def _missing_columns(self, X: pd.DataFrame) -> None:
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ModelInputError(f"model input lacks feature column(s): {', '.join(missing)}")

    @staticmethod
    def _numeric(col: str, values: pd.Series) -> pd.Series:
        if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values.dtype):
            converted = pd.to_numeric(values.astype("string"), errors="coerce")
            if converted.isna().sum() > values.isna().sum():
                bad = values[converted.isna() & values.notna()].iloc[0]
                raise ModelInputError(f"feature '{col}' must be numeric; got {bad!r}", field=col, value=bad,
                                      rule="a number")
            values = converted
        return pd.to_numeric(values, errors="coerce").astype(float)

    def _matrix(self, X: pd.DataFrame) -> pd.DataFrame:
        self._missing_columns(X)
        cats = set(self.categorical_features())
        known = getattr(self, "categories_", {})
        columns: dict[str, pd.Series] = {}
        for col in self.features:
            values = X[col]
            if col in cats:
                as_text = category_text(values)
                levels = known.get(col)
                columns[col] = as_text.astype(pd.CategoricalDtype(levels) if levels is not None else "category")
            else:
                columns[col] = self._numeric(col, values)
        return pd.DataFrame(columns, index=X.index)

    # -- fitting ---------------------------------------------------------------------------------------------
    def canonical_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The feature columns as the model reads them: categories as their text, numbers as floats (checked)."""
        self._missing_columns(X)
        cats = set(self.categorical_features())
        return pd.DataFrame({c: category_text(X[c]).astype(object).where(X[c].notna(), None) if c in cats
                             else self._numeric(c, X[c]) for c in self.features}, index=X.index)

    def _training_matrix(self, X: pd.DataFrame) -> pd.DataFrame:
        """The input matrix with the category levels of the training rows fixed (kept in ``categories_``)."""
        self.categories_: dict[str, list[str]] = {}
        matrix = self._matrix(X)
        for col in self.categorical_features():
            levels = sorted(str(v) for v in matrix[col].dropna().unique())
            self.categories_[col] = levels
            matrix[col] = matrix[col].astype("string").astype(pd.CategoricalDtype(levels))
        return matrix

    def _training_codes(self, X: pd.DataFrame) -> np.ndarray:
        """The training rows as the floats the trees read, categories as codes of their sorted levels.

        Sets ``categories_`` as ``_training_matrix`` does. LightGBM turns a pandas frame into this very matrix on
        every call; doing it once keeps the cross-fitted members from paying pandas' per-column cost five times.
        """
        self._missing_columns(X)
        self.categories_ = {}
        cats = set(self.categorical_features())
        out = np.empty((len(X), len(self.features)), dtype=float)
        for j, col in enumerate(self.features):
            if col not in cats:
                out[:, j] = self._numeric(col, X[col]).to_numpy(dtype=float, na_value=np.nan)
                continue
            raw, uniques = pd.factorize(category_text(X[col]), use_na_sentinel=True)
            names = [str(u) for u in uniques]
            order = np.argsort(np.array(names, dtype=object), kind="stable")
            rank = np.empty(len(names), dtype=float)
            rank[order] = np.arange(len(names), dtype=float)
            self.categories_[col] = [names[k] for k in order]
            out[:, j] = np.where(raw >= 0, rank[np.maximum(raw, 0)] if len(names) else np.nan, np.nan)
        return out

    def _references(self, values: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None
                    ) -> dict[str, dict[str, Any]]:
        """Each input's reference in the training rows: median and mean of a number, bad rate by category.

        Read from the training matrix itself (``_training_codes``): a category's code is its position among the
        level names of ``categories_`` (the text the trees read), a number is the float ``_numeric`` made of it.
        Bad rates are weighted by ``weight`` when given (rows inferred for rejected applicants count by their
        weight, so a reject entered once as bad and once as good does not read as a 50% bad rate).
        """
        out: dict[str, dict[str, Any]] = {}
        weight = np.ones(len(target)) if weight is None else np.asarray(weight, dtype=float)
        overall = float(np.average(target, weights=weight)) if len(target) else float("nan")
        for j, col in enumerate(self.features):
            column = values[:, j]
            if col in self.categories_:
                known = ~np.isnan(column)
                codes = column[known].astype(np.int64)
                levels = self.categories_[col]
                size = np.bincount(codes, minlength=len(levels))
                mass = np.bincount(codes, weights=weight[known], minlength=len(levels))
                bad = np.bincount(codes, weights=target[known] * weight[known], minlength=len(levels))
                out[col] = {"kind": "bad_rate", "overall": overall,
                            "levels": {levels[k]: (float(bad[k] / mass[k]), int(size[k]))
                                       for k in range(len(levels)) if size[k] and mass[k] > 0}}
            else:
                finite = column[np.isfinite(column)]
                out[col] = {"kind": "number", "median": float(np.median(finite)) if finite.size else float("nan"),
                            "mean": float(finite.mean()) if finite.size else float("nan")}
        return out

    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray,
            sample_weight: Sequence[float] | np.ndarray | None = None) -> CreditModel:
        """Fit the trees, early-stop and calibrate on rows the scoring trees never saw (out of fold on small data).

        ``sample_weight`` weighs the rows in the trees, the early stopping and the calibration alike (reject
        inference, ``training.reject``); None weighs every row 1.
        """
        barred = [c for c in self.features if c in set(self.sensitive_features())]
        if barred:
            raise ModelInputError(f"features = {', '.join(barred)}: attributes a lender may not score people on "
                                  "(health, age, sex, residence, livelihood, program class) are fairness slices, "
                                  "never model features / 敏感属性不得作为评分特征", field="features",
                                  value=", ".join(barred), rule="no sensitive attribute in a model")
        values = self._training_codes(X)
        target = np.asarray(y).astype(int)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.reference_ = self._references(values, target, weight)
        n_rows = len(target)
        rarer = int(np.bincount(target, minlength=2).min())
        self.cv_folds_ = int(self.cv_folds if self.cv_folds is not None else cv_folds_for(n_rows, rarer))
        self.early_stopping_rounds_ = int(self.early_stopping_rounds if self.early_stopping_rounds is not None
                                          else early_stopping_rounds_for(n_rows))
        params = {**sized_params(n_rows, rarer), **(self.params or {}), "random_state": self.random_state,
                  "monotone_constraints": self.monotone_constraints()}
        self.params_ = {k: v for k, v in params.items() if k != "monotone_constraints"}
        cats = self.categorical_features()
        data = _TrainingMatrix(values, list(self.features),
                               [list(self.features).index(c) for c in cats], [self.categories_[c] for c in cats])
        if self.cv_folds_ > 1:
            raw_cal, y_cal, w_cal = self._fit_cross(data, target, params, weight)
        else:
            raw_cal, y_cal, w_cal = self._fit_split(data, target, params, weight)
        self.booster_.booster_.pandas_categorical = data.levels or None
        self.calibration_slope_, self.calibration_intercept_, fixed = _platt(raw_cal, y_cal, w_cal)
        before = 1.0 / (1.0 + np.exp(-raw_cal))
        after = 1.0 / (1.0 + np.exp(-self.calibrated_logit(raw_cal)))
        self.calibration_report_ = {"n": int(len(y_cal)), "ece_before": float(_ece(y_cal, before)),
                                    "ece_after": float(_ece(y_cal, after)), "mean_pd_before": float(before.mean()),
                                    "mean_pd_after": float(after.mean()), "bad_rate": float(y_cal.mean()),
                                    "slope_fixed_at_one": fixed}
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(self.features)
        return self

    def _fit_cross(self, data: _TrainingMatrix, target: np.ndarray, params: dict[str, object],
                   weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Cross-fitted members merged into one booster; their out-of-fold raw scores calibrate it."""
        smallest = int(np.bincount(target, minlength=2).min())
        if smallest < self.cv_folds_:
            raise ModelInputError(f"cv_folds = {self.cv_folds_} needs at least {self.cv_folds_} rows of each class; "
                                  f"the training rows hold {smallest} of the rarer class")
        fitted = cross_fit(data.values, target, params, self.cv_folds_, self.random_state, self.early_stopping_rounds_,
                           fit_kwargs=data.fit_kwargs(), sample_weight=weight)
        self.member_iterations_ = [int(m.booster_.current_iteration()) for m in fitted.members]
        self.best_iteration_ = round(float(np.mean(self.member_iterations_)))
        self.booster_ = mean_classifier(fitted)
        return fitted.oof_raw, target, weight

    def _fit_split(self, data: _TrainingMatrix, target: np.ndarray, params: dict[str, object],
                   weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One booster on a part of the rows, early-stopped on the held-out part, whose scores calibrate it."""
        share = self.calibration_size if self.calibration_size is not None else holdout_share_for(len(target))
        fit_rows, cal_rows = train_test_split(np.arange(len(target)), test_size=share, stratify=target,
                                              random_state=self.random_state)
        x_fit, x_cal, y_fit, y_cal = data.values[fit_rows], data.values[cal_rows], target[fit_rows], target[cal_rows]
        w_fit, w_cal = (None, None) if weight is None else (weight[fit_rows], weight[cal_rows])
        self.booster_ = lgb.LGBMClassifier(**params)  # type: ignore[arg-type]
        self.booster_.fit(x_fit, y_fit, sample_weight=w_fit, eval_X=(x_cal,), eval_y=(y_cal,),
                          eval_sample_weight=None if w_cal is None else [w_cal], eval_metric="binary_logloss",
                          callbacks=[lgb.early_stopping(self.early_stopping_rounds_, verbose=False)],
                          **data.fit_kwargs())
        self.best_iteration_ = int(self.booster_.best_iteration_ or self.booster_.n_estimators)
        self.member_iterations_ = [self.best_iteration_]
        raw = self.booster_.booster_.predict(x_cal, raw_score=True, num_threads=params.get("num_threads", 0))
        return np.asarray(raw, dtype=float), np.asarray(y_cal), w_cal

    @property
    def fitted_folds(self) -> int:
        """Cross-fitted members of the fitted model (1: one booster)."""
        return int(getattr(self, "cv_folds_", self.cv_folds or 1))

    # -- prediction ------------------------------------------------------------------------------------------
    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' log-odds of default, before calibration."""
        return np.asarray(self.booster_.predict(self._matrix(X), raw_score=True), dtype=float)

    def calibrated_logit(self, raw: np.ndarray) -> np.ndarray:
        """Log-odds of default after Platt calibration."""
        return self.calibration_slope_ * raw + self.calibration_intercept_

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of default."""
        return 1.0 / (1.0 + np.exp(-self.calibrated_logit(self.raw_score(X))))

    def predict_pd_uncalibrated(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' own probability of default, before calibration (for the before/after report)."""
        return 1.0 / (1.0 + np.exp(-self.raw_score(X)))

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

    def grade_of(self, scores: np.ndarray) -> np.ndarray:
        """Grade band of each score as stated (2 decimals; ``models.policy.grading``); '' without bands."""
        return grade_labels(np.asarray(scores, dtype=float), self.grades or ())

    def predict_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """PD, score and grade per row, indexed like ``X``."""
        logit = self.calibrated_logit(self.raw_score(X))
        scores = self.score_from_logit(logit)
        return pd.DataFrame({"pd": 1.0 / (1.0 + np.exp(-logit)), "score": scores, "grade": self.grade_of(scores)},
                            index=X.index)

    def predict_one(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """PD, score and grade of a single record (a mapping of feature name to value)."""
        row = self.predict_frame(pd.DataFrame([dict(record)])).iloc[0]
        return {"pd": float(row["pd"]), "score": float(row["score"]), "grade": str(row["grade"])}

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Exact TreeSHAP contributions in raw log-odds (n × features) and the expected value per row."""
        contrib = np.asarray(self.booster_.predict(self._matrix(X), pred_contrib=True), dtype=float)
        return contrib[:, :-1], contrib[:, -1]

    def summary(self) -> dict[str, object]:
        """What a model-risk reviewer reads first: the learner, its size, its constraints, its calibration, its hash."""
        text = self.model_text()  # read once for the tree sizes and the hash (its JSON dump costs far more)
        leaves = [int(line[len("num_leaves="):]) for line in text.splitlines() if line.startswith("num_leaves=")]
        params = self.booster_.get_params()
        constraints = self.monotone_constraints()
        return {
            "learner": "LightGBM binary",
            "cv_folds": self.fitted_folds,
            "member_iterations": list(getattr(self, "member_iterations_", [self.best_iteration_])),
            "trees": len(leaves),
            "total_leaves": int(sum(leaves)),
            "num_leaves": params.get("num_leaves"),
            "max_depth": params.get("max_depth"),
            "learning_rate": params.get("learning_rate"),
            "features": len(self.features),
            "categorical_features": len(self.categorical_features()),
            "monotone_features": int(sum(c != 0 for c in constraints)),
            "calibration": f"Platt: slope {self.calibration_slope_:.4f}, intercept {self.calibration_intercept_:.4f}",
            "model_hash": self._hash_of(text)[:16],
        }

    def model_text(self) -> str:
        """The trees as LightGBM model text."""
        return str(self.booster_.booster_.model_to_string())

    def model_hash(self) -> str:
        """SHA-256 of the trees' text and the calibration: equal hashes, equal models."""
        return self._hash_of(self.model_text())

    def _hash_of(self, model_text: str) -> str:
        text = model_text + f"|{self.calibration_slope_:.12g}|{self.calibration_intercept_:.12g}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
