"""Run every benchmark (`make bench`) one after another with its defaults; each writes benchmarks/results/*.json.

Pass names to run a subset: `python -m benchmarks.run_all bench_features bench_explain`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    summary = {}
    for name in names:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=HERE.parent, check=False)
        summary[name] = {"exit_code": proc.returncode, "seconds": round(time.perf_counter() - started, 1)}
        print(f"{name}: exit {proc.returncode} in {summary[name]['seconds']} s", flush=True)
    out = HERE / "results" / "run_all.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return max((s["exit_code"] for s in summary.values()), default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
