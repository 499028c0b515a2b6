"""Fairness beside the chosen model: the ratios before the constraints, and a less discriminatory alternative.

Two comparisons on the same holdout rows, both written into the validation report:

- **before / after**: the same learner fitted as it was before the explanations were made trustworthy — every
  catalogued attribute the table holds, sensitive ones included (health, age, township, livelihood, household
  class), no monotone constraint — against the chosen model. Its approval-rate ratios and AUCs by slice stand
  beside the chosen model's, so the report shows what the constraints and the exclusions changed.
- **less discriminatory alternative**: candidate models that differ from the chosen one by one left-out feature
  group or by stronger regularisation; among those within ``auc_tolerance`` of the best candidate's AUC, the one
  whose worst approval-rate ratio over the slices is highest (the smallest disparity). It is reported, never
  swapped in: choosing it is the risk team's decision, with its reasons on the record.

The approval rate is the policy's grade recommendation on the score (``approvals``); the worst ratio of a slice
is its lowest group's approval rate over its highest, among groups of at least ``min_rows`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.datasets import Dataset
from models.credit.model import CreditModel
from models.policy import Policy
from models.policy.grading import grade_index
from training.evaluate import fairness_slices

AUC_TOLERANCE = 0.01  # candidates within this much of the best AUC count as equally accurate
MIN_ROWS = 20  # a group smaller than this says nothing about a ratio
REGULARISED = {"num_leaves": 4, "min_child_samples": 40, "reg_lambda": 5.0}


@dataclass(frozen=True)
class Candidate:
    """One model of the search: how it differs from the chosen one."""

    name: str
    label_zh: str
    features: tuple[str, ...]
    params: dict[str, object] | None = None


def approvals(scores: np.ndarray, policy: Policy) -> np.ndarray:
    """1 where the score's grade recommends approval, graded as every decision is (``models.policy.grading``)."""
    band = grade_index(np.asarray(scores, dtype=float), [g.min_score for g in policy.grades])
    approve = np.array([g.recommendation == "approve" for g in policy.grades], dtype=int)
    return approve[band]


def worst_ratio(table: pd.DataFrame, min_rows: int = MIN_ROWS) -> tuple[float, str]:
    """The lowest approval-rate ratio over the slices (groups of ``min_rows`` rows or more) and where it is."""
    big = table[table["n"] >= min_rows]
    worst, where = 1.0, ""
    for name, rows in big.groupby("slice"):
        top = rows["approval_rate"].max()
        if top <= 0 or len(rows) < 2:
            continue
        low = rows.loc[rows["approval_rate"].idxmin()]
        ratio = float(low["approval_rate"] / top)
        if ratio < worst:
            worst, where = ratio, f"{name}={low['value']}"
    return worst, where


def pd_and_score(model: CreditModel, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The model's PD and score of every row, from one pass of the trees."""
    logit = model.calibrated_logit(model.raw_score(rows))
    return 1.0 / (1.0 + np.exp(-logit)), model.score_from_logit(logit)


def fairness_table(model: CreditModel, test: pd.DataFrame, y_test: np.ndarray, slices: pd.DataFrame,
                   policy: Policy, scored: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """AUC and approval rate per slice group, with their ratios to the slice's best group.

    ``scored``: the model's PD and score of ``test`` when already computed (they are not computed again).
    """
    pd_, score = scored if scored is not None else (model.predict_pd(test), model.credit_score(test))
    return fairness_slices(y_test, pd_, approvals(score, policy), slices)


def _groups(model: CreditModel) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in model.features:
        out.setdefault(model.feature_info(name).group or "", []).append(name)
    return out


def candidates(model: CreditModel) -> list[Candidate]:
    """The chosen model, the same with each feature group left out in turn, and a more regularised one."""
    features = tuple(model.features)
    out = [Candidate("chosen", "所选模型", features, model.params)]
    for group, members in _groups(model).items():
        if not group or len(members) == len(features):
            continue
        zh = model.feature_info(members[0]).group_names()[0]
        out.append(Candidate(f"without_{group}", f"去掉{zh}类特征", tuple(f for f in features if f not in members),
                             model.params))
    out.append(Candidate("regularised", "更强正则化", features, {**(model.params or {}), **REGULARISED}))
    return out


def _refit(model: CreditModel, features: tuple[str, ...], params: dict[str, object] | None, X: pd.DataFrame,
           y: np.ndarray, *, monotone: bool = True, sensitive: tuple[str, ...] | None = None) -> CreditModel:
    settings = model.get_params()
    directions = dict(zip(model.features, model.monotone_constraints(), strict=True))
    settings.update(features=features, params=params,
                    monotone={f: directions.get(f, 0) for f in features} if monotone else {},
                    categorical=[c for c in features if c in set(model.categorical_features())
                                 or X[c].dtype == object or isinstance(X[c].dtype, pd.CategoricalDtype)
                                 or pd.api.types.is_string_dtype(X[c])])
    if sensitive is not None:
        settings["sensitive"] = sensitive
    return CreditModel(**settings).fit(X, y)


def before_model(model: CreditModel, dataset: Dataset, train: pd.DataFrame, y_train: np.ndarray) -> CreditModel:
    """The learner as it was: every attribute the table holds for the model, sensitive ones too, unconstrained.

    For the household catalogue that is every catalogued feature except the visit's quality; for a dataset YAML
    its columns, sensitive ones included.
    """
    if dataset.catalogue is None:
        from features.metadata import FEATURES

        wider = [n for n, info in FEATURES.items() if info.group != "visit" and n in train.columns]
    else:
        wider = [c.name for c in dataset.config.columns if c.name in train.columns]
    features = tuple(dict.fromkeys([*model.features, *wider]))
    return _refit(model, features, model.params, train, y_train, monotone=False, sensitive=())


def search(model: CreditModel, train: pd.DataFrame, y_train: np.ndarray, test: pd.DataFrame, y_test: np.ndarray,
           slices: pd.DataFrame, policy: Policy, auc_tolerance: float = AUC_TOLERANCE) -> pd.DataFrame:
    """Every candidate's holdout AUC and worst approval ratio; which are within tolerance and which is the LDA.

    The chosen model is scored as fitted; each other candidate is fitted on the same training rows and seed.
    """
    rows = []
    for cand in candidates(model):
        fitted = model if cand.name == "chosen" else _refit(model, cand.features, cand.params, train, y_train)
        pd_, score = pd_and_score(fitted, test)
        worst, where = worst_ratio(fairness_table(fitted, test, y_test, slices, policy, scored=(pd_, score)))
        rows.append({"candidate": cand.name, "label_zh": cand.label_zh, "features": len(cand.features),
                     "auc": float(roc_auc_score(y_test, pd_)), "worst_approval_ratio": worst, "worst_group": where,
                     "approval_rate": float(approvals(score, policy).mean())})
    out = pd.DataFrame(rows)
    out["within_tolerance"] = out["auc"] >= out["auc"].max() - auc_tolerance
    eligible = out[out["within_tolerance"]]
    best = eligible.sort_values(["worst_approval_ratio", "auc"], ascending=False).index[0]
    out["less_discriminatory"] = out.index == best
    return out


def before_after(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The chosen model's fairness table with the before model's AUC and approval ratio beside each group."""
    keyed = before.set_index(["slice", "value"])[["auc", "approval_rate", "approval_ratio"]]
    keyed.columns = ["auc_before", "approval_rate_before", "approval_ratio_before"]
    return after.join(keyed, on=["slice", "value"])
