"""`kuozhong promote` and `kuozhong validate` through the console entry point, on the session's MLflow store."""

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from features.files import is_temp_path
from tests.cli_runner import run_kuozhong
from training.tracking import MODEL_NAME, TrackingConfig

SEED = 7


@pytest.fixture(scope="module")
def versions(trained_store, table, policy):
    """Two more versions in the session store: a copy of the champion and a weak model with its own run.

    The weak model learns nothing (no leaf may hold fewer rows than the table has: one constant score), so it
    trails any champion that ranks at all; a one-split stump on a county this small can rank its few bad loans
    as well as the champion by chance.

    The champion alias is put back on the session's model when the module ends (other tests decide with it).
    """
    from training.train import train_and_register

    store, result = trained_store
    uri = TrackingConfig(store=store).tracking_uri
    client = MlflowClient(uri, uri)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUOZHONG_MLRUNS", str(store))
        mlflow.set_tracking_uri(uri)  # a version's source (models:/m-...) is looked up in the global store
        mlflow.set_registry_uri(uri)
        champion = client.get_model_version(MODEL_NAME, result.model_version)
        twin = client.create_model_version(MODEL_NAME, champion.source, run_id=champion.run_id)
        weak = train_and_register(table, policy, seed=SEED, alias="weak-candidate", plots=False,
                                  params={"n_estimators": 1, "num_leaves": 2, "min_child_samples": len(table)})
    yield {"store": store, "client": client, "champion": result.model_version, "champion_run": result.run_id,
           "twin": str(twin.version), "weak": weak.model_version, "weak_run": weak.run_id}
    client.set_registered_model_alias(MODEL_NAME, "champion", result.model_version)
    client.delete_registered_model_alias(MODEL_NAME, "weak-candidate")


@pytest.fixture()
def workbench(versions, monkeypatch):
    """The store as the CLI sees it, with @champion on the session's model before each test."""
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(versions["store"]))
    versions["client"].set_registered_model_alias(MODEL_NAME, "champion", versions["champion"])
    return versions


def champion_of(client: MlflowClient) -> str:
    return str(client.get_model_version_by_alias(MODEL_NAME, "champion").version)


def test_promote_with_passing_gates_moves_champion_and_records_the_gates(workbench, capsys, monkeypatch):
    # given a version whose model scores the holdout exactly as the champion does
    client, version = workbench["client"], workbench["twin"]
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "promote", version)
    # then
    assert code == 0, err
    assert champion_of(client) == version
    run = client.get_run(workbench["champion_run"])
    assert {run.data.tags[f"gate_{g}"] for g in ("auc_vs_champion", "ece", "monotonicity", "fairness")} == {"pass"}
    assert run.data.tags["promotion"] == "promoted"
    assert run.data.tags["gate_ece_zone"] in ("green", "yellow")  # a passing calibration gate is never red
    assert run.data.metrics["gate_monotonicity_value"] == 0.0
    path = mlflow.artifacts.download_artifacts(run_id=workbench["champion_run"],
                                               artifact_path=f"promotion/promotion-v{version}.json",
                                               tracking_uri=TrackingConfig(store=workbench["store"]).tracking_uri)
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    assert record["passed"] is True and record["forced"] is False
    assert record["previous_champion"] == workbench["champion"]
    assert [g["name"] for g in record["gates"]] == ["auc_vs_champion", "ece", "monotonicity", "fairness"]
    # the twin scores the holdout as the champion does, so its worst approval-rate ratio is the champion's
    fairness = record["gates"][3]
    assert fairness["passed"] and "vs champion" in fairness["detail"]


def test_promote_with_failing_gates_leaves_champion_and_says_why_in_one_line(workbench, capsys, monkeypatch):
    # given a model that learned nothing against the session's champion
    client, version = workbench["client"], workbench["weak"]
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "promote", version)
    # then
    assert code == 2
    assert champion_of(client) == workbench["champion"]
    assert len(err.strip().splitlines()) == 1
    assert f"version {version} not promoted" in err and "auc_vs_champion" in err and "--reason" in err
    run = client.get_run(workbench["weak_run"])
    assert run.data.tags["promotion"] == "refused" and run.data.tags["gate_auc_vs_champion"] == "fail"


