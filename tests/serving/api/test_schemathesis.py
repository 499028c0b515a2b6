"""A bounded schemathesis run against the OpenAPI spec: no generated request, valid or not, gets a server error."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from serving.api.app import create_app
from tests.serving.serving_fixtures import live_server, make_key, settings_for

EXAMPLES_PER_OPERATION = 10


@pytest.fixture(scope="module")
def server(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'audit.db'}"
    key = make_key(url, "admin")
    with live_server(settings_for(url, data_dir), store) as running:
        yield running, key


def _schema() -> schemathesis.schemas.BaseSchema:
    """The app's own OpenAPI document (building the app loads nothing: the lifespan does that)."""
    spec = create_app(settings_for("sqlite://", Path("."))).openapi()
    loaded = schemathesis.openapi.from_dict(spec)
    loaded.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=EXAMPLES_PER_OPERATION, deterministic=True)
    return loaded


schema = _schema()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, server):
    running, key = server
    # when any generated request is sent with an admin key
    response = case.call(base_url=running.url, headers={"X-API-Key": key}, timeout=60)
    # then the service never fails, and a refused body names the field at fault
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code == 422:
        body = response.json()
        assert body.get("field") or body.get("detail"), response.text[:500]
