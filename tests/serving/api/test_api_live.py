"""The API under a real server: many parallel decisions all stored, and model swaps that drop no request."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from serving.store import AuditStore
from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import application_for, live_server, make_key, settings_for
from training.tracking import MODEL_NAME, configure

PARALLEL = 40


@pytest.fixture(scope="module")
def second_version(trained_store):
    """A second registry version of the session's model, under the alias 'next' (champion is left alone)."""
    store, result = trained_store
    with store_env(store):
        client = configure()
        first = client.get_model_version(MODEL_NAME, result.model_version)
        version = client.create_model_version(MODEL_NAME, first.source, run_id=first.run_id)
        client.set_registered_model_alias(MODEL_NAME, "next", version.version)
    return str(version.version)


def test_parallel_requests_lose_no_decision(trained_store, data_dir, table, tmp_path):
    # given a running server and an empty SQLite audit store
    store, _ = trained_store
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    key = make_key(url, "officer")
    bodies = [application_for(table, i % 20) for i in range(PARALLEL)]
    # when 40 decisions are asked for by 10 clients at once
    with (live_server(settings_for(url, data_dir), store) as server, httpx.Client(timeout=120) as client,
          ThreadPoolExecutor(max_workers=10) as pool):
        responses = list(pool.map(lambda b: client.post(f"{server.url}/v1/decisions", json=b,
                                                        headers={"X-API-Key": key}), bodies))
    # then every one was answered and every one is in the store, once
    assert [r.status_code for r in responses] == [201] * PARALLEL
    ids = {r.json()["decision"]["decision_id"] for r in responses}
    audit = AuditStore(url)
    assert len(ids) == PARALLEL and audit.count_decisions() == PARALLEL
    assert all(audit.get_decision(i) is not None for i in ids)
    audit.dispose()


def test_an_admin_swap_drops_no_request(trained_store, data_dir, table, tmp_path, second_version):
    # given a server on @champion answering a stream of requests
    store, result = trained_store
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    officer, admin = make_key(url, "officer"), make_key(url, "admin")
    with live_server(settings_for(url, data_dir), store) as server, httpx.Client(timeout=120) as client:
        def ask(i: int) -> httpx.Response:
            return client.post(f"{server.url}/v1/decisions", json=application_for(table, i % 10),
                               headers={"X-API-Key": officer})

        with ThreadPoolExecutor(max_workers=4) as pool:
            before = [pool.submit(ask, i) for i in range(12)]
            # when an admin swaps to @next in the middle of it
            swapped = client.post(f"{server.url}/v1/admin/model", json={"alias": "next"},
                                  headers={"X-API-Key": admin})
            after = [pool.submit(ask, i) for i in range(12)]
            answers = [f.result() for f in before + after]
        model = client.get(f"{server.url}/v1/model", headers={"X-API-Key": officer}).json()
        refused = client.post(f"{server.url}/v1/admin/model", json={"alias": "nope"}, headers={"X-API-Key": admin})
    # then no request failed, the new version serves, and each decision names the version that made it
    assert swapped.status_code == 200 and swapped.json()["version"] == second_version
    assert [a.status_code for a in answers] == [201] * 24
    assert {a.json()["decision"]["model"]["version"] for a in answers} <= {result.model_version, second_version}
    assert model["version"] == second_version and model["alias"] == "next"
    assert refused.status_code == 404


def test_the_alias_watch_swaps_when_the_alias_moves(trained_store, data_dir, tmp_path, second_version):
    # given a server watching @next every half second
    store, result = trained_store
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    key = make_key(url, "risk")
    settings = settings_for(url, data_dir, model_alias="next", watch_seconds=0.5)
    try:
        with live_server(settings, store) as server, httpx.Client(timeout=60) as client:
            assert client.get(f"{server.url}/v1/model", headers={"X-API-Key": key}).json()["version"] == \
                second_version
            # when the risk team moves @next back to the first version
            with store_env(store):
                configure().set_registered_model_alias(MODEL_NAME, "next", result.model_version)
            # then the server follows within a few seconds
            deadline, version = time.monotonic() + 20, second_version
            while time.monotonic() < deadline and version != result.model_version:
                time.sleep(0.25)
                version = client.get(f"{server.url}/v1/model", headers={"X-API-Key": key}).json()["version"]
            assert version == result.model_version
    finally:
        with store_env(store):
            configure().set_registered_model_alias(MODEL_NAME, "next", second_version)
