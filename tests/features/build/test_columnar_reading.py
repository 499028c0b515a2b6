"""Reading by whole columns (Arrow text as Parquet gives it) rejects exactly what reading cell by cell rejected.

Each check runs on a table with bad rows planted at known places, once with its text columns as Parquet reads
them (Arrow-backed) and once as plain Python objects (the way every row used to be read): the rows refused, and the
field, value and rule named for each, must be the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build.checks import FeatureInputError, code_problems, merge_problems, number_problems
from features.build.index import household_codes
from features.build.table import build_features
from features.sources.schemas import validate_table
from models.policy import load_policy
from tests.features import hand_made as hm

PROGRAM = load_policy()
MONTHS = pd.date_range("2023-01-01", periods=40, freq="MS")


def _as_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """The same table with every text column held as Python objects."""
    return frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)})


def _planted_grid() -> pd.DataFrame:
    """Forty grid months of two accounts with unknown, empty and missing codes planted among good ones."""
    status = ["N"] * 40
    five = ["正常"] * 40
    status[3], status[7], status[11], status[19] = "Q", "", None, "8"
    five[5], five[7], five[23], five[31] = "很好", "关 注", None, ""
    frame = pd.DataFrame({"account_id": ["L1"] * 20 + ["L2"] * 20, "household_id": ["H00000000001"] * 40,
                          "month": MONTHS, "status": status, "five_class": five})
    assert isinstance(frame["status"].dtype, pd.StringDtype)  # as Parquet reads text
    return frame


def test_the_schema_check_quarantines_the_same_grid_rows_for_arrow_and_object_text():
    # given a grid with bad codes planted at known places
    frame = _planted_grid()
    # when it is checked as Parquet gives it and as Python objects
    arrow, objects = validate_table("repayment_history", frame), validate_table("repayment_history",
                                                                               _as_objects(frame))
    # then the same rows are refused, each naming the same field, value and rule
    pd.testing.assert_frame_equal(arrow.quarantine.astype(object), objects.quarantine.astype(object))
    assert sorted(arrow.quarantine["record"].astype(int).unique()) == [3, 5, 7, 11, 19, 23, 31]
    unknown = arrow.quarantine[arrow.quarantine["record"] == "19"].iloc[0]
    assert (unknown["field"], unknown["value"]) == ("status", "'8'") and unknown["rule"].startswith("one of N 1")
    assert len(arrow.frame) == len(objects.frame) == 33


def test_grid_code_problems_name_the_same_records_from_a_column_and_from_cells():
    # given the planted grid
    frame = _planted_grid()
    households = frame["household_id"]
    # when the unknown codes are found on the Arrow column and on a plain object array
    by_column = code_problems("repayment_history", "status", frame["status"], "N1234567CGDZB*#/", households,
                              "a PBOC code", lambda i: f"month {i}")
    by_cells = code_problems("repayment_history", "status", frame["status"].to_numpy(dtype=object),
                             "N1234567CGDZB*#/", households.to_numpy(dtype=object), "a PBOC code",
                             lambda i: f"month {i}")
    # then the same records carry the same text: field, value, household, place and rule
    assert by_column.tolist() == by_cells.tolist()
    assert np.flatnonzero(by_column != "").tolist() == [3, 7, 19]  # a missing code is no problem
    assert by_column[19] == ("repayment_history.status = '8' (household H00000000001, month 19) breaks the rule: "
                             "a PBOC code")


def test_arrow_household_lookup_equals_the_index_lookup_with_unknown_and_missing_ids():
    # given a universe of households and ids that are known, unknown or missing
    households = pd.Index(["H00000000001", "H00000000002", "H00000000003"], dtype=object)
    ids = pd.Series(["H00000000003", "H99999999999", None, "H00000000001", "", "H00000000003"], dtype="str")
    # when each is looked up through Arrow and through pandas' index on text
    arrow = household_codes(ids, households)
    cells = household_codes(ids.astype(object), households)
    # then both give the same positions, -1 where the household is not in the universe
    assert arrow.tolist() == cells.tolist() == [2, -1, -1, 0, -1, 2]


def test_merging_problems_keeps_the_first_problem_of_each_record():
    # given three checks over ten records with problems planted, some records failing several checks
    first = np.array(["", "a1", "", "", "a4", "", "", "", "", ""], dtype=object)
    second = np.array(["", "b1", "b2", "", "", "", "b6", "", "", ""], dtype=object)
    third = np.array(["c0", "", "c2", "", "c4", "", "", "", "", "c9"], dtype=object)
    # when they are merged
    merged = merge_problems(first, second, third)
    # then each record keeps the first check's problem that it failed, as a record-by-record pass would
    by_record = [next((p for p in (a, b, c) if p), "") for a, b, c in zip(first, second, third, strict=True)]
    assert merged.tolist() == by_record == ["c0", "a1", "b2", "", "a4", "", "b6", "", "", "c9"]
    assert first[0] == ""  # the inputs are left as they were


def test_number_problems_and_merge_name_the_first_bad_value_of_a_record():
    values = np.array([1.0, -2.0, np.nan, 5.0, -0.5])
    households = np.array(["H1", "H2", "H3", "H4", "H5"], dtype=object)
    low = number_problems("account_flows", "inflow", values, households, 0.0, np.inf, "inflow ≥ 0")
    assert np.flatnonzero(low != "").tolist() == [1, 4]
    assert low[1] == "account_flows.inflow = -2 (household H2) breaks the rule: inflow ≥ 0"


@pytest.mark.parametrize("code", ["Q", "8"])
def test_a_bad_grid_code_raises_the_same_message_for_arrow_and_object_sources(code):
    # given the hand-made household with a bad code in the window, its grid as Parquet gives it or as objects
    arrow = hm.sources(statuses="N" * 20 + code + "N" * 3)
    objects = hm.sources(statuses="N" * 20 + code + "N" * 3)
    objects.repayment_history = _as_objects(objects.repayment_history)
    messages = []
    for src in (arrow, objects):
        # when its features are built
        with pytest.raises(FeatureInputError) as err:
            build_features(src, hm.request(), PROGRAM)
        messages.append(str(err.value))
    # then both refuse it with the same message naming field, value, household, month and rule
    assert messages[0] == messages[1]
    assert f"repayment_history.status = '{code}'" in messages[0] and "2024-09" in messages[0]


def test_arrow_and_object_sources_give_the_same_features():
    # given the hand-made household, once as Parquet text and once as Python objects
    arrow = hm.sources(statuses="N" * 18 + "12" + "N" * 4)
    objects = hm.sources(statuses="N" * 18 + "12" + "N" * 4)
    for name in ("account_flows", "repayment_history", "loan_accounts", "base_list", "credit_queries"):
        setattr(objects, name, _as_objects(getattr(objects, name)))
    # when / then the features are the same
    pd.testing.assert_frame_equal(build_features(arrow, hm.request(), PROGRAM),
                                  build_features(objects, hm.request(), PROGRAM))
