"""One validation of a fitted model on a holdout: metrics before/after calibration, PSI, monotonicity, fairness.

The fairness section shows each slice's AUC and approval-rate ratio for the model and, beside them, for the same
learner fitted without the constraints and exclusions (``training.fairness.before_model``), and the search for a
less discriminatory alternative among candidates within an AUC tolerance (``training.fairness.search``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.datasets import Dataset
from models.credit.model import CreditModel
from models.policy import Policy
from training.evaluate import evaluate, lift_by_decile, monotonicity_check, stability
from training.fairness import (
    AUC_TOLERANCE,
    approvals,
    before_after,
    before_model,
    fairness_table,
    search,
    worst_ratio,
)

__all__ = ["Validation", "approvals", "validate"]


@dataclass
class Validation:
    """Everything the validation report and the promotion gates read."""

    dataset: str
    n_train: int
    n_test: int
    split: str
    metrics: dict[str, float]
    metrics_uncalibrated: dict[str, float]
    calibration_fit: dict[str, float]
    stability: pd.DataFrame
    monotonicity: pd.DataFrame
    fairness: pd.DataFrame
    lift: pd.DataFrame
    plots: dict[str, bytes] = field(default_factory=dict)
    labels_zh: dict[str, str] = field(default_factory=dict)  # feature -> Chinese label, for the report's tables
    model_summary: dict[str, object] = field(default_factory=dict)  # CreditModel.summary()
    alternatives: pd.DataFrame = field(default_factory=pd.DataFrame)  # the less-discriminatory-alternative search
    auc_tolerance: float = AUC_TOLERANCE
    reject_inference: dict[str, object] = field(default_factory=dict)  # training.reject: method, rows, rates
    through_the_cycle: dict[str, object] = field(default_factory=dict)  # training.cycle: events, rows, weights

    @property
    def worst_approval_ratio(self) -> tuple[float, str]:
        """The model's lowest approval-rate ratio over the slices, and the group it belongs to."""
        return worst_ratio(self.fairness) if len(self.fairness) else (1.0, "")

    @property
    def worst_approval_ratio_before(self) -> tuple[float, str] | None:
        """The same for the model fitted before the constraints and exclusions (None when not fitted)."""
        if "approval_ratio_before" not in self.fairness.columns:
            return None
        before = self.fairness[["slice", "value", "n", "approval_rate_before"]].rename(
            columns={"approval_rate_before": "approval_rate"})
        return worst_ratio(before)

    @property
    def monotonicity_holds(self) -> bool:
        """True when no constrained feature moved the PD against its direction."""
        return bool(self.monotonicity["holds"].all()) if len(self.monotonicity) else True


def validate(model: CreditModel, dataset: Dataset, train: pd.DataFrame, test: pd.DataFrame, y_test: np.ndarray,
             policy: Policy, split: str, plots: bool = True, shap_rows: int = 1000, seed: int = 0,
             y_train: np.ndarray | None = None, fairness_search: bool = True,
             reference: pd.DataFrame | None = None) -> Validation:
    """Measure the model on ``test`` (rows it never saw) against ``train``; optionally draw the plots.

    With ``y_train`` (and ``fairness_search``), the before model and the alternatives are fitted on the training
    rows and set beside the model in the fairness section. ``reference`` (default: ``train``) are the training
    rows the holdout's stability is measured against: a training run passes the sample it records, so a later
    revalidation measures against the same rows.
    """
    raw_test = model.raw_score(test)  # the trees read each row once; PD, score and uncalibrated PD follow from it
    logit_test = model.calibrated_logit(raw_test)
    pd_test, pd_raw = 1.0 / (1.0 + np.exp(-logit_test)), 1.0 / (1.0 + np.exp(-raw_test))
    score_test = model.score_from_logit(logit_test)
    reference = train if reference is None else reference
    metrics = evaluate(y_test, pd_test)
    slices = dataset.slices(test)
    result = Validation(
        dataset=dataset.name, n_train=len(train), n_test=len(test), split=split, metrics=metrics,
        metrics_uncalibrated=evaluate(y_test, pd_raw), calibration_fit=dict(model.calibration_report_),
        stability=pd.DataFrame(),
        monotonicity=monotonicity_check(model, test, dict(zip(model.features, model.monotone_constraints(),
                                                               strict=True)), seed=seed),
        fairness=fairness_table(model, test, y_test, slices, policy, scored=(pd_test, score_test)),
        lift=lift_by_decile(y_test, score_test), labels_zh=dict(dataset.labels_zh), model_summary=model.summary())
    if y_train is not None and fairness_search and len(slices.columns):
        before = before_model(model, dataset, train, y_train)
        result.fairness = before_after(fairness_table(before, test, y_test, slices, policy), result.fairness)
        result.alternatives = search(model, train, y_train, test, y_test, slices, policy)
    # The SHAP sample's contributions and the reference rows' scores run in LightGBM's native code, which leaves the
    # interpreter free: one worker thread computes them while this one draws the performance plots (no other
    # LightGBM call runs meanwhile).
    rows = test.sample(n=min(shap_rows, len(test)), random_state=seed) if len(test) > shap_rows else test
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="validation-scoring") as pool:
        explained = pool.submit(model.contributions, rows) if plots else None
        reference_scores = pool.submit(model.credit_score, reference)
        if explained is not None:
            from training.plots import chinese_figures, performance_plots, shap_plots

            with chinese_figures():
                result.plots.update(performance_plots(y_test, pd_test, pd_raw, score_test))
                contrib, expected = explained.result()
                result.plots.update(shap_plots(contrib, expected, rows, list(model.features), dataset.labels_zh))
        score_reference = reference_scores.result()
    result.stability = stability(reference, test, model.features, score_reference, score_test)
    return result
