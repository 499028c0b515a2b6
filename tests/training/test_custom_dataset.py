"""A bank's own table end to end: its own registered model, the pyfunc's types, validate, promote and score."""

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from features.datasets import load_dataset
from tests.cli_runner import run_kuozhong
from training.tracking import MODEL_NAME, TrackingConfig
from training.train import split_dataset, train_dataset

ROWS = 1200


def _coded_table(folder: Path) -> Path:
    """Loans with an industry code (integer-coded categorical, some missing so pandas reads float64) and a year."""
    rng = np.random.default_rng(3)
    industry = rng.choice([11, 23, 44, 56, 62, 72], size=ROWS)
    risk = {11: -1.0, 23: 0.2, 44: 0.0, 56: 1.2, 62: -0.5, 72: 0.8}
    term = rng.integers(6, 60, size=ROWS)
    amount = rng.integers(1_000, 90_000, size=ROWS)
    logit = -1.2 + np.vectorize(risk.get)(industry) + 0.02 * (term - 30) + rng.normal(0, 0.5, ROWS)
    bad = rng.random(ROWS) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame({"industry": industry.astype(float), "term": term, "amount": amount,
                          "year": rng.choice([2016, 2017, 2018, 2019], size=ROWS), "status": np.where(bad, "CHGOFF", "PIF")})
    frame.loc[rng.choice(ROWS, 40, replace=False), "industry"] = np.nan
    path = folder / "loans.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coded")
    table = _coded_table(folder)
    config = folder / "loans.yaml"
    config.write_text(f"name: coded-loans\nsource: {{kind: table, path: {table}}}\n"
                      "target: {column: status, bad_values: [CHGOFF]}\ntime_column: year\nsplit: out-of-time\n"
                      "columns:\n  - {name: industry, type: categorical, label_zh: 行业}\n"
                      "  - {name: term, monotone: 1, label_zh: 期限}\n  - {name: amount, label_zh: 金额}\n",
                      encoding="utf-8")
    return folder, table, config


@pytest.fixture(scope="module")
def store(coded, policy, tmp_path_factory):
    """German Credit and the coded table trained into one fresh store, each once."""
    folder = tmp_path_factory.mktemp("store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUOZHONG_MLRUNS", str(folder))
        german = train_dataset(load_dataset("german-credit"), policy, seed=1, plots=False)
        loans = train_dataset(load_dataset(coded[2]), policy, seed=1, plots=False)
    return folder, german, loans


def _client(folder: Path) -> MlflowClient:
    uri = TrackingConfig(store=folder).tracking_uri
    return MlflowClient(uri, uri)


def test_each_dataset_has_its_own_registered_model_and_aliases(store):
    # given
    folder, german, loans = store
    client = _client(folder)
    # then
    assert german.model_name == "kuozhong-german-credit" and loans.model_name == "kuozhong-coded-loans"
    assert str(client.get_model_version_by_alias("kuozhong-coded-loans", "challenger").version) == loans.model_version
    names = {m.name for m in client.search_registered_models()}
    assert MODEL_NAME not in names  # no county model was touched
    run = client.get_run(loans.run_id)
    assert "out of time" in run.data.tags["split"] and run.data.params["registered_model"] == "kuozhong-coded-loans"


@pytest.mark.parametrize("dataset", ["german", "coded"])
def test_pyfunc_scores_what_pandas_reads_like_the_python_api(store, coded, dataset, monkeypatch):
    # given: the frame as pandas reads the file (int64 columns, float64 codes with NaN)
    folder, german, loans = store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(folder))
    result = german if dataset == "german" else loans
    data = load_dataset("german-credit" if dataset == "german" else coded[2])
    _, test_idx = split_dataset(data, seed=1)
    frame = data.frame.iloc[test_idx][list(data.features)].reset_index(drop=True)
    mlflow.set_tracking_uri(TrackingConfig(store=folder).tracking_uri)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{result.model_name}/{result.model_version}")
    # when
    pds = np.asarray(pyfunc.predict(frame))
    # then: PDs (not labels), row by row equal to the Python API
    expected = result.model.predict_pd(frame)
    np.testing.assert_allclose(pds, expected, rtol=0, atol=1e-12)
    assert ((pds > 0) & (pds < 1)).all() and len(np.unique(pds)) > 10
    if dataset == "coded":
        # the same codes sent as whole numbers, as text and as floats give the same PDs
        known = frame["industry"].notna()
        as_int = frame[known].assign(industry=frame.loc[known, "industry"].astype("int64"))
        as_text = as_int.assign(industry=as_int["industry"].astype(str))
        for variant in (as_int, as_text):
            np.testing.assert_allclose(np.asarray(pyfunc.predict(variant)), expected[known.to_numpy()], atol=1e-12)


