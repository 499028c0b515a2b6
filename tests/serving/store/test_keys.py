"""API keys and roles: hashes only, wrong key 401, wrong role 403, default secrets refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text
from typer.testing import CliRunner

from serving.api.app import create_app
from serving.cli.main import app as cli
from serving.settings import Settings
from serving.store import AuditStore
from serving.store.keys import ROLES, AuthError, authenticate, create_key
from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import PEPPER, application_for, make_key, settings_for


@pytest.fixture()
def store(tmp_path):
    audit = AuditStore(f"sqlite:///{tmp_path / 'audit.db'}").create_all()
    yield audit
    audit.dispose()


def test_only_a_hash_of_the_key_is_stored(store):
    # when a key is made
    key_id, key = create_key(store, "officer", PEPPER)
    # then the store holds neither the key nor its secret part, and the key authenticates
    with store.engine.connect() as connection:
        dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM api_keys")) for v in row)
    assert key not in dump and key.split("_", 2)[2] not in dump
    assert authenticate(store, key, PEPPER) == (key_id, "officer")


def test_wrong_pepper_unknown_key_and_revoked_key_fail(store):
    key_id, key = create_key(store, "risk", PEPPER)
    with pytest.raises(AuthError):
        authenticate(store, key, PEPPER + "x")
    with pytest.raises(AuthError):
        authenticate(store, key[:-1] + ("a" if key[-1] != "a" else "b"), PEPPER)
    assert store.revoke_key(key_id)
    with pytest.raises(AuthError):
        authenticate(store, key, PEPPER)


def test_unknown_role_is_refused(store):
    with pytest.raises(ValueError, match="role must be one of"):
        create_key(store, "superuser", PEPPER)


def test_default_secret_is_refused_outside_local(monkeypatch):
    monkeypatch.delenv("KUOZHONG_ENVIRONMENT", raising=False)
    monkeypatch.delenv("KUOZHONG_KEY_PEPPER", raising=False)
    with pytest.raises(ValidationError, match="KUOZHONG_KEY_PEPPER"):
        Settings(environment="production")
    # an environment left unset is no licence for the default: only 'local', said explicitly, is
    with pytest.raises(ValidationError, match="KUOZHONG_ENVIRONMENT is unset"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("KUOZHONG_ENVIRONMENT", "local")
    assert Settings(_env_file=None).environment == "local"  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(environment="production", key_pepper="short")  # type: ignore[arg-type]
    assert Settings(environment="production", key_pepper=PEPPER).environment == "production"  # type: ignore[arg-type]


def test_keys_create_command_prints_the_key_once_and_stores_its_hash(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("KUOZHONG_DATABASE_URL", url)
    monkeypatch.setenv("KUOZHONG_KEY_PEPPER", PEPPER)
    result = CliRunner().invoke(cli, ["keys", "create", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    key = next(word for word in result.output.split() if word.startswith("kz_"))
    audit = AuditStore(url)
    assert authenticate(audit, key, PEPPER)[1] == "auditor"
    audit.dispose()


@pytest.fixture(scope="module")
def client(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'audit.db'}"
    keys = {role: make_key(url, role) for role in ROLES}
    with store_env(store), TestClient(create_app(settings_for(url, data_dir))) as test_client:
        yield test_client, keys


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "kz_nope_nope"}, {"X-API-Key": ""}])
def test_missing_or_wrong_key_is_401(client, table, headers):
    test_client, _ = client
    for method, path, body in (("post", "/v1/decisions", application_for(table)), ("get", "/v1/model", None),
                               ("post", "/v1/eligibility", application_for(table))):
        response = test_client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert "kz_nope" not in response.text


ALLOWED = {  # route -> roles that may use it
    ("post", "/v1/decisions"): {"officer", "admin"},
    ("post", "/v1/eligibility"): {"officer", "risk", "admin"},
    ("post", "/v1/admin/model"): {"admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_where_it_does_not_belong(client, table, role):
    test_client, keys = client
    for (method, path), allowed in ALLOWED.items():
        body = {"alias": "champion"} if path.endswith("model") else application_for(table)
        response = test_client.request(method, path, json=body, headers={"X-API-Key": keys[role]})
        if role in allowed:
            assert response.status_code in (200, 201), (role, path, response.text)
        else:
            assert response.status_code == 403, (role, path, response.text)
            assert role in response.json()["error"] and response.json()["code"] == "forbidden"


def test_program_role_cannot_read_decisions(client, table):
    test_client, keys = client
    made = test_client.post("/v1/decisions", json=application_for(table), headers={"X-API-Key": keys["officer"]})
    path = f"/v1/decisions/{made.json()['decision']['decision_id']}"
    assert test_client.get(path, headers={"X-API-Key": keys["program"]}).status_code == 403
    assert test_client.get(path, headers={"X-API-Key": keys["auditor"]}).status_code == 200
