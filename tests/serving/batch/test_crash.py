"""A real `kuozhong score` process killed with SIGKILL mid-run, then started again, ends with the full output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from features.files import is_temp_path
from serving.batch import BatchConfig, run_batch
from serving.batch.manifest import read_manifest
from tests.serving.batch.fixtures import N_REQUESTS, features_file, store_env
from training.registry import load_by_alias

CHUNK = 3  # fifteen partitions, so the kill lands between the first and the last


def _score(source: Path, out: Path, store: Path) -> subprocess.Popen:
    env = {**os.environ, "KUOZHONG_MLRUNS": str(store), "COLUMNS": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "serving.cli.main", "score", "--input", str(source), "--output", str(out),
         "--chunk-size", str(CHUNK)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _read(out: Path) -> pd.DataFrame:
    frame = pd.read_parquet(out).drop(columns=["decided_at"])
    return frame.sort_values("request_id").reset_index(drop=True)


def test_kill_9_then_restart_gives_the_uninterrupted_output(table, trained_store, policy, tmp_path):
    # given an input of fifteen partitions and the output of an uninterrupted run of the same model
    store = trained_store[0]
    source = features_file(table, tmp_path)
    with store_env(store):
        loaded = load_by_alias("champion")
    run_batch(BatchConfig(source, tmp_path / "reference", chunk_size=CHUNK), loaded, policy)
    # when a `kuozhong score` process is killed with SIGKILL as soon as its first partition is on disk
    out = tmp_path / "killed"
    victim = _score(source, out, store)
    deadline = time.monotonic() + 240
    while not list(out.glob("part-*.parquet")) and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    at_kill = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    manifest = read_manifest(out)
    assert victim.returncode == -signal.SIGKILL
    assert 0 < len(at_kill) < N_REQUESTS // CHUNK and manifest is not None and manifest.finished_at is None
    # and started again
    resumed = _score(source, out, store)
    stdout, stderr = resumed.communicate(timeout=300)
    # then it finishes, rewrites none of the partitions already written, and equals the uninterrupted output
    assert resumed.returncode == 0, stderr
    assert f"{len(at_kill)} already done" in stdout
    assert {name: (out / name).stat().st_mtime_ns for name in at_kill} == at_kill
    assert len(list(out.glob("part-*.parquet"))) == N_REQUESTS // CHUNK and not [p for p in out.iterdir() if is_temp_path(p)]
    killed, uninterrupted = _read(out), _read(tmp_path / "reference")
    assert killed["request_id"].is_unique
    pd.testing.assert_frame_equal(killed, uninterrupted)
    assert read_manifest(out).summary == read_manifest(tmp_path / "reference").summary  # type: ignore[union-attr]
