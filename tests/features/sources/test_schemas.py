"""Every raw source is checked on read: field mistakes are quarantined with reasons, never dropped silently."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from features.sources.forms import validate_forms
from features.sources.load import SourceError, load_sources
from features.sources.schemas import name_mismatches, validate_table


def test_each_kind_of_field_mistake_is_caught(sources):
    # given the simulated county, read through its schemas
    rules = " | ".join(sources.quarantine["rule"].unique())
    # then the quarantine names every kind of mistake the simulator makes
    assert "stale entry" in rules
    assert "GB 11643" in rules
    assert "万元" in rules
    assert "one submission per visit" in rules
    assert "age in completed years is required" in rules


def test_no_record_is_dropped_silently(county, sources):
    # given the forms as written and as read
    quarantined = sources.quarantine[sources.quarantine["source"] == "visits"]["record"].nunique()
    # then every form is either valid or quarantined
    assert len(sources.visits) + quarantined == len(county.visits)
    base_q = sources.quarantine[sources.quarantine["source"] == "base_list"]["record"].nunique()
    assert len(sources.base_list) + base_q == len(county.base_list)
    assert not sources.base_list["household_id"].duplicated().any()


def test_quarantined_visits_are_not_read_by_the_feature_builders(sources):
    bad = set(sources.quarantine.loc[sources.quarantine["source"] == "visits", "record"])
    assert bad and not bad & set(sources.visits["visit_id"])


def test_quarantine_reasons_never_show_personal_data(county, sources):
    text = sources.quarantine.to_csv()
    assert not any(x in text for x in county.base_list["id_number"].head(500))
    assert not any(x in text for x in county.bank_customers["phone"].head(500))


def test_missing_optional_answers_are_kept_and_counted():
    # given a form whose years at address was left empty
    form = {"visit_id": "V1", "household_id": "H1", "visited_at": "2024-05-01T10:00:00", "livelihood": "wage",
            "declared_income": {"total": 80_000.0, "wage": 80_000.0}, "declaration_signed": True,
            "applicant": {"id_number": "11010519491231002X"},
            "members": [{"age": 50, "civil_capacity": "full", "health": "good"}],
            "residence": {"township": "菜园镇", "years_at_address": None}}
    # when
    checked = validate_forms("visits", [form])
    # then
    assert len(checked.records) == 1 and checked.quarantine.empty and checked.missing_answers >= 1


def test_an_amount_in_wan_yuan_is_quarantined_naming_field_and_rule():
    form = {"visit_id": "V1", "household_id": "H1", "visited_at": "2024-05-01T10:00:00", "livelihood": "wage",
            "declared_income": {"total": 8.6, "wage": 8.6}, "declaration_signed": True,
            "applicant": {"id_number": "11010519491231002X"}, "members": [{"age": 50}]}
    checked = validate_forms("visits", [form])
    row = checked.quarantine.iloc[0]
    assert not checked.records
    assert row["field"] == "declared_income.wage" and row["value"] == "8.6" and "万元" in row["rule"]


def test_an_unknown_grid_code_is_quarantined_and_the_rest_kept():
    frame = pd.DataFrame({"account_id": ["L1", "L1"], "household_id": ["H1", "H1"],
                          "month": pd.to_datetime(["2024-01-01", "2024-02-01"]), "status": ["N", "Q"],
                          "five_class": ["正常", "正常"]})
    checked = validate_table("repayment_history", frame)
    assert len(checked.frame) == 1 and checked.quarantine.iloc[0]["field"] == "status"


def test_a_missing_required_column_makes_the_source_unusable(data_dir, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data_dir, folder)
    pd.read_parquet(folder / "repayment_history.parquet").drop(columns=["status"]).to_parquet(
        folder / "repayment_history.parquet")
    with pytest.raises(SourceError, match="repayment_history.*status"):
        load_sources(folder)


def test_a_column_of_the_wrong_type_makes_the_source_unusable():
    frame = pd.DataFrame({"household_id": ["H1"], "month": ["January"], "inflow": [1.0], "outflow": [1.0],
                          "balance": [0.0]})
    with pytest.raises(SourceError, match="month.*date"):
        validate_table("account_flows", frame)


def test_forms_that_are_not_a_list_are_refused(data_dir, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(data_dir, folder)
    (folder / "visits.json").write_text(json.dumps({"visit_id": "V1"}), encoding="utf-8")
    with pytest.raises(SourceError, match="visits"):
        load_sources(folder)


def test_names_one_character_apart_between_the_lists_are_found(sources):
    findings = name_mismatches(sources.base_list, sources.bank_customers)
    assert len(findings) > 0
    assert findings["finding"].str.contains("one character apart").all()
