"""Speed of explanations and approval files: reasons and points per decision, counterfactuals, PDF and HTML.

Run: ``python -m benchmarks.bench_explain [--households 1500] [--repeat 200]``. Trains a model on the simulated
county (no MLflow), then times, per decision: reasons and points for one applicant (target: median under 5 ms),
the same for a whole frame (rows per second), what would change the outcome, and the approval file as PDF
(target: under 1 s) and HTML. Writes ``benchmarks/results/bench_explain.json`` with the machine's load average,
since the figures depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import track

from features.files import write_text_atomic
from models.policy import load_policy

PROGRAM = load_policy()  # the policy the features' ratios are taken against

RESULTS = Path(__file__).parent / "results" / "bench_explain.json"


def _times(calls: list[Callable[[], Any]]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each call (CPU time shows the cost when other work shares the cores)."""
    wall, cpu = [], []
    for call in calls:
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - start_cpu) * 1000.0)
    return wall, cpu


def _summary(measured: tuple[list[float], list[float]]) -> dict[str, float]:
    wall, cpu = sorted(measured[0]), sorted(measured[1])
    return {"median_ms": round(statistics.median(wall), 3), "p90_ms": round(wall[int(0.9 * (len(wall) - 1))], 3),
            "min_ms": round(wall[0], 3), "cpu_median_ms": round(statistics.median(cpu), 3), "n": len(wall)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and write its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    from features.build.table import training_table
    from features.simulate.county import SimulationConfig, simulate_county
    from features.sources.load import load_sources
    from models.credit.model import CreditModel
    from models.decision.builder import ModelRef, decide
    from models.explain.counterfactual import what_would_change
    from models.explain.reasons import points_table, reasons_for_row, reasons_frame
    from models.policy import load_policy
    from serving.approval.render import render_html, render_pdf
    from training.fonts import font_for

    policy = load_policy()
    county = simulate_county(SimulationConfig.trainable(args.households, args.seed))  # enough bad loans to train on
    with tempfile.TemporaryDirectory() as folder:
        county.write(Path(folder))
        table = training_table(load_sources(Path(folder)), PROGRAM)
    labelled = table[table["default_12m"].notna()]  # outcomes exist for booked loans only
    model = CreditModel.from_policy(policy, random_state=args.seed).fit(labelled, labelled["default_12m"].astype(int))
    rows = [table.iloc[[i % len(table)]] for i in range(args.repeat)]

    reasons_for_row(model, rows[0])  # warm-up: first LightGBM call
    per_decision = _times([functools.partial(reasons_for_row, model, row) for row in
                           track(rows, description="reasons and points")])
    points_only = _times([functools.partial(points_table, model, row) for row in rows])
    start = time.perf_counter()
    reasons_frame(model, table, top=5)
    frame_seconds = time.perf_counter() - start

    ref = ModelRef(name="kuozhong-credit", version="bench", run_id="bench")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    decisions = [decide(table.iloc[[i]], model, ref, policy, now=now) for i in track(range(min(60, len(table))),
                                                                                      description="decisions")]
    searched = [i for i, d in enumerate(decisions)
                if d.what_would_change is not None and d.what_would_change.status in ("found", "none_within_reach")]
    counterfactual = _times([functools.partial(what_would_change, model, table.iloc[[i]], policy) for i in searched])
    sample = next((d for d in decisions if d.terms is not None), decisions[0])
    start = time.perf_counter()
    font_for("嵊泗")  # the one-off GB 2312 cut of the packaged font (cached on disk after the first run)
    font_cut_seconds = time.perf_counter() - start
    pdf = _times([functools.partial(render_pdf, sample)] * 10)
    html = _times([functools.partial(render_html, sample)] * 20)

    load = os.getloadavg()
    result = {
        "benchmark": "bench_explain",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1_5_15": [round(x, 2) for x in load]},
        "data": {"households": args.households, "applications": len(table), "features": len(model.features),
                 "trees": int(model.booster_.booster_.num_trees())},
        "reasons_and_points_one_decision": {**_summary(per_decision), "target_median_ms": 5.0,
                                            "meets_target": statistics.median(per_decision[0]) < 5.0},
        "points_one_decision": _summary(points_only),
        "reasons_and_points_frame": {"rows": len(table), "seconds": round(frame_seconds, 3),
                                     "rows_per_second": round(len(table) / frame_seconds, 1)},
        "what_would_change_one_decision": _summary(counterfactual) if searched else None,
        "approval_pdf": {**_summary(pdf), "bytes": len(render_pdf(sample)), "target_ms": 1000.0,
                         "meets_target": statistics.median(pdf[0]) < 1000.0},
        "approval_html": _summary(html),
        "font_cut_seconds_first_call_in_process": round(font_cut_seconds, 3),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(RESULTS, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


if __name__ == "__main__":
    from rich.console import Console

    Console().print_json(json.dumps(main()))
