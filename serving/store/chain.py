"""The audit store's hash chain: each decision, review and key event linked to the one before, and its check.

Every entry's content is hashed (SHA-256 over its columns in a canonical form); each link's ``chain_hash`` is an
HMAC, under a key derived from the service's secret, over the link's position, kind, entry id, content hash and
the previous link's ``chain_hash``. ``verify_chain`` walks the links in order and reads every entry back, naming
the first one altered (content differs), inserted (a row no link covers) or removed (a link whose row is gone),
and any link itself altered, inserted or removed. Someone with database rights but without the secret cannot
write links that pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, insert, select, text

from features.protect import derive_key
from serving.store.schema import ApiKeyRow, ChainRow, DecisionRow, ReviewRow

Kind = Literal["decision", "review", "key", "key_revoke"]
GENESIS = "0" * 64
DECISION_FIELDS = tuple(c.name for c in DecisionRow.__table__.columns if c.name != "seq")
REVIEW_FIELDS = tuple(c.name for c in ReviewRow.__table__.columns if c.name != "seq")
KEY_FIELDS = ("key_id", "key_hash", "role", "label", "created_at")
REVOKE_FIELDS = ("key_id", "revoked_at")
_FIELDS: dict[str, tuple[str, ...]] = {"decision": DECISION_FIELDS, "review": REVIEW_FIELDS, "key": KEY_FIELDS,
                                       "key_revoke": REVOKE_FIELDS}


def _plain(value: Any) -> Any:
    """A column value in one form whatever the database gave back (UTC datetimes, parsed JSON, plain floats)."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode()
    return value


def entry_hash(kind: str, values: Mapping[str, Any]) -> str:
    """SHA-256 of an entry's columns (those the chain covers for its kind) in canonical JSON."""
    canonical = {name: _plain(values.get(name)) for name in _FIELDS[kind]}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def link_hash(chain_key: bytes, seq: int, kind: str, entry_id: str, content: str, prev: str) -> str:
    """The keyed hash of one link."""
    message = f"{seq}|{kind}|{entry_id}|{content}|{prev}".encode()
    return hmac.new(chain_key, message, hashlib.sha256).hexdigest()


def chain_key(secret: str) -> bytes:
    """The chain's HMAC key, derived from the service's secret."""
    return derive_key(secret, "audit-chain/v1")


def append_link(connection: Connection, key: bytes, kind: Kind, entry_id: str, values: Mapping[str, Any]) -> None:
    """Add the link of a new entry in the caller's transaction (the caller retries when another writer won)."""
    if connection.dialect.name == "postgresql":  # one appender at a time; released at commit
        connection.execute(text("SELECT pg_advisory_xact_lock(7262025)"))
    last = connection.execute(select(ChainRow.seq, ChainRow.chain_hash).order_by(ChainRow.seq.desc()).limit(1)).first()
    seq, prev = (1, GENESIS) if last is None else (int(last.seq) + 1, str(last.chain_hash))
    content = entry_hash(kind, values)
    connection.execute(insert(ChainRow).values(
        seq=seq, kind=kind, entry_id=entry_id, entry_hash=content, prev_hash=prev,
        chain_hash=link_hash(key, seq, kind, entry_id, content, prev), created_at=dt.datetime.now(dt.UTC)))


@dataclass(frozen=True)
class Finding:
    """The first thing wrong in the record: what (altered / inserted / removed), which entry, and how it shows."""

    problem: Literal["altered", "inserted", "removed"]
    kind: str
    entry_id: str
    seq: int | None
    detail: str

    def sentence(self) -> str:
        """One line for people, in English and Chinese."""
        where = f" (chain link {self.seq})" if self.seq is not None else ""
        zh = {"altered": "被改动", "inserted": "被插入（链外记录）", "removed": "被删除"}[self.problem]
        return f"{self.kind} '{self.entry_id}'{where} was {self.problem}: {self.detail} / 审计记录{zh}"


@dataclass(frozen=True)
class ChainReport:
    """The result of a walk: how many links were checked and the first finding (None: the record is whole)."""

    links: int
    entries: int
    finding: Finding | None

    @property
    def intact(self) -> bool:
        """True when nothing was altered, inserted or removed."""
        return self.finding is None


def _rows(connection: Connection) -> dict[str, dict[str, dict[str, Any]]]:
    decisions = {str(r["decision_id"]): dict(r) for r in
                 connection.execute(select(DecisionRow.__table__).order_by(DecisionRow.seq)).mappings()}
    reviews = {str(r["review_id"]): dict(r) for r in
               connection.execute(select(ReviewRow.__table__).order_by(ReviewRow.seq)).mappings()}
    keys = {str(r["key_id"]): dict(r) for r in connection.execute(select(ApiKeyRow.__table__)).mappings()}
    revoked = {k: v for k, v in keys.items() if v.get("revoked_at") is not None}
    return {"decision": decisions, "review": reviews, "key": keys, "key_revoke": revoked}


def verify_chain(connection: Connection, key: bytes) -> ChainReport:
    """Walk the chain and every covered table; the first problem found, in chain order, or an intact report."""
    rows = _rows(connection)
    links = connection.execute(select(ChainRow.__table__).order_by(ChainRow.seq)).mappings().all()
    covered: dict[str, set[str]] = {kind: set() for kind in _FIELDS}
    prev, expected_seq = GENESIS, 1
    for link in links:
        seq, kind, entry_id = int(link["seq"]), str(link["kind"]), str(link["entry_id"])
        if kind not in _FIELDS:
            return ChainReport(len(links), 0, Finding("inserted", kind, entry_id, seq, "a link of an unknown kind"))
        if seq != expected_seq or link["prev_hash"] != prev:
            problem: Literal["altered", "inserted", "removed"] = "removed" if seq > expected_seq else "inserted"
            detail = (f"chain link {expected_seq} is missing" if seq > expected_seq
                      else "the link does not follow the one before it")
            return ChainReport(len(links), 0, Finding(problem, kind, entry_id, seq, detail))
        if link["chain_hash"] != link_hash(key, seq, kind, entry_id, str(link["entry_hash"]), prev):
            return ChainReport(len(links), 0, Finding("altered", kind, entry_id, seq,
                                                      "the chain link was rewritten (its keyed hash does not match)"))
        row = rows[kind].get(entry_id)
        if row is None:
            return ChainReport(len(links), 0, Finding("removed", kind, entry_id, seq, "its row is gone"))
        if entry_hash(kind, row) != link["entry_hash"]:
            return ChainReport(len(links), 0, Finding("altered", kind, entry_id, seq,
                                                      "its content differs from what was recorded"))
        covered[kind].add(entry_id)
        prev, expected_seq = str(link["chain_hash"]), seq + 1
    for kind in _FIELDS:
        for entry_id in rows[kind]:
            if entry_id not in covered[kind]:
                detail = ("revoked outside the service (no link records it)" if kind == "key_revoke"
                          else "a row no chain link covers")
                problem = "altered" if kind == "key_revoke" else "inserted"
                return ChainReport(len(links), 0, Finding(problem, kind, entry_id, None, detail))
    return ChainReport(len(links), sum(len(v) for v in rows.values()), None)
