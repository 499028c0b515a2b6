"""Reject inference through training and the command line, on a small county whose outcomes are seen as booked."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from features.datasets import DatasetError, load_config, load_dataset, plan_split
from features.simulate.county import SimulationConfig, simulate_county
from tests.cli_runner import run_kuozhong
from training.reject import training_rejects
from training.tracking import TrackingConfig


@pytest.fixture(scope="module")
def booked_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A county of 6,000 households whose applications carry an outcome only where a loan was booked and its 12
    months had passed (about half the booked loans: enough bad ones on both sides of the out-of-time cut)."""
    county = simulate_county(SimulationConfig.trainable(6000, 11))
    folder = tmp_path_factory.mktemp("booked-county")
    county.write(folder)
    return folder


def test_applications_keep_the_outcome_of_booked_loans_only():
    # given
    county = simulate_county(SimulationConfig.trainable(600, 5))
    # when
    seen = county.applications
    truth = county.application_truth
    # then every application keeps its truth; the bank's table has the outcome exactly where a loan was booked
    # and its 12 months had passed by the end of the data
    assert list(truth["application_id"]) == list(county.applications["application_id"])
    booked, mature = truth["booked"].to_numpy(), truth["mature"].to_numpy()
    assert (seen["default_12m"].notna().to_numpy() == mature).all() and (mature <= booked).all()
    assert (seen.loc[mature, "default_12m"].to_numpy() == truth.loc[mature, "outcome_12m"].to_numpy()).all()
    assert 0 < booked.mean() < 1 and 0 < mature.sum() < booked.sum() and set(truth["outcome_12m"].unique()) <= {0, 1}


def test_rows_without_an_outcome_are_kept_apart_and_only_those_before_the_cut_are_training_rejects(booked_dir,
                                                                                                   policy):
    # given
    data = load_dataset("simulated-county", data=booked_dir, program=policy)
    # when
    plan = plan_split(data, "out-of-time")
    rejects = training_rejects(data, plan)
    # then the dataset's rows all have an outcome; the others are apart, and those before the cut train
    assert data.frame["default_12m"].notna().all() and 0 < data.y.mean() < 0.5
    assert data.unlabelled is not None and data.unlabelled["default_12m"].isna().all()
    assert len(data.frame) + len(data.unlabelled) == len(pd.read_parquet(booked_dir / "applications.parquet"))
    assert 0 < len(rejects) < len(data.unlabelled)
    assert (pd.to_datetime(rejects["as_of"]) < plan.cut).all()


def test_train_with_none_drops_the_rows_without_an_outcome(booked_dir, policy, mlflow_store):
    # given
    from training.train import train_dataset

    data = load_dataset("simulated-county", data=booked_dir, program=policy)
    plan = plan_split(data, "out-of-time")
    # when
    result = train_dataset(data, policy, plots=False, fairness_search=False)
    # then the model learnt from the booked loans before the cut alone, and the run says so
    uri = TrackingConfig(store=mlflow_store).tracking_uri
    params = MlflowClient(uri, uri).get_run(result.run_id).data.params
    assert params["reject_inference"] == "none" and params["reject_rows"] == "0"
    assert len(params["rejects_fingerprint"]) == 16  # recorded even when they were left out
    assert int(params["n_train"]) == len(plan.train)
    summary = result.validation.reject_inference
    assert summary["accepted_rows"] == len(plan.train)
    assert summary["rejects_left_out"] == len(training_rejects(data, plan)) > 0


def test_kuozhong_train_with_fuzzy_logs_the_method_and_shows_it_in_the_report(booked_dir, policy, mlflow_store,
                                                                             capsys, monkeypatch):
    # given
    data = load_dataset("simulated-county", data=booked_dir, program=policy)
    rejects = len(training_rejects(data, plan_split(data, "out-of-time")))
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "train", "--data", str(booked_dir), "--reject-inference", "fuzzy")
    # then
    assert code == 0, err
    uri = TrackingConfig(store=mlflow_store).tracking_uri
    client = MlflowClient(uri, uri)
    runs = [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]
    assert len(runs) == 1
    params = runs[0].data.params
    assert params["reject_inference"] == "fuzzy" and int(params["reject_rows"]) == 2 * rejects
    assert len(params["rejects_fingerprint"]) == 16  # the rejected rows it learnt from are part of the record
    report = mlflow.artifacts.download_artifacts(run_id=runs[0].info.run_id,
                                                 artifact_path="report/validation_report.html", tracking_uri=uri)
    html = Path(report).read_text(encoding="utf-8")
    assert "拒绝推断" in html and "模糊扩充 fuzzy augmentation" in html and f"无结果的申请 {rejects} 行" in html


def test_kuozhong_train_with_an_unknown_method_exits_2_naming_the_option(tmp_path, capsys, monkeypatch):
    # given an empty store
    store = tmp_path / "mlruns"
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "train", "--dataset", "german-credit", "--reject-inference",
                             "heckman")
    # then one line names the option, the value and the methods; nothing was written
    assert code == 2
    assert err.startswith("error: --reject-inference = 'heckman'") and "parcelling" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (store / "mlflow.db").exists()


def _table(tmp_path: Path, method: str) -> Path:
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=(n, 3))
    bad = (rng.random(n) < 1 / (1 + np.exp(2.5 - 1.2 * x[:, 0]))).astype(float)
    bad[x[:, 1] > 0.3] = np.nan  # declined: no outcome (pandas reads the column as 1.0 / 0.0 / blank)
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "bad": bad}).to_csv(tmp_path / "loans.csv", index=False)
    config = tmp_path / "loans.yaml"
    config.write_text(f"name: loans\nsource: {{kind: table, path: loans.csv}}\ntarget: {{column: bad, bad_values: [1]}}\n"
                      f"reject_inference: {method}\ncolumns:\n  - {{name: a, monotone: 1}}\n  - {{name: b}}\n"
                      "  - {name: c}\n", encoding="utf-8")
    return config


def test_a_dataset_config_chooses_the_method_and_a_wrong_one_is_named(tmp_path, policy, mlflow_store):
    # given a bank table whose declined rows have no outcome, and a config asking for parcelling
    from training.train import train_dataset

    data = load_dataset(_table(tmp_path, "parcelling"))
    # when
    result = train_dataset(data, policy, plots=False, fairness_search=False)
    # then the 1.0 in the gappy column counts as bad, the declined rows are the rejects, the method is parcelling
    assert 0 < data.y.mean() < 0.5 and data.unlabelled is not None and len(data.unlabelled) > 100
    assert result.validation.reject_inference["method"] == "parcelling"
    assert result.validation.reject_inference["reject_rows"] == len(data.unlabelled)
    with pytest.raises(DatasetError, match="reject_inference"):
        load_config(_table(tmp_path, "magic"))
