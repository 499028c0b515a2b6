"""The two-process mode: the province party serves one bank on a loopback socket, with length-prefixed frames.

Frames are one kind byte, a 4-byte big-endian length and the payload: ``H`` hello (session id), ``Q`` the bank's
blinded request, ``A`` the province's answer, ``L`` a label chunk (4-byte count, tags, sealed labels), ``E`` end
(8-byte household count), ``X`` an error message. Only loopback addresses are accepted.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from features.matching import MatchResult
from features.matching.lists import assemble, read_base_chunks, split_valid_ids
from features.matching.parties import BankPartyState, LabelChunk, MatchingProtocolError, ProvincePartyState

log = logging.getLogger(__name__)
_HEADER = struct.Struct(">cI")
MAX_FRAME = 64 * 1024 * 1024


def require_loopback(host: str) -> str:
    """The host, when it is a loopback address; matching never leaves the machine in this mode."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise MatchingProtocolError(f"host '{host}' is not a loopback address; the socket mode is local only")
    return host


def send(sock: socket.socket, kind: bytes, payload: bytes) -> None:
    """One frame."""
    sock.sendall(_HEADER.pack(kind, len(payload)) + payload)


def _exactly(sock: socket.socket, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = sock.recv(min(left, 1 << 20))
        if not part:
            raise MatchingProtocolError("the other party closed the connection mid-message")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def receive(sock: socket.socket, expected: bytes) -> tuple[bytes, bytes]:
    """One frame of one of the expected kinds; an ``X`` frame from the other side becomes an error here."""
    kind, size = _HEADER.unpack(_exactly(sock, _HEADER.size))
    if size > MAX_FRAME:
        raise MatchingProtocolError(f"frame of {size:,} bytes exceeds the {MAX_FRAME:,}-byte limit")
    payload = _exactly(sock, size)
    if kind == b"X":
        raise MatchingProtocolError(f"the other party stopped: {payload.decode('utf-8', 'replace')}")
    if kind not in expected:
        raise MatchingProtocolError(f"expected a frame of kind {expected!r}; got {kind!r}")
    return kind, payload


def serve_province(base_list: Path, host: str = "127.0.0.1", port: int = 0,
                   on_listening: Callable[[int], None] | None = None) -> int:
    """Serve one bank: hello, answer its request, stream the sealed labels. Returns the bank's request size."""
    province = ProvincePartyState(read_base_chunks(base_list))
    with socket.create_server((require_loopback(host), port)) as server:
        if on_listening:
            on_listening(server.getsockname()[1])
        server.settimeout(60)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(600)
            send(conn, b"H", province.hello())
            _, request = receive(conn, b"Q")
            try:
                answer = province.answer(request)
            except MatchingProtocolError as err:
                send(conn, b"X", str(err).encode("utf-8"))
                raise
            send(conn, b"A", answer)
            total = 0
            for chunk in province.labels():
                send(conn, b"L", struct.pack(">I", chunk.count) + chunk.tags + chunk.sealed)
                total += chunk.count
            send(conn, b"E", struct.pack(">Q", total))
    log.info("province served one bank request of %d IDs", province.bank_items_seen)
    return province.bank_items_seen


def bank_session(bank: pd.DataFrame, host: str, port: int,
                 progress: Callable[[int], None] | None = None) -> MatchResult:
    """The bank's side over a socket: ends with the same MatchResult as the in-process run."""
    valid, invalid = split_valid_ids(bank)
    party = BankPartyState(valid["id_number"])
    with socket.create_connection((require_loopback(host), port), timeout=600) as sock:
        _, session = receive(sock, b"H")
        send(sock, b"Q", party.request(session))
        _, answer = receive(sock, b"A")
        party.receive_answer(answer)
        while True:
            kind, payload = receive(sock, b"LE")
            if kind == b"E":
                break
            (count,) = struct.unpack(">I", payload[:4])
            tags_end = 4 + count * 16
            chunk = LabelChunk(payload[4:tags_end], payload[tags_end:])
            party.receive_labels(chunk)
            if progress:
                progress(chunk.count)
    initial, review = assemble(valid, party.labels, invalid)
    return MatchResult(initial, review, len(party.id_numbers), party.province_households_seen, len(party.id_numbers))


def match_two_process(bank: pd.DataFrame, base_list: Path, progress: Callable[[int], None] | None = None,
                      timeout_s: float = 120.0) -> MatchResult:
    """Start the province party as its own process on a loopback port and run the bank against it."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        cmd = [sys.executable, "-m", "features.matching.province_party", "--base", str(base_list),
               "--port-file", str(port_file)]
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, env={**os.environ})  # noqa: S603
        try:
            deadline = time.monotonic() + timeout_s
            while not port_file.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
                    raise MatchingProtocolError(f"province party did not start: {err.strip()[-300:]}")
                time.sleep(0.05)
            result = bank_session(bank, "127.0.0.1", int(port_file.read_text()), progress)
            proc.wait(timeout=timeout_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return result
