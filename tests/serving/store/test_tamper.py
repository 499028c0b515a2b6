"""Raw-SQL attacks on the audit store, on SQLite and on a real PostgreSQL server: refused, or caught by the chain.

The guards are database triggers, so each attack is sent as plain SQL the way anyone with the application's rights
could. Someone with the rights to drop the triggers is caught by `kuozhong audit verify`, which names the entry.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from features.errors import KuozhongError
from serving.cli.main import app as cli
from serving.store import AuditStore
from serving.store.keys import create_key
from tests.serving.serving_fixtures import PEPPER


def _fill(audit: AuditStore, decision, n: int = 4) -> tuple[list[str], str, str]:
    """n decisions, a review of the second, an officer key: (decision ids, review id, key id)."""
    ids = []
    for _ in range(n):
        copy = decision.model_copy(update={"decision_id": str(uuid.uuid4())})
        audit.append_decision(copy, source="household", created_by="k1", applicant_name_masked="刘*")
        ids.append(copy.decision_id)
    review = audit.append_review(ids[1], action="confirm", final_recommendation=decision.recommendation,
                                 reason="核实无误", reviewer="k1")
    key_id, _ = create_key(audit, "officer", PEPPER)
    return ids, review.review_id, key_id


def _refused(audit: AuditStore, sql: str, **params: object) -> None:
    with pytest.raises(DBAPIError, match="append-only|may only be revoked"), audit.engine.begin() as connection:
        connection.execute(text(sql), params)


def _drop_guards(audit: AuditStore) -> None:
    """What someone with the rights to change the schema can do: switch the triggers off."""
    with audit.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
            for name in names:
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            for table in ("audit_chain", "reviews", "decisions", "api_keys"):
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def _restore_guards(audit: AuditStore) -> None:
    if audit.engine.dialect.name == "postgresql":
        with audit.engine.begin() as connection:
            for table in ("audit_chain", "reviews", "decisions", "api_keys"):
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def test_an_untouched_record_verifies(audit, decision):
    _fill(audit, decision)
    audit.revoke_key(create_key(audit, "risk", PEPPER)[0])
    report = audit.verify()
    assert report.intact and report.links == 8


def test_replace_upsert_update_delete_and_truncate_are_refused(audit, decision):
    ids, review_id, key_id = _fill(audit, decision)
    sqlite = audit.engine.dialect.name == "sqlite"
    if sqlite:  # REPLACE's implicit delete fires no DELETE trigger: the insert itself is refused
        _refused(audit, "INSERT OR REPLACE INTO decisions SELECT * FROM decisions WHERE decision_id = :d", d=ids[0])
        _refused(audit, "REPLACE INTO reviews (seq, review_id, decision_id, action, final_recommendation, reason, "
                        "reviewer, created_at) SELECT seq, review_id, decision_id, 'override', 'approve', 'x', "
                        "reviewer, created_at FROM reviews")
        _refused(audit, "REPLACE INTO audit_chain SELECT * FROM audit_chain WHERE seq = 1")
    else:
        for table in ("decisions", "reviews", "audit_chain", "api_keys"):
            _refused(audit, f"TRUNCATE {table} CASCADE")
    _refused(audit, "INSERT INTO reviews (review_id, decision_id, action, final_recommendation, reason, reviewer, "
                    "created_at) SELECT review_id, decision_id, action, 'approve', reason, reviewer, created_at "
                    "FROM reviews WHERE true ON CONFLICT (review_id) DO UPDATE SET final_recommendation = 'approve'")
    _refused(audit, "UPDATE decisions SET recommendation = 'approve' WHERE decision_id = :d", d=ids[0])
    _refused(audit, "DELETE FROM reviews")
    _refused(audit, "DELETE FROM audit_chain WHERE seq = 2")
    _refused(audit, "UPDATE api_keys SET role = 'admin' WHERE key_id = :k", k=key_id)
    _refused(audit, "UPDATE api_keys SET key_hash = 'x' WHERE key_id = :k", k=key_id)
    _refused(audit, "DELETE FROM api_keys")
    # then nothing changed, and the record still verifies
    assert audit.verify().intact
    assert audit.count_decisions() == 4 and len(audit.reviews_of(ids[1])) == 1


def test_a_rewritten_decision_is_named(audit, decision):
    ids, _, _ = _fill(audit, decision)
    _drop_guards(audit)
    try:
        with audit.engine.begin() as connection:
            connection.execute(text("UPDATE decisions SET recommendation = 'approve', score = 999 "
                                    "WHERE decision_id = :d"), {"d": ids[2]})
        finding = audit.verify().finding
    finally:
        _restore_guards(audit)
    assert finding is not None and (finding.problem, finding.kind, finding.entry_id) == ("altered", "decision", ids[2])
    assert ids[2] in finding.sentence()


def test_a_removed_review_and_an_inserted_decision_are_named(audit, decision):
    ids, review_id, _ = _fill(audit, decision)
    _drop_guards(audit)
    try:
        with audit.engine.begin() as connection:
            connection.execute(text("DELETE FROM reviews WHERE review_id = :r"), {"r": review_id})
        removed = audit.verify().finding
        with audit.engine.begin() as connection:
            connection.execute(text("INSERT INTO reviews (review_id, decision_id, action, final_recommendation, "
                                    "reason, reviewer, created_at) VALUES (:r, :d, 'confirm', 'approve', 'x', 'k1', "
                                    "CURRENT_TIMESTAMP)"), {"r": review_id, "d": ids[1]})
        replaced = audit.verify().finding
        forged = str(uuid.uuid4())
        with audit.engine.begin() as connection:
            connection.execute(text("DELETE FROM reviews WHERE review_id = :r"), {"r": review_id})
            connection.execute(text("INSERT INTO decisions (decision_id, household_id, applicant_id_masked, "
                                    "applicant_name_masked, input_hash, model_name, model_version, model_run_id, "
                                    "policy_version, policy_hash, recommendation, grade, score, pd, source, "
                                    "created_by, created_at, payload) SELECT :f, household_id, applicant_id_masked, "
                                    "applicant_name_masked, input_hash, model_name, model_version, model_run_id, "
                                    "policy_version, policy_hash, 'approve', grade, score, pd, source, created_by, "
                                    "created_at, payload FROM decisions WHERE decision_id = :d"),
                               {"f": forged, "d": ids[0]})
        inserted = audit.verify().finding
    finally:
        _restore_guards(audit)
    assert removed is not None and (removed.problem, removed.kind, removed.entry_id) == ("removed", "review", review_id)
    assert replaced is not None and (replaced.problem, replaced.entry_id) == ("altered", review_id)
    # the deleted review is still missing, and it comes first in the chain's order
    assert inserted is not None and (inserted.problem, inserted.entry_id) == ("removed", review_id)


def test_an_inserted_row_outside_the_chain_is_named(audit, decision):
    ids, _, _ = _fill(audit, decision)
    forged = str(uuid.uuid4())
    # the guards allow a new row (inserting is what the application does), but no link covers it
    with audit.engine.begin() as connection:
        connection.execute(text("INSERT INTO reviews (review_id, decision_id, action, final_recommendation, reason, "
                                "reviewer, created_at) VALUES (:r, :d, 'override', 'approve', 'x', 'k1', "
                                "CURRENT_TIMESTAMP)"), {"r": forged, "d": ids[0]})
    finding = audit.verify().finding
    assert finding is not None and (finding.problem, finding.kind, finding.entry_id) == ("inserted", "review", forged)


def test_a_key_made_admin_and_a_rewritten_chain_link_are_named(audit, decision):
    ids, _, key_id = _fill(audit, decision)
    _drop_guards(audit)
    try:
        with audit.engine.begin() as connection:
            connection.execute(text("UPDATE api_keys SET role = 'admin' WHERE key_id = :k"), {"k": key_id})
        promoted = audit.verify().finding
        with audit.engine.begin() as connection:
            connection.execute(text("UPDATE api_keys SET role = 'officer' WHERE key_id = :k"), {"k": key_id})
            # rewriting a link's content hash to cover an altered decision needs the secret the chain is keyed with
            connection.execute(text("UPDATE decisions SET recommendation = 'approve' WHERE decision_id = :d"),
                               {"d": ids[3]})
            connection.execute(text("UPDATE audit_chain SET entry_hash = :h WHERE entry_id = :d"),
                               {"h": "0" * 64, "d": ids[3]})
        relinked = audit.verify().finding
        with audit.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_chain WHERE entry_id = :d"), {"d": ids[0]})
        unlinked = audit.verify().finding
    finally:
        _restore_guards(audit)
    assert promoted is not None and (promoted.problem, promoted.kind, promoted.entry_id) == ("altered", "key", key_id)
    assert relinked is not None and (relinked.problem, relinked.entry_id) == ("altered", ids[3])
    assert unlinked is not None and unlinked.problem == "removed" and unlinked.seq == 2


def test_a_store_read_with_another_secret_does_not_verify(audit, decision):
    _fill(audit, decision, n=2)
    other = AuditStore(audit.url, "another-secret-0123456789")
    try:
        finding = other.verify().finding
    finally:
        other.dispose()
    assert finding is not None and finding.problem == "altered" and finding.seq == 1


def test_audit_verify_command_names_the_altered_entry(tmp_path, monkeypatch, decision):
    # given a SQLite store the service wrote, with one decision then rewritten by someone who dropped the guards
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("KUOZHONG_DATABASE_URL", url)
    monkeypatch.setenv("KUOZHONG_KEY_PEPPER", PEPPER)
    monkeypatch.setenv("KUOZHONG_ENVIRONMENT", "production")
    store = AuditStore(url, PEPPER).create_all()
    try:
        ids, _, _ = _fill(store, decision, n=2)
        intact = CliRunner().invoke(cli, ["audit", "verify"])
        _drop_guards(store)
        with store.engine.begin() as connection:
            connection.execute(text("UPDATE decisions SET grade = 'A' WHERE decision_id = :d"), {"d": ids[1]})
    finally:
        store.dispose()
    broken = CliRunner().invoke(cli, ["audit", "verify"])
    # then the intact store passes (exit 0), the altered one fails (exit 1) naming the decision in one line
    assert intact.exit_code == 0 and "intact" in intact.output
    assert broken.exit_code == 1
    assert f"decision '{ids[1]}'" in broken.output and "altered" in broken.output


def test_the_application_role_may_read_and_append_but_not_change_even_without_the_triggers(postgres_url, decision):
    # given a store made by its owner, and the service's own role granted by the owner
    owner = AuditStore(postgres_url, PEPPER).create_all()
    _drop_guards(owner)  # the server is shared by the session's tests: start from empty tables
    with owner.engine.begin() as connection:
        for table in ("audit_chain", "reviews", "decisions", "api_keys"):
            connection.execute(text(f"DELETE FROM {table}"))
    _restore_guards(owner)
    owner.grant_app_role("kuozhong_app")
    app_url = postgres_url.replace("postgresql+psycopg://kuozhong@", "postgresql+psycopg://kuozhong_app@")
    app = AuditStore(app_url, PEPPER).create_all()  # as the role: nothing to create, nothing is changed
    try:
        # when the service appends a decision as that role
        app.append_decision(decision, source="household", created_by="test")
        assert app.get_decision(decision.decision_id) is not None and app.verify().finding is None
        # and the owner switches the triggers off, as someone with schema rights could
        _drop_guards(owner)
        # then the role still cannot change, delete or truncate anything: it was never granted to
        for statement in ("UPDATE decisions SET recommendation = 'approve'", "DELETE FROM reviews",
                          "TRUNCATE decisions", "UPDATE api_keys SET role = 'admin'"):
            with pytest.raises(DBAPIError, match="permission denied"), app.engine.begin() as c:
                c.execute(text(statement))
    finally:
        _restore_guards(owner)
        app.dispose()
        owner.dispose()


def test_an_application_role_needs_postgresql_and_a_plain_name(tmp_path):
    store = AuditStore(f"sqlite:///{tmp_path / 'a.db'}", PEPPER).create_all()
    with pytest.raises(KuozhongError, match="PostgreSQL"):
        store.grant_app_role("kuozhong_app")
    store.dispose()