def test_validate_and_promote_a_custom_yaml_need_nothing_but_the_run(store, coded, capsys, monkeypatch, tmp_path):
    # given
    folder, _, loans = store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(folder))
    report = tmp_path / "report.html"
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "validate", loans.model_version, "--dataset", str(coded[2]),
                             "--out", str(report))
    # then: the report names the recorded holdout, and validating again gives the training run's own AUC
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    assert f"the holdout recorded by run {loans.run_id}" in html
    from models.policy import load_policy
    from training.revalidate import revalidate

    again = revalidate(loans.model_version, loans.model_name, load_policy(), plots=False)
    assert again.validation.metrics["auc"] == pytest.approx(loans.metrics["auc"], abs=1e-12)
    assert again.validation.n_test == loans.validation.n_test
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "promote", loans.model_version, "--dataset", str(coded[2]))
    # then: the dataset's own champion moved, the county's model untouched
    assert code == 0, err
    client = _client(folder)
    assert str(client.get_model_version_by_alias("kuozhong-coded-loans", "champion").version) == loans.model_version
    assert MODEL_NAME not in {m.name for m in client.search_registered_models()}


def test_score_a_plain_csv_with_its_dataset_config(store, coded, capsys, monkeypatch, tmp_path):
    # given: the coded table's champion (promoted above or here)
    folder, _, loans = store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(folder))
    _client(folder).set_registered_model_alias("kuozhong-coded-loans", "champion", loans.model_version)
    out = tmp_path / "scores.csv"
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "score", "--input", str(coded[1]), "--dataset", str(coded[2]),
                             "--output", str(out))
    # then: one row of PD, score, grade and reasons per input row, PDs as the Python API gives them
    assert code == 0, err
    scores = pd.read_csv(out)
    table = pd.read_csv(coded[1])
    assert len(scores) == len(table) and list(scores["row"]) == list(range(len(table)))
    np.testing.assert_allclose(scores["pd"], loans.model.predict_pd(table), atol=1e-9)
    assert scores["grade"].notna().all()
    # and a row's first reason is one of the table's columns, unless no factor of the row moves its score by the
    # point the file states (a factor that rounds to 0 points is no reason)
    from models.explain.reasons import explain_frame, reason_points

    explained = explain_frame(loans.model, loans.model.canonical_frame(table))
    named = scores["reason_1"].notna().to_numpy()
    assert scores.loc[named, "reason_1"].isin(["industry", "term", "amount"]).all()
    candidate = ((reason_points(explained) != 0) & (np.abs(explained.points) >= 0.5)
                 & (explained.points_int != 0))
    assert not candidate[~named].any() and candidate[named].any(axis=1).all()
    assert named.mean() > 0.5
    assert "status" not in scores.columns  # nothing of the input but its row number


def test_a_table_without_its_model_named_is_refused_in_one_line(coded, capsys, monkeypatch, tmp_path):
    code, err = run_kuozhong(capsys, monkeypatch, "score", "--input", str(coded[1]), "--output",
                             str(tmp_path / "s.csv"))
    assert code == 2 and "--dataset" in err and "Traceback" not in err
    assert not (tmp_path / "s.csv").exists()


def test_the_train_command_keeps_every_output_of_a_custom_yaml(coded, capsys, monkeypatch, tmp_path):
    # given a fresh store, and a recorded training sample smaller than the training rows
    import training.train

    monkeypatch.setenv("KUOZHONG_MLRUNS", str(tmp_path / "mlruns"))
    monkeypatch.setattr(training.train, "REFERENCE_ROWS", 300)
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "train", "--dataset", str(coded[2]), "--seed", "2")
    # then: registered under the dataset's own name, with its alias
    assert code == 0, err
    client = _client(tmp_path / "mlruns")
    version = client.get_model_version_by_alias("kuozhong-coded-loans", "challenger")
    run = client.get_run(version.run_id)
    # the run holds the report, the plots, the tables, the dataset's config, its holdout and training sample
    listed = {a.path for folder in ("", "validation", "validation/plots", "holdout", "report", "dataset")
              for a in client.list_artifacts(run.info.run_id, folder or None)}
    assert {"report/validation_report.html", "validation/plots/roc.png", "validation/plots/calibration.png",
            "validation/plots/lift.png", "validation/plots/shap_beeswarm.png", "validation/plots/shap_bar.png",
            "validation/stability.csv", "holdout/holdout.parquet", "holdout/train_sample.parquet",
            "dataset/config.json", "features.json"} <= listed
    uri = TrackingConfig(store=tmp_path / "mlruns").tracking_uri
    config = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/dataset/config.json")
    sample = pd.read_parquet(mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="holdout/train_sample.parquet", tracking_uri=uri))
    assert config["name"] == "coded-loans" and len(sample) == 300
    assert run.data.params["dataset"] == "coded-loans" and run.data.params["registered_model"] == "kuozhong-coded-loans"
    assert {"test_auc", "test_ks", "test_ece", "oot_auc"} <= set(run.data.metrics)
    assert run.data.tags["dataset"] == "coded-loans" and run.data.tags["model_hash"]
    # and the stability the run recorded is the one a revalidation measures, against the same training sample
    from models.policy import load_policy
    from training.revalidate import revalidate

    recorded = pd.read_csv(mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="validation/stability.csv", tracking_uri=uri))
    again = revalidate(str(version.version), "kuozhong-coded-loans", load_policy(), plots=False)
    np.testing.assert_allclose(again.validation.stability["psi"].to_numpy(), recorded["psi"].to_numpy(), atol=1e-9)
