"""Tables of the decision audit store and the database's own guards on them.

API keys (hashes only; a key may be revoked, nothing else about it changed), decisions and reviews (append-only),
and the hash chain over all three (append-only). The guards are triggers, so they hold for any client with the
application's rights, not only for this code: UPDATE, DELETE, REPLACE (SQLite's implicit delete), UPSERT and
TRUNCATE are refused. Someone who drops the triggers is caught by the chain (``serving.store.chain``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the audit store."""


class ApiKeyRow(Base):
    """An API key: its public id, its role and a keyed hash of the secret (never the secret)."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DecisionRow(Base):
    """One decision as it was made: identity masked, inputs fingerprinted, the full Decision as JSON."""

    __tablename__ = "decisions"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    applicant_id_masked: Mapped[str] = mapped_column(String(32))
    applicant_name_masked: Mapped[str] = mapped_column(String(32), default="")
    input_hash: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(20))
    model_run_id: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(40))
    policy_hash: Mapped[str] = mapped_column(String(64))
    recommendation: Mapped[str] = mapped_column(String(10))
    grade: Mapped[str] = mapped_column(String(4))
    score: Mapped[float] = mapped_column(Float)
    pd: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict] = mapped_column(JSON)


class ReviewRow(Base):
    """An officer's confirmation or override, linked to a decision and kept beside it."""

    __tablename__ = "reviews"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(String(36), unique=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.decision_id"))
    action: Mapped[str] = mapped_column(String(10))
    final_recommendation: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ChainRow(Base):
    """One link of the audit chain: which entry (decision, review, key event), its content hash, the chain hash.

    ``chain_hash`` is a keyed hash (under the service's secret) of the position, the entry and the previous link's
    ``chain_hash``, so an entry altered, inserted or removed anywhere breaks every link after it.
    """

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    chain_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


Index("ix_reviews_decision", ReviewRow.decision_id)
APPEND_ONLY = ("decisions", "reviews", "audit_chain")
# The unique keys a REPLACE could collide on: an insert that would replace an existing row is refused first.
_UNIQUE_KEYS = {"decisions": ("seq", "decision_id"), "reviews": ("seq", "review_id"),
                "audit_chain": ("seq", "prev_hash", "chain_hash"), "api_keys": ("key_id", "key_hash")}
# A key may be revoked (revoked_at set once); its id, hash, role, label and creation time never change.
_KEY_FIXED = ("key_id", "key_hash", "role", "label", "created_at")


def _sqlite_guards(table: str) -> list[str]:
    collides = " OR ".join(f"{c} = NEW.{c}" for c in _UNIQUE_KEYS[table])
    refuse = f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
    exists = f"EXISTS (SELECT 1 FROM {table} WHERE {collides})"  # noqa: S608 - table and column names are ours
    statements = [f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} WHEN {exists} {refuse}",
                  f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} {refuse}"]
    if table == "api_keys":
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _KEY_FIXED)
        statements.append(f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                          f"WHEN NOT (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL AND {same}) "
                          "BEGIN SELECT RAISE(ABORT, 'api_keys: a key may only be revoked'); END")
    else:
        statements.append(f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} {refuse}")
    return statements


_PG_FUNCTIONS = [
    "CREATE OR REPLACE FUNCTION kuozhong_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE OR REPLACE FUNCTION kuozhong_key_revoke_only() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL AND "
    + " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in _KEY_FIXED)
    + " THEN RETURN NEW; END IF; "
    "RAISE EXCEPTION USING MESSAGE = 'api_keys: a key may only be revoked'; END; $$ LANGUAGE plpgsql",
]


def _postgres_guards(table: str) -> list[str]:
    row_function = "kuozhong_key_revoke_only" if table == "api_keys" else "kuozhong_append_only"
    return [
        *_PG_FUNCTIONS,
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {row_function}()",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION kuozhong_append_only()",
    ]


def guard_statements(table: str, dialect: str) -> list[str]:
    """The statements that install the guards of one table (none for other databases)."""
    return (_sqlite_guards(table) if dialect == "sqlite" else _postgres_guards(table) if dialect == "postgresql"
            else [])


def app_role_statements(role: str) -> list[str]:
    """PostgreSQL: the grants of the service's own login role — read and append, never change or remove.

    Run by the tables' owner (``kuozhong audit app-role``). The role may SELECT and INSERT every table of the
    store and use its sequences; on ``api_keys`` it may set ``revoked_at`` and nothing else. UPDATE, DELETE and
    TRUNCATE are not granted, so they fail for it on permission alone, whether or not the triggers are there.
    """
    if not role.isidentifier() or role.lower() != role:
        raise ValueError(f"role name '{role}' must be a lower-case identifier")
    # the name is checked above to be a plain identifier: it cannot carry SQL
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN "  # noqa: S608
        f"CREATE ROLE {role} LOGIN; END IF; END $$",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT UPDATE (revoked_at) ON api_keys TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]


def owns_tables(connection: Connection) -> bool:
    """Whether the connected role owns the store's tables (or they are not there yet); SQLite: always."""
    if connection.dialect.name != "postgresql":
        return True
    owner = connection.exec_driver_sql(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'decisions'").scalar()
    return owner is None or owner == connection.exec_driver_sql("SELECT current_user").scalar()


def install_guards(connection: Connection) -> None:
    """(Re)install every table's guards: on each start, so a store made by an older version gets them too."""
    for table in (*APPEND_ONLY, "api_keys"):
        for statement in guard_statements(table, connection.dialect.name):
            connection.exec_driver_sql(statement)
