"""The decision audit store: SQLite (WAL) by default, PostgreSQL by URL; decisions and reviews only ever appended.

Each decision, review and key event is written with its link of the hash chain in one transaction
(``serving.store.chain``); ``verify`` walks the chain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from features.errors import KuozhongError
from features.protect import secret_from_environment
from models.decision.builder import Decision
from serving.store.chain import ChainReport, append_link, chain_key, verify_chain
from serving.store.schema import (
    ApiKeyRow,
    Base,
    DecisionRow,
    ReviewRow,
    app_role_statements,
    install_guards,
    owns_tables,
)


class AuditSetupError(KuozhongError):
    """A store set-up the database cannot do (an application role on SQLite, a bad role name)."""


@dataclass(frozen=True)
class StoredReview:
    """A review as read back from the store."""

    review_id: str
    decision_id: str
    action: str
    final_recommendation: str
    reason: str
    reviewer: str
    created_at: dt.datetime


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside a writer; busy_timeout makes concurrent writers wait instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class _SerialisedJSON(str):
    """A JSON document already serialised (by pydantic, in one call): the JSON column stores it as it is."""


def _json_serializer(value: Any) -> str:
    """The JSON columns' serialiser: documents serialised already pass through, anything else goes to ``json``."""
    return str(value) if isinstance(value, _SerialisedJSON) else json.dumps(value)


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite files get their folder created and WAL switched on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               json_serializer=_json_serializer)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=_json_serializer)


