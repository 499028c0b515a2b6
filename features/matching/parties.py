"""The two parties of private list matching, as message-in/message-out objects (same code in-process or on a socket).

Round 1, province → bank: a fresh session id. Round 2, bank → province: its ID numbers hashed to the curve and
blinded with the bank's secret scalar. Round 3, province → bank: those values blinded again with the province's
scalar (same order), then every base-list household's lookup tag and sealed label, streamed in shuffled chunks
(tag and key from the PRF value of its ID number, made once per household with X25519; see ``crypto``).
The bank removes its blind, derives the tags of the IDs it holds and opens only the labels filed under them. The
province sees only blinded values and their count; the bank sees, for IDs it does not hold, only pseudorandom tags
and fixed-length ciphertexts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.errors import KuozhongError
from features.matching import crypto
from features.parallel import default_workers, ordered_map

SESSION_BYTES = 16
LABEL_FIELDS = ("household_id", "name", "household_size", "region_code", "township", "is_kuozhong",
                "non_kuozhong_reasons", "listed_on")
_LABEL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # made once: json.dumps makes one a call
DEFAULT_MAX_BANK_ITEMS = 200_000  # a bank list larger than this looks like a dictionary attack on the base list


class MatchingProtocolError(KuozhongError):
    """A party broke the protocol (wrong sizes, too many queries, out-of-order messages)."""


@dataclass(frozen=True)
class LabelChunk:
    """One chunk of the province's filed labels: ``count`` tags and ``count`` sealed labels, concatenated."""

    tags: bytes
    sealed: bytes

    @property
    def count(self) -> int:
        """How many households the chunk files."""
        return len(self.tags) // crypto.TAG_BYTES


def encode_label(row: dict) -> bytes:
    """A base-list household's label, as compact JSON (field order fixed by LABEL_FIELDS)."""
    return _encode(row["household_id"], row["name"], row["household_size"], row["region_code"], row["township"],
                   row["is_kuozhong"], row["non_kuozhong_reasons"], _iso_date(row.get("listed_on")))


def _encode(household_id: object, name: object, size: object, region: object, township: object,
            is_kuozhong: object, reasons: object, listed_on: str) -> bytes:
    values = [household_id, name, int(size), region, township, bool(is_kuozhong), reasons or "", listed_on]  # type: ignore[call-overload]
    return _LABEL_JSON.encode(values).encode("utf-8")


def _iso_date(value: object) -> str:
    if value is None or value == "":
        return ""
    stamp = pd.Timestamp(str(value))
    return "" if pd.isna(stamp) else stamp.date().isoformat()


def _iso_dates(frame: pd.DataFrame) -> list[str]:
    """``listed_on`` of every row as an ISO date ('' where absent), read in one pass."""
    if "listed_on" not in frame.columns:
        return [""] * len(frame)
    stamps = pd.to_datetime(frame["listed_on"].astype("object").where(frame["listed_on"].notna(), None),
                            errors="coerce")
    return [s.date().isoformat() if not pd.isna(s) else "" for s in stamps]


_LABEL_COLUMNS = ("id_number", "household_id", "name", "household_size", "region_code", "township", "is_kuozhong",
                  "non_kuozhong_reasons")


def _window(frame: pd.DataFrame) -> list[Any]:
    """A shuffle window's columns, read once: the label fields as object arrays, then ``listed_on`` as ISO dates."""
    return [*(frame[c].to_numpy(dtype=object) for c in _LABEL_COLUMNS), _iso_dates(frame)]


def _seal_chunk(unit: tuple[list[Any], list[int]], state: dict[str, Any]) -> LabelChunk:
    """Tag and seal the labels of a window's rows in the given (shuffled) order (runs on the province's threads)."""
    (ids, hh, name, size, region, township, flag, reasons, dates), order = unit
    key, session = state["key"], state["session"]
    prfs = crypto.prf_values(key, [ids[i] for i in order], session)
    tags, sealed = [], []
    for prf, i in zip(prfs, order, strict=True):
        label = _encode(hh[i], name[i], size[i], region[i], township[i], flag[i], reasons[i], dates[i])
        tag, box = crypto.seal_label(prf, session, label)
        tags.append(tag)
        sealed.append(box)
    return LabelChunk(b"".join(tags), b"".join(sealed))


