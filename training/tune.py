"""Hyper-parameter tuning with Optuna: TPE, pruning on LightGBM's validation curve, CV on small data, resumable."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import mlflow
import numpy as np
import optuna
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from features.datasets import Dataset
from models.credit.model import CreditModel
from models.credit.sizing import early_stopping_rounds_for, holdout_share_for, sized_params
from models.policy import Policy
from training.tracking import TrackingConfig, configure
from training.train import TrainResult, split_dataset, train_dataset

log = logging.getLogger(__name__)
SMALL_DATA_ROWS = 20_000  # below this the objective cross-validates, so tuning cannot overfit one validation split


@dataclass(frozen=True)
class TuneResult:
    """The study's outcome and the challenger trained from its best trial."""

    study_name: str
    best_params: dict[str, object]
    best_value: float
    n_trials: int
    parent_run_id: str
    trained: TrainResult | None
    chosen_trial: int = -1
    chosen_because: str = ""


def search_space(trial: optuna.trial.BaseTrial) -> dict[str, object]:
    """The LightGBM parameters TPE explores (ranges suited to credit tables of a thousand to a million rows)."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 3, 31),  # TreeSHAP cost grows with leaves; 31 is ample
        "max_depth": trial.suggest_int("max_depth", 2, 8),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 30.0, log=True),
        "reg_alpha": trial.suggest_float("reg_alpha", 1e-3, 10.0, log=True),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 50.0, log=True),
        "cat_l2": trial.suggest_float("cat_l2", 1.0, 30.0, log=True),
        "min_data_per_group": trial.suggest_int("min_data_per_group", 5, 100, log=True),
        "n_estimators": 1000,
    }


def default_trial(n_rows: int = 1_000, rarer: int | None = None) -> dict[str, object]:
    """The model's defaults for ``n_rows`` training rows (``sized_params``) as a point of the search space.

    Every study's first trial, so TPE starts from what ``CreditModel.fit`` would use on those rows. Parameters the
    defaults leave at LightGBM's own value and the space excludes take the space's nearest bound (``reg_alpha`` 0
    -> 0.001; no depth limit -> 8; more than 31 leaves -> 31).
    """
    sized = sized_params(n_rows, rarer)
    depth = int(sized["max_depth"])  # type: ignore[call-overload]
    fixed = {"reg_alpha": 1e-3, **sized, "max_depth": 8 if depth <= 0 else min(depth, 8),
             "num_leaves": min(int(sized["num_leaves"]), 31)}  # type: ignore[call-overload]
    space = search_space(optuna.trial.FixedTrial(fixed))
    return {name: value for name, value in space.items() if name != "n_estimators"}


def _prepared(template: CreditModel, X: pd.DataFrame) -> pd.DataFrame:
    """The model's input matrix with category levels fixed from all of X (levels carry no outcome)."""
    template.categories_ = {c: sorted(str(v) for v in X[c].dropna().astype("string").unique())
                            for c in template.categorical_features()}
    return template._matrix(X)


def make_objective(template: CreditModel, X: pd.DataFrame, y: np.ndarray, seed: int = 0,
                   folds: int | None = None) -> Callable[[optuna.Trial], float]:
    """The objective: mean validation AUC over stratified folds (one 75/25 split on large data).

    Each fold is fitted as one member of ``CreditModel.fit``'s cross-fit is: the trees early-stop on log loss over
    a held-out part of the fold's training rows, never on the rows that are scored (stopping on the scored rows
    would reward lucky, noisy settings). One booster per fold, not the k-member average, keeps a trial cheap; the
    chosen parameters then apply to every member. That part's AUC per boosting round, in the first fold, feeds the
    pruner.
    """
    from optuna_integration import LightGBMPruningCallback

    matrix = _prepared(template, X)
    y = np.asarray(y).astype(int)
    rarer = int(np.bincount(y, minlength=2).min())
    k = folds if folds is not None else (3 if len(y) < SMALL_DATA_ROWS else 1)
    if k > 1:
        splits = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(matrix, y))
    else:
        tr, va = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
        splits = [(tr, va)]
    constraints = template.monotone_constraints()

    def objective(trial: optuna.Trial) -> float:
        params = {**sized_params(len(y), rarer), **search_space(trial), "metric": ["binary_logloss", "auc"],
                  "random_state": seed, "monotone_constraints": constraints}
        aucs = []
        for i, (tr, va) in enumerate(splits):
            fit, stop = train_test_split(tr, test_size=template.calibration_size or holdout_share_for(len(tr)),
                                         stratify=y[tr], random_state=template.random_state)
            patience = template.early_stopping_rounds or early_stopping_rounds_for(len(tr))
            callbacks: list[Any] = [lgb.early_stopping(patience, first_metric_only=True, verbose=False)]
            if i == 0:
                callbacks.append(LightGBMPruningCallback(trial, "auc", valid_name="valid_0"))
            booster = lgb.LGBMClassifier(**params)  # type: ignore[arg-type]
            booster.fit(matrix.iloc[fit], y[fit], eval_X=(matrix.iloc[stop],), eval_y=(y[stop],),
                        callbacks=callbacks)
            proba = np.asarray(booster.predict_proba(matrix.iloc[va]))
            aucs.append(float(roc_auc_score(y[va], proba[:, 1])))
            trial.set_user_attr(f"best_iteration_fold{i}", int(booster.best_iteration_ or 0))
        trial.set_user_attr("fold_aucs", aucs)
        return float(np.mean(aucs))

    return objective


