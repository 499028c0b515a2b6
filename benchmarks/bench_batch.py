"""Batch decisions at province scale: decisions per second, peak memory, and the cost over raw explained scoring.

Run: ``python -m benchmarks.bench_batch [--households 1000000] [--shard 50000] [--engine local|dask]
[--province FOLDER]``.

Households come from the simulator's province-scale mode (``kuozhong simulate --province``: shards of ``--shard``
households, each a raw-source folder, the unit the batch reads); an existing province folder is reused. Every
household on the base list is decided at ``AS_OF`` (the whole list, not only the applicants). The model is trained
on the first shard's applications. The floor is LightGBM's own ``predict(pred_contrib=True)`` on the same feature
matrix: no decision can be explained faster than its contributions are computed. The overhead is reported two
ways: wall time of the whole run against the floor on both cores, and CPU time of deciding one partition from its
features against the floor's CPU time. Writes ``benchmarks/results/bench_batch.json``.
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


def floor_and_profile(households: Path, shard: int, loaded, policy) -> dict:
    """Raw explained prediction, decision-only time and a profile, on the first shard's feature matrix."""
    from serving.batch.chunk import decide_chunk
    from serving.batch.inputs import discover, read_features

    partition = discover(households, shard, pd.Timestamp(AS_OF)).partitions[0]
    start = time.perf_counter()
    features = read_features(partition, PROGRAM, pd.Timestamp(AS_OF))
    build_s = time.perf_counter() - start
    matrix = loaded.model._matrix(features)
    booster = loaded.model.booster_
    start, cpu = time.perf_counter(), time.process_time()
    booster.predict(matrix, pred_contrib=True)
    contrib_s, contrib_cpu = time.perf_counter() - start, time.process_time() - cpu
    cpu = time.process_time()
    booster.predict(matrix, pred_contrib=True, num_threads=1)
    contrib_1t_cpu = time.process_time() - cpu
    now = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    start, cpu = time.perf_counter(), time.process_time()
    decide_chunk(features, loaded, policy, now, "bench")
    decide_s, decide_cpu = time.perf_counter() - start, time.process_time() - cpu
    profiler = cProfile.Profile()
    profiler.enable()
    decide_chunk(features, loaded, policy, now, "bench")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    top = [line.strip() for line in out.getvalue().splitlines() if line.strip()[:1].isdigit()][:15]
    rows = len(features)
    return {"rows": rows, "model_trees": loaded.model.booster_.booster_.num_trees(),
            "feature_build_rows_per_s": rows / build_s, "pred_contrib_rows_per_s": rows / contrib_s,
            "pred_contrib_cpu_us_per_row": contrib_cpu / rows * 1e6,
            "pred_contrib_one_thread_cpu_us_per_row": contrib_1t_cpu / rows * 1e6,
            "decide_from_features_rows_per_s": rows / decide_s,
            "decide_from_features_cpu_us_per_row": decide_cpu / rows * 1e6,
            "decide_cpu_over_pred_contrib_cpu": decide_cpu / contrib_1t_cpu,
            "decide_and_build_wall_over_pred_contrib_wall": (decide_s + build_s) / contrib_s,
            "profile_decide_chunk_tottime_top": top}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--shard", type=int, default=50_000, help="households per shard and per partition")
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--workdir", type=Path, default=Path("output/bench_batch"))
    parser.add_argument("--province", type=Path, default=None,
                        help="a folder written by `kuozhong simulate --province` (default: under --workdir)")
    args = parser.parse_args()

    from models.policy import load_policy
    from serving.batch import BatchConfig, run_batch
    from training.registry import load_by_alias

    households = args.province or args.workdir / f"province-{args.households}-{args.shard}"
    start = time.perf_counter()
    shards = generate(households, args.households, args.shard)
    generate_s = time.perf_counter() - start
    train(shards[0], args.workdir / "mlruns")
    loaded, policy = load_by_alias("champion"), load_policy()

    config = BatchConfig(households, args.workdir / f"decisions-{args.engine}", engine=args.engine, workers=2,
                         chunk_size=args.shard, as_of=AS_OF, restart=True)
    with PeakMemory() as memory:
        start = time.perf_counter()
        result = run_batch(config, loaded, policy)
        wall = time.perf_counter() - start
    floor = floor_and_profile(households, args.shard, loaded, policy)
    decisions = result.manifest.requests
    e2e = decisions / wall
    report = {
        "benchmark": "bench_batch",
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "households": args.households, "decisions": decisions, "partition_rows": args.shard,
        "engine": args.engine, "input": f"raw sources (province-scale simulator, {args.shard:,} households a shard), "
                                           f"every base-list household decided at {AS_OF}",
        "generate_seconds": round(generate_s, 1),
        "end_to_end_seconds": round(wall, 1), "end_to_end_decisions_per_s": round(e2e, 1),
        "peak_memory_mb": round(memory.peak / 2**20, 1),
        "extrapolated_seconds_for_1m": round(1_000_000 / e2e, 1) if args.households < 1_000_000 else None,
        "pred_contrib_floor": {k: (round(v, 2) if isinstance(v, float) else v) for k, v in floor.items()},
        "end_to_end_wall_over_pred_contrib_wall": round(floor["pred_contrib_rows_per_s"] / e2e, 2),
        "summary": result.manifest.summary,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k not in ("summary", "pred_contrib_floor")}, indent=2))


if __name__ == "__main__":
    main()
