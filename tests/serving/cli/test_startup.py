"""The command line starts light: `kuozhong --help` loads no data or model library; errors stay one line."""

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


def _as_the_command(tmp_path: Path, prelude: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the entry point the way the installed ``kuozhong`` script does: its own process, named kuozhong."""
    script = tmp_path / "kuozhong"
    script.write_text(f"{prelude}\nfrom serving.cli.main import main\nmain()\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "KUOZHONG_MLRUNS": str(tmp_path / "mlruns")}
    return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False, timeout=120)


def test_own_process_keeps_the_exit_code_and_the_one_line_error(tmp_path: Path) -> None:
    proc = _as_the_command(tmp_path, "", "train", "--dataset", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "missing.yaml" in proc.stderr