def test_force_without_a_reason_is_refused_before_anything_moves(workbench, capsys, monkeypatch):
    # given
    client, version = workbench["client"], workbench["weak"]
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "promote", version, "--force")
    blank_code, _ = run_kuozhong(capsys, monkeypatch, "promote", version, "--force", "--reason", "  ")
    # then
    assert code == 2 and blank_code == 2
    assert len(err.strip().splitlines()) == 1 and "--reason" in err
    assert champion_of(client) == workbench["champion"]


def test_force_with_a_reason_moves_champion_and_logs_the_reason(workbench, capsys, monkeypatch):
    # given
    client, version = workbench["client"], workbench["weak"]
    reason = "风险委员会2026-11-27批准: 新产品上线前临时替换"
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "promote", version, "--force", "--reason", reason)
    # then
    assert code == 0, err
    assert champion_of(client) == version
    run = client.get_run(workbench["weak_run"])
    assert run.data.tags["promotion_forced_reason"] == reason
    assert run.data.tags["promotion"] == "promoted" and run.data.tags["gate_auc_vs_champion"] == "fail"
    path = mlflow.artifacts.download_artifacts(run_id=workbench["weak_run"],
                                               artifact_path=f"promotion/promotion-v{version}.json",
                                               tracking_uri=TrackingConfig(store=workbench["store"]).tracking_uri)
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    assert record["forced"] is True and record["reason"] == reason and record["passed"] is False


def test_promote_of_an_unknown_version_is_one_line(workbench, capsys, monkeypatch):
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "promote", "999")
    # then
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "'999'" in err and MODEL_NAME in err
    assert champion_of(workbench["client"]) == workbench["champion"]


def test_validate_writes_the_report_with_psi_monotonicity_and_fairness(workbench, tmp_path, capsys, monkeypatch):
    # given
    out = tmp_path / "reports" / "validation.html"
    # when: no data given: the run's recorded holdout is the data, and the report says so
    code, err = run_kuozhong(capsys, monkeypatch, "validate", "@champion", "--out", str(out))
    # then
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert f"the holdout recorded by run {workbench['champion_run']}" in html
    assert not [p for p in out.parent.iterdir() if is_temp_path(p)]
    stability = html.split("稳定性 Stability")[1].split("单调性检查")[0]
    assert "<td>score</td><td>信用评分</td>" in stability and "稳定" in stability and stability.count("<tr>") > 10
    monotonicity = html.split("单调性检查 Monotonicity")[1].split("公平性分组")[0]
    assert monotonicity.count("通过") + monotonicity.count("不通过") > 3
    fairness = html.split("公平性分组 Fairness slices")[1].split("全局解释")[0]
    for slice_name in ("<td>性别 sex</td>", "<td>年龄段 age_band</td>", "<td>乡镇 township</td>",
                       "<td>家庭类别 household_class</td>"):
        assert slice_name in fairness
    assert "菜园镇" in fairness


@pytest.mark.parametrize(("content", "suffix", "expected"), [
    ('{"num_leaves": -3}', ".json", "num_leaves = -3: LightGBM requires num_leaves > 1"),
    ("{not json", ".json", "not valid JSON (line 1, column 2"),
    ("learning_rate: [0.1\n", ".yaml", "not valid YAML (line 2"),
    ("num_leves: 15\n", ".yaml", "'num_leves' is not a LightGBM parameter"),
])
def test_train_with_a_bad_params_file_exits_2_and_leaves_no_run(tmp_path, monkeypatch, capsys, content, suffix,
                                                                  expected):
    # given an empty store and a parameters file that cannot be used
    store = tmp_path / "mlruns"
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    params = tmp_path / f"params{suffix}"
    params.write_text(content, encoding="utf-8")
    # when
    code, err = run_kuozhong(capsys, monkeypatch, "train", "--dataset", "german-credit", "--params", str(params))
    # then one line names the file, the parameter or the place, and the rule; no run or version was written
    assert code == 2
    assert err.startswith("error: --params") and expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (store / "mlflow.db").exists()


@pytest.mark.parametrize(("args", "expected"), [
    (("tune", "--trials", "0"), "Invalid value for '--trials'"),
    (("train", "--bogus"), "No such option: --bogus"),
    (("promote",), "Missing argument 'version'"),
])
def test_usage_errors_name_the_option_and_exit_2(monkeypatch, capsys, tmp_path, args, expected):
    # given a store folder nobody has used
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(tmp_path / "mlruns"))
    # when
    code, err = run_kuozhong(capsys, monkeypatch, *args)
    # then
    assert code == 2
    assert expected in err and "unexpected" not in err
