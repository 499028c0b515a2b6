"""Each split rule a dataset config can state, and each setting a split would ignore refused by name."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.datasets import DatasetError, load_dataset, plan_split
from features.splits import SplitError, out_of_time, parse_times


def _table(tmp_path: Path, years: list[int], name: str = "t.csv") -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"year": years, "a": rng.normal(size=len(years)), "bad": np.arange(len(years)) % 3 == 0})
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _config(tmp_path: Path, table: Path, extra: str) -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(f"name: t\nsource: {{kind: table, path: {table}}}\ntarget: {{column: bad, bad_values: [true]}}\n"
                      f"columns: [{{name: a}}]\n{extra}", encoding="utf-8")
    return config


def test_rows_tied_at_the_cut_fall_on_one_side_and_the_share_is_the_nearest_achievable(tmp_path):
    # given: a yearly column, 400 rows for each year 2015..2019, and 30% asked (no year boundary gives 30%)
    years = [y for y in range(2015, 2020) for _ in range(400)]
    config = _config(tmp_path, _table(tmp_path, years), "time_column: year\nsplit: out-of-time\ntest_share: 0.3\n")
    data = load_dataset(config)
    # when
    split = plan_split(data)
    # then: no year on both sides, and the holdout share is the achievable one nearest 30% (20% or 40%: 20%)
    train_years = set(data.frame["year"].iloc[split.train].dt.year)
    test_years = set(data.frame["year"].iloc[split.test].dt.year)
    assert train_years.isdisjoint(test_years)
    assert max(train_years) < min(test_years)
    assert split.share == pytest.approx(0.2)
    assert "20.0%" in split.describe() and "30.0%" in split.describe()


def test_a_date_cut_holds_out_every_row_at_or_after_it(tmp_path):
    # given
    years = [y for y in range(2015, 2020) for _ in range(100)]
    config = _config(tmp_path, _table(tmp_path, years), "time_column: year\nsplit: out-of-time\ntest_from: 2018-01-01\n")
    # when
    split = plan_split(load_dataset(config))
    # then
    assert len(split.test) == 200 and split.cut == pd.Timestamp("2018-01-01")


def test_integer_years_are_years_not_nanoseconds():
    # given / when
    parsed = parse_times(pd.Series([2015, 2016, 2019]), "year")
    # then
    assert list(parsed.dt.year) == [2015, 2016, 2019] and list(parsed.dt.month) == [1, 1, 1]
    assert list(parse_times(pd.Series([20190315.0]), "d").dt.day) == [15]
    assert list(parse_times(pd.Series(["2019", "2020"]), "y").dt.year) == [2019, 2020]


def test_a_number_that_is_no_year_is_refused_by_name():
    with pytest.raises(SplitError, match="time_column 'ts' = 123456789"):
        parse_times(pd.Series([123456789, 123456790]), "ts")


def test_one_distinct_time_cannot_be_split():
    with pytest.raises(SplitError, match="same time"):
        out_of_time(pd.Series(pd.to_datetime(["2020-01-01"] * 10)), 0.25)


@pytest.mark.parametrize(("extra", "key"), [
    ("time_column: year\n", "time_column"),                                            # would be ignored by random
    ("split: random\ntest_from: 2018-01-01\n", "test_from"),
    ("time_column: year\nsplit: out-of-time\ntest_from: 2018-01-01\ntest_share: 0.3\n", "test_share"),
    ("split: test-file\n", "test_source"),
    ("test_source: {kind: table, path: x.csv}\n", "test_source"),
    ("split: test-file\ntest_source: {kind: table, path: x.csv}\ntest_share: 0.3\n", "test_share"),
])
def test_every_setting_the_split_would_ignore_is_an_error_naming_it(tmp_path, extra, key):
    # given
    config = _config(tmp_path, _table(tmp_path, [2015] * 60), extra)
    # when / then
    with pytest.raises(DatasetError, match=key):
        load_dataset(config)


def test_a_separate_test_file_is_the_holdout(tmp_path):
    # given: 300 training rows in one file, 120 later rows in another
    train = _table(tmp_path, [2015] * 300, "train.csv")
    test = _table(tmp_path, [2016] * 120, "test.csv")
    config = _config(tmp_path, train, f"split: test-file\ntest_source: {{kind: table, path: {test}}}\n")
    data = load_dataset(config)
    # when
    split = plan_split(data)
    # then
    assert len(split.train) == 300 and len(split.test) == 120
    assert (data.frame["year"].iloc[split.test] == 2016).all()
    assert split.kind == "test-file" and "120" in split.describe()


def test_a_test_file_lacking_a_column_is_refused_by_name(tmp_path):
    # given
    train = _table(tmp_path, [2015] * 100, "train.csv")
    test = tmp_path / "test.csv"
    pd.DataFrame({"year": [2016] * 60, "bad": [True, False] * 30}).to_csv(test, index=False)
    config = _config(tmp_path, train, f"split: test-file\ntest_source: {{kind: table, path: {test}}}\n")
    # when / then
    with pytest.raises(DatasetError, match="test_source.path.*lacks column.*a"):
        load_dataset(config)
