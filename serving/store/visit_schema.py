"""Tables of the PAD visit store and of the officer page's bookkeeping, beside the audit store's tables.

Visits, their photos, decision notes and township scopes are append-only (a revisit is a new row; a new scope
is a new row, the latest counts). Identity is sealed (Fernet) and searchable only through keyed hashes; the
masked ID number (first 6 + last 4) is the only identity kept in clear. Decision intents (one decision per
``Idempotency-Key``) may be removed only when the decision they claimed was never made.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.schema import Table
from sqlalchemy.types import JSON


class VisitBase(DeclarativeBase):
    """Declarative base of the visit store's tables."""


class PadVisitRow(VisitBase):
    """One visit as the PAD sent it: where, when, by whom in clear; the form itself sealed."""

    __tablename__ = "pad_visits"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = mapped_column(String(40), unique=True)
    draft_id: Mapped[str] = mapped_column(String(64), unique=True)  # the device's draft: sent once, stored once
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str] = mapped_column(String(16))
    account_manager_id: Mapped[str] = mapped_column(String(20), index=True)
    visited_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))  # Asia/Shanghai wall time
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    duration_min: Mapped[float] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    photo_count: Mapped[int] = mapped_column(Integer)
    id_masked: Mapped[str] = mapped_column(String(32))
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    name_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    form_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PadPhotoRow(VisitBase):
    """A photo taken at a visit (sealed: a home and its people are personal data)."""

    __tablename__ = "pad_visit_photos"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("pad_visits.visit_id"))
    position: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    content_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class DecisionIntentRow(VisitBase):
    """One decision per (key, Idempotency-Key): the claim is written before the decision is made."""

    __tablename__ = "decision_intents"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DecisionNoteRow(VisitBase):
    """What the card must say beside a decision: missing sources and what that did, stale records."""

    __tablename__ = "decision_notes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(String(36), unique=True)
    notes: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OfficerScopeRow(VisitBase):
    """The township an officer's key serves (search is scoped to it); the latest row of a key counts."""

    __tablename__ = "officer_scopes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    township: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


Index("ix_pad_photos_visit", PadPhotoRow.visit_id)
APPEND_ONLY = ("pad_visits", "pad_visit_photos", "decision_notes", "officer_scopes")


def _guards(table: str, dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END" for op in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        return ["CREATE OR REPLACE FUNCTION kuozhong_visits_append_only() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql",
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION kuozhong_visits_append_only()"]
    return []


def _guard(target: Table, connection: Connection, **_: object) -> None:
    """The database itself refuses UPDATE and DELETE on the append-only tables."""
    for statement in _guards(target.name, connection.dialect.name):
        connection.exec_driver_sql(statement)


for _table in APPEND_ONLY:
    event.listen(VisitBase.metadata.tables[_table], "after_create", _guard)
