"""A new MLflow store starts from the schema template once this MLflow version has built one: no migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from training.tracking import EXPERIMENT, TrackingConfig, configure, schema_template


def _rows(database: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_second_store_is_copied_from_the_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow.store.db.utils as db_utils

    monkeypatch.setenv("KUOZHONG_CACHE", str(tmp_path / "cache"))
    first = TrackingConfig(tmp_path / "first")
    configure(first)
    template = schema_template()
    assert template.is_file()
    assert _rows(template, "SELECT COUNT(*) FROM experiments") == [(0,)]  # emptied: no Default at the old place
    schema = _rows(first.store / "mlflow.db", "SELECT version_num FROM alembic_version")

    def no_migrations(engine: object) -> None:
        raise AssertionError("the second store ran MLflow's migrations")

    monkeypatch.setattr(db_utils, "_initialize_tables", no_migrations)
    second = TrackingConfig(tmp_path / "second")
    client = configure(second)
    database = second.store / "mlflow.db"
    assert _rows(database, "SELECT version_num FROM alembic_version") == schema
    assert _rows(database, "PRAGMA journal_mode") == [("wal",)]
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None and experiment.artifact_location == second.artifact_uri
    run = client.create_run(experiment.experiment_id)
    client.log_metric(run.info.run_id, "auc", 0.8)
    assert client.get_run(run.info.run_id).data.metrics == {"auc": 0.8}
    # the first store kept its own experiment and location
    assert configure(first).get_experiment_by_name(EXPERIMENT).artifact_location == first.artifact_uri  # type: ignore[union-attr]


def test_unwritable_cache_still_builds_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("KUOZHONG_CACHE", str(blocker))
    config = TrackingConfig(tmp_path / "store")
    client = configure(config)
    assert client.get_experiment_by_name(EXPERIMENT) is not None
    assert not schema_template().exists()