def chosen_trial(study: optuna.Study) -> tuple[optuna.trial.FrozenTrial, str]:
    """The trial to retrain, and why: the best one, unless it does not beat the defaults by a standard error.

    With k > 1 folds every trial is scored on the same folds, so the best trial's gain over the defaults (the
    study's first trial) has a paired standard error sd(fold differences) / sqrt(k). The best of many noisy
    trials is flattered by the choice itself; a gain smaller than one standard error is not evidence, and the
    defaults are kept (the one-standard-error rule). With one split there is no error to weigh: the best is taken.
    """
    best = study.best_trial
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    defaults = next((t for t in complete if t.user_attrs.get("defaults") or t.params == default_trial()), None)
    if defaults is None or defaults.number == best.number:
        return best, "best trial"
    ours, theirs = best.user_attrs.get("fold_aucs"), defaults.user_attrs.get("fold_aucs")
    if not ours or not theirs or len(ours) != len(theirs) or len(ours) < 2:
        return best, "best trial (no paired folds to weigh its gain)"
    diff = np.asarray(ours) - np.asarray(theirs)
    se = float(diff.std(ddof=1) / np.sqrt(diff.size))
    if diff.mean() > se:
        return best, f"best trial: beats the defaults by {diff.mean():.4f} AUC > one standard error {se:.4f}"
    return defaults, f"defaults: the best trial's gain {diff.mean():.4f} AUC is within one standard error {se:.4f}"


def best_params(study: optuna.Study) -> dict[str, object]:
    """The chosen trial's parameters (see ``chosen_trial``) as LightGBM reads them."""
    return {**chosen_trial(study)[0].params, "n_estimators": 1000}


def new_study(name: str, storage: str | None, seed: int) -> optuna.Study:
    """A maximising TPE study with a median pruner; an existing study of the same name resumes."""
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=8)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=30)
    return optuna.create_study(study_name=name, storage=storage, load_if_exists=True, direction="maximize",
                               sampler=sampler, pruner=pruner)


def search(template: CreditModel, X: pd.DataFrame, y: np.ndarray, trials: int, timeout: float | None = None,
           seed: int = 0, study: optuna.Study | None = None,
           on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None) -> optuna.Study:
    """Run trials until the study holds ``trials`` finished ones (or ``timeout`` seconds pass)."""
    study = study or new_study("in-memory", None, seed)
    if not study.trials:
        rarer = int(np.bincount(np.asarray(y).astype(int), minlength=2).min())
        study.enqueue_trial(default_trial(len(y), rarer), user_attrs={"defaults": True})
    done = sum(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in study.trials)
    remaining = max(0, trials - done)
    if remaining:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study.optimize(make_objective(template, X, y, seed), n_trials=remaining, timeout=timeout,
                       callbacks=[on_trial] if on_trial else None)
    return study


def study_storage(config: TrackingConfig | None = None) -> str:
    """The Optuna RDB (SQLite) beside the MLflow store, so an interrupted study resumes."""
    config = config or TrackingConfig()
    config.store.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{config.store.resolve() / 'optuna.db'}"


def tune(dataset: Dataset, policy: Policy, trials: int, timeout: float | None = None, seed: int = 0,
         study_name: str | None = None, alias: str = "challenger", plots: bool = True,
         progress: Callable[[int, float], None] | None = None) -> TuneResult:
    """Tune on the training part (never the holdout), log each trial as a nested run, retrain the best, register."""
    configure()
    name = study_name or f"{dataset.name}-seed{seed}"
    study = new_study(name, study_storage(), seed)
    train_idx, _ = split_dataset(dataset, None, seed)
    X, y = dataset.frame.iloc[train_idx], dataset.y[train_idx]
    template = CreditModel(features=dataset.features, categorical=dataset.categorical, monotone=dataset.monotone,
                           random_state=seed)
    with mlflow.start_run(run_name=f"tune-{dataset.name}") as parent:
        mlflow.log_params({"study": name, "trials": trials, "timeout": timeout, "seed": seed,
                           "dataset": dataset.name, "n_rows": len(y), "sampler": "TPE", "pruner": "median"})

        def log_trial(study_: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
                mlflow.log_params(trial.params)
                mlflow.set_tag("state", trial.state.name)
                if trial.value is not None:
                    mlflow.log_metric("cv_auc", trial.value)
            if progress:
                progress(trial.number, study_.best_value if study_.best_trial else float("nan"))

        study = search(template, X, y, trials, timeout, seed, study, log_trial)
        if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
            raise RuntimeError("no tuning trial completed; give more trials or a longer timeout")
        chosen, why = chosen_trial(study)
        params = {**chosen.params, "n_estimators": 1000}
        mlflow.log_metric("best_cv_auc", study.best_value)
        mlflow.log_metric("chosen_cv_auc", float(chosen.value or float("nan")))
        mlflow.set_tags({"chosen_trial": chosen.number, "chosen_because": why})
        mlflow.log_dict(params, "best_params.json")
        trained = train_dataset(dataset, policy, seed=seed, alias=alias, params=params, plots=plots,
                                run_name=f"best-{name}", extra_tags={"study": name})
        mlflow.set_tag("registered_version", trained.model_version)
    log.info("study %s: best CV AUC %.4f over %d trials; retrained trial %d (%s); registered v%s as @%s", name,
             study.best_value, len(study.trials), chosen.number, why, trained.model_version, alias)
    return TuneResult(name, params, float(study.best_value), len(study.trials), parent.info.run_id, trained,
                      chosen.number, why)
