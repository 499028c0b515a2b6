"""Reject inference: bring the applications without an outcome (declined, never booked) into the training rows.

A bank observes outcomes only for the loans it booked. A model fitted on those alone learns the booked book and is
then asked to rank the whole through-the-door population, most of which it never saw. The classical corrections
(Siddiqi, *Intelligent Credit Scoring*, 2nd ed., 2017, ch. 10; Anderson, *Credit Intelligence & Modelling*, 2022,
the chapter on reject inference) are each one function here, from the accepted rows and their outcomes, the rejected
rows and a scorer fitted on the accepted rows alone, to an augmented, weighted training set (``Augmented``):

- ``augmentation`` invents no outcome: an accept/reject model (the scorer's learner, refitted without monotone
  constraints to tell accepted from rejected rows) gives every applicant P(accept); applicants fall into ten
  quantile bands of it, and each accepted row is weighted by its band's applicants over its band's accepts (the
  inverse of the band's acceptance rate), the weights scaled to a mean of 1. Rejects in bands with no accepts
  cannot be represented and are counted.
- ``parcelling`` scores the rejects with the accepted-only scorer, cuts the scores into ten bands at the accepts'
  score deciles, and gives each band's rejects a bad rate of the accepts' bad rate in that band times ``uplift``
  (≥ 1: a reject is assumed no better than an accept of the same score); each reject gets one label drawn at its
  band's rate from a generator seeded by ``seed``.
- ``fuzzy`` (fuzzy augmentation) enters every reject twice, once bad with weight PD and once good with weight
  1 − PD, PD being the accepted-only scorer's; a reject's two weights sum to 1.

The package ``rejectkit`` (PyPI, 0.3.0) implements these methods behind a scikit-learn API, but its methods turn
the inputs into a float matrix through ``check_array``, which refuses the missing values every household feature
table holds (a source the bank lacks is NaN) and text categories, and they refit their own scorer on that matrix
instead of taking the monotone credit model fitted on the accepts. Each method is a few lines, so they live here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from features.datasets import Dataset
from features.errors import KuozhongError
from features.splits import HoldoutSplit

log = logging.getLogger(__name__)

Method = Literal["none", "augmentation", "parcelling", "fuzzy"]
METHODS: tuple[str, ...] = ("none", "augmentation", "parcelling", "fuzzy")
BANDS = 10
PARCEL_UPLIFT = 1.5  # reject bad rate over the accepts' in the same score band (Siddiqi: set by judgement, ≥ 1)
METHOD_ZH = {"none": "不做拒绝推断（仅用已放款样本）", "augmentation": "加权扩充 augmentation",
             "parcelling": "分箱打包 parcelling", "fuzzy": "模糊扩充 fuzzy augmentation"}

__all__ = ["BANDS", "METHODS", "METHOD_ZH", "PARCEL_UPLIFT", "Augmented", "RejectInferenceError", "augmentation",
           "check_method", "fit_with_rejects", "fuzzy", "infer", "parcelling", "training_rejects"]


class RejectInferenceError(KuozhongError):
    """A reject-inference setting that cannot be used, naming the setting, its value and the rule."""


class Scorer(Protocol):
    """What a method needs of the accepted-only model: a PD for any feature rows."""

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of default of every row."""
        ...


@dataclass(frozen=True)
class Augmented:
    """An augmented training set: rows, outcomes, weights (None: all 1), and which rows came from rejects."""

    X: pd.DataFrame
    y: np.ndarray
    weight: np.ndarray | None
    from_reject: np.ndarray

    def summary(self, method: str) -> dict[str, object]:
        """Counts and rates a reviewer reads: rows of each kind, the accepts' and the inferred rejects' bad rate."""
        w = np.ones(len(self.y)) if self.weight is None else self.weight
        rej, acc = self.from_reject, ~self.from_reject
        inferred = float(np.average(self.y[rej], weights=w[rej])) if rej.any() and w[rej].sum() > 0 else None
        return {"method": method, "accepted_rows": int(acc.sum()), "reject_rows": int(rej.sum()),
                "accepted_bad_rate": float(self.y[acc].mean()) if acc.any() else None,
                "inferred_reject_bad_rate": inferred,
                "weight_min": float(w.min()) if len(w) else None, "weight_max": float(w.max()) if len(w) else None}


