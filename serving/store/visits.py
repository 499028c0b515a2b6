"""The PAD visit store: visits sent from the door (each draft stored once), photos, and the page's bookkeeping.

Same database as the audit store (SQLite by default, PostgreSQL by URL). Forms and photos are sealed with
``serving.store.crypto.FieldCipher``; the feature builder and the 过程考核 read the forms back as records shaped
like the imported visit files. Decision intents make ``POST /v1/decisions`` one decision per Idempotency-Key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from features.ids import mask_id_number
from serving.store.crypto import FieldCipher
from serving.store.visit_schema import (
    DecisionIntentRow,
    DecisionNoteRow,
    OfficerScopeRow,
    PadPhotoRow,
    PadVisitRow,
    VisitBase,
)


@dataclass(frozen=True)
class Photo:
    """A photo as taken: its type and bytes."""

    mime: str
    content: bytes


@dataclass(frozen=True)
class StoredVisit:
    """A visit as the store holds it (no identity but the masked ID number)."""

    visit_id: str
    draft_id: str
    household_id: str
    township: str
    account_manager_id: str
    visited_at: dt.datetime
    ended_at: dt.datetime
    duration_min: float
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    photo_count: int
    id_masked: str
    created_at: dt.datetime
    replayed: bool = False  # True when the draft had been stored before and this is the stored visit


@dataclass(frozen=True)
class Intent:
    """Who holds an Idempotency-Key: the decision it names and the request it was made for."""

    decision_id: str
    request_hash: str
    claimed: bool  # True: this call wrote the claim and must make the decision


def _visit(row: PadVisitRow, replayed: bool = False) -> StoredVisit:
    return StoredVisit(row.visit_id, row.draft_id, row.household_id, row.township, row.account_manager_id,
                       row.visited_at, row.ended_at, row.duration_min, row.lat, row.lon, row.accuracy_m,
                       row.photo_count, row.id_masked, row.created_at, replayed)


class VisitStore:
    """Appends visits and photos, reads forms back for the features, keeps intents, notes and scopes."""

    def __init__(self, engine: Engine, cipher: FieldCipher) -> None:
        self.engine, self.cipher = engine, cipher

    def create_all(self) -> VisitStore:
        """Create the missing tables (and their append-only triggers); safe on every start."""
        VisitBase.metadata.create_all(self.engine)
        return self

    # visits ----------------------------------------------------------------------------------------------
    def append_visit(self, record: dict[str, Any], *, draft_id: str, photos: list[Photo]) -> StoredVisit:
        """Store a visit form once per draft: a draft sent again returns the visit stored the first time.

        ``record`` is the checked form shaped like an imported visit (household_id, visited_at, applicant, ...).
        """
        found = self.visit_of_draft(draft_id)
        if found is not None:
            return found
        applicant = record.get("applicant") or {}
        gps = record.get("gps") or {}
        now = dt.datetime.now(dt.UTC)
        visit_id = record["visit_id"]
        values = dict(
            visit_id=visit_id, draft_id=draft_id, household_id=record["household_id"],
            township=record["residence"]["township"], account_manager_id=record["account_manager_id"],
            visited_at=dt.datetime.fromisoformat(record["visited_at"]),
            ended_at=dt.datetime.fromisoformat(record["ended_at"]), duration_min=float(record["duration_min"]),
            lat=gps.get("lat"), lon=gps.get("lon"), accuracy_m=gps.get("accuracy_m"), photo_count=len(photos),
            id_masked=mask_id_number(applicant.get("id_number")),
            id_hash=self.cipher.lookup("id", applicant.get("id_number") or ""),
            name_hash=self.cipher.lookup("name", applicant.get("name") or ""),
            phone_hash=self.cipher.lookup("phone", applicant.get("phone") or ""),
            form_sealed=self.cipher.seal(json.dumps(record, ensure_ascii=False).encode("utf-8")), created_at=now)
        photo_rows = [dict(visit_id=visit_id, position=k, mime=p.mime, sha256=_sha(p.content),
                           content_sealed=self.cipher.seal(p.content)) for k, p in enumerate(photos)]
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(PadVisitRow), values)
                if photo_rows:
                    connection.execute(insert(PadPhotoRow), photo_rows)
        except IntegrityError:
            # The same draft arrived twice at once: the other request stored it; answer with that visit.
            again = self.visit_of_draft(draft_id)
            if again is None:
                raise
            return again
        stored = self.visit_of_draft(draft_id)
        if stored is None:
            raise RuntimeError(f"visit {visit_id} was written but cannot be read back")
        return StoredVisit(**{**stored.__dict__, "replayed": False})

    def visit_of_draft(self, draft_id: str) -> StoredVisit | None:
        """The visit stored for a device draft (marked as replayed), or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(PadVisitRow).where(PadVisitRow.draft_id == draft_id)).first()
        return None if row is None else _visit(PadVisitRow(**row._asdict()), replayed=True)

    def visits(self, *, household_id: str | None = None, account_manager_id: str | None = None,
               township: str | None = None) -> list[StoredVisit]:
        """Stored visits, oldest first, optionally of one household, one account manager or one township."""
        query = select(PadVisitRow).order_by(PadVisitRow.seq)
        if household_id is not None:
            query = query.where(PadVisitRow.household_id == household_id)
        if account_manager_id is not None:
            query = query.where(PadVisitRow.account_manager_id == account_manager_id)
        if township is not None:
            query = query.where(PadVisitRow.township == township)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [_visit(PadVisitRow(**r._asdict())) for r in rows]

    def visit_days(self, household_id: str) -> list[dt.date]:
        """The days a household was visited (its stored visits' dates, oldest first), without opening the forms."""
        query = select(PadVisitRow.visited_at).where(PadVisitRow.household_id == household_id).order_by(PadVisitRow.seq)
        with self.engine.connect() as connection:
            return [moment.date() for moment in connection.execute(query).scalars().all()]

    def count(self) -> int:
        """How many visits the store holds."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(PadVisitRow)).scalar() or 0)

    def forms(self, household_id: str | None = None) -> list[dict[str, Any]]:
        """The forms themselves (opened), shaped like imported visit records, oldest first."""
        query = select(PadVisitRow.form_sealed).order_by(PadVisitRow.seq)
        if household_id is not None:
            query = query.where(PadVisitRow.household_id == household_id)
        with self.engine.connect() as connection:
            sealed = connection.execute(query).scalars().all()
        return [json.loads(self.cipher.open(token)) for token in sealed]

    def households_matching(self, kind: str, value: str) -> list[str]:
        """Households whose visits carry this name, phone or full ID number (by keyed hash)."""
        column = {"id": PadVisitRow.id_hash, "name": PadVisitRow.name_hash, "phone": PadVisitRow.phone_hash}[kind]
        digest = self.cipher.lookup(kind, value)
        with self.engine.connect() as connection:
            found = connection.execute(select(PadVisitRow.household_id).where(column == digest)).scalars().all()
        return list(dict.fromkeys(found))

    def households_masked(self, masked: str) -> list[str]:
        """Households whose visits carry this masked ID number (first 6 + last 4)."""
        with self.engine.connect() as connection:
            found = connection.execute(select(PadVisitRow.household_id)
                                       .where(PadVisitRow.id_masked == masked)).scalars().all()
        return list(dict.fromkeys(found))

    def photo(self, visit_id: str, position: int) -> Photo | None:
        """One photo of a visit, opened, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(PadPhotoRow.mime, PadPhotoRow.content_sealed).where(
                PadPhotoRow.visit_id == visit_id, PadPhotoRow.position == position)).first()
        return None if row is None else Photo(row.mime, self.cipher.open(row.content_sealed))

    # decision intents ------------------------------------------------------------------------------------
    def claim(self, key_id: str, idempotency_key: str, request_hash: str) -> Intent:
        """Claim a key for a new decision id, or learn which decision holds it already."""
        decision_id = str(uuid.uuid4())
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(DecisionIntentRow), dict(
                    key_id=key_id, idempotency_key=idempotency_key, request_hash=request_hash,
                    decision_id=decision_id, created_at=dt.datetime.now(dt.UTC)))
        except IntegrityError:
            held = self.intent(key_id, idempotency_key)
            if held is None:  # released between the two statements: try once more
                return self.claim(key_id, idempotency_key, request_hash)
            return held
        return Intent(decision_id, request_hash, claimed=True)

    def intent(self, key_id: str, idempotency_key: str) -> Intent | None:
        """The decision a key holds, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(select(DecisionIntentRow.decision_id, DecisionIntentRow.request_hash).where(
                DecisionIntentRow.key_id == key_id, DecisionIntentRow.idempotency_key == idempotency_key)).first()
        return None if row is None else Intent(row.decision_id, row.request_hash, claimed=False)

    def release(self, key_id: str, idempotency_key: str) -> None:
        """Drop a claim whose decision was never made (it failed), so the key may be used again."""
        with self.engine.begin() as connection:
            connection.execute(delete(DecisionIntentRow).where(
                DecisionIntentRow.key_id == key_id, DecisionIntentRow.idempotency_key == idempotency_key))

    def wait_for(self, key_id: str, idempotency_key: str, ready: Any, timeout: float = 60.0) -> Intent | None:
        """Wait until ``ready(decision_id)`` (the other request stored its decision); None if the claim went away."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            held = self.intent(key_id, idempotency_key)
            if held is None:
                return None
            if ready(held.decision_id):
                return held
            time.sleep(0.05)
        return self.intent(key_id, idempotency_key)

    # notes and scopes ------------------------------------------------------------------------------------
    def append_notes(self, decision_id: str, notes: list[dict[str, str]]) -> None:
        """Keep what the card says beside a decision (written once, with the decision)."""
        with self.engine.begin() as connection:
            connection.execute(insert(DecisionNoteRow), dict(decision_id=decision_id, notes=notes,
                                                             created_at=dt.datetime.now(dt.UTC)))

    def notes_of(self, decision_id: str) -> list[dict[str, str]]:
        """The notes kept beside a decision ([] when none)."""
        with self.engine.connect() as connection:
            notes = connection.execute(select(DecisionNoteRow.notes)
                                       .where(DecisionNoteRow.decision_id == decision_id)).scalar()
        return list(notes or [])

    def set_township(self, key_id: str, township: str) -> None:
        """Scope a key to a township (a new row; the latest counts)."""
        with self.engine.begin() as connection:
            connection.execute(insert(OfficerScopeRow), dict(key_id=key_id, township=township,
                                                             created_at=dt.datetime.now(dt.UTC)))

    def township_of(self, key_id: str) -> str | None:
        """The township a key is scoped to, or None."""
        with self.engine.connect() as connection:
            return connection.execute(select(OfficerScopeRow.township).where(OfficerScopeRow.key_id == key_id)
                                      .order_by(OfficerScopeRow.seq.desc()).limit(1)).scalar()


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