def _blind_received(values: bytes, state: dict[str, Any]) -> bytes:
    """The other party's blinded values multiplied by this party's key (each checked), in order."""
    return b"".join(crypto.x25519_many(state["key"], _split(values, crypto.POINT_BYTES)))


def _hash_and_blind(id_numbers: list[str], state: dict[str, Any]) -> bytes:
    """The bank's ID numbers hashed to the curve and blinded with its scalar (u-coordinates), in order."""
    return b"".join(crypto.x25519_many(state["key"], crypto.hash_to_curve(id_numbers, state["session"])))


def _unblind_and_tag(values: bytes, state: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """(lookup tag, PRF value) of each answered value once the bank's blind is removed, in order."""
    prfs = crypto.x25519_many(state["key"], _split(values, crypto.POINT_BYTES))
    return [(crypto.lookup_tag(prf, state["session"]), prf) for prf in prfs]


def _shuffled(count: int) -> list[int]:
    """A uniformly random order of ``count`` rows: rows sorted by 64 fresh bits each from the OS's random source.

    One draw of ``8 · count`` bytes instead of one per swap; two rows tie with probability below count² / 2^65, and
    a tie keeps their relative order.
    """
    keys = np.frombuffer(secrets.token_bytes(8 * count), dtype=np.uint64)
    return np.argsort(keys, kind="stable").tolist()


def even_pieces(count: int, target: int, workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of pieces of about ``target`` items covering ``count``, as many as a multiple of ``workers``.

    Equal pieces in a multiple of the thread count keep every thread busy to the end of a phase, however short the
    list: 5,000 rows on two threads are four pieces of 1,250, not 2,000 + 2,000 + 1,000.
    """
    if count <= 0:
        return []
    pieces = -(-count // max(1, target))
    pieces = min(count, -(-pieces // workers) * workers)
    bounds = [count * k // pieces for k in range(pieces + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def decode_label(raw: bytes) -> dict:
    """The label fields of one matched household."""
    return dict(zip(LABEL_FIELDS, json.loads(raw.decode("utf-8")), strict=True))


def _count(blob: bytes, size: int) -> int:
    """How many ``size``-byte values the message holds; refuses a message that is not a whole number of them."""
    count, rest = divmod(len(blob), size)
    if rest:
        raise MatchingProtocolError(f"message of {len(blob)} bytes is not a whole number of {size}-byte values")
    return count


def _split(blob: bytes, size: int) -> list[bytes]:
    return [blob[i:i + size] for i in range(0, _count(blob, size) * size, size)]


class ProvincePartyState:
    """The province (provincial finance department): holds the base list and the PRF key; answers one bank.

    The base list is sealed in shuffle windows of ``chunk_rows`` rows (each window's rows filed in a fresh random
    order), and each window in pieces of about ``piece_rows`` rows spread over ``workers`` threads; a piece is one
    label chunk, so what the bank can tell about a tag's position stays within its window.
    """

    def __init__(self, base_chunks: Iterable[pd.DataFrame], *, max_bank_items: int = DEFAULT_MAX_BANK_ITEMS,
                 chunk_rows: int = 20_000, piece_rows: int = 2_000, workers: int | None = None) -> None:
        self.base_chunks = base_chunks
        self.max_bank_items = max_bank_items
        self.chunk_rows = chunk_rows
        self.piece_rows = piece_rows
        self.workers = default_workers() if workers is None else max(1, workers)
        self.session = secrets.token_bytes(SESSION_BYTES)
        self._key = crypto.new_prf_key()
        self.bank_items_seen = 0  # all the province ever learns: the size of the bank's request

    def hello(self) -> bytes:
        """Round 1: the session id both parties hash into every ID number."""
        return self.session

    def answer(self, blinded: bytes) -> bytes:
        """Round 3a: the bank's blinded values blinded again with the province's key, in the same order."""
        count = _count(blinded, crypto.POINT_BYTES)
        if count > self.max_bank_items:
            raise MatchingProtocolError(f"bank request has {count:,} IDs; the province answers at most "
                                        f"{self.max_bank_items:,} per session")
        self.bank_items_seen = count
        size = crypto.POINT_BYTES
        pieces = (blinded[a * size:b * size] for a, b in even_pieces(count, self.piece_rows, self.workers))
        return b"".join(ordered_map(_blind_received, pieces, {"key": self._key}, workers=self.workers, threads=True))

    def labels(self) -> Iterator[LabelChunk]:
        """Round 3b: every base-list household's tag and sealed label, in shuffled chunks (over every core)."""
        yield from ordered_map(_seal_chunk, self._pieces(), {"key": self._key, "session": self.session},
                               workers=self.workers, threads=True)

    def _pieces(self) -> Iterator[tuple[list[Any], list[int]]]:
        for frame in self.base_chunks:
            for start in range(0, len(frame), self.chunk_rows):
                window = _window(frame.iloc[start:start + self.chunk_rows])
                order = _shuffled(len(window[0]))  # file order must say nothing about which row a tag belongs to
                for a, b in even_pieces(len(order), self.piece_rows, self.workers):
                    yield window, order[a:b]


class BankPartyState:
    """The bank: holds its customers' ID numbers and a blinding scalar; ends with the matched households' labels.

    Its per-ID work runs in pieces of about ``chunk_ids`` IDs over ``workers`` threads (default: every core).
    """

    def __init__(self, id_numbers: Iterable[str], *, workers: int | None = None, chunk_ids: int = 2_000) -> None:
        self.id_numbers = list(dict.fromkeys(id_numbers))
        self.workers = default_workers() if workers is None else max(1, workers)
        self.chunk_ids = chunk_ids
        self._blind = crypto.new_blind()
        self._session: bytes | None = None
        self._by_tag: dict[bytes, tuple[str, bytes]] = {}
        self.labels: dict[str, list[dict]] = {}  # a stale base-list entry can file a second label for an ID
        self.province_households_seen = 0

    def request(self, session: bytes) -> bytes:
        """Round 2: the bank's ID numbers, hashed to the curve and blinded."""
        if len(session) != SESSION_BYTES:
            raise MatchingProtocolError(f"session id must be {SESSION_BYTES} bytes; got {len(session)}")
        self._session = session
        pieces = (self.id_numbers[a:b] for a, b in even_pieces(len(self.id_numbers), self.chunk_ids, self.workers))
        state = {"key": crypto.x25519_scalar(self._blind), "session": session}
        return b"".join(ordered_map(_hash_and_blind, pieces, state, workers=self.workers, threads=True))

    def receive_answer(self, answered: bytes) -> None:
        """Remove the bank's blind from the province's answer and file the tags of the bank's own IDs."""
        if self._session is None:
            raise MatchingProtocolError("answer received before the session id")
        count = _count(answered, crypto.POINT_BYTES)
        if count != len(self.id_numbers):
            raise MatchingProtocolError(f"province answered {count} values for {len(self.id_numbers)} IDs")
        state = {"key": crypto.x25519_scalar(crypto.inverse(self._blind)), "session": self._session}
        size = crypto.POINT_BYTES
        pieces = (answered[a * size:b * size] for a, b in even_pieces(count, self.chunk_ids, self.workers))
        tagged = (pair for piece in ordered_map(_unblind_and_tag, pieces, state, workers=self.workers, threads=True)
                  for pair in piece)
        for id_number, (tag, prf) in zip(self.id_numbers, tagged, strict=True):
            self._by_tag[tag] = (id_number, prf)

    def receive_labels(self, chunk: LabelChunk) -> None:
        """Open the labels filed under the bank's own tags; everything else in the chunk stays sealed."""
        if self._session is None:
            raise MatchingProtocolError("labels received before the session id")
        if len(chunk.tags) % crypto.TAG_BYTES or len(chunk.sealed) != chunk.count * crypto.SEALED_BYTES:
            raise MatchingProtocolError("label chunk sizes do not match its tag count")
        self.province_households_seen += chunk.count
        size = crypto.TAG_BYTES
        for i in range(chunk.count):
            hit = self._by_tag.get(chunk.tags[i * size:(i + 1) * size])
            if hit is None:
                continue
            id_number, prf = hit
            box = chunk.sealed[i * crypto.SEALED_BYTES:(i + 1) * crypto.SEALED_BYTES]
            records = self.labels.setdefault(id_number, [])
            records.append(decode_label(crypto.open_label(prf, self._session, box)))
            if len(records) > 1:  # chunks arrive shuffled: an ID's base-list records kept in one order regardless
                records.sort(key=lambda r: json.dumps(r, ensure_ascii=False, sort_keys=True, default=str))
