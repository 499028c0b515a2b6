"""The API tests' app: a trained model, the simulated county's data, a SQLite audit store and a key per role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from serving.api.app import create_app
from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import make_key, settings_for


@pytest.fixture(scope="module")
def api(trained_store, data_dir, tmp_path_factory):
    store, result = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('audit') / 'audit.db'}"
    settings = settings_for(url, data_dir)
    keys = {role: make_key(url, role) for role in ("officer", "risk", "auditor", "admin", "program")}
    with store_env(store), TestClient(create_app(settings)) as client:
        yield client, keys, result
