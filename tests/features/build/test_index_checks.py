"""Indexing the flows and the grid names the same bad records, and reads the same codes, as checking each column.

The references are the checks run column by column as the index used to run them (``number_problems`` and
``code_problems`` merged with ``merge_problems``, ``grid_codes`` on the raw columns, months converted one record
at a time); the tables carry bad values planted at known places, and once none at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build.bank import grid_codes
from features.build.checks import (
    FIVE_CLASSES,
    PBOC_GRID_CODES,
    code_problems,
    merge_problems,
    number_problems,
)
from features.build.index import day_codes, group_records, household_codes, household_universe, month_codes
from features.build.sources import _flows, _grid

HOUSEHOLDS = pd.Index([f"H{k:011d}" for k in range(6)], dtype=object)
MONTHS = pd.date_range("2023-01-01", periods=30, freq="MS")


def _flow_table(plant: dict[str, list[int]]) -> pd.DataFrame:
    n = len(MONTHS) * len(HOUSEHOLDS)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"household_id": np.repeat(HOUSEHOLDS.to_numpy(), len(MONTHS)).astype(str),
                          "month": np.tile(MONTHS.to_numpy(), len(HOUSEHOLDS)),
                          "inflow": rng.uniform(0, 9_000, n), "outflow": rng.uniform(0, 9_000, n),
                          "balance": rng.uniform(-100, 9_000, n), "debits_returned": rng.integers(0, 3, n),
                          "saving_plan_deposit": rng.uniform(0, 500, n)}).sample(frac=1.0, random_state=3)
    for name, rows in plant.items():
        frame.iloc[rows, frame.columns.get_loc(name)] = -7
    return frame.reset_index(drop=True)


def _old_flow_problems(records) -> np.ndarray:
    c = records.columns
    hh = HOUSEHOLDS.to_numpy()[c["household_code"]]

    def where(i: int) -> str:
        return f"month {np.datetime64(int(c['month'][i]), 'M')}"

    return merge_problems(*(number_problems("account_flows", name, c[name], hh, 0.0, np.inf, f"{name} ≥ 0", where)
                            for name in ("inflow", "outflow", "debits_returned", "saving_plan_deposit")))


@pytest.mark.parametrize("plant", [{}, {"inflow": [4, 50]}, {"outflow": [4, 9], "saving_plan_deposit": [9, 170]},
                                   {"debits_returned": [0, 179]}])
def test_flow_problems_are_the_merged_column_checks(plant):
    # given a month table with negative values planted (or none)
    frame = _flow_table(plant)
    # when it is indexed
    records = _flows(frame, HOUSEHOLDS)
    # then each record carries the first problem the column checks find, and exactly the planted rows are named
    problems = records.columns["problem"]
    assert problems.tolist() == _old_flow_problems(records).tolist()
    planted = {i for rows in plant.values() for i in rows}
    named = {int(frame.index[(frame["household_id"].to_numpy() == HOUSEHOLDS[code])
                             & (frame["month"].to_numpy() == np.datetime64(int(month), "M").astype("datetime64[us]"))
                             ][0])
             for code, month, text in zip(records.columns["household_code"], records.columns["month"], problems,
                                          strict=True) if text}
    assert named == planted
    if 9 in planted and "outflow" in plant:  # a record failing two checks is named by the first
        assert sum("outflow" in p for p in problems) == 2 and sum("saving_plan_deposit" in p for p in problems) == 1


@pytest.mark.parametrize("plant", [{}, {"status": {3: "Q", 40: "8", 41: None}}, {"five_class": {7: "很好", 9: ""}},
                                   {"status": {5: "X"}, "five_class": {5: "未知", 6: None}}])
def test_grid_codes_and_problems_are_those_of_the_raw_columns(plant):
    # given a repayment grid with unknown and missing codes planted (or none), text as Parquet reads it
    n = len(MONTHS) * 2
    status = ["N", "1", "2", "C", "*", "#"] * (n // 6)
    five = ["正常", "关注", "正常", "次级", "正常"] * (n // 5)
    for name, cells in plant.items():
        for i, code in cells.items():
            (status if name == "status" else five)[i] = code
    frame = pd.DataFrame({"account_id": ["L1"] * n, "household_id": [HOUSEHOLDS[k % 3] for k in range(n)],
                          "month": np.tile(MONTHS.to_numpy(), 2), "status": status, "five_class": five})
    assert isinstance(frame["status"].dtype, pd.StringDtype)
    # when it is indexed
    records = _grid(frame, HOUSEHOLDS)
    # then the codes read and the problems named are those of the raw columns, in the index's order
    order = np.argsort(household_codes(frame["household_id"], HOUSEHOLDS), kind="stable")
    expected = grid_codes(frame["status"], frame["five_class"])
    for name in ("depth", "bad", "five_rank"):
        np.testing.assert_array_equal(records.columns[name], expected[name][order])
    months = month_codes(frame["month"])
    np.testing.assert_array_equal(records.columns["month"],
                                  np.array([m.year * 12 + m.month - 1 - 1970 * 12 for m in frame["month"]])[order])

    def where(i: int) -> str:
        return f"month {np.datetime64(int(months[i]), 'M')}"

    old = merge_problems(
        code_problems("repayment_history", "status", frame["status"], PBOC_GRID_CODES, frame["household_id"],
                      "a PBOC repayment-grid code (N 1-7 C G D Z B * # /)", where),
        code_problems("repayment_history", "five_class", frame["five_class"], FIVE_CLASSES, frame["household_id"],
                      "one of 正常 关注 次级 可疑 损失", where))
    assert records.columns["problem"].tolist() == old[order].tolist()
    bad = sorted(i for cells in plant.values() for i, code in cells.items() if code is not None)
    assert sorted(order[np.flatnonzero(records.columns["problem"] != "")].tolist()) == sorted(set(bad))


def test_month_codes_read_each_distinct_month_as_one_record_at_a_time():
    # given times on month edges, before 1970, a leap day and missing ones
    values = pd.Series(pd.to_datetime(["2023-01-31T23:59", "2024-02-29T00:00", None, "1969-12-31T12:00",
                                       "2023-01-01T00:00", None, "1900-03-01T00:00"]))
    # when the months are read, then each is what converting that one record gives, and a missing one the same
    expected = [np.datetime64(v, "M").astype(np.int64) if v is not pd.NaT else np.datetime64("NaT", "M").astype(
        np.int64) for v in values.to_numpy()]
    assert month_codes(values).tolist() == expected
    assert month_codes(values)[:2].tolist() == [(2023 - 1970) * 12, (2024 - 1970) * 12 + 1]


def test_the_household_universe_is_every_id_sorted_by_code_point():
    # given ids as Parquet text and as Python objects of other types, repeated across sources, some not ASCII
    frames = [pd.DataFrame({"household_id": pd.Series(["H2", "h1", "H10", "嵊1", "Z", "é", "e\u0301", "", "H2",
                                                       "\U0001f600", "\uffff"], dtype="str")}),
              pd.DataFrame({"household_id": pd.Series([3, "H2", "a b", 2.5], dtype=object)}), None,
              pd.DataFrame({"balance": [1.0]}), pd.DataFrame({"household_id": pd.Series([], dtype="str")})]
    # when the universe is gathered, then it is each distinct id as text, in Python's order, as Python strings
    universe = household_universe(frames)
    expected = sorted({str(v) for f in frames if f is not None and "household_id" in f for v in f["household_id"]})
    assert universe.tolist() == expected
    assert universe.dtype == object and all(type(v) is str for v in universe)
    assert universe.tolist()[-2:] == ["\uffff", "\U0001f600"] and universe.tolist()[0] == ""


@pytest.mark.parametrize("shuffled", [False, True])
def test_grouping_a_sorted_table_gives_what_sorting_it_gives(shuffled):
    # given records already sorted by household and date (unknown households first), or the same records shuffled
    rng = np.random.default_rng(11)
    ids = np.sort(rng.choice(HOUSEHOLDS.to_numpy(), 200)).astype(object)
    ids[:5] = "H-UNKNOWN"
    days = np.sort(rng.integers(0, 40, 200))
    days[50:60] = 7  # ties keep the table's order
    frame = pd.DataFrame({"household_id": ids, "day": pd.to_datetime(days, unit="D"), "x": np.arange(200.0)})
    frame = frame.sort_values(["household_id", "day"], kind="stable", key=lambda c: c.map(
        lambda v: (v != "H-UNKNOWN", v)) if c.name == "household_id" else c).reset_index(drop=True)
    if shuffled:
        frame = frame.sample(frac=1.0, random_state=2).reset_index(drop=True)
    # when it is grouped by household in date order
    records = group_records(frame, HOUSEHOLDS, {"x": "float", "day": "day"}, order_by="day")
    # then each household's records are its rows in date order (table order on ties), as the sort gives them
    codes = household_codes(frame["household_id"], HOUSEHOLDS)
    order = np.lexsort((day_codes(frame["day"]), codes))
    np.testing.assert_array_equal(records.columns["x"], frame["x"].to_numpy()[order])
    np.testing.assert_array_equal(records.columns["household_code"], codes[order])
    assert records.start[0] == 5 and records.stop[-1] == 200
