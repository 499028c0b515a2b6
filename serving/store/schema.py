"""Tables of the decision audit store: API keys (hashes only), decisions and reviews, the last two append-only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, String, Text, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import Table


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


Index("ix_reviews_decision", ReviewRow.decision_id)
APPEND_ONLY = ("decisions", "reviews")


def _sqlite_guards(table: str) -> list[str]:
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END" for op in ("UPDATE", "DELETE")]


def _postgres_guards(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION kuozhong_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION kuozhong_append_only()",
    ]


def _guard(target: Table, connection: Connection, **_: object) -> None:
    """The database itself refuses UPDATE and DELETE on decisions and reviews."""
    dialect = connection.dialect.name
    statements = (_sqlite_guards(target.name) if dialect == "sqlite"
                  else _postgres_guards(target.name) if dialect == "postgresql" else [])
    for statement in statements:
        connection.exec_driver_sql(statement)


for _table in APPEND_ONLY:
    event.listen(Base.metadata.tables[_table], "after_create", _guard)
