"""Train a credit model on a dataset, validate it, log everything to MLflow and register it under an alias."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from features.datasets import SLICE_PREFIX, Dataset, county_dataset, plan_split
from models.credit.model import CreditModel, check_params
from models.policy import Policy
from training.cycle import cycle_params, cycle_weights
from training.evaluate import evaluate, ks_statistic
from training.tracking import model_name_for, open_store_in_background
from training.validation import Validation, validate

log = logging.getLogger(__name__)
TARGET = "default_12m"
HOLDOUT_ARTIFACT = "holdout/holdout.parquet"
REFERENCE_ARTIFACT = "holdout/train_sample.parquet"  # training rows the holdout's stability is measured against
CONFIG_ARTIFACT = "dataset/config.json"
HOLDOUT_TARGET = "_bad"
HOLDOUT_SLICE = SLICE_PREFIX  # prefix of the fairness-slice label columns kept beside the recorded rows
REFERENCE_ROWS = 20_000
Split = Literal["out-of-time", "random", "test-file"]

__all__ = ["TARGET", "TrainResult", "evaluate", "fingerprint", "fit_model", "fit_through_the_cycle", "ks_statistic",
           "split_dataset", "train_and_register", "train_dataset"]


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    run_id: str
    model_version: str
    alias: str
    model_name: str
    metrics: dict[str, float]
    model: CreditModel
    validation: Validation | None = None


def fingerprint(frame: pd.DataFrame) -> str:
    """A hash of the training table's contents (columns, order and values)."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(frame.columns).encode()).hexdigest()[:16]


