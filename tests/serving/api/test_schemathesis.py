"""A bounded schemathesis run against the OpenAPI spec with every check: no server error, no undocumented status.

Every check schemathesis has runs on every answer (`--checks all`): server errors, status codes and content types
the spec does not declare, bodies that do not match their declared schema, invalid requests accepted and valid
ones refused — except that last one: a schema-valid body may still be refused for what no OpenAPI schema can say
(an ID number's check digit, a visit dated after the application, a household the bank does not hold), and
those refusals are the point of the plausibility tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

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
def test_no_request_gets_a_server_error_or_an_undocumented_answer(case, server):
    running, key = server
    # when any generated request is sent with an admin key, every check runs on the answer
    # (a case whose headers are generated invalid, e.g. without the key, is sent as generated: 401 is its answer)
    invalid_headers = case.meta is not None and any(
        str(getattr(where, "value", where)) == "header" and info.mode == GenerationMode.NEGATIVE
        for where, info in case.meta.components.items())
    response = case.call_and_validate(base_url=running.url, headers={} if invalid_headers else {"X-API-Key": key},
                                      timeout=60,
                                      excluded_checks=[positive_data_acceptance])
    # then the service never fails, and every refusal is in the one shape naming the field at fault
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert {"error", "field", "message_zh", "code", "detail"} <= set(body), response.text[:500]
