"""A frame's columns as arrays in one pass: pandas' per-column access costs more than a one-row decision itself."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd


def column_arrays(X: pd.DataFrame) -> list[tuple[Any, Any]]:
    """Every column's name and values (numpy array or pandas extension array, dtype kept), in column order."""
    names = X.columns.tolist()
    reader = getattr(X, "_iter_column_arrays", None)  # pandas' own column walk; the public one builds Series
    arrays = list(reader()) if reader is not None else [series.array for _, series in X.items()]
    return list(zip(names, arrays, strict=True))


def as_objects(values: Any) -> np.ndarray:
    """One column as an object array, as ``DataFrame.to_numpy(dtype=object)`` gives it (Timestamps, NaN, NA)."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "Mm":
            return np.asarray(pd.array(values), dtype=object)
        return values.astype(object)
    if isinstance(values, pd.Categorical):  # pandas' own conversion is slow for a few rows
        levels = np.append(category_levels(values.dtype), np.nan)
        return levels[values.codes]  # code -1 (missing) takes the NaN at the end
    return np.asarray(values.to_numpy(dtype=object), dtype=object)


@functools.lru_cache(maxsize=256)
def category_levels(dtype: pd.CategoricalDtype) -> np.ndarray:
    """A categorical dtype's levels as an object array (worked out once per dtype)."""
    levels = np.empty(len(dtype.categories), dtype=object)
    levels[:] = dtype.categories.tolist()
    return levels


def object_arrays(X: pd.DataFrame, names: list[str] | None = None,
                  arrays: list[tuple[Any, Any]] | None = None) -> dict[str, np.ndarray]:
    """The named columns (all by default) as object arrays, read in one pass over the frame.

    ``arrays``: the frame's ``column_arrays`` when the caller already has them (the feature builder does).
    """
    wanted = None if names is None else set(names)
    pairs = column_arrays(X) if arrays is None else arrays
    return {name: as_objects(values) for name, values in pairs if wanted is None or name in wanted}


def missing_cell(value: Any) -> bool:
    """A cell that holds no value: None, pandas' NA or a float NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