class AuditStore:
    """Appends decisions and reviews, reads them back, and keeps the API keys' hashes; all of it hash-chained.

    ``secret`` keys the chain (the service's ``KUOZHONG_KEY_PEPPER``; by default read from the environment).
    """

    def __init__(self, url: str, secret: str | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._chain_key = chain_key(secret if secret is not None else secret_from_environment())

    def create_all(self) -> AuditStore:
        """Create missing tables and (re)install the database's guards; safe to call on every start.

        Connected as the append-only application role (``kuozhong audit app-role``), the tables and guards are the
        owner's: nothing is created or changed, the store is only used.
        """
        with self.engine.connect() as connection:
            if not owns_tables(connection):
                return self
        Base.metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            install_guards(connection)
        return self

    def grant_app_role(self, role: str) -> None:
        """PostgreSQL, as the tables' owner: let ``role`` read and append to the store and nothing else."""
        if self.engine.dialect.name != "postgresql":
            raise AuditSetupError("option 'role': an application role needs PostgreSQL; SQLite has no roles (its "
                                  "triggers guard the store)", field="role", rule="PostgreSQL only",
                                  message_zh="仅PostgreSQL可设置只读加追加的应用角色；SQLite由触发器保护")
        try:
            statements = app_role_statements(role)
        except ValueError as err:
            raise AuditSetupError(f"option 'role': {err}", field="role", value=role, rule="a lower-case identifier",
                                  message_zh="角色名须为小写英文标识符") from err
        with self.engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)

    def verify(self) -> ChainReport:
        """Walk the hash chain and every covered row; the report names the first entry altered, inserted or removed."""
        with self.engine.connect() as connection:
            return verify_chain(connection, self._chain_key)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        return self._session()

    # decisions -------------------------------------------------------------------------------------------
    def append_decision(self, decision: Decision, *, source: str, created_by: str,
                        applicant_name_masked: str = "") -> None:
        """Store a decision (committed before the caller answers)."""
        values = dict(
            decision_id=decision.decision_id, household_id=decision.household_id,
            applicant_id_masked=decision.applicant_id_masked, applicant_name_masked=applicant_name_masked,
            input_hash=decision.input_hash, model_name=decision.model.name, model_version=decision.model.version,
            model_run_id=decision.model.run_id, policy_version=decision.policy_version,
            policy_hash=decision.policy_hash, recommendation=decision.recommendation, grade=decision.grade,
            score=decision.score, pd=decision.pd, source=source, created_by=created_by,
            created_at=dt.datetime.now(dt.UTC), payload=_SerialisedJSON(decision.model_dump_json()))
        # One INSERT and its chain link in one transaction, without the ORM's unit of work (never updated). The
        # entry's INSERT comes first: on SQLite it takes the write lock, so the chain's tail read next is the latest.
        with self.engine.begin() as connection:
            connection.execute(_INSERT_DECISION, values)
            append_link(connection, self._chain_key, "decision", decision.decision_id, values)

    def get_decision(self, decision_id: str) -> tuple[Decision, str] | None:
        """The stored Decision and the masked applicant name, or None."""
        with self.session() as s:
            row = s.scalars(select(DecisionRow).where(DecisionRow.decision_id == decision_id)).one_or_none()
        if row is None:
            return None
        return Decision.model_validate(row.payload), row.applicant_name_masked

    def count_decisions(self) -> int:
        """How many decisions the store holds."""
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(DecisionRow)) or 0)

    # reviews ---------------------------------------------------------------------------------------------
    def append_review(self, decision_id: str, *, action: str, final_recommendation: str, reason: str,
                      reviewer: str) -> StoredReview:
        """Store a review beside the decision (the decision itself is never changed)."""
        review = StoredReview(review_id=str(uuid.uuid4()), decision_id=decision_id, action=action,
                              final_recommendation=final_recommendation, reason=reason, reviewer=reviewer,
                              created_at=dt.datetime.now(dt.UTC))
        values = dataclasses.asdict(review)
        with self.engine.begin() as connection:
            connection.execute(insert(ReviewRow), values)
            append_link(connection, self._chain_key, "review", review.review_id, values)
        return review

    def reviews_of(self, decision_id: str) -> list[StoredReview]:
        """Every review of a decision, oldest first."""
        with self.session() as s:
            rows = s.scalars(select(ReviewRow).where(ReviewRow.decision_id == decision_id)
                             .order_by(ReviewRow.seq)).all()
        return [_review(r) for r in rows]

    # keys ------------------------------------------------------------------------------------------------
    def add_key(self, key_id: str, key_hash: str, role: str, label: str = "") -> None:
        """Keep a new key's hash and role."""
        values = dict(key_id=key_id, key_hash=key_hash, role=role, label=label, created_at=dt.datetime.now(dt.UTC))
        with self.engine.begin() as connection:
            connection.execute(insert(ApiKeyRow), values)
            append_link(connection, self._chain_key, "key", key_id, values)

    def role_of(self, key_hash: str) -> tuple[str, str] | None:
        """(key id, role) of an active key with this hash, or None."""
        with self.engine.connect() as connection:  # one indexed read on every request: no ORM session
            row = connection.execute(_ACTIVE_KEY, {"key_hash": key_hash}).first()
        return None if row is None else (str(row.key_id), str(row.role))

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key by its id; False when no active key has that id."""
        values = dict(key_id=key_id, revoked_at=dt.datetime.now(dt.UTC))
        with self.engine.begin() as connection:
            done = connection.execute(update(ApiKeyRow).where(ApiKeyRow.key_id == key_id,
                                                              ApiKeyRow.revoked_at.is_(None))
                                      .values(revoked_at=values["revoked_at"])).rowcount
            if not done:
                return False
            append_link(connection, self._chain_key, "key_revoke", key_id, values)
        return True


_INSERT_DECISION = insert(DecisionRow)
_ACTIVE_KEY = select(ApiKeyRow.key_id, ApiKeyRow.role).where(ApiKeyRow.key_hash == bindparam("key_hash"),
                                                             ApiKeyRow.revoked_at.is_(None))


def _review(row: ReviewRow) -> StoredReview:
    return StoredReview(review_id=row.review_id, decision_id=row.decision_id, action=row.action,
                        final_recommendation=row.final_recommendation, reason=row.reason, reviewer=row.reviewer,
                        created_at=row.created_at)
