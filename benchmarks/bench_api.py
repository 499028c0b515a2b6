"""Decisions over HTTP against MLflow's own model server answering bare predictions for the same model.

Run: ``python -m benchmarks.bench_api [--households 3000] [--requests 400] [--concurrency 1,4] [--workers 2]``.

Both servers run as separate processes with the same number of workers on the same machine (2 cores, shared with the load
generator); the client keeps ``--concurrency`` requests in flight (one keep-alive ``http.client`` connection per
thread) and measures each request's latency end to end.
Ours answers ``POST /v1/decisions`` with the full Decision (rules, score, SHAP reasons, what would change, terms)
and writes it to the audit store before answering; MLflow's answers ``POST /invocations`` with one PD. Writes
``benchmarks/results/bench_api.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd

from features.files import write_text_atomic
from models.policy import load_policy

PROGRAM = load_policy()  # the policy the features' ratios are taken against

RESULTS = Path(__file__).parent / "results" / "bench_api.json"
PEPPER = "benchmark-pepper-0123456789"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


def _load(url: str, bodies: list, headers: dict, concurrency: int, warmup: int) -> dict:
    """Keep ``concurrency`` requests in flight, one keep-alive connection per thread, and time each one.

    The load generator is plain ``http.client`` on threads (the socket waits release the GIL): it costs the shared
    cores far less than an async HTTP client, so what is timed is mostly the server.
    """
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    send = {**headers, "Content-Type": "application/json"}
    encoded = [json.dumps(body).encode() for body in bodies]
    latencies: list[float] = []
    server: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def post(connection: http.client.HTTPConnection, body: bytes) -> tuple[int, float, str]:
        t0 = time.perf_counter()
        connection.request("POST", parts.path, body=body, headers=send)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - t0, response.getheader("server-timing") or ""

    def worker(queue: list[bytes]) -> None:
        connection = http.client.HTTPConnection(host, parts.port, timeout=60)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                status, seconds, timing = post(connection, body)
                with lock:
                    latencies.append(seconds)
                    statuses[status] = statuses.get(status, 0) + 1
                    if timing.startswith("app;dur="):
                        server.append(float(timing.split("=", 1)[1]))
        finally:
            connection.close()

    warm = http.client.HTTPConnection(host, parts.port, timeout=60)
    for body in encoded[:warmup]:
        post(warm, body)
    warm.close()
    queue = list(reversed(encoded[warmup:]))
    threads = [threading.Thread(target=worker, args=(queue,)) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {"requests": len(latencies), "statuses": statuses, "seconds": round(elapsed, 3),
            "throughput_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p90_ms": round(float(np.percentile(ms, 90)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(float(ms.mean()), 2),
            **({"server_p50_ms": round(float(np.percentile(server, 50)), 2),
                "server_p99_ms": round(float(np.percentile(server, 99)), 2)} if server else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", default="1,4", help="requests in flight, one run per comma-separated value")
    parser.add_argument("--workers", type=int, default=2, help="server processes of each server (2 cores)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from features.build.table import training_table
    from features.metadata import MODEL_FEATURES
    from features.simulate.county import SimulationConfig, simulate_county
    from features.sources.load import load_sources
    from models.policy import load_policy
    from serving.store import AuditStore
    from serving.store.keys import create_key
    from training.registry import set_alias
    from training.train import train_and_register

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    os.environ["KUOZHONG_MLRUNS"] = str(work / "mlruns")
    county = simulate_county(SimulationConfig(households=args.households, seed=args.seed))
    county.write(work / "data")
    table = training_table(load_sources(work / "data"), PROGRAM)
    result = train_and_register(table, load_policy(), seed=args.seed, alias="challenger")
    set_alias("champion", result.model_version)
    db = f"sqlite:///{work / 'audit.db'}"
    store = AuditStore(db).create_all()
    key = create_key(store, "officer", PEPPER)[1]
    store.dispose()

    rows = table.sample(n=args.requests + args.warmup, replace=True, random_state=args.seed)
    decisions = [{"source": "household", "household_id": r.household_id,
                  "application_date": pd.Timestamp(r.as_of).date().isoformat(),
                  "requested_amount": float(r.requested_amount), "purpose": r.purpose} for r in rows.itertuples()]
    features = rows[list(MODEL_FEATURES)]
    predictions = [{"dataframe_split": json.loads(features.iloc[[i]].to_json(orient="split", index=False))}
                   for i in range(len(features))]

    env = {**os.environ, "KUOZHONG_DATA_DIR": str(work / "data"), "KUOZHONG_DATABASE_URL": db,
           "KUOZHONG_KEY_PEPPER": PEPPER, "KUOZHONG_VISIT_KEY": PEPPER + "-visits", "KUOZHONG_MLRUNS": str(work / "mlruns"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    ours_port, mlflow_port = _port(), _port()
    bin_dir = Path(sys.executable).parent
    tracking = f"sqlite:///{(work / 'mlruns' / 'mlflow.db').resolve()}"
    servers = {
        "kuozhong": subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "serving.api.app:create_app", "--factory", "--port", str(ours_port),
             "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"], env=env),
        "mlflow": subprocess.Popen(
            [str(bin_dir / "mlflow"), "models", "serve", "-m", "models:/kuozhong-credit@champion", "--env-manager",
             "local", "-p", str(mlflow_port), "-h", "127.0.0.1", "--workers", str(args.workers)],
            env={**env, "MLFLOW_TRACKING_URI": tracking, "MLFLOW_REGISTRY_URI": tracking},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    }
    try:
        _wait(f"http://127.0.0.1:{ours_port}/healthz", servers["kuozhong"])
        _wait(f"http://127.0.0.1:{mlflow_port}/ping", servers["mlflow"])
        runs = []
        for concurrency in (int(c) for c in str(args.concurrency).split(",")):
            ours = _load(f"http://127.0.0.1:{ours_port}/v1/decisions", decisions, {"X-API-Key": key},
                         concurrency, args.warmup)
            theirs = _load(f"http://127.0.0.1:{mlflow_port}/invocations", predictions, {}, concurrency, args.warmup)
            runs.append({"concurrency": concurrency, "kuozhong_decisions": ours, "mlflow_serve_predictions": theirs,
                         "p99_under_target": ours["p99_ms"] < 25.0,
                         "throughput_ratio_ours_over_mlflow": round(
                             ours["throughput_per_s"] / theirs["throughput_per_s"], 2)})
    finally:
        for process in servers.values():
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    out = {"benchmark": "bench_api", "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                                  "note": "2 cores shared by both servers and the load generator",
                                                  "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
           "households": args.households, "workers_per_server": args.workers, "target_p99_ms": 25.0, "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
