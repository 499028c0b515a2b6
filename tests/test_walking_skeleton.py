"""The thin path end to end: simulate → features → rules → train/register → load by alias → decide."""

import json
import subprocess
import sys

import pandas as pd

from models.rules import evaluate_rules
from serving.pipeline import ApplicationRequest, DecisionService
from training.registry import load_by_alias


def test_simulation_has_applications_and_outcomes(county):
    apps = county.applications
    assert len(apps) > 300
    assert 0.02 < apps["default_12m"].mean() < 0.3
    assert 0.7 < county.oracle_auc < 0.99


def test_features_cover_every_application(table, county):
    assert len(table) == len(county.applications)
    assert table["request_id"].is_unique
    assert table["income_per_head"].notna().mean() > 0.95


def test_rules_knock_out_over_cap_household(table, policy):
    row = table.iloc[0].to_dict()
    row.update(declared_income=150_000.0, household_size=3.0)
    results = {r.code: r for r in evaluate_rules(row, policy)}
    assert results["INCOME_CAP"].outcome == "fail"
    assert results["INCOME_CAP"].threshold == 100_000.0


def test_champion_is_the_model_that_decides(trained_store, sources, table, policy, monkeypatch):
    store, result = trained_store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    loaded = load_by_alias("champion")
    assert loaded.ref.version == result.model_version
    assert loaded.model.model_hash() == result.model.model_hash()
    row = table.iloc[0]
    service = DecisionService(loaded, policy, sources)
    decision = service.decide(ApplicationRequest(household_id=row["household_id"],
                                                 application_date=pd.Timestamp(row["as_of"]).date(),
                                                 requested_amount=float(row["requested_amount"]),
                                                 purpose=row["purpose"]))
    assert decision.model.version == result.model_version
    assert decision.model.run_id == result.run_id
    assert abs(decision.pd - float(result.model.predict_pd(table.iloc[[0]])[0])) < 1e-6
    assert len(decision.reasons) == 5


def test_knocked_out_decision_names_failed_rule(trained_store, sources, table, policy, monkeypatch):
    store, _ = trained_store
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    service = DecisionService(load_by_alias("champion"), policy, sources)
    over_cap = table[table["income_to_cap"] > 1.5].iloc[0]
    decision = service.decide(ApplicationRequest(household_id=over_cap["household_id"],
                                                 application_date=pd.Timestamp(over_cap["as_of"]).date(),
                                                 requested_amount=50_000, purpose="business"))
    # the policy leaves an over-cap household the bank's ordinary terms (INCOME_CAP: no_subsidy): never a subsidy
    assert "INCOME_CAP" in [r.code for r in decision.eligibility.failed]
    assert not decision.eligibility.subsidised
    assert decision.terms is None or decision.terms.finance_subsidy_rate == 0


def _cli(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "serving.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def test_decide_with_missing_field_exits_2_naming_it(tmp_path, data_dir):
    app = tmp_path / "app.json"
    app.write_text(json.dumps({"household_id": "H1", "application_date": "2024-05-01", "purpose": "business"}))
    proc = _cli("decide", str(app), "--data", str(data_dir), cwd=tmp_path)
    assert proc.returncode == 2
    assert "requested_amount" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_decide_with_unparsable_file_exits_2(tmp_path, data_dir):
    app = tmp_path / "app.json"
    app.write_text("{not json")
    proc = _cli("decide", str(app), "--data", str(data_dir), cwd=tmp_path)
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_lists_the_working_commands(tmp_path):
    proc = _cli("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for command in ("simulate", "features", "train", "decide", "demo"):
        assert command in proc.stdout
