"""Rule-layer speed: eligibility verdicts per second over a simulated county's applications (JSON out)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from features.build.table import training_table
from features.simulate.county import SimulationConfig, simulate_county
from models.decision.builder import _rule_rows
from models.policy import load_policy
from models.rules import eligibility_status, evaluate_rules

PROGRAM = load_policy()  # the policy the features' ratios are taken against


def main(households: int = 3000, seed: int = 7, repeats: int = 5) -> dict:
    """Time ``evaluate_rules`` + ``eligibility_status`` on every application, best of ``repeats``."""
    county = simulate_county(SimulationConfig(households=households, seed=seed))
    import tempfile

    from features.sources.load import load_sources

    with tempfile.TemporaryDirectory() as folder:
        county.write(Path(folder))
        table = training_table(load_sources(Path(folder)), PROGRAM)
    policy = load_policy()
    rows = _rule_rows(table)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for row in rows:
            eligibility_status(evaluate_rules(row, policy))
        best = min(best, time.perf_counter() - start)
    result = {"rows": len(rows), "rules": len(policy.rules), "seconds": round(best, 4),
              "rows_per_second": round(len(rows) / best, 1), "microseconds_per_row": round(1e6 * best / len(rows), 1)}
    out = Path("benchmarks/results/bench_rules.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO)
    logging.getLogger(__name__).info("%s", main())
