"""Validation measures: discrimination, calibration, stability (PSI), monotonicity and fairness slices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve

PSI_STABLE, PSI_SHIFT = 0.1, 0.25


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance between the score distributions of goods and bads."""
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed bad rate − mean PD| over equal-count PD bins, weighted by bin size."""
    table = calibration_table(y, p, bins)
    return float((table["n"] * (table["bad_rate"] - table["mean_pd"]).abs()).sum() / table["n"].sum())


def ece_chance_quantiles(p: np.ndarray, quantiles: tuple[float, ...], bins: int = 10, draws: int = 1000,
                         seed: int = 0) -> tuple[float, ...]:
    """The ``quantiles`` of the ECE a perfectly calibrated model would show on these rows by chance alone.

    Outcomes are drawn as Bernoulli(PD) ``draws`` times over the same equal-count bins as
    ``expected_calibration_error``; on a few hundred rows this noise floor alone exceeds 0.05.
    """
    p = np.asarray(p, dtype=float)
    labels = pd.qcut(pd.Series(p).rank(method="first"), q=min(bins, len(p)), labels=False).to_numpy(dtype=int)
    rng = np.random.default_rng(seed)
    errors = np.empty(draws)
    for i in range(draws):
        gap = np.bincount(labels, weights=(rng.random(len(p)) < p) - p)
        errors[i] = np.abs(gap).sum() / len(p)
    return tuple(float(q) for q in np.quantile(errors, quantiles))


def ece_sampling_bound(p: np.ndarray, bins: int = 10, quantile: float = 0.95, draws: int = 1000,
                       seed: int = 0) -> float:
    """The ``quantile`` of the ECE a perfectly calibrated model would show on these rows by chance alone."""
    return ece_chance_quantiles(p, (quantile,), bins, draws, seed)[0]


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per equal-count PD bin: rows, mean PD and observed bad rate."""
    order = pd.qcut(pd.Series(p).rank(method="first"), q=min(bins, len(p)), labels=False)
    frame = pd.DataFrame({"bin": order, "y": np.asarray(y, dtype=float), "p": p})
    grouped = frame.groupby("bin")
    return pd.DataFrame({"n": grouped.size(), "mean_pd": grouped["p"].mean(), "bad_rate": grouped["y"].mean()})


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, Gini, KS, Brier, log loss and expected calibration error of predicted PDs."""
    y = np.asarray(y).astype(int)
    auc = float(roc_auc_score(y, p))
    return {"auc": auc, "gini": 2 * auc - 1, "ks": ks_statistic(y, p), "brier": float(brier_score_loss(y, p)),
            "log_loss": float(log_loss(y, np.clip(p, 1e-9, 1 - 1e-9), labels=[0, 1])),
            "ece": expected_calibration_error(y, p)}


def lift_by_decile(y: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Bad rate and lift per score decile, riskiest decile (lowest score) first."""
    decile = pd.qcut(pd.Series(score).rank(method="first"), 10, labels=False)
    frame = pd.DataFrame({"decile": decile + 1, "y": np.asarray(y, dtype=float)})
    table = frame.groupby("decile")["y"].agg(n="size", bad_rate="mean").reset_index()
    table["lift"] = table["bad_rate"] / max(float(np.mean(y)), 1e-12)
    return table


def psi(expected: pd.Series | np.ndarray, actual: pd.Series | np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (quantile bins, or levels for categories)."""
    exp, act = pd.Series(expected), pd.Series(actual)
    numeric = pd.api.types.is_numeric_dtype(exp) and not isinstance(exp.dtype, pd.CategoricalDtype)
    if numeric and exp.nunique() > bins:
        edges = np.unique(np.nanquantile(exp.astype(float), np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        e_lab = pd.cut(exp.astype(float), edges, labels=False).astype("Float64").fillna(-1)
        a_lab = pd.cut(act.astype(float), edges, labels=False).astype("Float64").fillna(-1)
    else:
        e_lab, a_lab = exp.astype("string").fillna("(na)"), act.astype("string").fillna("(na)")
    levels = sorted(set(e_lab.unique()) | set(a_lab.unique()), key=str)
    e_share = e_lab.value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy() + 1e-4
    a_share = a_lab.value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy() + 1e-4
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def psi_reading(value: float) -> str:
    """The usual reading: < 0.1 stable, 0.1–0.25 some shift, > 0.25 major shift."""
    return "稳定 stable" if value < PSI_STABLE else "轻微偏移 some shift" if value < PSI_SHIFT else "显著偏移 major shift"


def stability(train: pd.DataFrame, test: pd.DataFrame, features: Sequence[str], score_train: np.ndarray,
              score_test: np.ndarray) -> pd.DataFrame:
    """PSI of the score and of each feature between train and holdout, with its reading."""
    rows = [("score", psi(score_train, score_test))]
    rows += [(f, psi(train[f], test[f])) for f in features]
    table = pd.DataFrame(rows, columns=["variable", "psi"])
    table["reading"] = table["psi"].map(psi_reading)
    return table


def monotonicity_check(model: object, X: pd.DataFrame, monotone: Mapping[str, int], grid_points: int = 12,
                       sample: int = 200, seed: int = 0) -> pd.DataFrame:
    """For each constrained feature, sweep it over its range on sampled rows: PD must move one way only.

    ``violations`` counts rows where the PD moved against the declared direction by more than 1e-9.
    """
    rng = np.random.default_rng(seed)
    rows = X.iloc[rng.choice(len(X), size=min(sample, len(X)), replace=False)]
    out = []
    for feature, direction in monotone.items():
        if direction == 0 or feature not in X.columns:
            continue
        values = pd.to_numeric(X[feature], errors="coerce").dropna()
        if values.nunique() < 2:
            continue
        grid = np.unique(np.quantile(values, np.linspace(0, 1, grid_points)))
        stacked = pd.concat([rows] * len(grid), ignore_index=True)
        stacked[feature] = np.repeat(grid, len(rows))
        pd_ = model.predict_pd(stacked).reshape(len(grid), len(rows))  # type: ignore[attr-defined]
        steps = np.diff(pd_, axis=0) * direction
        violations = int((steps < -1e-9).any(axis=0).sum())
        out.append({"feature": feature, "direction": direction, "rows_checked": len(rows),
                    "violations": violations, "holds": violations == 0})
    return pd.DataFrame(out, columns=["feature", "direction", "rows_checked", "violations", "holds"])


def fairness_slices(y: np.ndarray, pd_: np.ndarray, approved: np.ndarray, slices: pd.DataFrame,
                    min_rows: int = 20) -> pd.DataFrame:
    """AUC and approval rate per slice value, and each one's ratio to the best value of the same slice."""
    rows = []
    y = np.asarray(y).astype(int)
    for name in slices.columns:
        labels = slices[name].to_numpy()
        for value in sorted(pd.unique(labels), key=str):
            mask = labels == value
            auc = float(roc_auc_score(y[mask], pd_[mask])) if len(set(y[mask])) == 2 and mask.sum() >= min_rows \
                else float("nan")
            rows.append({"slice": name, "value": str(value), "n": int(mask.sum()), "bad_rate": float(y[mask].mean()),
                         "auc": auc, "approval_rate": float(np.mean(approved[mask]))})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    best_auc = table.groupby("slice")["auc"].transform("max")
    best_approval = table.groupby("slice")["approval_rate"].transform("max")
    table["auc_ratio"] = table["auc"] / best_auc
    table["approval_ratio"] = table["approval_rate"] / best_approval.where(best_approval > 0)
    return table
