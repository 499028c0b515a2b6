"""No raw ID number in anything derived: the files the commands write and the MLflow stores, searched for IDs.

Every file `demo`, `features`, `train`, `score`, `monitor` and `serve` write is read (Parquet cells, database
rows, zip members, plain bytes) for 18-character ID numbers; the raw sources themselves are the one exception.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from features.ids import is_valid_id_number
from serving.api.app import create_app
from serving.cli.main import app as cli
from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import application_for, make_key, settings_for

_ID = re.compile(r"(?<![\d.])\d{17}[\dXx](?!\d)")


def _texts(path: Path) -> list[str]:
    """The readable content of a file: cells of tables, rows of databases, members of zips, or its bytes."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return [str(v) for v in frame.to_numpy().ravel()] + [str(c) for c in frame.columns]
    if data[:16].startswith(b"SQLite format 3"):
        with sqlite3.connect(path) as connection:
            return list(connection.iterdump())
    if data[:2] == b"PK":  # xlsx and other zips: every member, decompressed
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(name).decode("utf-8", errors="ignore") for name in archive.namelist()]
    return [data.decode("utf-8", errors="ignore")]


def raw_ids_in(folder: Path, known: set[str], skip: tuple[Path, ...] = ()) -> dict[str, int]:
    """Files under ``folder`` holding a known ID number or any valid-looking one, with how many each holds."""
    found: dict[str, int] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(path.is_relative_to(s) for s in skip) or path.name.endswith(("-wal", "-shm")):
            continue
        hits = 0
        for text in _texts(path):
            hits += sum(1 for m in _ID.findall(text) if m.upper() in known or is_valid_id_number(m))
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def _run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (args, result.output[-2000:])


def test_features_score_monitor_serve_and_the_mlflow_store_hold_no_id(data_dir, county, table, trained_store,
                                                                       tmp_path, monkeypatch):
    # given the county's raw sources (which hold ID numbers) and a store with a model trained on them
    store, _ = trained_store
    known = {str(v) for v in county.base_list["id_number"]}
    assert len(known) > 1000
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    out = tmp_path / "out"
    as_of = pd.Timestamp(table["as_of"].max()).date().isoformat()
    # when every command that derives data from them runs
    _run("features", "--data", str(data_dir), "--out", str(out / "features.parquet"))
    _run("score", "--input", str(data_dir), "--output", str(out / "decisions"))
    _run("score", "--input", str(data_dir), "--output", str(out / "list"), "--as-of", as_of)
    _run("monitor", "kpi", "--as-of", as_of, "--data", str(data_dir), "--out", str(out / "monitoring"))
    url = f"sqlite:///{out / 'audit.db'}"
    key = make_key(url, "officer")
    visit = next(v for v in reversed(county.visits) if v["household_id"] == table.iloc[11]["household_id"])
    form = {k: visit[k] for k in ("visited_at", "applicant", "livelihood", "residence", "members",
                                  "declared_income", "assets", "declaration_signed")}
    with store_env(store), TestClient(create_app(settings_for(url, data_dir))) as client:
        for position in range(5):
            assert client.post("/v1/decisions", json=application_for(table, position),
                               headers={"X-API-Key": key}).status_code == 201
        body = {**application_for(table, 11), "source": "form", "visit": json.loads(json.dumps(form, default=str))}
        made = client.post("/v1/decisions", json=body, headers={"X-API-Key": key})
        assert made.status_code == 201, made.text[:500]
    # then not one file they wrote, nor the MLflow store, holds an ID number
    assert (out / "features.parquet").exists() and list((out / "decisions").glob("part-*.parquet"))
    assert list((out / "monitoring").glob("*.xlsx"))
    assert raw_ids_in(out, known) == {}
    assert raw_ids_in(store, known) == {}
    # and the search does find them where they are (the raw sources), so a zero means something
    assert sum(raw_ids_in(data_dir, known).values()) >= len(known)


@pytest.mark.slow
def test_the_demo_writes_no_id_outside_its_raw_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(tmp_path / "mlruns"))
    out = tmp_path / "demo"
    _run("demo", "--out", str(out), "--households", "1500", "--seed", "3")  # enough booked bad loans to train
    data = out / "data"
    known = {str(v) for v in pd.read_parquet(data / "base_list.parquet")["id_number"]} \
        if (data / "base_list.parquet").exists() else set()
    assert raw_ids_in(out, known, skip=(data,)) == {}
    assert raw_ids_in(tmp_path / "mlruns", known) == {}
    assert sum(raw_ids_in(data, known).values()) > 0