def split_dataset(dataset: Dataset, split: Split | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of train and holdout, as the config states (``features.datasets.plan_split``)."""
    plan = plan_split(dataset, split, seed)
    return plan.train, plan.test


def fit_model(dataset: Dataset, policy: Policy, X: pd.DataFrame, y: np.ndarray, seed: int = 0,
              params: dict[str, object] | None = None, sample_weight: np.ndarray | None = None) -> CreditModel:
    """A CreditModel for the dataset's features and hints, scaled and graded by the policy, fitted on X, y."""
    model = CreditModel.from_policy(policy, features=dataset.features, params=params, random_state=seed,
                                    categorical=dataset.categorical, monotone=dataset.monotone,
                                    catalogue=dataset.catalogue, sensitive=dataset.sensitive)
    return model.fit(X, y, sample_weight=sample_weight)


def fit_through_the_cycle(dataset: Dataset, policy: Policy, X: pd.DataFrame, y: np.ndarray, seed: int = 0,
                          params: dict[str, object] | None = None, sample_weight: np.ndarray | None = None,
                          enabled: bool = True) -> tuple[CreditModel, dict[str, object]]:
    """``fit_model`` with the policy's stress events weighed to their long-run share (``training.cycle``).

    Returns the model and what was reweighted; ``sample_weight`` (reject inference's) is multiplied in. Off, or
    with nothing to reweigh, the fit is ``fit_model``'s own (the same model hash).
    """
    summary: dict[str, object] = {"enabled": enabled, "events": [], "rows_reweighted": 0}
    if enabled:
        sample_weight, found = cycle_weights(X, dataset.config.time_column, policy.cycle, sample_weight)
        summary |= found
        for event in found["events"]:  # type: ignore[attr-defined]
            if event["exposed_rows"] and event["stressed_rows"] == event["exposed_rows"]:
                log.warning("stress event %s: all %d exposed training loans met it; not reweighted",
                            event["event"], event["exposed_rows"])
    return fit_model(dataset, policy, X, y, seed, params, sample_weight), summary


def model_requirements() -> list[str]:
    """Pinned requirements of the logged model (given, so MLflow need not import-trace the model to infer them)."""
    from importlib.metadata import PackageNotFoundError, version

    pins = []
    for package in ("kuozhong", "lightgbm", "scikit-learn", "pandas", "numpy", "cloudpickle", "pyarrow"):
        try:
            pins.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            pins.append(package)
    return pins


def _log_frames(validation: Validation, folder: Path) -> None:
    for name in ("stability", "monotonicity", "fairness", "lift", "alternatives"):
        getattr(validation, name).to_csv(folder / f"{name}.csv", index=False)
    plots = folder / "plots"
    plots.mkdir()
    for name, png in validation.plots.items():
        (plots / f"{name}.png").write_bytes(png)


def train_dataset(dataset: Dataset, policy: Policy, seed: int = 0, alias: str = "challenger",
                  params: dict[str, object] | None = None, split: Split | None = None, plots: bool = True,
                  run_name: str | None = None, extra_tags: dict[str, str] | None = None,
                  fairness_search: bool = True, reject_inference: str | None = None,
                  through_the_cycle: bool = True) -> TrainResult:
    """Split, fit, validate, log (params, fingerprint, features, metrics, plots, report, model) and register.

    ``fairness_search`` fits the before model and the less-discriminatory candidates for the report's fairness
    section (a dozen more fits on the training rows). ``reject_inference`` (default: the config's) says how the
    training period's rows without an outcome enter (``training.reject``; ``none`` leaves them out).
    ``through_the_cycle`` weighs the loans whose performance window met one of the policy's stress events back to
    the event's long-run share (``training.cycle``; a policy without stress events trains exactly as without it).
    """
    from training.reject import check_method, fit_with_rejects, training_rejects
    from training.report import render_report

    method = check_method(reject_inference or dataset.config.reject_inference)
    if params:
        check_params(params)  # before any run exists: a refused parameter leaves nothing behind
    store = open_store_in_background()  # ready by the time the model is fitted and validated
    plan = plan_split(dataset, split, seed)
    train_idx, test_idx = plan.train, plan.test
    frame, y = dataset.frame, dataset.y
    train, test = frame.iloc[train_idx], frame.iloc[test_idx]
    kind = plan.kind
    name = model_name_for(dataset.name)
    rejects = training_rejects(dataset, plan)
    cycle: dict[str, object] = {"enabled": through_the_cycle, "events": [], "rows_reweighted": 0}

    def fit(X: pd.DataFrame, t: np.ndarray, w: np.ndarray | None) -> CreditModel:
        model, summary = fit_through_the_cycle(dataset, policy, X, t, seed, params, w, through_the_cycle)
        cycle.update(summary)  # the last fit's: the model's own
        return model

    model, inference = fit_with_rejects(method, fit, train, y[train_idx], rejects, seed)
    # the training rows the holdout's stability is measured against, recorded with the run: revalidation
    # measures against the very same rows
    reference = train.sample(n=REFERENCE_ROWS, random_state=seed) if len(train) > REFERENCE_ROWS else train
    validation = validate(model, dataset, train, test, y[test_idx], policy, plan.describe(), plots=plots,
                          seed=seed, y_train=y[train_idx], fairness_search=fairness_search, reference=reference)
    validation.reject_inference = inference
    validation.through_the_cycle = cycle
    metrics = validation.metrics
    merged = dict(model.params_)  # the parameters sized for the training rows, with any given on top
    client = store.result()
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    from training.pyfunc import CreditPyfunc, signature_of

    with mlflow.start_run(run_name=run_name or f"train-{dataset.name}", nested=mlflow.active_run() is not None) as run:
        worst, where = validation.worst_approval_ratio
        scalars = {f"test_{k}": v for k, v in metrics.items()}
        scalars |= {f"test_uncalibrated_{k}": v for k, v in validation.metrics_uncalibrated.items()}
        scalars |= {f"calibration_fit_{k}": float(v) for k, v in model.calibration_report_.items()}
        if kind == "out-of-time":
            scalars |= {f"oot_{k}": v for k, v in metrics.items()}
        scalars["fairness_worst_approval_ratio"] = worst
        tags = {"model_hash": model.model_hash(), "policy_version": policy.version, "dataset": dataset.name,
                "split": plan.describe(), "monotonicity_holds": str(validation.monotonicity_holds),
                "fairness_worst_group": where, **(extra_tags or {})}
        if (before := validation.worst_approval_ratio_before) is not None:
            scalars["fairness_worst_approval_ratio_before"] = before[0]
        if len(validation.alternatives):
            lda = validation.alternatives[validation.alternatives["less_discriminatory"]].iloc[0]
            scalars |= {"lda_auc": float(lda["auc"]), "lda_worst_approval_ratio": float(lda["worst_approval_ratio"])}
            tags["lda_candidate"] = str(lda["candidate"])
        settings = {"seed": seed, "dataset": dataset.name, "split": kind, "test_share": dataset.config.test_share,
                    "holdout_share": round(plan.share, 6), "split_cut": str(plan.cut or ""),
                    "n_train": len(train), "n_test": len(test), "best_iteration": model.best_iteration_,
                    "policy_version": policy.version, "policy_hash": policy.content_hash,
                    "data_fingerprint": fingerprint(frame[[*dataset.features, dataset.config.target.column]]),
                    "calibration": "platt", "cv_folds": model.fitted_folds,
                    "early_stopping_rounds": model.early_stopping_rounds_,
                    "member_iterations": ",".join(map(str, model.member_iterations_)),
                    "n_features": len(dataset.features), "registered_model": name,
                    "reject_inference": method, "reject_rows": inference["reject_rows"],
                    "rejects_fingerprint": fingerprint(rejects[list(dataset.features)]) if len(rejects) else "",
                    **cycle_params(cycle),
                    **{f"lgbm_{k}": v for k, v in merged.items()}}
        now = int(time.time() * 1000)
        client.log_batch(run.info.run_id, metrics=[Metric(k, float(v), now, 0) for k, v in scalars.items()],
                         params=[Param(k, str(v)) for k, v in settings.items()],
                         tags=[RunTag(k, str(v)) for k, v in tags.items()])
        info = mlflow.pyfunc.log_model(name="model", python_model=CreditPyfunc(model), signature=signature_of(model),
                                       registered_model_name=name, pip_requirements=model_requirements(),
                                       await_registration_for=0)
        version = str(info.registered_model_version)
        with tempfile.TemporaryDirectory() as tmp:  # every file of the run in one upload, laid out as it is kept
            folder = Path(tmp)
            (folder / "validation").mkdir()
            _log_frames(validation, folder / "validation")
            (folder / "holdout").mkdir()
            recorded_rows(dataset, test, y[test_idx]).to_parquet(folder / HOLDOUT_ARTIFACT, index=False)
            recorded_rows(dataset, reference, y[reference.index.to_numpy()]).to_parquet(
                folder / REFERENCE_ARTIFACT, index=False)
            (folder / "report").mkdir()
            (folder / "report" / "validation_report.html").write_text(
                render_report(validation, name, version, run.info.run_id, policy.version), encoding="utf-8")
            features_json = {f: {"label_zh": dataset.labels_zh.get(f, f), "categorical": f in dataset.categorical,
                                 "monotone": int(dataset.monotone.get(f, 0))} for f in model.features}
            (folder / "features.json").write_text(json.dumps(features_json, indent=2), encoding="utf-8")
            (folder / CONFIG_ARTIFACT).parent.mkdir(parents=True)
            (folder / CONFIG_ARTIFACT).write_text(json.dumps(dataset.config.model_dump(mode="json"), indent=2),
                                                  encoding="utf-8")
            mlflow.log_artifacts(str(folder))
        client.set_registered_model_alias(name, alias, version)
        log.info("registered %s version %s as @%s (holdout AUC %.3f; %s)", name, version, alias, metrics["auc"],
                 plan.describe())
    return TrainResult(run.info.run_id, version, alias, name, metrics, model, validation)


def recorded_rows(dataset: Dataset, rows: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """What a run keeps of its rows so validate and promote need nothing else: features, slice labels, time, outcome.

    The fairness slices are kept as their labels (bands, groups; ``HOLDOUT_SLICE`` columns), never the columns
    they are read from: a sensitive attribute or an identity column does not leave the training data.
    """
    config = dataset.config
    keep = [*dataset.features, config.target.column]
    if config.time_column:
        keep.append(config.time_column)
    barred = set(dataset.sensitive)
    out = rows[list(dict.fromkeys(c for c in keep if c in rows.columns and c not in barred))].copy()
    out[HOLDOUT_TARGET] = y
    for name, labels in dataset.slices(rows).items():  # slice labels only (bands, groups), never identity
        out[f"{HOLDOUT_SLICE}{name}"] = labels.to_numpy()
    return out.reset_index(drop=True)


def train_and_register(table: pd.DataFrame, policy: Policy, seed: int = 0, alias: str = "challenger",
                       params: dict[str, object] | None = None, dataset_name: str = "simulated-county",
                       plots: bool = True) -> TrainResult:
    """Train on a county feature table (``training_table``): earlier applications in, out-of-time holdout."""
    return train_dataset(county_dataset(table), policy, seed=seed, alias=alias, params=params,
                         split="out-of-time", plots=plots, run_name=f"train-{dataset_name}")