def check_method(method: str, field: str = "--reject-inference") -> str:
    """The method's name, or an error naming the setting, the value and the methods there are."""
    if method not in METHODS:
        raise RejectInferenceError(
            f"{field} = {method!r}: must be one of {', '.join(METHODS)}", field=field, value=method,
            rule=f"one of {', '.join(METHODS)}",
            message_zh=f"{field} = {method!r}：拒绝推断方法须为 {', '.join(METHODS)} 之一")
    return method


def training_rejects(dataset: Dataset, plan: HoldoutSplit) -> pd.DataFrame:
    """The rows without an outcome that belong to the training side of the split.

    Out of time, only the applications before the cut (a later one would bring the holdout's period into
    training); with a random split every one; with a test file those of the training file (``Dataset``).
    """
    rejects = dataset.unlabelled
    if rejects is None or not len(rejects):
        return dataset.frame.iloc[:0]
    if plan.kind == "out-of-time" and plan.cut is not None and dataset.config.time_column:
        return rejects[(pd.to_datetime(rejects[dataset.config.time_column]) < plan.cut).to_numpy()]
    return rejects


def _stacked(X_acc: pd.DataFrame, *parts: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([X_acc, *parts], ignore_index=True)


def augmentation(X_acc: pd.DataFrame, y_acc: np.ndarray, X_rej: pd.DataFrame, scorer: Scorer,
                 seed: int = 0, bands: int = BANDS) -> Augmented:
    """Accepted rows only, each weighted by the inverse of its P(accept) band's acceptance rate (mean weight 1)."""
    applicants = _stacked(X_acc, X_rej)
    accepted = np.r_[np.ones(len(X_acc), dtype=int), np.zeros(len(X_rej), dtype=int)]
    selection = clone(scorer).set_params(monotone={}, random_state=seed)
    p_accept = selection.fit(applicants, accepted).predict_pd(applicants)
    band = _bands(p_accept, np.quantile(p_accept, np.linspace(0, 1, bands + 1)))
    total = np.bincount(band, minlength=bands)
    accepts = np.bincount(band, weights=accepted, minlength=bands)
    per_band = np.divide(total, accepts, out=np.zeros(bands), where=accepts > 0)
    weight = per_band[band[: len(X_acc)]]
    weight = weight / weight.mean()
    lost = int(((accepts[band] == 0) & (accepted == 0)).sum())
    if lost:
        log.info("augmentation: %d rejects fall in P(accept) bands without an accept and cannot be represented", lost)
    return Augmented(X_acc.reset_index(drop=True), np.asarray(y_acc, dtype=int), weight,
                     np.zeros(len(X_acc), dtype=bool))


def _bands(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Band index 0..len(edges)-2 of each score, cut at the inner edges (ties go up)."""
    inner = np.unique(edges[1:-1])
    return np.clip(np.searchsorted(inner, scores, side="right"), 0, len(edges) - 2)


def parcelling(X_acc: pd.DataFrame, y_acc: np.ndarray, X_rej: pd.DataFrame, scorer: Scorer,
               seed: int = 0, bands: int = BANDS, uplift: float = PARCEL_UPLIFT) -> Augmented:
    """Rejects labelled at random at their score band's accepted bad rate × ``uplift`` (seeded)."""
    if uplift < 1:
        raise RejectInferenceError(f"uplift = {uplift}: parcelling assumes a reject no better than an accept of "
                                   "the same score; must be ≥ 1", field="uplift", value=uplift, rule="≥ 1",
                                   message_zh=f"uplift = {uplift}：拒绝样本坏账率倍数须 ≥ 1")
    y_acc = np.asarray(y_acc, dtype=int)
    rates = band_bad_rates(scorer.predict_pd(X_acc), y_acc, scorer.predict_pd(X_rej), bands, uplift)
    drawn = (np.random.default_rng(seed).random(len(X_rej)) < rates).astype(int)
    return Augmented(_stacked(X_acc, X_rej), np.r_[y_acc, drawn], None,
                     np.r_[np.zeros(len(X_acc), dtype=bool), np.ones(len(X_rej), dtype=bool)])


def band_bad_rates(pd_acc: np.ndarray, y_acc: np.ndarray, pd_rej: np.ndarray, bands: int = BANDS,
                   uplift: float = PARCEL_UPLIFT) -> np.ndarray:
    """Each reject's bad rate: the accepts' bad rate in its score band (accepts' deciles) × ``uplift``, at most 1."""
    edges = np.quantile(pd_acc, np.linspace(0, 1, bands + 1))
    acc_band, rej_band = _bands(pd_acc, edges), _bands(pd_rej, edges)
    n = np.bincount(acc_band, minlength=bands)
    bad = np.bincount(acc_band, weights=y_acc, minlength=bands)
    rate = np.divide(bad, n, out=np.full(bands, float(np.mean(y_acc))), where=n > 0)
    return np.minimum(rate[rej_band] * uplift, 1.0)


def fuzzy(X_acc: pd.DataFrame, y_acc: np.ndarray, X_rej: pd.DataFrame, scorer: Scorer,
          seed: int = 0) -> Augmented:
    """Every reject twice: bad with weight PD, good with weight 1 − PD (the accepted-only scorer's PD)."""
    p_bad = np.clip(scorer.predict_pd(X_rej), 0.0, 1.0)
    n_acc, n_rej = len(X_acc), len(X_rej)
    return Augmented(_stacked(X_acc, X_rej, X_rej),
                     np.r_[np.asarray(y_acc, dtype=int), np.ones(n_rej, dtype=int), np.zeros(n_rej, dtype=int)],
                     np.r_[np.ones(n_acc), p_bad, 1.0 - p_bad],
                     np.r_[np.zeros(n_acc, dtype=bool), np.ones(2 * n_rej, dtype=bool)])


_METHODS: dict[str, Callable[..., Augmented]] = {"augmentation": augmentation, "parcelling": parcelling,
                                                 "fuzzy": fuzzy}


def infer(method: str, X_acc: pd.DataFrame, y_acc: np.ndarray, X_rej: pd.DataFrame, scorer: Scorer,
          seed: int = 0) -> Augmented:
    """The augmented training set of a method (``none``: the accepted rows as they are)."""
    check_method(method, "method")
    if method == "none" or not len(X_rej):
        return Augmented(X_acc.reset_index(drop=True), np.asarray(y_acc, dtype=int), None,
                         np.zeros(len(X_acc), dtype=bool))
    return _METHODS[method](X_acc.reset_index(drop=True), y_acc, X_rej.reset_index(drop=True), scorer, seed=seed)


Model = TypeVar("Model", bound=Scorer)


def fit_with_rejects(method: str, fit: Callable[[pd.DataFrame, np.ndarray, np.ndarray | None], Model],
                     X_acc: pd.DataFrame, y_acc: np.ndarray, X_rej: pd.DataFrame,
                     seed: int = 0) -> tuple[Model, dict[str, object]]:
    """Fit on the accepted rows, or (a method other than ``none``) on the set it makes with ``fit``'s own learner.

    ``fit(X, y, weight)`` is the training's model fit; the accepted-only scorer a method needs is its fit on the
    accepted rows. Returns the model and the summary the run logs and the validation report shows.
    """
    check_method(method, "reject_inference")
    y_acc = np.asarray(y_acc, dtype=int)
    if method == "none" or not len(X_rej):
        model = fit(X_acc, y_acc, None)
        augmented = infer("none", X_acc, y_acc, X_rej, model, seed)
    else:
        scorer = fit(X_acc, y_acc, None)
        augmented = infer(method, X_acc, y_acc, X_rej, scorer, seed)
        model = fit(augmented.X, augmented.y, augmented.weight)
        log.info("reject inference %s: %d accepted rows, %d rows from %d rejects", method, len(X_acc),
                 int(augmented.from_reject.sum()), len(X_rej))
    return model, {**augmented.summary(method), "rejects": int(len(X_rej)),
                   "rejects_left_out": int(len(X_rej)) if method == "none" else 0}
