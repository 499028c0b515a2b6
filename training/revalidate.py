"""Validate a registered version again on the rows its training run recorded: no data is loaded or simulated."""

from __future__ import annotations

from dataclasses import dataclass

import mlflow
import numpy as np

from features.datasets import DatasetConfig, dataset_from_frame
from models.policy import Policy
from training.promote import PromotionError, load_version, recorded_holdout
from training.tracking import configure
from training.train import CONFIG_ARTIFACT, HOLDOUT_TARGET, REFERENCE_ARTIFACT
from training.validation import Validation, validate


@dataclass(frozen=True)
class Revalidation:
    """The validation, which version it is, and which data it used (a sentence for the report and the terminal)."""

    validation: Validation
    version: str
    run_id: str
    data_used: str


def resolve_version(ref: str, name: str) -> str:
    """A version number, or the version an ``@alias`` points at."""
    if not ref.startswith("@"):
        return ref
    try:
        return str(configure().get_model_version_by_alias(name, ref[1:]).version)
    except mlflow.exceptions.MlflowException as err:
        raise PromotionError(f"version = {ref!r}: model '{name}' has no alias {ref}", field="version", value=ref,
                             rule=f"an alias of {name}") from err


def revalidate(ref: str, name: str, policy: Policy, plots: bool = True, seed: int = 0,
               fairness_search: bool = False) -> Revalidation:
    """Validate version ``ref`` (or ``@alias``) of model ``name`` on its run's recorded holdout and training sample."""
    version = resolve_version(ref, name)
    model, run_id = load_version(version, name)
    try:
        raw = mlflow.artifacts.load_dict(f"runs:/{run_id}/{CONFIG_ARTIFACT}")
    except (mlflow.exceptions.MlflowException, OSError) as err:
        raise PromotionError(f"run {run_id} has no {CONFIG_ARTIFACT}: it was trained before runs kept their dataset "
                             "config; train it again", field="run", value=run_id, rule="a run with its config") from err
    config = DatasetConfig.model_validate(raw)
    holdout, reference = recorded_holdout(run_id), recorded_holdout(run_id, REFERENCE_ARTIFACT)
    dataset = dataset_from_frame(config, holdout)
    stated = mlflow.get_run(run_id).data.tags.get("split", config.split)
    used = (f"运行 {run_id} 记录的验证集 {len(holdout):,} 行（{config.name}）· the holdout recorded by run {run_id}, "
            f"{len(holdout):,} rows of {config.name}; {stated}")
    y = holdout[HOLDOUT_TARGET].to_numpy(dtype=int)
    if not np.array_equal(y, dataset.y):
        raise PromotionError(f"run {run_id}: the recorded holdout's outcome does not match its target column "
                             f"'{config.target.column}'", field="run", value=run_id, rule="a consistent holdout")
    # the recorded rows keep the slices' labels but never a sensitive column, so a "before" learner fitted here
    # could not read the attributes the training-time one read: the before/after comparison and the alternatives
    # are the training run's report; fairness_search=True refits them on the recorded sample all the same
    validation = validate(model, dataset, reference, holdout, y, policy, used, plots=plots, seed=seed,
                          y_train=reference[HOLDOUT_TARGET].to_numpy(dtype=int), fairness_search=fairness_search)
    return Revalidation(validation, version, run_id, used)
