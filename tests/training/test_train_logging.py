from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient

from training.tracking import MODEL_NAME, TrackingConfig


def test_training_logs_metrics_report_plots_and_holdout(trained_store):
    # given
    store, result = trained_store
    uri = TrackingConfig(store=store).tracking_uri
    client = MlflowClient(uri, uri)
    # when
    run = client.get_run(result.run_id)
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "validation/plots")}
    report = mlflow.artifacts.download_artifacts(run_id=result.run_id, artifact_path="report/validation_report.html",
                                                 tracking_uri=uri)
    html = Path(report).read_text(encoding="utf-8")
    # then
    for metric in ("test_auc", "test_ks", "test_gini", "test_brier", "test_log_loss", "test_ece",
                   "test_uncalibrated_ece"):
        assert metric in run.data.metrics
    assert run.data.params["split"] == "out-of-time" and run.data.params["data_fingerprint"]
    assert {"validation/plots/shap_beeswarm.png", "validation/plots/shap_bar.png", "validation/plots/roc.png",
            "validation/plots/calibration.png", "validation/plots/lift.png"} <= artifacts
    assert any(a.startswith("validation/plots/shap_dependence_") for a in artifacts)
    assert "公平性" in html and "稳定性" in html and "township" in html
    # the fairness section: ratios before and after, the alternative, and the slices kept beside the holdout
    assert {"fairness_worst_approval_ratio", "fairness_worst_approval_ratio_before", "lda_auc",
            "lda_worst_approval_ratio"} <= set(run.data.metrics)
    assert run.data.tags["lda_candidate"] and run.data.tags["fairness_worst_group"]
    assert "约束前批准率比" in html and "较少歧视的替代模型" in html and "livelihood" in html
    listed = {a.path for a in client.list_artifacts(result.run_id, "validation")}
    assert "validation/alternatives.csv" in listed
    holdout = pd.read_parquet(mlflow.artifacts.download_artifacts(run_id=result.run_id,
                                                                  artifact_path="holdout/holdout.parquet",
                                                                  tracking_uri=uri))
    assert {"_slice_livelihood", "_slice_township", "_slice_sex"} <= set(holdout.columns)
    assert not {"township", "livelihood", "health_burden", "applicant_age"} & set(holdout.columns)
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == result.model_version


def test_the_registered_model_takes_a_missing_number_through_mlflow_pyfunc(mlflow_store, policy):
    # given German Credit, whose numbers are whole (duration, amount, age), trained and registered
    import math

    import mlflow

    from features.datasets import load_dataset
    from training.tracking import TrackingConfig
    from training.train import train_dataset

    data = load_dataset("german-credit")
    result = train_dataset(data, policy, seed=0, plots=False)
    record = data.frame[list(data.features)].head(3).copy()
    whole = [c for c in record.columns if record[c].dtype.kind in "iu"]
    record = record.astype({c: "float64" for c in whole})
    record.loc[record.index[0], whole] = math.nan
    uri = TrackingConfig(store=mlflow_store).tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    # when the registered version is loaded the way any MLflow client loads it
    pyfunc = mlflow.pyfunc.load_model(f"models:/{result.model_name}/{result.model_version}")
    pds = pyfunc.predict(record)
    # then the signature lets the missing numbers through, and the answers are the model's own PDs
    assert whole, "German Credit should have whole-number columns"
    assert list(pds) == list(result.model.predict_pd(record))
    assert 0.0 < float(pds[0]) < 1.0


def test_training_records_the_through_the_cycle_weighting(trained_store, table, policy):
    # given
    from features.datasets import county_dataset
    from training.cycle import stressed_rows
    from training.train import split_dataset

    store, result = trained_store
    uri = TrackingConfig(store=store).tracking_uri
    data = county_dataset(table)
    train = data.frame.iloc[split_dataset(data, "out-of-time")[0]]
    exposed, stressed = stressed_rows(train, "as_of", policy.cycle, "台风")
    # when
    run = MlflowClient(uri, uri).get_run(result.run_id)
    html = Path(mlflow.artifacts.download_artifacts(run_id=result.run_id, artifact_path="report/validation_report.html",
                                                    tracking_uri=uri)).read_text(encoding="utf-8")
    # then: the run states the option, the event, and the very rows the policy picks out of the training rows
    params = run.data.params
    assert params["through_the_cycle"] == "True" and params["cycle_0_event"] == "台风"
    assert int(params["cycle_0_exposed_rows"]) == exposed.sum() and int(params["cycle_0_stressed_rows"]) == stressed.sum()
    assert "跨周期加权" in html and "台风" in html and f"{int(stressed.sum())}" in html
