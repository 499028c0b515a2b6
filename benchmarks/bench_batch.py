"""Batch decisions at province scale: decisions per second, peak memory, and the cost over raw explained scoring.

Run: ``python -m benchmarks.bench_batch [--households 200000] [--shard 50000] [--chunk 5000] [--province FOLDER]``.

Households come from the simulator's province-scale mode (``kuozhong simulate --province``: shards of ``--shard``
households, each a raw-source folder, the unit the batch reads); an existing province folder is reused. Every
household on the base list is decided at ``AS_OF`` (the whole list, not only the applicants). The model is trained
on the first shard's applications. The floor is LightGBM's own ``predict(pred_contrib=True)`` on the same feature
matrix: no decision can be explained faster than its contributions are computed. The whole run is measured on
one core (local engine) and on two (a two-worker Dask cluster), each against the floor on as many threads, in the
same run; the time is split into reading, features, rules, TreeSHAP, the rest of deciding (terms, offer, notes),
the flat layout and writing; the list mode's approve / refer / decline counts are reported. Beside it, what no batch
over these files can go below: decoding its inputs bare (pyarrow, the standard JSON parser), ``pred_contrib`` and
writing its output, as a ratio to ``pred_contrib``. Writes ``benchmarks/results/bench_batch.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

from models.policy import load_policy

PROGRAM = load_policy()  # the policy the features' ratios are taken against

AS_OF = dt.date(2025, 7, 1)
PROVINCE_SEED = 20230712
RESULTS = Path(__file__).parent / "results" / "bench_batch.json"


class PeakMemory:
    """Peak resident memory of this process and its children (Dask workers), sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = me.memory_info().rss
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def generate(root: Path, households: int, shard: int) -> list[Path]:
    """The province's shards, simulated by the province-scale mode unless the folder already holds them."""
    from features.simulate.stream import shard_dir, simulate_province

    shards = -(-households // shard)
    manifest = root / "_manifest.json"
    if not manifest.exists() or json.loads(manifest.read_text())["households"] != households:
        simulate_province(households, PROVINCE_SEED, root, shard_size=shard)
    return [shard_dir(root, k) for k in range(shards)]


def train(first_shard: Path, store: Path) -> None:
    """A champion model trained on the first shard's applications, in a store of its own."""
    from features.build.table import training_table
    from features.sources.load import load_sources
    from models.policy import load_policy
    from training.registry import set_alias
    from training.train import train_and_register

    os.environ["KUOZHONG_MLRUNS"] = str(store)
    if (store / "mlflow.db").exists():
        return
    result = train_and_register(training_table(load_sources(first_shard), PROGRAM), load_policy(), seed=0,
                                alias="challenger")
    set_alias("champion", result.model_version)


def bare_decode_cpu(shard: Path) -> float:
    """CPU-s to decode one shard's inputs and nothing more: every Parquet source the loader reads, by pyarrow on one
    thread (no conversion to pandas), and the JSON forms by the fastest parser installed (orjson where present, else
    the standard library's; no checking, no flattening).

    Each file is decoded twice and the faster pass kept (the first pays pyarrow's one-time set-up), so this is the
    least any reader of these files can spend; no batch that reads them can be cheaper by this share.
    """
    import pyarrow.parquet as parquet

    try:
        from orjson import loads
    except ImportError:
        from json import loads

    from features.sources.load import EXTRA_TABLES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS

    names = [*REQUIRED_COLUMNS, *EXTRA_TABLES, *OPTIONAL_COLUMNS]
    best = float("inf")
    for _ in range(2):
        tick = time.process_time()
        for name in names:
            if (shard / f"{name}.parquet").exists():
                parquet.read_table(shard / f"{name}.parquet", use_threads=False)
        for name in ("visits", "revisits"):
            if (shard / f"{name}.json").exists():
                loads((shard / f"{name}.json").read_bytes())
        best = min(best, time.process_time() - tick)
    return best


def split_and_floor(households: Path, chunk: int, loaded, policy, out: Path) -> dict:
    """One core, the whole province, each stage timed: reading, features, rules, TreeSHAP, the rest of deciding
    (terms, offer, notes, fingerprints), the flat layout and writing.

    The same calls as a batch partition makes (``load_shard``: the sources read and indexed, ``decide_all`` then
    ``flatten`` as ``decide_chunk`` makes them, ``write_atomic``), run one after another with a clock around each.
    TreeSHAP is LightGBM's ``predict(pred_contrib=True)`` on the same rows with one thread, and the rules are
    ``models.decision.builder.rule_frame`` on the same rows, each timed on its own; the rest of deciding is
    ``decide_all`` less those two. The floor is ``pred_contrib`` on every row of the province at once, on one and on
    two threads.
    """
    import numpy as np

    from models.decision.builder import rule_frame
    from serving.batch.chunk import decide_all, flatten, write_atomic
    from serving.batch.inputs import discover, load_shard, release_shards

    batch_input = discover(households, chunk, pd.Timestamp(AS_OF))
    booster = loaded.model.booster_
    now = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    seconds = dict.fromkeys(("reading", "features", "rules", "treeshap", "deciding_rest", "layout", "writing"), 0.0)
    cpu = dict.fromkeys(seconds, 0.0)  # the same stages in this process's CPU time (the machine is shared)
    clock = time.process_time
    matrices = []
    decode_cpu = 0.0
    out.mkdir(parents=True, exist_ok=True)
    for shard in batch_input.shards:
        decode_cpu += bare_decode_cpu(Path(shard.path))
        start, tick = time.perf_counter(), clock()
        release_shards()
        builder, requests = load_shard(Path(shard.path), PROGRAM, pd.Timestamp(AS_OF))
        seconds["reading"] += time.perf_counter() - start
        cpu["reading"] += clock() - tick
        for begin in range(0, len(requests), chunk):
            start, tick = time.perf_counter(), clock()
            features = builder.build(requests.iloc[begin:begin + chunk].reset_index(drop=True))
            seconds["features"] += time.perf_counter() - start
            cpu["features"] += clock() - tick
            matrix = loaded.model._matrix(features)
            start, tick = time.perf_counter(), clock()
            booster.predict(matrix, pred_contrib=True, num_threads=1)
            shap_s, shap_cpu = time.perf_counter() - start, clock() - tick
            seconds["treeshap"] += shap_s
            cpu["treeshap"] += shap_cpu
            matrices.append(matrix)
            start, tick = time.perf_counter(), clock()
            rule_frame(features, None, policy, credit_line=True)
            rules_s, rules_cpu = time.perf_counter() - start, clock() - tick
            seconds["rules"] += rules_s
            cpu["rules"] += rules_cpu
            start, tick = time.perf_counter(), clock()
            rows = decide_all(features, loaded, policy, now, credit_line=True)
            seconds["deciding_rest"] += max(time.perf_counter() - start - shap_s - rules_s, 0.0)
            cpu["deciding_rest"] += max(clock() - tick - shap_cpu - rules_cpu, 0.0)
            start, tick = time.perf_counter(), clock()
            frame = flatten(rows, features, credit_line=True)
            seconds["layout"] += time.perf_counter() - start
            cpu["layout"] += clock() - tick
            start, tick = time.perf_counter(), clock()
            write_atomic(frame, out / f"part-{begin:08d}-{shard.key.replace('/', '_')}.parquet")
            seconds["writing"] += time.perf_counter() - start
            cpu["writing"] += clock() - tick
    whole = pd.concat(matrices, ignore_index=True) if isinstance(matrices[0], pd.DataFrame) else np.vstack(matrices)
    floor, floor_cpu = {}, 0.0
    for threads in (1, 2):
        start, tick = time.perf_counter(), clock()
        booster.predict(whole, pred_contrib=True, num_threads=threads)
        floor[threads] = time.perf_counter() - start
        floor_cpu = clock() - tick if threads == 1 else floor_cpu
    total, total_cpu = sum(seconds.values()), sum(cpu.values())
    # What no batch over these files can go below: decoding its inputs, their contributions, writing its output.
    unavoidable = decode_cpu + floor_cpu + cpu["writing"]
    return {"rows": len(whole), "stage_seconds": {k: round(v, 1) for k, v in seconds.items()},
            "stage_shares": {k: round(v / total, 3) for k, v in seconds.items()},
            "stage_cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
            "instrumented_one_core_seconds": round(total, 1),
            "instrumented_one_core_cpu_seconds": round(total_cpu, 1),
            "pred_contrib_seconds": {"one_thread": round(floor[1], 1), "two_threads": round(floor[2], 1)},
            "pred_contrib_cpu_seconds_one_thread": round(floor_cpu, 1),
            "instrumented_over_pred_contrib_cpu": round(total_cpu / floor_cpu, 2),
            "unavoidable_cpu_seconds": {"bare_decode_of_inputs": round(decode_cpu, 2),
                                        "pred_contrib_one_thread": round(floor_cpu, 2),
                                        "writing_the_output": round(cpu["writing"], 2)},
            "unavoidable_over_pred_contrib_cpu": round(unavoidable / floor_cpu, 2)}


def profile_partition(households: Path, chunk: int, loaded, policy) -> list[str]:
    """The fifteen functions with the most own time while one partition is decided from its features."""
    from serving.batch.chunk import decide_chunk
    from serving.batch.inputs import discover, read_features

    partition = discover(households, chunk, pd.Timestamp(AS_OF)).partitions[0]
    features = read_features(partition, PROGRAM, pd.Timestamp(AS_OF))
    profiler = cProfile.Profile()
    profiler.enable()
    decide_chunk(features, loaded, policy, dt.datetime(2025, 7, 1, tzinfo=dt.UTC), credit_line=True)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return [line.strip() for line in out.getvalue().splitlines() if line.strip()[:1].isdigit()][:15]


def run_engine(households: Path, workdir: Path, engine: str, workers: int, chunk: int, loaded, policy) -> dict:
    """One whole batch run (list mode) with its wall time, CPU load and peak memory."""
    from serving.batch import BatchConfig, run_batch

    config = BatchConfig(households, workdir / f"decisions-{engine}-{workers}", engine=engine,  # type: ignore[arg-type]
                         workers=workers, chunk_size=chunk, as_of=AS_OF, restart=True)
    load_before = os.getloadavg()[0]
    with PeakMemory() as memory:
        start, tick = time.perf_counter(), time.process_time()
        result = run_batch(config, loaded, policy)
        wall, cpu = time.perf_counter() - start, time.process_time() - tick
    counts = dict.fromkeys(("approve", "refer", "decline", "approved_limit_fen"), 0)
    for township in (result.manifest.summary or {}).values():
        for key in counts:
            counts[key] += township.get(key, 0)
    return {"engine": engine, "cores": 1 if engine == "local" else workers, "seconds": round(wall, 1),
            "decisions": result.manifest.requests, "decisions_per_s": round(result.manifest.requests / wall, 1),
            "peak_memory_mb": round(memory.peak / 2**20, 1),
            # this process's CPU time: the whole run for the local engine, only the client's share for Dask
            "cpu_seconds_this_process": round(cpu, 1), "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2), "list_mode": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--shard", type=int, default=50_000, help="households per shard")
    parser.add_argument("--chunk", type=int, default=5_000, help="requests per partition")
    parser.add_argument("--workdir", type=Path, default=Path("output/bench_batch"))
    parser.add_argument("--province", type=Path, default=None,
                        help="a folder written by `kuozhong simulate --province` (default: under --workdir)")
    parser.add_argument("--engines", default="local,dask",
                        help="whole runs to time: local (one core), dask (two workers), or both")
    parser.add_argument("--no-split", action="store_true",
                        help="skip the instrumented split and the pred_contrib floor (a run's wall time only)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args()

    from models.policy import load_policy
    from training.registry import load_by_alias

    households = args.province or args.workdir / f"province-{args.households}-{args.shard}"
    start = time.perf_counter()
    shards = generate(households, args.households, args.shard)
    generate_s = time.perf_counter() - start
    train(shards[0], args.workdir / "mlruns")
    loaded, policy = load_by_alias("champion"), load_policy()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    runs = {engine: run_engine(households, args.workdir, engine, 1 if engine == "local" else 2, args.chunk, loaded,
                               policy) for engine in engines}
    report: dict = {
        "benchmark": "bench_batch",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "households": args.households, "partition_rows": args.chunk, "shard_households": args.shard,
        "input": f"raw sources (province-scale simulator, {args.shard:,} households a shard), every base-list "
                 f"household decided at {AS_OF} as a credit line (list mode)",
        "generate_seconds": round(generate_s, 1),
        "runs": list(runs.values()),
    }
    if "dask" in runs:
        report["extrapolated_seconds_for_1m_two_cores"] = round(1_000_000 / runs["dask"]["decisions_per_s"], 1)
    if not args.no_split:
        split = split_and_floor(households, args.chunk, loaded, policy, args.workdir / "split")
        floor = split["pred_contrib_seconds"]
        ratios = {}
        if "local" in runs:
            ratios["one_core"] = round(runs["local"]["seconds"] / floor["one_thread"], 2)
            ratios["one_core_in_cpu_time"] = round(runs["local"]["cpu_seconds_this_process"]
                                                   / split["pred_contrib_cpu_seconds_one_thread"], 2)
        if "dask" in runs:
            ratios["two_cores"] = round(runs["dask"]["seconds"] / floor["two_threads"], 2)
        report["end_to_end_over_pred_contrib"] = ratios
        report["split"] = split
        report["profile_decide_chunk_tottime_top"] = profile_partition(households, args.chunk, loaded, policy)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "profile_decide_chunk_tottime_top"}, indent=2,
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
