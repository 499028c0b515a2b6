"""An overnight batch on the local engine: the list pre-approved, inputs checked whole, resumes that never mix."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from models.decision.builder import decide
from serving.batch import BatchConfig, BatchInputError, run_batch
from serving.batch.inputs import discover, read_features
from serving.batch.manifest import output_lock, read_manifest
from serving.batch.progress import ProgressLog
from tests.serving.batch.fixtures import (
    CHUNK,
    N_REQUESTS,
    features_file,
    households_folder,
    raw_folder,
)

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
LIST_DATE = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def listed(data_dir, loaded, policy, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("list") / "out"
    run_batch(BatchConfig(data_dir, out, chunk_size=400, as_of=LIST_DATE, decided_at=NOW), loaded, policy)
    return pd.read_parquet(out)


def _read(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out).sort_values("request_id").reset_index(drop=True)


def test_list_mode_grants_every_approved_household_a_line_within_its_product(listed, county, policy):
    # given every household of the county's base list decided on one date (整村授信)
    decisions = listed
    # then each is decided once as a credit line, and some are approved
    assert len(decisions) == county.base_list["household_id"].nunique()
    assert set(decisions["request_kind"]) == {"credit_line"}
    approved = decisions[decisions["recommendation"] == "approve"]
    assert len(approved) > 0
    assert not decisions["cannot_decide_rules"].str.contains("AMOUNT_CAP").any()
    # and every approval carries a line between its product's minimum and maximum, on the step, at a rate in band
    for row in approved.itertuples():
        product = policy.product(row.product_code)
        assert product is not None, row.product_code
        yuan = row.limit_fen / 100
        assert product.min_amount <= yuan <= min(product.max_amount, policy.terms.program_cap), row.request_id
        assert yuan % policy.terms.amount_step == 0
        assert product.rate_in_band(row.rate)
        assert row.subsidised == (product in policy.products)
    # and every referral says why, every decline names its failed rules or the model's grade
    referred = decisions[decisions["recommendation"] == "refer"]
    assert (referred["review_note_zh"].str.len() > 0).all()
    declined = decisions[decisions["recommendation"] == "decline"]
    assert ((declined["failed_rules"].str.len() > 0) | (declined["grade"] == "E")).all()


def test_a_listed_line_is_what_the_decision_builder_gives_that_household(listed, data_dir, loaded, policy):
    # given the list's rows and the same households decided one at a time as credit lines
    first = discover(data_dir, 400, pd.Timestamp(LIST_DATE)).partitions[0]
    frame = read_features(first, policy, pd.Timestamp(LIST_DATE))
    decisions = listed.set_index("request_id")
    for i in range(0, len(frame), 97):
        from models.decision.builder import decide_rows

        one = decide_rows(frame.iloc[[i]], loaded.model, loaded.ref, policy, now=NOW, credit_line=True,
                          with_what_would_change=False).decision(0)
        row = decisions.loc[one.request_id]
        # then the batch row holds the same recommendation and line
        assert row["recommendation"] == one.recommendation
        assert (None if pd.isna(row["limit_fen"]) else row["limit_fen"]) == (
            None if one.terms is None else round(one.terms.limit * 100))


def test_decision_id_and_input_hash_do_not_depend_on_how_the_run_is_cut(table, loaded, policy, tmp_path):
    # given one input decided in partitions of 15 and of 7
    source = features_file(table, tmp_path)
    run_batch(BatchConfig(source, tmp_path / "a", chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    run_batch(BatchConfig(source, tmp_path / "b", chunk_size=7, decided_at=NOW), loaded, policy)
    a, b = _read(tmp_path / "a"), _read(tmp_path / "b")
    # then every application keeps its decision id and input fingerprint
    assert a["decision_id"].tolist() == b["decision_id"].tolist()
    assert a["input_hash"].tolist() == b["input_hash"].tolist()


def test_one_input_hash_for_decide_and_both_batch_inputs(county, table, loaded, policy, tmp_path):
    # given the same applications as built features, as raw sources, and decided one at a time
    source = features_file(table, tmp_path)
    raw = raw_folder(county, table, tmp_path / "raw")
    run_batch(BatchConfig(source, tmp_path / "f", chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    run_batch(BatchConfig(raw, tmp_path / "r", chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    features, sources = _read(tmp_path / "f"), _read(tmp_path / "r")
    # then each application has one input hash and one decision id, whichever way it came in
    assert features["input_hash"].tolist() == sources["input_hash"].tolist()
    assert features["decision_id"].tolist() == sources["decision_id"].tolist()
    by_request = features.set_index("request_id")
    for i in (0, 20, 44):
        one = decide(table.drop(columns=["default_12m"]).iloc[[i]], loaded.model, loaded.ref, policy, now=NOW)
        assert by_request.loc[one.request_id, "input_hash"] == one.input_hash


def _two_shards(county, table, root: Path) -> Path:
    ids = list(dict.fromkeys(table.head(N_REQUESTS)["household_id"]))
    households_folder(county, set(ids[: len(ids) // 2]), root / "a")
    households_folder(county, set(ids[len(ids) // 2:]), root / "b")
    return root


def _same_size_income_edit(path: Path) -> int:
    """Change the first digit of every declared total income in a visits file (its size stays the same)."""
    text = path.read_text(encoding="utf-8")
    edited, n = re.subn(r'("total": )(\d)', lambda m: m.group(1) + ("9" if m.group(2) != "9" else "1"), text)
    path.write_text(edited, encoding="utf-8")
    return n


def test_an_edit_inside_a_shard_redoes_that_shard_and_keeps_the_others(county, table, loaded, policy, tmp_path,
                                                                       caplog):
    # given a finished run over two raw shards
    root = _two_shards(county, table, tmp_path / "in")
    out = tmp_path / "out"
    run_batch(BatchConfig(root, out, chunk_size=4, decided_at=NOW), loaded, policy)
    manifest = read_manifest(out)
    assert manifest is not None
    parts_of_a = {p.name: p.stat().st_mtime_ns for p in sorted(out.glob("part-*.parquet"))[:2]}
    # when incomes inside shard b's visit forms are edited without changing the file's size, and the run restarts
    size = (root / "b" / "visits.json").stat().st_size
    assert _same_size_income_edit(root / "b" / "visits.json") > 0
    assert (root / "b" / "visits.json").stat().st_size == size
    with caplog.at_level(logging.WARNING, logger="serving.batch.run"):
        result = run_batch(BatchConfig(root, out, chunk_size=4, decided_at=NOW), loaded, policy)
    # then shard b is named and decided again, shard a's partitions are untouched, and the output equals a fresh run
    assert "input shard 'b' changed" in caplog.text
    assert result.written == sum(1 for p in discover(root, 4).partitions if p.shard == "b") and result.skipped > 0
    assert {n: (out / n).stat().st_mtime_ns for n in parts_of_a} == parts_of_a
    run_batch(BatchConfig(root, tmp_path / "fresh", chunk_size=4, decided_at=NOW), loaded, policy)
    pd.testing.assert_frame_equal(_read(out), _read(tmp_path / "fresh"))


def test_preflight_names_every_broken_input_before_any_decision(county, table, loaded, policy, tmp_path):
    # given two shards: a truncated Parquet file in one, a broken JSON file and a missing column in the other
    root = _two_shards(county, table, tmp_path / "in")
    flows = root / "a" / "account_flows.parquet"
    flows.write_bytes(flows.read_bytes()[: flows.stat().st_size // 2])
    (root / "b" / "visits.json").write_text('[{"household_id": ', encoding="utf-8")
    base = pd.read_parquet(root / "b" / "base_list.parquet").drop(columns=["household_size"])
    base.to_parquet(root / "b" / "base_list.parquet", index=False)
    # when a run starts
    with pytest.raises(BatchInputError) as err:
        run_batch(BatchConfig(root, tmp_path / "out", chunk_size=4, decided_at=NOW), loaded, policy)
    # then all three problems are named in one error, and no decision was written
    message = str(err.value)
    assert "3 problem(s)" in message
    assert str(flows) in message and str(root / "b" / "visits.json") in message
    assert "household_size" in message and str(root / "b" / "base_list.parquet") in message
    assert not list((tmp_path / "out").glob("part-*"))


def test_a_truncated_or_empty_part_file_is_decided_again(table, loaded, policy, tmp_path):
    # given a finished run, one of whose parts is then truncated and another emptied
    source = features_file(table, tmp_path)
    out = tmp_path / "out"
    run_batch(BatchConfig(source, out, chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    reference = _read(out)
    part = out / "part-000001.parquet"
    part.write_bytes(part.read_bytes()[:300])
    (out / "part-000002.parquet").write_bytes(b"")
    # when the run starts again
    result = run_batch(BatchConfig(source, out, chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    # then exactly those two are redone and the output equals the uninterrupted one
    assert (result.written, result.skipped) == (2, 1)
    assert pq.ParquetFile(part).metadata.num_rows == CHUNK
    pd.testing.assert_frame_equal(_read(out), reference)


def test_a_second_run_on_the_same_output_is_refused_by_name(table, loaded, policy, tmp_path):
    # given a run holding the output folder
    source = features_file(table, tmp_path)
    out = tmp_path / "out"
    # when a second run is started on it
    with output_lock(out), pytest.raises(BatchInputError, match=r"output '.*out' is in use by another run \(pid \d+\)"):
        run_batch(BatchConfig(source, out, chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    # then it wrote nothing, and once the first has ended the folder is free again
    assert not list(out.glob("part-*"))
    assert run_batch(BatchConfig(source, out, chunk_size=CHUNK, decided_at=NOW), loaded, policy).written == 3


def _cli(argv: list[str], store: Path, monkeypatch, capsys) -> tuple[int, str]:
    from serving.cli.main import main

    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    monkeypatch.setattr(sys, "argv", ["kuozhong", "score", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return int(exit_info.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize("case", ["no household_id", "output is a file", "unreachable scheduler", "empty input"])
def test_each_bad_start_is_one_named_line_and_exit_2(case, table, trained_store, tmp_path, monkeypatch, capsys):
    # given one thing wrong with how the batch is started
    source = features_file(table, tmp_path)
    out = tmp_path / "out"
    extra: list[str] = []
    expected = ""
    if case == "no household_id":
        pd.read_parquet(source).drop(columns=["household_id"]).to_parquet(source, index=False)
        expected = f"'{source}' lacks required column(s) household_id"
    elif case == "output is a file":
        out.write_text("not a folder", encoding="utf-8")
        expected = f"output '{out}' is a file"
    elif case == "unreachable scheduler":
        extra = ["--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "2"]
        expected = "no Dask scheduler answered at 'tcp://127.0.0.1:9' within 2 s"
    else:
        pd.read_parquet(source).head(0).to_parquet(source, index=False)
        expected = f"input '{source}' holds no applications"
    # when `kuozhong score` runs
    code, err = _cli(["--input", str(source), "--output", str(out), *extra], trained_store[0], monkeypatch, capsys)
    # then it exits 2 with one line naming the cause, and no traceback
    assert code == 2
    assert expected in " ".join(err.split()), err
    assert "Traceback" not in err and err.count("error:") == 1


def test_progress_lines_say_done_rate_and_time_left(caplog):
    # given a progress log on a clock that moves 10 s per step, logging every 30 s, 100 of 1,000 already done
    ticks = iter(range(0, 1000, 10))
    with caplog.at_level(logging.INFO, logger="serving.batch.progress"):
        progress = ProgressLog(1000, 100, every=30.0, clock=lambda: float(next(ticks)))
        # when 100 requests are decided per step until all are done
        for _ in range(9):
            progress(100)
    lines = [r.getMessage() for r in caplog.records if "decided (" in r.getMessage()]
    # then a line came every 30 s (the last at the end), each with the count, the rate and the time left
    assert lines[0] == "batch: 400/1,000 decided (40.0%) · 10/s · elapsed 0:00:30 · ETA 0:01:00"
    assert lines[-1] == "batch: 1,000/1,000 decided (100.0%) · 10/s · elapsed 0:01:30 · ETA 0:00:00"
    assert len(lines) == 3


def test_output_columns_are_plain_for_a_bank_core(listed):
    # given the batch's output columns
    reserved = {"limit", "order", "group", "select", "where", "from", "table", "user", "date", "time", "key"}
    # then none is an SQL reserved word and money is whole fen
    assert not reserved & set(listed.columns)
    assert str(listed["limit_fen"].dtype) == "Int64" and str(listed["annual_subsidy_finance_fen"].dtype) == "Int64"


def test_the_schema_doc_lists_every_output_column_with_its_type():
    # given the documented schema and the one every partition is written with
    from serving.batch.chunk import output_schema

    doc = (Path(__file__).resolve().parents[3] / "docs" / "batch-output.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+) \|", doc, flags=re.MULTILINE)
    kinds = {"string": "string", "bool": "bool", "double": "double", "int64": "int64", "date32[day]": "date",
             "timestamp[us, tz=UTC]": "timestamp (UTC)"}
    # then the doc names the same columns, in the same order, with the same types
    assert [name for name, _ in rows] == output_schema().names
    assert [kind.strip() for _, kind in rows] == [kinds[str(f.type)] for f in output_schema()]


def test_the_decide_path_and_the_batch_give_one_input_hash(county, data_dir, loaded, policy, tmp_path):
    # given applications decided one at a time as `kuozhong decide` and the API do (household, date, amount,
    # purpose: the request is named household@date) and the same applications in a batch (named by application id)
    from features.sources.load import load_sources
    from serving.pipeline import DecisionService, parse_application

    service = DecisionService(loaded, policy, load_sources(data_dir))
    out = tmp_path / "out"
    run_batch(BatchConfig(data_dir, out, chunk_size=500, decided_at=NOW), loaded, policy)
    batch = pd.read_parquet(out).set_index("request_id")
    apps = county.applications.iloc[::150]
    for app in apps.itertuples():
        one = service.decide(parse_application({
            "household_id": app.household_id, "application_date": str(pd.Timestamp(app.application_date).date()),
            "requested_amount": float(app.requested_amount), "purpose": app.purpose}))
        # then both carry the same input hash
        assert one.request_id != app.application_id
        assert one.input_hash == batch.loc[app.application_id, "input_hash"], app.application_id
