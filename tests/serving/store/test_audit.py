"""The audit store on SQLite (WAL) and on a real PostgreSQL server: append-only, linked reviews, no lost writes."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from serving.store import AuditStore


def test_a_decision_reads_back_as_it_was_stored(audit, decision):
    # when a decision is appended
    audit.append_decision(decision, source="household", created_by="k1", applicant_name_masked="刘*")
    # then it reads back equal, with the masked name
    stored, name = audit.get_decision(decision.decision_id)
    assert stored == decision and name == "刘*"
    assert audit.get_decision(str(uuid.uuid4())) is None


def test_the_row_keeps_audit_fields_and_no_unmasked_identity(audit, decision, sources):
    audit.append_decision(decision, source="household", created_by="k1")
    with audit.engine.connect() as connection:
        row = connection.execute(text("SELECT input_hash, model_version, policy_version, applicant_id_masked, "
                                      "CAST(payload AS TEXT) FROM decisions")).one()
    assert (row[0], row[1], row[2]) == (decision.input_hash, decision.model.version, decision.policy_version)
    id_number = sources.base_list.set_index("household_id").loc[decision.household_id, "id_number"]
    assert "*" in row[3] and id_number not in row[4] and id_number not in row[3]


def test_decisions_and_reviews_cannot_be_changed_or_deleted(audit, decision):
    # given a stored decision with a review
    audit.append_decision(decision, source="household", created_by="k1")
    audit.append_review(decision.decision_id, action="confirm", final_recommendation=decision.recommendation,
                        reason="核实无误", reviewer="k1")
    # then the database refuses every UPDATE and DELETE
    for statement in ("UPDATE decisions SET grade = 'A'", "DELETE FROM decisions",
                      "UPDATE reviews SET reason = 'x'", "DELETE FROM reviews"):
        with pytest.raises(DBAPIError, match="append-only"), audit.engine.begin() as connection:
            connection.execute(text(statement))
    assert audit.count_decisions() == 1 and len(audit.reviews_of(decision.decision_id)) == 1


def test_reviews_are_linked_and_ordered(audit, decision):
    audit.append_decision(decision, source="household", created_by="k1")
    audit.append_review(decision.decision_id, action="confirm", final_recommendation="approve", reason="一",
                        reviewer="k1")
    audit.append_review(decision.decision_id, action="override", final_recommendation="decline", reason="二",
                        reviewer="k2")
    reviews = audit.reviews_of(decision.decision_id)
    assert [(r.action, r.reason, r.reviewer) for r in reviews] == [("confirm", "一", "k1"), ("override", "二", "k2")]


def test_a_review_of_an_unknown_decision_is_refused(audit):
    with pytest.raises(DBAPIError):
        audit.append_review(str(uuid.uuid4()), action="confirm", final_recommendation="approve", reason="x",
                            reviewer="k1")


def test_concurrent_writers_lose_nothing(audit, decision):
    # given 8 writers appending 25 decisions each at once
    copies = [decision.model_copy(update={"decision_id": str(uuid.uuid4())}) for _ in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda d: audit.append_decision(d, source="household", created_by="k1"), copies))
    # then every one of them is there, once
    assert audit.count_decisions() == 200
    with audit.engine.connect() as connection:
        distinct = connection.execute(text("SELECT COUNT(DISTINCT decision_id) FROM decisions")).scalar_one()
    assert distinct == 200


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = AuditStore(f"sqlite:///{tmp_path / 'a' / 'audit.db'}").create_all()
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    store.dispose()
