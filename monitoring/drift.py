"""Model monitoring: PSI of the score and of each feature, AUC and calibration once outcomes arrive, approval shifts.

Reference = applications the model could have been trained on (before ``recent_from``); recent = applications
from ``recent_from`` to the as-of date. The PSI reading follows the usual 0.1 / 0.25 cut-offs
(``training.evaluate``); figures are logged to the model's MLflow run as a history (step = as-of date).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from models.credit.model import CreditModel
from models.decision.builder import ModelRef
from models.policy import Policy
from training.evaluate import evaluate, expected_calibration_error, psi, psi_reading
from training.validation import approvals

SLICES = ("township", "household_class")


@dataclass(frozen=True)
class DriftReport:
    """Stability, performance and approval shifts between reference and recent applications."""

    as_of: pd.Timestamp
    recent_from: pd.Timestamp
    n_reference: int
    n_recent: int
    stability: pd.DataFrame      # variable, psi, reading
    performance: pd.DataFrame    # period, auc, ks, brier, ece (where outcomes are known)
    approval_shift: pd.DataFrame  # slice, level, reference rate, recent rate, change

    @property
    def score_psi(self) -> float:
        """PSI of the credit score."""
        return float(self.stability.loc[self.stability["variable"] == "score", "psi"].iloc[0])

    @property
    def status(self) -> str:
        """Worst reading over the score and the features."""
        worst = float(self.stability["psi"].max()) if len(self.stability) else 0.0
        return psi_reading(worst)


def drift_report(table: pd.DataFrame, model: CreditModel, policy: Policy, as_of: pd.Timestamp,
                 recent_from: pd.Timestamp, target: str = "default_12m") -> DriftReport:
    """Compare recent applications with the reference period on the same model."""
    dates = pd.to_datetime(table["as_of"])
    reference = table[dates < recent_from]
    recent = table[(dates >= recent_from) & (dates <= as_of)]
    if reference.empty or recent.empty:
        raise ValueError(f"drift needs applications on both sides of {recent_from.date()} up to {as_of.date()}; "
                         f"got {len(reference)} before and {len(recent)} after")
    s_ref, s_rec = model.credit_score(reference), model.credit_score(recent)
    rows = [("score", psi(s_ref, s_rec))] + [(f, psi(reference[f], recent[f])) for f in model.features]
    stability = pd.DataFrame(rows, columns=["variable", "psi"])
    stability["reading"] = stability["psi"].map(psi_reading)
    perf = []
    for name, part in (("reference", reference), ("recent", recent)):
        known = part[part[target].notna()] if target in part else part.iloc[0:0]
        if len(known) and known[target].nunique() == 2:
            y, p = known[target].to_numpy().astype(int), model.predict_pd(known)
            perf.append({"period": name, "n": len(known), **evaluate(y, p),
                         "ece": expected_calibration_error(y, p)})
    a_ref, a_rec = approvals(s_ref, policy), approvals(s_rec, policy)
    shifts = []
    for col in SLICES:
        ref_rate = pd.Series(a_ref, index=reference.index).groupby(reference[col].astype(str)).mean()
        rec_rate = pd.Series(a_rec, index=recent.index).groupby(recent[col].astype(str)).mean()
        for level in sorted(set(ref_rate.index) | set(rec_rate.index)):
            r0, r1 = ref_rate.get(level, np.nan), rec_rate.get(level, np.nan)
            shifts.append({"slice": col, "level": level, "reference_rate": r0, "recent_rate": r1,
                           "change": r1 - r0})
    return DriftReport(pd.Timestamp(as_of), pd.Timestamp(recent_from), len(reference), len(recent), stability,
                       pd.DataFrame(perf), pd.DataFrame(shifts))


def log_to_run(report: DriftReport, ref: ModelRef, client: MlflowClient) -> None:
    """Append the figures to the model's MLflow run history, one step per as-of date."""
    step = int(report.as_of.strftime("%Y%m%d"))
    client.log_metric(ref.run_id, "monitor_psi_score", report.score_psi, step=step)
    client.log_metric(ref.run_id, "monitor_psi_max_feature",
                      float(report.stability.loc[report.stability["variable"] != "score", "psi"].max()), step=step)
    for rec in report.performance.to_dict("records"):
        for metric in ("auc", "ece"):
            client.log_metric(ref.run_id, f"monitor_{rec['period']}_{metric}", float(rec[metric]), step=step)
    client.log_metric(ref.run_id, "monitor_max_approval_shift",
                      float(report.approval_shift["change"].abs().max()), step=step)
