"""Raw records grouped by household once, so a batch and a single application read them the same way.

Every tabular source becomes column arrays sorted by household code with each household's ``[start, stop)``
slice; ``gather`` returns the (request row, record position) pairs of the households asked for. A batch of
30,000 requests and one request go through the same ``gather`` and the same feature functions: only the number
of rows differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def month_codes(values: object) -> np.ndarray:
    """Months since 1970-01 of datetime-like values (the month a record belongs to).

    A column holds a few dozen distinct months over a million records: each distinct value is converted once.
    """
    codes, uniques = pd.factorize(np.asarray(pd.to_datetime(values)))  # a missing time: code -1, the last entry
    distinct = np.append(np.asarray(uniques), np.datetime64("NaT")).astype("datetime64[M]")
    return distinct.astype(np.int64)[codes]


def day_codes(values: object) -> np.ndarray:
    """Days since 1970-01-01 of datetime-like values."""
    return np.asarray(pd.to_datetime(values)).astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class Records:
    """One source's records sorted by household: column arrays and each household's ``[start, stop)``."""

    columns: dict[str, np.ndarray]
    start: np.ndarray
    stop: np.ndarray

    @property
    def present(self) -> bool:
        """False when the source was absent (no table, or a table without a household column)."""
        return bool(self.columns)

    def __len__(self) -> int:
        return int(self.stop[-1]) if self.stop.size else 0

    def gather(self, household_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(request row, record position) of every record of each request's household (code -1: none)."""
        codes = np.asarray(household_codes, dtype=np.int64)
        known = codes >= 0
        safe = np.where(known, codes, 0)
        starts = np.where(known, self.start[safe], 0) if self.start.size else np.zeros_like(codes)
        counts = np.where(known, self.stop[safe] - starts, 0) if self.stop.size else np.zeros_like(codes)
        rows = np.repeat(np.arange(codes.size), counts)
        offsets = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
        return rows, np.repeat(starts, counts) + offsets

    def count_for(self, household_codes: np.ndarray) -> np.ndarray:
        """Number of records of each request's household."""
        codes = np.asarray(household_codes, dtype=np.int64)
        if not self.stop.size:
            return np.zeros(codes.size, dtype=np.int64)
        safe = np.where(codes >= 0, codes, 0)
        return np.where(codes >= 0, self.stop[safe] - self.start[safe], 0)


def household_codes(ids: pd.Series, households: pd.Index) -> np.ndarray:
    """Each record's position in ``households`` (-1 where the household is not there or the id is missing).

    A column of Arrow-backed text (as Parquet reads) is looked up by Arrow without turning a million ids into
    Python strings; any other column by pandas on its text, as before.
    """
    if isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow" and households.size:
        values = pa.array(ids.array)
        found = pc.index_in(values, value_set=pa.array(households.to_numpy(), type=values.type))
        return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(households.get_indexer(ids.astype(str)), dtype=np.int64)


def group_records(frame: pd.DataFrame | None, households: pd.Index, columns: dict[str, str],
                  order_by: str | None = None) -> Records:
    """Group ``frame`` by household.

    ``columns`` maps array name -> conversion (``raw``, ``month``, ``day``, ``float``, ``str``); columns the
    frame lacks are left out (optional raw fields).
    """
    if frame is None or "household_id" not in frame.columns:
        return group_arrays(None, households, {})
    arrays: dict[str, np.ndarray] = {}
    for name, kind in columns.items():
        if name not in frame.columns:
            continue
        values = frame[name]
        if kind == "month":
            arrays[name] = month_codes(values)
        elif kind == "day":
            arrays[name] = day_codes(values)
        elif kind == "float":
            arrays[name] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        elif kind == "str":
            arrays[name] = values.astype(object).to_numpy()
        else:
            arrays[name] = values.to_numpy(dtype=object)
    order_key = day_codes(frame[order_by]) if order_by is not None and order_by in frame.columns else None
    return group_arrays(frame["household_id"], households, arrays, order_key)


def group_arrays(household_ids: pd.Series | None, households: pd.Index, arrays: dict[str, np.ndarray],
                 order_key: np.ndarray | None = None) -> Records:
    """Group record arrays (in the table's order) by household, each household's records in ``order_key`` order."""
    n_households = len(households)
    if household_ids is None:
        empty = np.zeros(n_households, dtype=np.int64)
        return Records({}, empty, empty)
    codes = household_codes(household_ids, households)
    if _in_order(codes, order_key):  # a table already sorted by household (and key) is kept as it is, not copied
        grouped = {"household_code": codes} | arrays
    else:
        order = np.lexsort((order_key, codes)) if order_key is not None else np.argsort(codes, kind="stable")
        grouped = {"household_code": codes[order]} | {name: values[order] for name, values in arrays.items()}
    counts = np.bincount(codes[codes >= 0], minlength=n_households)
    stop = np.cumsum(counts) + int((codes < 0).sum())  # unknown households (code -1) sort first; skip them
    return Records(grouped, stop - counts, stop)


def _in_order(codes: np.ndarray, order_key: np.ndarray | None) -> bool:
    """True when the records already stand in the order the grouping sorts them into (the sort would keep them)."""
    step = np.diff(codes)
    if order_key is None:
        return bool((step >= 0).all())
    return bool(((step > 0) | ((step == 0) & (np.diff(order_key) >= 0))).all())


def household_universe(frames: Iterable[pd.DataFrame | None]) -> pd.Index:
    """Every household id that appears in any source, as a sorted index."""
    columns = [frame["household_id"].astype(str) for frame in frames
               if frame is not None and "household_id" in frame.columns]
    if any(column.hasnans for column in columns):  # text that stays missing: read as before
        ids: set[str] = set()
        for column in columns:
            ids.update(column.unique().tolist())
        return pd.Index(sorted(ids), dtype=object)
    # each column's distinct ids by Arrow, then all of them sorted by code point (UTF-8 byte order) as ``sorted``
    parts = [pc.unique(pa.array(column.array) if isinstance(column.dtype, pd.StringDtype)
                       and column.dtype.storage == "pyarrow" else pa.array(column.unique().tolist(), pa.string()))
             for column in columns]
    distinct = pc.unique(pa.chunked_array([p.cast(pa.large_string()) for p in parts], pa.large_string()))
    return pd.Index(distinct.take(pc.sort_indices(distinct)).to_pylist(), dtype=object)
