"""The list-review trail (名单审核): batches, entries, actions, confirmation records and final-list versions.

Every table is append-only, as the decision audit store's are: the database refuses UPDATE and DELETE (SQLite
triggers, a PostgreSQL trigger function). An entry's status is never a column that changes: it is read from its
actions, oldest first. Nothing here holds a raw ID number, name or phone: the 采集表 snapshot kept with an entry
is masked before it is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, Integer, String, Text, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.schema import Table


class ReviewBase(DeclarativeBase):
    """Declarative base of the list-review tables (beside the audit store's, in the same database)."""


class ReviewerScopeRow(ReviewBase):
    """The unit a reviewer key acts for (县财政局 or a township); the key itself lives in ``api_keys``."""

    __tablename__ = "review_scopes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    unit: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BatchRow(ReviewBase):
    """A numbered 待审核名单 batch submitted by the bank (or a 补充 batch added by government staff)."""

    __tablename__ = "review_batches"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    batch_no: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # visits | supplement
    township: Mapped[str] = mapped_column(String(20))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    submitted_by: Mapped[str] = mapped_column(String(40))
    entry_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class EntryRow(ReviewBase):
    """One household of a batch, with the bank's calibration and its 采集表 as the reviewer sees it (masked)."""

    __tablename__ = "review_entries"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(40), unique=True)
    batch_no: Mapped[str] = mapped_column(String(32), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    township: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    calibration: Mapped[str] = mapped_column(String(8))  # 符合 | 不符合 | 待走访
    calibration_reasons: Mapped[str] = mapped_column(Text, default="")
    supplement_reason: Mapped[str] = mapped_column(Text, default="")
    form: Mapped[dict] = mapped_column(JSON)  # the masked 采集表 snapshot
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ActionRow(ReviewBase):
    """One action on an entry: who, for which unit, when, what and why."""

    __tablename__ = "review_actions"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(String(36), unique=True)
    entry_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(40))
    acted_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ConfirmationRow(ReviewBase):
    """How a batch's list was confirmed locally (短信通知, 村小组评议, ...), when, and the result."""

    __tablename__ = "review_confirmations"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    confirmation_id: Mapped[str] = mapped_column(String(36), unique=True)
    batch_no: Mapped[str] = mapped_column(String(32), index=True)
    method: Mapped[str] = mapped_column(String(20))
    confirmed_on: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class VersionRow(ReviewBase):
    """A version of the 最终名单: in force from a day, made from one batch and the actions it lists."""

    __tablename__ = "final_list_versions"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    effective_on: Mapped[dt.date] = mapped_column(Date)
    batch_no: Mapped[str] = mapped_column(String(32))
    action_ids: Mapped[list] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ListRow(ReviewBase):
    """A household's status set by a version of the final list."""

    __tablename__ = "final_list_rows"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    entry_id: Mapped[str] = mapped_column(String(40))
    township: Mapped[str] = mapped_column(String(20))
    list_status: Mapped[str] = mapped_column(String(16))
    lent_while_reviewing: Mapped[bool] = mapped_column(Boolean, default=False)


REVIEW_TABLES = tuple(ReviewBase.metadata.tables)


def _guard(target: Table, connection: Connection, **_: object) -> None:
    """The database itself refuses UPDATE and DELETE on every list-review table."""
    name = target.name
    if connection.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            connection.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name}_no_{op.lower()} BEFORE {op} ON {name} "
                                       f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION kuozhong_review_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END; $$ LANGUAGE plpgsql")
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}_append_only ON {name}")
        connection.exec_driver_sql(f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
                                   "FOR EACH ROW EXECUTE FUNCTION kuozhong_review_append_only()")


