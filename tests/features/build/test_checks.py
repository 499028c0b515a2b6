"""Impossible raw values are rejected naming source, field, value and rule; the CLI turns them into exit 2."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from features.build.checks import FeatureInputError
from features.build.table import build_features
from features.sources.load import SourceError
from models.policy import load_policy
from tests.features import hand_made as hm

PROGRAM = load_policy()  # the policy the features' ratios are taken against


def test_negative_income_is_rejected_naming_the_field_value_and_rule():
    # given a month of negative inflow inside the window
    src = hm.sources(inflows=[10_000.0] * 23 + [-5.0])
    # when / then
    with pytest.raises(FeatureInputError) as err:
        build_features(src, hm.request(), PROGRAM)
    message = str(err.value)
    assert "account_flows.inflow = -5" in message
    assert "inflow ≥ 0" in message
    assert "2024-12" in message and hm.HH in message


def test_an_age_of_140_is_rejected():
    members = [*hm.visit()["members"], {"relation": "父母", "age": 140, "civil_capacity": "full", "health": "good"}]
    src = hm.sources(visits=[hm.visit(members=members)])
    with pytest.raises(FeatureInputError, match=r"members\[4\]\.age = 140 .*0 ≤ age ≤ 120"):
        build_features(src, hm.request(), PROGRAM)


def test_negative_declared_income_by_source_is_rejected():
    src = hm.sources(visits=[hm.visit(declared_income={"by_source": {"wage": -1_000}})])
    with pytest.raises(FeatureInputError, match=r"declared_income\.wage = -1000"):
        build_features(src, hm.request(), PROGRAM)


@pytest.mark.parametrize("code", ["Q", "8", "0", "M"])
def test_a_grid_code_outside_the_pboc_set_is_rejected(code):
    src = hm.sources(statuses="N" * 23 + code)
    with pytest.raises(FeatureInputError, match=rf"repayment_history\.status = '{code}'.*PBOC"):
        build_features(src, hm.request(), PROGRAM)


def test_an_unknown_five_class_is_rejected():
    src = hm.sources()
    src.repayment_history = src.repayment_history.assign(five_class="很好")
    with pytest.raises(FeatureInputError, match="five_class = '很好'"):
        build_features(src, hm.request(), PROGRAM)


def test_a_bad_record_after_the_as_of_date_is_never_read():
    # given a bad code in the as-of month itself (reported only at its end)
    src = hm.sources()
    late = pd.DataFrame({"account_id": ["L1"], "household_id": [hm.HH], "month": [pd.Timestamp("2025-01-01")],
                         "status": ["Q"], "five_class": ["正常"]})
    src.repayment_history = pd.concat([src.repayment_history, late], ignore_index=True)
    # when / then: the features are built, as if the record were not there
    assert build_features(src, hm.request(), PROGRAM).iloc[0]["overdue_current"] == 0


def test_feature_input_errors_are_source_errors_the_cli_maps_to_exit_2():
    assert issubclass(FeatureInputError, SourceError)
    assert issubclass(FeatureInputError, ValueError)


def test_cli_features_on_an_impossible_value_exits_2_with_one_line(data_dir, tmp_path):
    # given a copy of the county whose first flow record has a negative inflow
    folder = tmp_path / "data"
    shutil.copytree(data_dir, folder)
    flows = pd.read_parquet(folder / "account_flows.parquet")
    apps = pd.read_parquet(folder / "applications.parquet")
    row = flows.index[(flows["household_id"] == apps["household_id"].iloc[0])
                      & (flows["month"] < apps["application_date"].iloc[0] - pd.DateOffset(months=1))][-1]
    flows.loc[row, "inflow"] = -300.0
    flows.to_parquet(folder / "account_flows.parquet", index=False)
    # when
    proc = subprocess.run([sys.executable, "-m", "serving.cli.main", "features", "--data", str(folder), "--out",
                           str(tmp_path / "f.parquet")], capture_output=True, text=True, timeout=300)
    # then
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == proc.stderr.strip().splitlines()[-1]
    assert "account_flows.inflow = -300" in errors[0] and "inflow ≥ 0" in errors[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "f.parquet").exists()
