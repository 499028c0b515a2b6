"""Train a credit model on household features, log it to MLflow and register it under an alias."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve

from features.metadata import FEATURES, MODEL_FEATURES
from models.credit import CreditModel
from models.policy import Policy
from training.tracking import MODEL_NAME, configure

log = logging.getLogger(__name__)
TARGET = "default_12m"


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    run_id: str
    model_version: str
    alias: str
    metrics: dict[str, float]
    model: CreditModel


def ks_statistic(y: np.ndarray, p: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance between the score distributions of goods and bads."""
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Discrimination and calibration metrics of predicted PDs."""
    auc = float(roc_auc_score(y, p))
    return {"auc": auc, "gini": 2 * auc - 1, "ks": ks_statistic(y, p), "brier": float(brier_score_loss(y, p)),
            "log_loss": float(log_loss(y, np.clip(p, 1e-9, 1 - 1e-9)))}


def fingerprint(frame: pd.DataFrame) -> str:
    """A hash of the training table's contents (columns, order and values)."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(frame.columns).encode()).hexdigest()[:16]


def out_of_time_split(table: pd.DataFrame, date_column: str = "as_of", test_share: float = 0.25
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest ``test_share`` of applications by date form the out-of-time holdout."""
    cutoff = table[date_column].quantile(1 - test_share)
    return table[table[date_column] < cutoff], table[table[date_column] >= cutoff]


def train_and_register(table: pd.DataFrame, policy: Policy, seed: int = 0, alias: str = "challenger",
                       params: dict[str, object] | None = None, dataset_name: str = "simulated-county"
                       ) -> TrainResult:
    """Fit on the earlier applications, evaluate out of time, log everything and register with ``alias``."""
    client = configure()
    train, test = out_of_time_split(table)
    model = CreditModel(params=params, random_state=seed, base_points=policy.scoring.base_points,
                        base_odds=policy.scoring.base_odds, pdo=policy.scoring.pdo)
    with mlflow.start_run(run_name=f"train-{dataset_name}") as run:
        model.fit(train, train[TARGET])
        metrics = evaluate(test[TARGET].to_numpy(), model.predict_pd(test))
        mlflow.log_params({"seed": seed, "dataset": dataset_name, "n_train": len(train), "n_test": len(test),
                           "best_iteration": model.best_iteration_, "policy_version": policy.version,
                           "policy_hash": policy.content_hash, "data_fingerprint": fingerprint(table),
                           **{f"lgbm_{k}": v for k, v in (params or {}).items()}})
        mlflow.log_metrics({f"oot_{k}": v for k, v in metrics.items()})
        mlflow.log_dict({name: {"label_zh": FEATURES[name].label_zh, "label_en": FEATURES[name].label_en,
                                "monotone": FEATURES[name].monotone, "actionable": FEATURES[name].actionable}
                         for name in model.features}, "features.json")
        mlflow.set_tags({"model_hash": model.model_hash(), "policy_version": policy.version})
        example = train[list(MODEL_FEATURES)].head(5)
        signature = infer_signature(example, model.predict_pd(example))
        info = mlflow.sklearn.log_model(model, name="model", signature=signature, input_example=example,
                                        registered_model_name=MODEL_NAME, serialization_format="cloudpickle")
        version = str(info.registered_model_version)
        client.set_registered_model_alias(MODEL_NAME, alias, version)
        log.info("registered %s version %s as @%s (OOT AUC %.3f)", MODEL_NAME, version, alias, metrics["auc"])
    return TrainResult(run.info.run_id, version, alias, metrics, model)
