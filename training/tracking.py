"""MLflow set-up: the SQLite tracking store under mlruns/, artifacts beside it, the registry by alias."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    import mlflow
    from mlflow import MlflowClient

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


def _open_for_logging(config: TrackingConfig) -> MlflowClient:
    client = configure(config)
    # the first half of MLflow's own requirement check at ``log_model`` (the map of installed packages to their
    # modules, read from every installed distribution's metadata and kept by MLflow): built here, the check itself
    # still runs, on the map MLflow keeps
    from mlflow.utils import requirements_utils

    build_map = getattr(requirements_utils, "_init_modules_to_packages_map", None)
    if build_map is not None:
        build_map()
    import training.pyfunc  # noqa: F401  (mlflow.pyfunc and the model's signature types, used when logging)

    return client


def open_store_in_background(config: TrackingConfig | None = None) -> Future[MlflowClient]:
    """``configure`` in a thread of its own, with what logging a model loads; ``result()`` gives the client.

    Importing MLflow, building a new store (every schema migration) and reading the installed packages for the
    model's requirement check are a few seconds of interpreter work, while fitting and scoring a model run in
    LightGBM's native code, which leaves the interpreter free: begun first, the store is ready when the model is.
    The caller uses MLflow only after ``result()`` (which raises what opening the store raised). The store's
    place is read from the environment here, in the caller's thread.
    """
    config = config or TrackingConfig()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlflow-store")
    try:
        return pool.submit(_open_for_logging, config)
    finally:
        pool.shutdown(wait=False)


STORE_MODULES = ("mlflow.store.tracking.sqlalchemy_store", "mlflow.store.model_registry.sqlalchemy_store",
                 "mlflow.store.jobs.sqlalchemy_store")


def close_stores() -> None:
    """Close every MLflow database connection this process opened (each store class keeps its engines).

    Closing the last connection folds SQLite's write-ahead log back into ``mlflow.db``, so the file alone holds
    every run; a process that ends without tearing its modules down calls this first. Stores never opened
    (MLflow not imported) are left alone.
    """
    for name in STORE_MODULES:
        module = sys.modules.get(name)
        engines = getattr(getattr(module, "SqlAlchemyStore", None), "_engine_map", None)
        for engine in list(engines.values()) if isinstance(engines, dict) else []:
            engine.dispose()


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
