from pathlib import Path

import pytest

from features.datasets import DatasetError, load_dataset


def test_german_credit_loads_with_its_config():
    # given / when
    data = load_dataset("german-credit")
    # then
    assert len(data.frame) == 1000
    assert data.y.sum() == 300
    assert "purpose" in data.categorical and data.monotone["duration_in_month"] == 1
    assert set(data.slices().columns) == {"sex", "age_band", "foreign_worker"}
    # sex, age and nationality are slices only, never features
    assert set(data.sensitive) == {"personal_status_and_sex", "age_in_years", "foreign_worker"}
    assert not set(data.sensitive) & set(data.features)
    # the YAML's labels, units, groups and value labels reach the catalogue
    checking = data.catalogue["status_of_existing_checking_account"]
    assert checking.label_en == "Checking account status" and checking.group_names() == ("账户与储蓄",
                                                                                         "accounts and savings")
    assert checking.level_text("... < 0 DM") == ("余额为负（低于0马克）", "overdrawn (below 0 DM)")
    assert data.catalogue["duration_in_month"].unit == "月"


def test_a_column_group_missing_from_groups_is_refused(tmp_path: Path):
    # given a config whose column names a group the groups section does not
    config = tmp_path / "c.yaml"
    config.write_text("name: t\nsource: {kind: table, path: x.csv}\ntarget: {column: bad, bad_values: [1]}\n"
                      "columns: [{name: a, group: money}]\ngroups: {debt: {zh: 负债}}\n", encoding="utf-8")
    # when / then the error names the group
    with pytest.raises(DatasetError, match="money"):
        load_dataset(config)


def test_levels_on_a_numeric_column_are_refused(tmp_path: Path):
    # given value labels on a column declared numeric
    config = tmp_path / "c.yaml"
    config.write_text("name: t\nsource: {kind: table, path: x.csv}\ntarget: {column: bad, bad_values: [1]}\n"
                      "columns: [{name: a, levels: {'1': {zh: 一}}}]\n", encoding="utf-8")
    # when / then
    with pytest.raises(DatasetError, match="categorical"):
        load_dataset(config)


def test_config_naming_a_missing_column_is_refused(tmp_path: Path):
    # given
    table = tmp_path / "t.csv"
    table.write_text("a,b,bad\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(60)), encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"name: t\nsource: {{kind: table, path: {table}}}\ntarget: {{column: bad, bad_values: [1]}}\n"
                      "columns: [{name: a}, {name: zzz}]\n", encoding="utf-8")
    # when / then
    with pytest.raises(DatasetError, match="zzz"):
        load_dataset(config)


def test_out_of_time_without_a_time_column_is_refused(tmp_path: Path):
    # given
    config = tmp_path / "c.yaml"
    config.write_text("name: t\nsource: {kind: table, path: x.csv}\ntarget: {column: bad, bad_values: [1]}\n"
                      "split: out-of-time\ncolumns: [{name: a}]\n", encoding="utf-8")
    # when / then
    with pytest.raises(DatasetError, match="time_column"):
        load_dataset(config)
