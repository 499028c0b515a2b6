"""The command line starts light: `kuozhong --help` loads no data or model library, and training never loads shap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("pandas", "numpy", "pyarrow", "sklearn", "scipy", "lightgbm", "mlflow", "matplotlib", "shap", "optuna",
         "sqlalchemy", "fastapi", "dask")


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level packages a fresh interpreter holds after running ``code``."""
    probe = f"""
import json, sys
{code}
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_help_loads_no_heavy_library() -> None:
    loaded = _loaded_after("""
sys.argv = ["kuozhong", "--help"]
from serving.cli.main import main
try:
    main()
except SystemExit:
    pass
""")
    assert loaded == []


def test_each_command_help_loads_no_heavy_library() -> None:
    loaded = _loaded_after("""
from serving.cli.main import main
for command in ("train", "score", "validate", "promote", "monitor", "policy"):
    sys.argv = ["kuozhong", command, "--help"]
    try:
        main()
    except SystemExit:
        pass
""")
    assert loaded == []


def test_training_path_does_not_load_shap() -> None:
    loaded = _loaded_after("""
import numpy as np, pandas as pd
import training.train, training.validation, training.report
from training.plots import chinese_figures, shap_plots
rng = np.random.default_rng(0)
rows = pd.DataFrame({"a": rng.normal(size=50), "b": rng.choice(["x", "y"], size=50)})
with chinese_figures():
    pngs = shap_plots(rng.normal(size=(50, 2)), np.zeros(50), rows, ["a", "b"], {"a": "甲"}, top_dependence=2)
assert len(pngs) == 4 and all(p.startswith(b"\\x89PNG") for p in pngs.values())
""")
    assert "shap" not in loaded
    assert "matplotlib" in loaded  # the plots were drawn in the probed process


def _as_the_command(tmp_path: Path, prelude: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the entry point the way the installed ``kuozhong`` script does: its own process, named kuozhong."""
    script = tmp_path / "kuozhong"
    script.write_text(f"{prelude}\nfrom serving.cli.main import main\nmain()\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "KUOZHONG_MLRUNS": str(tmp_path / "mlruns")}
    return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False, timeout=120)


def test_own_process_waits_for_working_threads_and_flushes(tmp_path: Path) -> None:
    done = tmp_path / "done.txt"
    prelude = f"""
import time
from concurrent.futures import ThreadPoolExecutor
def work():
    time.sleep(0.5)
    open({str(done)!r}, "w").write("done")
ThreadPoolExecutor(1).submit(work)  # never shut down: the interpreter's exit would wait for it too
"""
    proc = _as_the_command(tmp_path, prelude, "--help")
    assert proc.returncode == 0
    assert "train" in proc.stdout and "score" in proc.stdout  # the help reached the pipe before the process ended
    assert done.read_text(encoding="utf-8") == "done"


def test_own_process_keeps_the_exit_code_and_the_one_line_error(tmp_path: Path) -> None:
    proc = _as_the_command(tmp_path, "", "train", "--dataset", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "missing.yaml" in proc.stderr
