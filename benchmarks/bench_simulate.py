"""Simulator speed and memory: the whole county, and a province-scale list streamed to partitioned Parquet.

Run: ``python -m benchmarks.bench_simulate [--households 31128] [--province 1000000] [--shard-size 50000]``.

Measured, each stage in its own child process so that peak resident memory (ru_maxrss) belongs to that stage:
1. county: ``simulate_county`` + ``County.write`` for the whole county (31,128 households), wall time, peak memory,
   oracle AUC, booked-loan default rate, the program's figures (``features.simulate.figures``), rows per source; then ``load_sources`` (every schema check) wall time and how many
   records were quarantined;
2. province: ``simulate_province`` streaming ``--province`` households, wall time, households per second, CPU
   seconds of the stage and its shard workers, peak memory (of the stage alone, and of the stage with its
   workers, where the shards are made), bytes written, oracle AUC.
Targets from the issue: county under 60 s on 2 cores; province under 5 minutes, peak under 6 GB. The load average
beside each stage says how much of the 2 cores other work took. Writes
``benchmarks/results/bench_simulate.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from features.files import write_text_atomic

RESULTS = Path(__file__).parent / "results" / "bench_simulate.json"


def _county(households: int, seed: int, folder: str, queue: mp.Queue) -> None:
    from features.simulate.county import SimulationConfig, simulate_county
    from features.sources.load import load_sources

    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    county = simulate_county(SimulationConfig(households=households, seed=seed))
    simulated = time.perf_counter() - start
    county.write(Path(folder))
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    rows = {name: len(getattr(county, name)) for name in ("base_list", "account_flows", "repayment_history",
                                                          "applications", "loan_ledger", "loan_events",
                                                          "loan_guarantors")}
    rows |= {"visits": len(county.visits), "revisits": len(county.revisits)}
    from features.simulate.figures import program_figures

    auc, default_rate = county.oracle_auc, float(county.applications["default_12m"].mean())  # booked loans
    program = program_figures(county)
    del county
    start = time.perf_counter()
    sources = load_sources(Path(folder))
    loaded = time.perf_counter() - start
    queue.put({"households": households, "simulate_s": round(simulated, 2), "simulate_and_write_s": round(total, 2),
               "simulate_and_write_cpu_s": round(cpu, 2), "load_average_1m_before": round(load_before, 2),
               "load_and_validate_s": round(loaded, 2), "oracle_auc": round(auc, 4),
               "booked_default_rate": round(default_rate, 4), "program": program, "rows": rows,
               "quarantined_records": int(sources.quarantine["record"].nunique()),
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})


def _province(households: int, seed: int, shard_size: int, folder: str, queue: mp.Queue) -> None:
    from benchmarks.bench_match import DescendantCpu
    from features.simulate.stream import simulate_province

    load_before = os.getloadavg()[0]
    with DescendantCpu() as workers:
        start, cpu_start = time.perf_counter(), time.process_time()
        summary = simulate_province(households, seed, Path(folder), shard_size)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start + workers.seconds
    written = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    queue.put({"households": households, "shard_size": shard_size, "shards": summary.shards,
               "wall_s": round(wall, 1), "households_per_s": round(households / wall),
               "cpu_s_all_processes": round(cpu, 1), "cpu_s_per_shard": round(cpu / summary.shards, 2),
               "bytes_written": written, "applications": summary.applications, "loans": summary.loans,
               "oracle_auc": round(summary.oracle_auc, 4), "default_rate": round(summary.default_rate, 4),
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
               "peak_rss_mb_with_workers": round(workers.peak_rss / 2**20, 1),
               "load_average_1m_before": round(load_before, 2), "load_average_1m": round(os.getloadavg()[0], 2)})


def _run(target, *args) -> dict:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=31_128)
    parser.add_argument("--province", type=int, default=1_000_000, help="0 skips the province stage")
    parser.add_argument("--shard-size", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20230712)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-simulate-"))
    try:
        result: dict[str, Any] = {"benchmark": "bench_simulate", "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                  "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                              "note": "2 cores shared with other work while measured"},
                  "county": _run(_county, args.households, args.seed, str(work / "county"))}
        result["county"]["target_s"] = 60
        if args.province:
            result["province"] = _run(_province, args.province, args.seed, args.shard_size, str(work / "province"))
            result["province"]["target_peak_mb"] = 6 * 1024
            result["province"]["target_s"] = 300
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(result, ensure_ascii=False, indent=2))
    logging_line = json.dumps(result, ensure_ascii=False)
    os.write(1, (logging_line + "\n").encode())


if __name__ == "__main__":
    main()
