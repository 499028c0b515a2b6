"""MLflow set-up: the SQLite tracking store under mlruns/, artifacts beside it, the registry by alias."""

from __future__ import annotations

import contextlib
import logging
import os
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


def _write_ahead_log(database: Path, new: bool = True) -> None:
    """Create a new tracking database in SQLite's write-ahead-log mode (kept in the file; an existing one is left).

    MLflow builds a new store by running every schema migration, one committed statement after another; in the
    default rollback-journal mode each commit syncs the journal and the database, in WAL mode only the log, which
    halves the first command's set-up. WAL also lets a reader (serving) read while a training run writes.
    ``new=False`` sets the mode on a database that exists (a copy of the schema template).
    """
    if new and database.exists():
        return
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def schema_template() -> Path:
    """Where an empty tracking database at this MLflow version's schema is kept between stores.

    In the user cache (``training.fonts.cache_dir``: ``KUOZHONG_CACHE``, by default ``~/.cache/kuozhong``).
    """
    import mlflow

    from training.fonts import cache_dir

    return cache_dir() / f"mlflow-{mlflow.__version__}-schema.db"


def _from_template(database: Path) -> bool:
    """Start a new database as a copy of the schema template, when there is one (True if copied).

    MLflow builds a new store by running each of its schema migrations in turn (about a CPU second); a copy of a
    database those migrations built, emptied of its rows but the schema version's, is the same store. MLflow
    adds its Default experiment on opening it, with this store's artifact location.
    """
    import shutil
    import sqlite3

    template = schema_template()
    if database.exists() or not template.is_file():
        return False
    partial = database.with_name(f".{database.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(template, partial)
        _write_ahead_log(partial, new=False)
        os.replace(partial, database)
    except (OSError, sqlite3.Error) as err:  # an unreadable cache leaves the migrations to build the store
        log.debug("schema template %s not used: %s", template, err)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return False
    return True


def _save_template(database: Path) -> None:
    """Keep an empty copy of a database the migrations just built as the schema template (best effort)."""
    import sqlite3

    template = schema_template()
    partial = template.with_name(f".{template.name}.{os.getpid()}.partial")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        source, target = sqlite3.connect(database), sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("DELETE FROM experiments")  # MLflow re-adds Default, at the new store's location
            target.commit()
        finally:
            source.close()
            target.close()
        os.replace(partial, template)
    except (OSError, sqlite3.Error) as err:  # no cache, no template: every new store runs the migrations
        log.debug("schema template %s not saved: %s", template, err)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def configure(config: TrackingConfig | None = None) -> MlflowClient:
    """Point MLflow at the store (creating it), make sure the experiment exists, and return a client.

    A new store starts from the schema template when this MLflow version has built one before
    (``schema_template``); otherwise MLflow's migrations build it and it becomes the template.
    """
    import mlflow
    from mlflow import MlflowClient

    config = config or TrackingConfig()
    config.store.mkdir(parents=True, exist_ok=True)
    database = config.store / "mlflow.db"
    built = not database.exists() and not _from_template(database)
    _write_ahead_log(database)
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.tracking_uri)
    client = MlflowClient(config.tracking_uri, config.tracking_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)  # opens the store: a new one is built here
    if built:
        _save_template(database)
    if experiment is None:
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
