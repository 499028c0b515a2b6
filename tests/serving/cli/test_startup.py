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
