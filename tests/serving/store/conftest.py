"""The store tests' fixtures: one decision made by the real pipeline, and a fresh store on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from serving.pipeline import DecisionService, parse_application
from serving.store import AuditStore
from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import PEPPER, application_for
from training.registry import load_by_alias


@pytest.fixture(scope="module")
def decision(trained_store, policy, sources, table):
    store, _ = trained_store
    with store_env(store):
        service = DecisionService(load_by_alias("champion"), policy, sources)
    body = {k: v for k, v in application_for(table, 2).items() if k != "source"}
    return service.decide(parse_application(body))


@pytest.fixture(params=["sqlite", "postgresql"])
def audit(request, tmp_path):
    if request.param == "sqlite":  # a fresh file per test
        store = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}", PEPPER).create_all()
    else:  # one server per session: empty the tables, the append-only guard switched off only meanwhile
        store = AuditStore(request.getfixturevalue("postgres_url"), PEPPER).create_all()
        with store.engine.begin() as connection:
            for table in ("audit_chain", "reviews", "decisions", "api_keys"):
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                connection.execute(text(f"DELETE FROM {table}"))
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    yield store
    store.dispose()
