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
    assert set(data.slices().columns) == {"sex", "age_band"}


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
