"""Decisions over HTTP from both sources, against MLflow's own model server answering bare predictions.

Run: ``python -m benchmarks.bench_api [--households 7500] [--requests 400] [--concurrency 1,2,4] [--workers 2]``.

Both servers run as separate processes with the same number of workers on the same machine (2 cores, shared with the load
generator); the client keeps ``--concurrency`` requests in flight (one keep-alive ``http.client`` connection per
thread) and measures each request's latency end to end.
Ours answers ``POST /v1/decisions`` with the full Decision (rules, score, SHAP reasons, what would change, terms)
and writes it to the audit store before answering, for both sources an application can have:
``source: household`` (a household id the bank holds) and ``source: form`` (the visit form typed in at the door, as
the PAD and the officer's 填写采集表 send it: the simulated county's own forms, the bank's records left to the bank).
MLflow's answers ``POST /invocations`` with one PD. At each concurrency the two sources run in alternating rounds
(``--rounds``), so a swing in the shared machine's load falls on both; the load average is recorded before each
concurrency and at the end, and the ratios (form over household, ours over MLflow) come from the same run. Writes
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
TARGET_P99_MS = 25.0


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
    cores far less than an async HTTP client, so what is timed is mostly the server. Returns the raw timings
    (``summary`` turns runs of one kind into percentiles).
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
    return {"latencies": latencies, "server": server, "statuses": statuses,
            "seconds": time.perf_counter() - started}


def summary(runs: list[dict]) -> dict:
    """Percentiles over the timings of one or more ``_load`` runs of the same kind."""
    latencies = [x for run in runs for x in run["latencies"]]
    server = [x for run in runs for x in run["server"]]
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[str(status)] = statuses.get(str(status), 0) + count
    elapsed = sum(run["seconds"] for run in runs)
    ms = np.array(latencies) * 1000
    return {"requests": len(latencies), "statuses": statuses, "seconds": round(elapsed, 3),
            "throughput_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p90_ms": round(float(np.percentile(ms, 90)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(float(ms.mean()), 2),
            **({"server_p50_ms": round(float(np.percentile(server, 50)), 2),
                "server_p99_ms": round(float(np.percentile(server, 99)), 2)} if server else {})}


def form_bodies(visits: list[dict], rows: pd.DataFrame) -> list[dict]:
    """``source: form`` applications: each row's household with its latest visit form up to the application date.

    The form is the PAD's record as the county's simulator writes it (applicant, members, income, assets, debts,
    GPS and the PAD's further fields), without the ids the service assigns; the bank's records are left to the bank.
    Forms the service would refuse (the simulator's field mistakes: a missing answer, a negative amount) are left
    out, as the PAD checks them while they are typed: every timed form is decided.
    """
    from pydantic import TypeAdapter, ValidationError

    from features.errors import KuozhongError
    from serving.api.plausibility import check_application
    from serving.api.schemas.requests import DecisionCreate

    accepts = TypeAdapter(DecisionCreate)
    by_household: dict[str, list[dict]] = {}
    for visit in visits:
        by_household.setdefault(str(visit["household_id"]), []).append(visit)
    bodies = []
    for row in rows.itertuples():
        applied = pd.Timestamp(row.as_of).date()
        earlier = [v for v in by_household.get(str(row.household_id), [])
                   if pd.Timestamp(v["visited_at"]).date() <= applied]
        if not earlier:
            continue
        visit = max(earlier, key=lambda v: str(v["visited_at"]))
        form = {k: v for k, v in visit.items() if k not in ("visit_id", "household_id", "visit_type")}
        body = {"source": "form", "household_id": str(row.household_id), "application_date": applied.isoformat(),
                "requested_amount": float(row.requested_amount), "purpose": row.purpose,
                "visit": json.loads(json.dumps(form, default=str))}
        try:
            check_application(accepts.validate_python(body))
        except (ValidationError, KuozhongError):
            continue
        bodies.append(body)
    return bodies


def _rounds(bodies: list, rounds: int, warmup: int) -> list[tuple[list, int]]:
    """(bodies, warm-up count) per round: the timed bodies in ``rounds`` slices, the warm-up before the first."""
    timed = bodies[warmup:]
    step = -(-len(timed) // max(1, rounds))
    slices = [timed[i:i + step] for i in range(0, len(timed), step)]
    return [((bodies[:warmup] if i == 0 else []) + part, warmup if i == 0 else 0) for i, part in enumerate(slices)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=7500)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", default="1,2,4",
                        help="requests in flight, one run per comma-separated value")
    parser.add_argument("--rounds", type=int, default=4,
                        help="alternating rounds of the two sources at each concurrency")
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
    # the trainable preset: the plan's own county books too few bad loans at a few thousand households to train on
    county = simulate_county(SimulationConfig.trainable(args.households, args.seed))
    county.write(work / "data")
    table = training_table(load_sources(work / "data"), PROGRAM)
    result = train_and_register(table, load_policy(), seed=args.seed, alias="challenger")
    set_alias("champion", result.model_version)
    db = f"sqlite:///{work / 'audit.db'}"
    store = AuditStore(db).create_all()
    key = create_key(store, "officer", PEPPER)[1]
    store.dispose()

    rows = table.sample(n=args.requests + args.warmup, replace=True, random_state=args.seed)
    forms = form_bodies(county.visits, table.sample(n=2 * (args.requests + args.warmup), replace=True,
                                                    random_state=args.seed + 1))[:args.requests + args.warmup]
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
        url = f"http://127.0.0.1:{ours_port}/v1/decisions"
        for concurrency in (int(c) for c in str(args.concurrency).split(",")):
            load_before = [round(x, 2) for x in os.getloadavg()]
            timed: dict[str, list[dict]] = {"household": [], "form": []}
            for (household, warm_h), (form, warm_f) in zip(_rounds(decisions, args.rounds, args.warmup),
                                                         _rounds(forms, args.rounds, args.warmup), strict=False):
                timed["household"].append(_load(url, household, {"X-API-Key": key}, concurrency, warm_h))
                timed["form"].append(_load(url, form, {"X-API-Key": key}, concurrency, warm_f))
            by_household, by_form = summary(timed["household"]), summary(timed["form"])
            theirs = summary([_load(f"http://127.0.0.1:{mlflow_port}/invocations", predictions, {}, concurrency,
                                    args.warmup)])
            runs.append({
                "concurrency": concurrency, "load_average_before": load_before,
                "kuozhong_household": by_household, "kuozhong_form": by_form, "mlflow_serve_predictions": theirs,
                "form_p50_over_household_p50": round(by_form["p50_ms"] / by_household["p50_ms"], 2),
                "form_p99_over_household_p50": round(by_form["p99_ms"] / by_household["p50_ms"], 2),
                "form_p50_within_2x_household_p50": by_form["p50_ms"] <= 2 * by_household["p50_ms"],
                "form_p99_under_target": by_form["p99_ms"] <= TARGET_P99_MS,
                "household_p99_under_target": by_household["p99_ms"] <= TARGET_P99_MS,
                "throughput_ratio_household_over_mlflow": round(
                    by_household["throughput_per_s"] / theirs["throughput_per_s"], 2),
                "throughput_ratio_form_over_mlflow": round(
                    by_form["throughput_per_s"] / theirs["throughput_per_s"], 2)})
    finally:
        for process in servers.values():
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    out = {"benchmark": "bench_api", "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                                  "note": "2 cores shared by both servers and the load generator",
                                                  "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
           "households": args.households, "workers_per_server": args.workers, "rounds": args.rounds,
           "requests_per_source": args.requests, "form_requests": len(forms) - args.warmup,
           "target_p99_ms": TARGET_P99_MS, "target": "form path: p99 <= 25 ms at 1 in flight, p50 <= 2x the "
           "household path's p50 at every concurrency", "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
