"""Whole-column checks of ID numbers and duplicate keys refuse exactly what the value-by-value checks refused.

The references are the checks as they used to run: ``is_valid_id_number`` on each value, and
``DataFrame.duplicated`` on the key columns of the rows that broke no other rule. Bad values are planted at known
places (each way an ID number can be wrong, repeated keys, missing keys, a repeat of a row refused for another
reason), once with text as Parquet reads it (Arrow) and once as Python objects.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from features.ids import check_digit, is_valid_id_number, make_id_number, valid_id_numbers
from features.sources.schemas import _repeated, _sorted_repeats, validate_table

# Each way an ID number can break GB 11643, and text that passes only after ``validate_id_number`` tidies it.
PLANTED_IDS = {
    "check digit": "330922198001114390", "no such day": "330922198002304391", "29 Feb of a common year": "",
    "month 13": "330922198013014393", "year 0": "", "17 characters": "33092219800111439",
    "19 characters": "3309221980011143931", "letters": "33092219800111439A", "other digits": "",
    "empty": "", "lower-case x": "", "padded": "", "full-width digit": "",
}


def _planted_ids() -> dict[str, object]:
    good = make_id_number("330922", dt.date(1980, 1, 11), 439)
    x_id = next(make_id_number("330922", dt.date(1975, 5, 5), k) for k in range(1000)
                if make_id_number("330922", dt.date(1975, 5, 5), k).endswith("X"))
    ids: dict[str, object] = dict(PLANTED_IDS)
    ids["29 Feb of a common year"] = (v := "33092219810229123") + check_digit(v)
    ids["year 0"] = (v := "33092200000101123") + check_digit(v)
    ids["other digits"] = "٣" + good[1:]
    ids["lower-case x"] = x_id.lower()
    ids["padded"] = f" {good} "
    ids["full-width digit"] = good[:17] + "８"
    ids |= {"good": good, "good with X": x_id, "29 Feb of a leap year": (v := "33092220000229123") + check_digit(v),
            "29 Feb of 1900": (v := "33092219000229123") + check_digit(v), "missing": None, "a number": 3.0}
    return ids


def test_column_check_of_id_numbers_equals_the_check_of_each_value():
    # given every planted kind of ID number among 5,000 random valid and invalid ones
    rng = random.Random(7)
    values = list(_planted_ids().values())
    for _ in range(5_000):
        number = make_id_number("330922", dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(45_000)),
                                rng.randrange(1_000))
        values.append(number if rng.random() < 0.8 else number[:-1] + rng.choice("0123456789X"))
    expected = np.array([isinstance(v, str) and is_valid_id_number(v) for v in values])
    # when the column is checked as Python objects and as Arrow text
    objects = valid_id_numbers(pd.Series(values, dtype=object))
    arrow = valid_id_numbers(pd.Series([v if isinstance(v, str) else None for v in values], dtype="str"))
    # then each value is judged as the value-by-value check judges it
    np.testing.assert_array_equal(objects, expected)
    np.testing.assert_array_equal(arrow, expected)
    assert 0 < expected.sum() < len(values)
    assert {k for k, v in _planted_ids().items() if isinstance(v, str) and is_valid_id_number(v)} == {
        "good", "good with X", "29 Feb of a leap year", "lower-case x", "padded", "other digits"}


def _old_repeats(frame: pd.DataFrame, key: list[str], rows: np.ndarray) -> np.ndarray:
    out = np.zeros(len(frame), dtype=bool)
    out[rows] = frame[rows].duplicated(key, keep="first").to_numpy()
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repeated_keys_are_the_rows_duplicated_names(seed):
    # given shuffled months of households with repeats, missing keys and rows left out of the check
    rng = np.random.default_rng(seed)
    n = 3_000
    frame = pd.DataFrame({"household_id": rng.choice([f"H{k:05d}" for k in range(40)], n).astype(object),
                          "month": pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 30, n) * 31, "D"),
                          "account_id": rng.integers(0, 9, n)})
    frame.loc[rng.choice(n, 50, replace=False), "household_id"] = None
    frame.loc[rng.choice(n, 50, replace=False), "month"] = pd.NaT
    rows = rng.random(n) > 0.2
    for key in (["household_id"], ["household_id", "month"], ["account_id", "month", "household_id"]):
        # when the repeats are found by codes, then they are the rows ``duplicated`` names
        for table in (frame, frame.astype({"household_id": "str"})):
            np.testing.assert_array_equal(_repeated(table, tuple(key), rows), _old_repeats(table, key, rows))
    assert _old_repeats(frame, ["household_id", "month"], rows).sum() > 100


@pytest.mark.parametrize("seed", [1, 2])
def test_repeats_in_a_table_in_key_order_are_the_rows_duplicated_names(seed):
    # given months of households in key order with repeats planted side by side (runs of two and three), a run's
    # first row left out of the check, and an account number as a third key
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"household_id": np.repeat([f"H{k:05d}" for k in range(30)], 24),
                          "month": np.tile(pd.date_range("2023-01-01", periods=24, freq="MS"), 30),
                          "account_id": np.zeros(720, dtype=np.int64)})
    frame = frame.astype({"household_id": "str"})
    planted = np.sort(rng.choice(np.arange(10, 700), 40, replace=False))
    frame = pd.concat([frame, frame.iloc[planted], frame.iloc[planted[:5]]]).sort_values(
        ["household_id", "month"], kind="stable").reset_index(drop=True)
    rows = np.ones(len(frame), dtype=bool)
    rows[np.flatnonzero(frame.duplicated(["household_id", "month"], keep=False).to_numpy())[::7]] = False
    for key in (("household_id",), ("household_id", "month"), ("household_id", "month", "account_id")):
        # when the repeats are found (the rows stand in key order: neighbours are compared)
        assert _sorted_repeats(frame, key, rows) is not None
        # then they are the rows ``duplicated`` names among the rows checked
        np.testing.assert_array_equal(_repeated(frame, key, rows), _old_repeats(frame, list(key), rows))
    assert _old_repeats(frame, ["household_id", "month"], rows).sum() > 25  # 45 planted, some left out
    # and a table out of key order, or with a missing key, is left to the general way
    swapped = frame.iloc[[1, 0, *range(2, len(frame))]].reset_index(drop=True)
    assert _sorted_repeats(swapped, ("household_id", "month"), rows) is None
    np.testing.assert_array_equal(_repeated(swapped, ("household_id", "month"), rows),
                                  _old_repeats(swapped, ["household_id", "month"], rows))
    crossed = pd.DataFrame({"household_id": pd.Series(["H1", "H0", "H1"], dtype="str"),
                            "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"])})
    assert _sorted_repeats(crossed, ("household_id", "month"), np.ones(3, dtype=bool)) is None
    assert _repeated(crossed, ("household_id", "month"), np.ones(3, dtype=bool)).tolist() == [False, False, True]
    holed = frame.assign(month=frame["month"].where(np.arange(len(frame)) != 3))
    assert _sorted_repeats(holed, ("household_id", "month"), rows) is None


def test_quarantine_of_planted_ids_and_repeats_is_what_the_value_checks_gave():
    # given bank customers with every planted ID number, then three customer ids again: a repeat of a good row,
    # a repeat of a row refused for its ID number and a repeat of a row refused for its accounts
    ids = _planted_ids()
    good, x_row, n = list(ids).index("good"), list(ids).index("good with X"), len(ids)
    frame = pd.DataFrame({"customer_id": [f"C{k}" for k in range(n)] + [f"C{good}", "C0", f"C{x_row}"],
                          "household_id": [f"H{k:011d}" for k in range(n + 3)], "name": ["王萍"] * (n + 3),
                          "id_number": [*ids.values(), ids["good"], ids["good"], ids["good"]],
                          "phone": ["13800000000"] * (n + 3), "accounts": [1] * (n + 3)})
    frame.loc[x_row, "accounts"] = -1
    # when the table is checked
    checked = validate_table("bank_customers", frame)
    q = checked.quarantine
    # then the IDs refused are exactly those the value check refuses, named with the rule, the value masked
    rule = "a valid GB 11643 ID number (format, birth date, check digit)"
    refused = set(q.loc[q["rule"] == rule, "record"].astype(int))
    assert refused == {i for i, v in enumerate(frame["id_number"])
                       if v is not None and v != "" and not (isinstance(v, str) and is_valid_id_number(v))}
    assert len(refused) == 11  # the ten planted kinds that break a rule, and a number that is not text
    assert set(q.loc[q["rule"] == rule, "field"]) == {"id_number"}
    required = q[(q["field"] == "id_number") & (q["rule"] == "a value is required")]
    assert set(required["record"].astype(int)) == {list(ids).index("empty"), list(ids).index("missing")}
    assert not any(str(ids["check digit"]) == v for v in q["value"])
    # and only the repeat of the good row is refused as a duplicate (the others' first rows were refused)
    repeats = q[q["rule"].str.startswith("duplicate customer_id")]
    assert repeats["record"].astype(int).tolist() == [n]
    assert len(checked.frame) + q["record"].nunique() == len(frame)
