"""Fixtures for the API, store, auth and web tests: a real PostgreSQL server, a running app, keys."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import uvicorn

from serving.api.app import create_app
from serving.settings import Settings
from serving.store import AuditStore
from serving.store.keys import create_key
from tests.serving.batch.fixtures import store_env

PEPPER = "test-pepper-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is missing: run `bash scripts/system-deps.sh` (Debian package postgresql)")
    return found[-1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server in a temp folder (as a non-root user: postgres refuses to run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="kuozhong-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data = folder / "data"
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run([*as_user, _pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "kuozhong", "-E", "UTF8",
                    "--locale=C", "--no-sync"], **run)
    options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                    "-w", "start"], **run)
    try:
        yield f"postgresql+psycopg://kuozhong@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)


VISIT_KEY = "test-visit-key-0123456789abcdef"


def settings_for(database_url: str, data_dir: Path, **extra: object) -> Settings:
    extra.setdefault("visit_key", VISIT_KEY)
    return Settings(database_url=database_url, data_dir=data_dir, key_pepper=PEPPER, **extra)  # type: ignore[arg-type]


def make_key(database_url: str, role: str) -> str:
    store = AuditStore(database_url).create_all()
    try:
        return create_key(store, role, PEPPER)[1]
    finally:
        store.dispose()


def application_for(table: pd.DataFrame, position: int = 0) -> dict:
    row = table.iloc[position]
    return {"source": "household", "household_id": str(row["household_id"]),
            "application_date": pd.Timestamp(row["as_of"]).date().isoformat(),
            "requested_amount": float(row["requested_amount"]), "purpose": str(row["purpose"])}


class LiveServer:
    """The app under uvicorn in a thread, on a free port (for browsers and parallel clients)."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@contextmanager
def live_server(settings: Settings, mlruns: Path) -> Iterator[LiveServer]:
    with store_env(mlruns), LiveServer(settings) as server:
        yield server
