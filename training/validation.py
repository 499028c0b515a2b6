"""One validation of a fitted model on a holdout: metrics before/after calibration, PSI, monotonicity, fairness."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.datasets import Dataset
from models.credit.model import CreditModel
from models.policy import Policy
from training.evaluate import evaluate, fairness_slices, lift_by_decile, monotonicity_check, stability


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

    @property
    def monotonicity_holds(self) -> bool:
        """True when no constrained feature moved the PD against its direction."""
        return bool(self.monotonicity["holds"].all()) if len(self.monotonicity) else True


def approvals(scores: np.ndarray, policy: Policy) -> np.ndarray:
    """1 where the score's grade band recommends approval under the policy."""
    return np.array([policy.grade_for(float(s)).recommendation == "approve" for s in scores], dtype=int)


def validate(model: CreditModel, dataset: Dataset, train: pd.DataFrame, test: pd.DataFrame, y_test: np.ndarray,
             policy: Policy, split: str, plots: bool = True, shap_rows: int = 2000, seed: int = 0) -> Validation:
    """Measure the model on ``test`` (rows it never saw) against ``train``; optionally draw the plots."""
    pd_test, pd_raw = model.predict_pd(test), model.predict_pd_uncalibrated(test)
    score_test, score_train = model.credit_score(test), model.credit_score(train)
    metrics = evaluate(y_test, pd_test)
    slices = dataset.slices(test)
    result = Validation(
        dataset=dataset.name, n_train=len(train), n_test=len(test), split=split, metrics=metrics,
        metrics_uncalibrated=evaluate(y_test, pd_raw), calibration_fit=dict(model.calibration_report_),
        stability=stability(train, test, model.features, score_train, score_test),
        monotonicity=monotonicity_check(model, test, dict(zip(model.features, model.monotone_constraints(),
                                                               strict=True)), seed=seed),
        fairness=fairness_slices(y_test, pd_test, approvals(score_test, policy), slices),
        lift=lift_by_decile(y_test, score_test), labels_zh=dict(dataset.labels_zh), model_summary=model.summary())
    if plots:
        from training.plots import chinese_figures, performance_plots, shap_plots

        rows = test.sample(n=min(shap_rows, len(test)), random_state=seed) if len(test) > shap_rows else test
        contrib, expected = model.contributions(rows)
        with chinese_figures():
            result.plots.update(performance_plots(y_test, pd_test, pd_raw, score_test))
            result.plots.update(shap_plots(contrib, expected, rows, list(model.features), dataset.labels_zh))
    return result
