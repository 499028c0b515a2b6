"""The policy diff: a changed cap or age bound shows up by rule, township and class; tables and chart written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from models.policy.diff import diff_policies
from models.rules import eligibility_status, evaluate_rules
from monitoring.policy_report import write_report

PACKAGED = Path(__file__).resolve().parents[3] / "models" / "policy" / "shengsi-2023-41.yaml"


def _changed(policy, **eligibility):
    return policy.model_copy(update={"version": "proposal", "eligibility": policy.eligibility.model_copy(
        update=eligibility)})


def test_same_policy_changes_nobody(table, policy):
    result = diff_policies(policy, policy, table)
    assert result.changed == 0 and result.by_rule["changed"].sum() == 0


def test_raising_the_cap_only_moves_income_cap_from_fail_to_pass(table, policy):
    # given the cap raised from 100,000 to 130,000 for three
    result = diff_policies(policy, _changed(policy, income_cap=130_000.0), table)
    rules = result.by_rule.set_index("rule")
    # then INCOME_CAP only opens, no other rule moves, and nobody becomes ineligible
    assert rules.loc["INCOME_CAP", "fail_to_pass"] > 0 and rules.loc["INCOME_CAP", "pass_to_fail"] == 0
    assert rules.drop(index="INCOME_CAP")["changed"].sum() == 0
    assert result.newly_ineligible == 0 and result.newly_eligible > 0
    # and the counts agree with the rules run directly on the same households
    h = result.households
    direct = [eligibility_status(evaluate_rules(row, _changed(policy, income_cap=130_000.0)))[0]
              for row in table.sort_values(["household_id", "as_of"]).drop_duplicates("household_id", keep="last")
              .to_dict("records")]
    assert (h["new_status"] == "pass").sum() == sum(s == "pass" for s in direct)


def test_lowering_the_age_bound_shows_by_township_and_class(table, policy):
    result = diff_policies(policy, _changed(policy, max_age=55), table)
    assert result.by_rule.set_index("rule").loc["AGE", "pass_to_fail"] > 0
    assert result.by_township["newly_ineligible"].sum() == result.newly_ineligible > 0
    assert result.by_class["newly_ineligible"].sum() == result.newly_ineligible
    assert result.by_township["households"].sum() == table["household_id"].nunique()


def test_report_files_are_written(tmp_path, table, policy):
    result = diff_policies(policy, _changed(policy, income_cap=130_000.0), table)
    paths = write_report(result, tmp_path / "diff")
    assert json.loads(paths["summary"].read_text(encoding="utf-8"))["changed"] == result.changed
    assert paths["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pd.read_csv(paths["by_rule"])["rule"].tolist() == list(policy.rules)
    assert not list((tmp_path / "diff").glob("*.tmp"))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "serving.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture()
def feature_file(tmp_path, table):
    path = tmp_path / "features.parquet"
    table.iloc[:200].to_parquet(path)
    return path


def test_cli_diff_writes_the_chart(tmp_path, feature_file):
    new = tmp_path / "new.yaml"
    new.write_text(PACKAGED.read_text(encoding="utf-8").replace("income_cap: 100000 ", "income_cap: 150000 "),
                   encoding="utf-8")
    proc = _cli("policy", "diff", str(PACKAGED), str(new), "--households", str(feature_file), "--out",
                str(tmp_path / "out"), cwd=Path(__file__).resolve().parents[3])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "policy_diff.png").exists() and "INCOME_CAP" in proc.stdout


def test_cli_refuses_a_malformed_policy_in_one_line_naming_the_key(tmp_path, feature_file):
    bad = tmp_path / "bad.yaml"
    bad.write_text(PACKAGED.read_text(encoding="utf-8").replace("  max_age: 65", "  max_agee: 65"), encoding="utf-8")
    proc = _cli("policy", "diff", str(PACKAGED), str(bad), "--households", str(feature_file), "--out",
                str(tmp_path / "out"), cwd=Path(__file__).resolve().parents[3])
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "eligibility.max_agee" in proc.stderr
    assert not (tmp_path / "out").exists()
