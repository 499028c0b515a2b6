import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from models.credit.sizing import SCARCE_FOLDS, cv_folds_for

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "risk_team_walkthrough.ipynb"


def test_walkthrough_runs_end_to_end_on_small_data(tmp_path, monkeypatch):
    # given: a small county and a throwaway MLflow store
    monkeypatch.setenv("KUOZHONG_NB_HOUSEHOLDS", "6000")  # enough mature booked bad loans to train on
    monkeypatch.setenv("KUOZHONG_NB_TABLE_ROWS", "4000")
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(tmp_path / "mlruns"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # when
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    # then: the explanation adds up and promotion ran its gates
    outputs = ["".join(o.get("text", "") or str(o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", []))
               for cell in notebook.cells if cell.cell_type == "code"]
    # the county: few rows, few of them bad
    assert f"'cv_folds': {SCARCE_FOLDS}" in outputs[4] and "'model_hash'" in outputs[4]
    assert "psi" in outputs[6]
    assert "True" in outputs[7]
    assert "auc_vs_champion" in outputs[8]
    # the plots are drawn (calibration, SHAP summary, lift; PSI) and the bank's own table goes end to end
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert sum("image/png" in o.get("data", {}) for o in code_cells[9].get("outputs", [])) == 3
    assert any("image/png" in o.get("data", {}) for o in code_cells[10].get("outputs", []))
    assert "out of time" in outputs[11]
    holdout = re.search(r"the ([\d,]+) rows at or after .*?of ([\d,]+)", outputs[11])
    assert holdout is not None
    n_train = int(holdout.group(2).replace(",", "")) - int(holdout.group(1).replace(",", ""))
    assert "kuozhong-car-loan" in outputs[12] and f"'cv_folds': {cv_folds_for(n_train)}" in outputs[12]
    assert "promoted: True" in outputs[13] and "reason_1" in outputs[13]
