"""A column's cells told apart as a rule tells them apart, and a lenient reader applied once per distinct cell.

Two cells are the same to a rule only when equal values of the same type, with a float's sign of zero and a
timestamp's time zone kept apart (they could read differently in a message). Over a frame a reader
(``models.rules.result``: ``day``, ``number``, ``flag``, ``text``) is therefore applied to one cell of each
distinct value and its reading shared, which gives every cell exactly what the reader gives it alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd


def distinct_key(value: Any) -> Any:
    """What tells two cells apart for a rule: the type and value, and the sign of a zero or NaN, the time zone."""
    kind = type(value)
    if isinstance(value, float) and (value != value or value == 0):
        return kind, repr(value)
    if isinstance(value, dt.datetime):
        return kind, value, value.tzinfo
    return kind, value


# Object columns holding only text (or only yes/no) besides None: equal cells are the same to every rule, so
# pandas factorises them whole.
_PLAIN_KINDS = ({str, type(None)}, {bool, type(None)})


def _object_codes(cells: np.ndarray) -> np.ndarray:
    """Integer codes of an object column: equal codes only for cells no rule can tell apart."""
    kinds = set(map(type, cells.tolist()))
    if any(kinds <= plain for plain in _PLAIN_KINDS):
        return pd.factorize(cells, use_na_sentinel=False)[0].astype(np.int64)
    seen: dict[Any, int] = {}
    out = np.empty(len(cells), dtype=np.int64)
    for i, value in enumerate(cells.tolist()):
        try:
            key = distinct_key(value)
            out[i] = seen.setdefault(key, len(seen))
        except TypeError:  # an unhashable cell (a list typed into a form): its own code, never shared
            out[i] = len(seen)
            seen[("unhashable", i)] = out[i]
    return out


def column_codes(series: pd.Series, cells: np.ndarray | None = None) -> np.ndarray:
    """Integer codes of one input column; a typed column is factorised whole, an object column cell by cell.

    ``cells``: the column as object cells, when already read.
    """
    dtype = series.dtype
    if cells is None and dtype.kind not in "iubM":
        cells = series.to_numpy(dtype=object)
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(series.cat.codes, dtype=np.int64) + 1  # a missing cell's -1 becomes a code of its own
    if dtype.kind == "f":
        values = series.to_numpy()
        if np.any((values == 0) & np.signbit(values)):  # -0.0 beside 0.0: told apart cell by cell
            return _object_codes(cells)  # type: ignore[arg-type]
    if dtype.kind in "fiubM" or isinstance(dtype, pd.StringDtype):
        return pd.factorize(series, use_na_sentinel=False)[0].astype(np.int64)
    return _object_codes(cells)  # type: ignore[arg-type]


def read_cells(column: pd.Series | np.ndarray | None, reader: Callable[[Any], Any], n: int) -> list[Any]:
    """``reader`` on every cell of a column (None: a column the row lacks, every cell missing), once a distinct cell.

    A few cells (one applicant) are read one by one; a frame's column is read once per distinct cell.
    """
    if column is None:
        return [reader(None)] * n
    if isinstance(column, np.ndarray) and column.dtype == object and len(column) <= 8:
        return [reader(v) for v in column.tolist()]
    series = column if isinstance(column, pd.Series) else pd.Series(column, dtype=object)
    cells = None if series.dtype.kind == "M" else series.to_numpy(dtype=object)
    codes = column_codes(series, cells)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    taken = series.take(first).to_numpy(dtype=object) if cells is None else cells[first]
    readings = [reader(v) for v in taken.tolist()]
    return [readings[k] for k in inverse.reshape(-1).tolist()]


def one_row(row: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """One row's cells as one-cell columns (a field the row lacks is a missing cell), for a rule over columns."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        cell = np.empty(1, dtype=object)
        cell[0] = row.get(name)
        out[name] = cell
    return out
