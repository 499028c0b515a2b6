"""Reading a frame's columns in one pass gives exactly what pandas' own object conversion gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.decision.frame_arrays import object_arrays


def _same(a: object, b: object) -> bool:
    if pd.isna(a) is True or pd.isna(b) is True:
        return type(a) is type(b) and bool(pd.isna(a)) and bool(pd.isna(b))
    return type(a) is type(b) and a == b


def _check(frame: pd.DataFrame) -> None:
    reference = frame.to_numpy(dtype=object)
    cells = object_arrays(frame)
    assert list(cells) == list(frame.columns)
    for j, name in enumerate(frame.columns):
        assert cells[name].dtype == object
        mismatched = [(a, b) for a, b in zip(reference[:, j], cells[name], strict=True) if not _same(a, b)]
        assert not mismatched, f"column {name}: {mismatched[:3]}"


def test_feature_table_cells_equal_pandas_object_conversion(table: pd.DataFrame) -> None:
    # given the county's feature table (floats, text, categories, booleans with NA, dates)
    # when reading one row, a few rows and the whole table
    # then every cell is the value and type pandas' own conversion gives
    for frame in (table.iloc[[3]], table.iloc[:40], table):
        _check(frame)


def test_mixed_columns_with_missing_values() -> None:
    # given columns of every kind with missing values in each
    frame = pd.DataFrame({
        "f": [1.5, np.nan], "i": [1, 2], "o": ["x", None], "c": pd.Categorical(["p", None], categories=["p", "q"]),
        "b": pd.array([True, None], dtype="boolean"), "t": pd.to_datetime(["2024-01-01", None]),
        "s": pd.array(["x", None], dtype="str"), "k": [True, False]})
    # then the one-pass reading matches pandas cell for cell
    _check(frame)
    _check(frame.iloc[[1]])
