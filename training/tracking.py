"""MLflow set-up: the SQLite tracking store under mlruns/, artifacts beside it, the registry by alias."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from mlflow import MlflowClient

log = logging.getLogger(__name__)

MODEL_NAME = "kuozhong-credit"  # the county's model, the one serving loads
EXPERIMENT = "kuozhong-credit"
COUNTY_DATASET = "simulated-county"


def model_name_for(dataset: str) -> str:
    """The registered model of a dataset: the county's is ``kuozhong-credit``, any other ``kuozhong-<name>``.

    Each dataset has its own versions, aliases and champion, so a bank table's model never competes with the
    county's on rows the other cannot score.
    """
    return MODEL_NAME if dataset == COUNTY_DATASET else f"kuozhong-{dataset}"


@dataclass(frozen=True)
class TrackingConfig:
    """Where runs and models are kept (default ./mlruns, or the folder named by KUOZHONG_MLRUNS)."""

    store: Path = field(default_factory=lambda: Path(os.environ.get("KUOZHONG_MLRUNS", "mlruns")))

    @property
    def tracking_uri(self) -> str:
        """SQLite tracking database inside the store folder."""
        return f"sqlite:///{self.store.resolve() / 'mlflow.db'}"

    @property
    def artifact_uri(self) -> str:
        """Folder for run artifacts inside the store folder."""
        return (self.store.resolve() / "artifacts").as_uri()


def _write_ahead_log(database: Path) -> None:
    """Create a new tracking database in SQLite's write-ahead-log mode (kept in the file; an existing one is left).

    MLflow builds a new store by running every schema migration, one committed statement after another; in the
    default rollback-journal mode each commit syncs the journal and the database, in WAL mode only the log, which
    halves the first command's set-up. WAL also lets a reader (serving) read while a training run writes.
    """
    if database.exists():
        return
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def configure(config: TrackingConfig | None = None) -> MlflowClient:
    """Point MLflow at the store (creating it), make sure the experiment exists, and return a client."""
    config = config or TrackingConfig()
    config.store.mkdir(parents=True, exist_ok=True)
    _write_ahead_log(config.store / "mlflow.db")
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.tracking_uri)
    client = MlflowClient(config.tracking_uri, config.tracking_uri)
    if client.get_experiment_by_name(EXPERIMENT) is None:
        client.create_experiment(EXPERIMENT, artifact_location=config.artifact_uri)
    mlflow.set_experiment(EXPERIMENT)
    return client


@contextmanager
def quiet_downloads() -> Iterator[None]:
    """Silence MLflow's artifact download progress bars (they would land on the user's stderr) for a block."""
    name = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    old = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old
