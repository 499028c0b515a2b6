"""A real `dask scheduler` and `dask worker` processes on loopback, workers killed at start-up, mid-run, mid-write."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from features.files import is_temp_path
from serving.batch import BatchConfig, run_batch
from tests.serving.batch.fixtures import features_file, store_env
from training.registry import load_by_alias

pytest.importorskip("distributed")

CHUNK = 3  # fifteen partitions of the 45 applications
ROOT = Path(__file__).resolve().parents[3]
DASK = Path(sys.executable).with_name("dask")


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen]


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def cluster(tmp_path) -> Iterator[Cluster]:
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                  "--no-dashboard"], env=_env(), stdout=subprocess.DEVNULL,
                                 stderr=(logs / "scheduler.log").open("w"))
    # no nanny: a killed worker stays dead, as a lost machine would
    workers = [subprocess.Popen([str(DASK), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard"], env=_env(), stdout=subprocess.DEVNULL,
                                stderr=(logs / f"worker-{i}.log").open("w")) for i in range(2)]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield Cluster(address, scheduler, workers)
    finally:
        for proc in [*workers, scheduler]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*workers, scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _score(source: Path, out: Path, store: Path, address: str, grace: float = 20.0) -> subprocess.Popen:
    env = {**_env(), "KUOZHONG_MLRUNS": str(store), "COLUMNS": "120"}
    return subprocess.Popen(
        [sys.executable, "-m", "serving.cli.main", "score", "--input", str(source), "--output", str(out),
         "--chunk-size", str(CHUNK), "--engine", "dask", "--scheduler", address, "--worker-grace", str(grace)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _read(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out).drop(columns=["decided_at"]).sort_values("request_id").reset_index(drop=True)


def _reference(source: Path, store: Path, policy, out: Path) -> pd.DataFrame:
    with store_env(store):
        loaded = load_by_alias("champion")
    run_batch(BatchConfig(source, out, chunk_size=CHUNK), loaded, policy)
    return _read(out)


def _finish(run: subprocess.Popen, timeout: float) -> str:
    """The run's stderr once it has ended by itself; a run still going after ``timeout`` fails the test."""
    try:
        return run.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        run.kill()
        pytest.fail(f"the run did not end within {timeout:g} s: {run.communicate()[1][-3000:]}")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def _wait_for(condition, timeout: float = 120.0, every: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.mark.parametrize("moment", ["start-up", "mid-run", "mid-write"])
def test_a_worker_killed_at_any_moment_leaves_the_full_output(moment, cluster, table, trained_store, policy,
                                                              tmp_path):
    # given a two-worker cluster, an input of fifteen partitions and the local engine's output for it
    store = trained_store[0]
    source = features_file(table, tmp_path)
    reference = _reference(source, store, policy, tmp_path / "reference")
    out = tmp_path / "out"
    # when one worker is killed with SIGKILL as the model is sent out, after the first partition, or while a part
    # is being written
    run = _score(source, out, store, cluster.address)
    if moment == "start-up":  # the model is being sent to the workers (where a broadcast used to hang)
        assert _wait_for(lambda: (out / "_run.pkl").exists())
    elif moment == "mid-run":
        assert _wait_for(lambda: any(out.glob("part-*.parquet")))
    else:
        assert _wait_for(lambda: out.is_dir() and any(is_temp_path(p) and p.name.startswith(".part-")
                                                      for p in out.iterdir()))
    _kill(cluster.workers[0])
    stderr = _finish(run, 300)
    # then the run ends by itself with every partition written once, equal to the uninterrupted output
    assert run.returncode == 0, stderr
    assert len(list(out.glob("part-*.parquet"))) == 15
    assert not [p.name for p in out.iterdir() if is_temp_path(p)]
    pd.testing.assert_frame_equal(_read(out), reference)


def test_every_worker_lost_stops_the_run_with_a_named_error_in_bounded_time(cluster, table, trained_store,
                                                                            tmp_path):
    # given a run on the cluster whose workers are all killed once it has started
    store = trained_store[0]
    source = features_file(table, tmp_path)
    out = tmp_path / "out"
    run = _score(source, out, store, cluster.address, grace=5.0)
    assert _wait_for(lambda: any(out.glob("part-*.parquet")))
    for worker in cluster.workers:
        _kill(worker)
    killed = time.monotonic()
    # when no worker comes back
    stderr = _finish(run, 120)
    # then the run stops within the grace period (plus the scheduler's notice), exit 2, one line naming the cause
    assert time.monotonic() - killed < 60
    assert run.returncode == 2, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: no Dask worker left on") and last.endswith("run again to resume"), stderr
    assert "Traceback" not in stderr