for _table in ReviewBase.metadata.tables.values():
    event.listen(_table, "after_create", _guard)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ReviewStore:
    """Appends to and reads the list-review tables on an engine (the audit store's: one database)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def create_all(self) -> ReviewStore:
        """Create missing tables and their append-only triggers; safe on every start."""
        ReviewBase.metadata.create_all(self.engine)
        return self

    def session(self) -> Session:
        """A new ORM session."""
        return self._session()

    def _add(self, rows: Iterable[ReviewBase]) -> None:
        with self.session() as s, s.begin():
            s.add_all(list(rows))

    # scopes ----------------------------------------------------------------------------------------------
    def set_unit(self, key_id: str, unit: str) -> None:
        """Record the unit a reviewer key acts for (once: a key's unit never changes)."""
        self._add([ReviewerScopeRow(key_id=key_id, unit=unit, created_at=_now())])

    def unit_of(self, key_id: str) -> str | None:
        """The unit of a reviewer key, or None."""
        with self.session() as s:
            return s.scalar(select(ReviewerScopeRow.unit).where(ReviewerScopeRow.key_id == key_id))

    # batches and entries ---------------------------------------------------------------------------------
    def add_batch(self, batch: BatchRow, entries: Sequence[EntryRow]) -> None:
        """Store a batch and its entries in one transaction."""
        batch.created_at = _now()
        for entry in entries:
            entry.created_at = batch.created_at
        self._add([batch, *entries])

    def batches(self) -> list[BatchRow]:
        """Every batch, oldest first."""
        with self.session() as s:
            return list(s.scalars(select(BatchRow).order_by(BatchRow.seq)))

    def batch(self, batch_no: str) -> BatchRow | None:
        """One batch, or None."""
        with self.session() as s:
            return s.scalar(select(BatchRow).where(BatchRow.batch_no == batch_no))

    def count_batches(self, prefix: str) -> int:
        """How many batches have numbers starting with ``prefix``."""
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(BatchRow)
                                .where(BatchRow.batch_no.startswith(prefix))) or 0)

    def entries(self, batch_no: str | None = None) -> list[EntryRow]:
        """Every entry (of one batch), oldest first."""
        query = select(EntryRow).order_by(EntryRow.seq)
        if batch_no is not None:
            query = query.where(EntryRow.batch_no == batch_no)
        with self.session() as s:
            return list(s.scalars(query))

    def entry(self, entry_id: str) -> EntryRow | None:
        """One entry, or None."""
        with self.session() as s:
            return s.scalar(select(EntryRow).where(EntryRow.entry_id == entry_id))

    def submitted_households(self) -> set[str]:
        """Households that already have an entry."""
        with self.session() as s:
            return set(s.scalars(select(EntryRow.household_id)))

    # actions and confirmations ---------------------------------------------------------------------------
    def add_action(self, entry_id: str, action: str, reason: str, actor: str, unit: str,
                   acted_on: dt.date) -> ActionRow:
        """Append an action to an entry's trail."""
        row = ActionRow(action_id=str(uuid.uuid4()), entry_id=entry_id, action=action, reason=reason, actor=actor,
                        unit=unit, acted_on=acted_on, created_at=_now())
        self._add([row])
        return row

    def actions(self, entry_ids: Sequence[str] | None = None) -> list[ActionRow]:
        """Every action (of some entries), in the order they were appended."""
        query = select(ActionRow).order_by(ActionRow.seq)
        if entry_ids is not None:
            query = query.where(ActionRow.entry_id.in_(list(entry_ids)))
        with self.session() as s:
            return list(s.scalars(query))

    def add_confirmation(self, batch_no: str, method: str, confirmed_on: dt.date, result: str, recorded_by: str,
                         unit: str) -> ConfirmationRow:
        """Append a batch's confirmation record (a later record stands beside, not over, an earlier one)."""
        row = ConfirmationRow(confirmation_id=str(uuid.uuid4()), batch_no=batch_no, method=method,
                              confirmed_on=confirmed_on, result=result, recorded_by=recorded_by, unit=unit,
                              created_at=_now())
        self._add([row])
        return row

    def confirmations(self, batch_no: str | None = None) -> list[ConfirmationRow]:
        """Every confirmation record (of one batch), oldest first."""
        query = select(ConfirmationRow).order_by(ConfirmationRow.seq)
        if batch_no is not None:
            query = query.where(ConfirmationRow.batch_no == batch_no)
        with self.session() as s:
            return list(s.scalars(query))

    # final list ------------------------------------------------------------------------------------------
    def add_version(self, version: VersionRow, rows: Sequence[ListRow]) -> None:
        """Store a final-list version and the rows it sets, in one transaction."""
        version.created_at = _now()
        self._add([version, *rows])

    def versions(self) -> list[VersionRow]:
        """Every version, oldest first."""
        with self.session() as s:
            return list(s.scalars(select(VersionRow).order_by(VersionRow.version)))

    def list_rows(self, up_to_version: int | None = None,
                  household_ids: Sequence[str] | None = None) -> list[ListRow]:
        """Every final-list row (up to a version, of some households), oldest first."""
        query = select(ListRow).order_by(ListRow.version, ListRow.seq)
        if up_to_version is not None:
            query = query.where(ListRow.version <= up_to_version)
        if household_ids is not None:
            query = query.where(ListRow.household_id.in_(list(household_ids)))
        with self.session() as s:
            return list(s.scalars(query))


def as_dict(row: ReviewBase) -> dict[str, Any]:
    """A row's columns as a plain mapping."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}
