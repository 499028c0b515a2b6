"""Drift: PSI readings, performance where outcomes exist, approval shifts, and the figures logged to the run."""

import subprocess
import sys

import pandas as pd
from mlflow import MlflowClient

from monitoring.drift import drift_report, log_to_run
from monitoring.report import write_drift_html
from training.registry import load_by_alias
from training.tracking import configure


def test_drift_on_the_same_population_is_stable_and_a_shift_is_seen(trained_store, table, policy, monkeypatch):
    # given the champion and the simulated applications split in time
    store, _ = trained_store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    loaded = load_by_alias("champion")
    dates = pd.to_datetime(table["as_of"])
    split = dates.quantile(0.5)
    # when
    same = drift_report(table, loaded.model, policy, dates.max(), split)
    # then: the simulated county does not drift much between halves
    assert same.score_psi < 0.25
    assert set(same.performance["period"]) == {"reference", "recent"}
    assert {"township", "household_class"} <= set(same.approval_shift["slice"])
    # given recent applicants whose debt service is doubled
    shifted = table.copy()
    recent = pd.to_datetime(shifted["as_of"]) >= split
    shifted.loc[recent, "debt_service_ratio"] = shifted.loc[recent, "debt_service_ratio"] * 3 + 1
    moved = drift_report(shifted, loaded.model, policy, dates.max(), split)
    psi = moved.stability.set_index("variable")["psi"]
    assert psi["debt_service_ratio"] > 0.25
    assert "major" in moved.status


def test_figures_are_logged_to_the_models_run(trained_store, table, policy, monkeypatch, tmp_path):
    store, result = trained_store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    loaded = load_by_alias("champion")
    dates = pd.to_datetime(table["as_of"])
    report = drift_report(table, loaded.model, policy, dates.max(), dates.quantile(0.5))
    log_to_run(report, loaded.ref, configure())
    history = MlflowClient(configure().tracking_uri).get_metric_history(result.run_id, "monitor_psi_score")
    assert history and history[-1].value == report.score_psi
    assert history[-1].step == int(report.as_of.strftime("%Y%m%d"))
    page = write_drift_html(report, tmp_path / "drift.html").read_text(encoding="utf-8")
    assert "PSI" in page and "审批率变化" in page


def test_monitor_kpi_with_a_bad_date_exits_2(tmp_path, data_dir):
    proc = subprocess.run([sys.executable, "-m", "serving.cli.main", "monitor", "kpi", "--as-of", "2025-13-01",
                           "--data", str(data_dir), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert "--as-of" in proc.stderr and "2025-13-01" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_monitor_kpi_writes_the_workbook(tmp_path, data_dir):
    proc = subprocess.run([sys.executable, "-m", "serving.cli.main", "monitor", "kpi", "--as-of", "2025-06-30",
                           "--data", str(data_dir), "--out", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out" / "成效监测表-2025-06-30.xlsx").exists()
    flags = pd.read_parquet(tmp_path / "out" / "upward_mobility.parquet")
    assert list(flags.columns) == ["household_id", "flagged_on", "evidence"]
