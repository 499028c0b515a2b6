"""Input fingerprints of feature frames, and the frame's columns read once that they and the decision share.

A Decision carries ``input_hash``: a fingerprint of its row's column names and values (all but the request's own
id), from which personal fields cannot be read back. ``input_hashes`` computes it for a whole frame at once; its values equal pandas' own
frame hash (``pd.util.hash_pandas_object`` over the sorted columns, yes/no text read as booleans, a missing yes/no
as all ones like every missing cell) followed by sha256 with the names, so stored fingerprints stay comparable.

``FrameColumns`` is a frame's columns as arrays, read in one pass: pandas' per-column access costs more than a
one-row decision itself, so the feature builder hands over the arrays it built the frame from, and the
fingerprint, the rule inputs and the explanation all read them from there.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

# One column's values: a numpy array or a pandas extension array (categorical, string, nullable), dtype kept.
ColumnValues: TypeAlias = np.ndarray | ExtensionArray


@dataclass(frozen=True, slots=True)
class FrameColumns:
    """A frame's columns in column order: ``names[i]`` holds ``values[i]`` (numpy or pandas array, dtype kept)."""

    names: tuple[str, ...]
    values: tuple[ColumnValues, ...]

    def __post_init__(self) -> None:
        if len(self.names) != len(self.values):
            raise ValueError(f"FrameColumns: {len(self.names)} names for {len(self.values)} columns")

    @classmethod
    def read(cls, frame: pd.DataFrame) -> FrameColumns:
        """Every column of ``frame`` in one pass over it."""
        reader = getattr(frame, "_iter_column_arrays", None)  # pandas' own column walk; the public one builds Series
        values = tuple(reader()) if reader is not None else tuple(series.array for _, series in frame.items())
        return cls(tuple(frame.columns.tolist()), values)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, ColumnValues]]) -> FrameColumns:
        """The columns given as (name, values) pairs in column order (as the feature builder returns them)."""
        listed = list(pairs)
        return cls(tuple(name for name, _ in listed), tuple(values for _, values in listed))

    def items(self) -> Iterator[tuple[str, ColumnValues]]:
        """(name, values) of each column, in column order."""
        return zip(self.names, self.values, strict=True)

    def objects(self, names: Collection[str] | None = None) -> dict[str, np.ndarray]:
        """The named columns (all by default) as object arrays, as ``DataFrame.to_numpy(dtype=object)`` gives them."""
        wanted = None if names is None else set(names)
        return {name: as_objects(values) for name, values in self.items() if wanted is None or name in wanted}


def object_arrays(frame: pd.DataFrame, names: Collection[str] | None = None) -> dict[str, np.ndarray]:
    """The named columns of ``frame`` (all by default) as object arrays, read in one pass over the frame."""
    return FrameColumns.read(frame).objects(names)


def as_objects(values: ColumnValues) -> np.ndarray:
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


def missing_cell(value: Any) -> bool:
    """A cell that holds no value: None, pandas' NA or a float NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


_DECISION_NAMESPACE = uuid.UUID("6f1d2b1e-4c1a-5b8e-9d0a-330922204123")


def decision_id_for(request_id: str, input_fingerprint: str, model: Any, policy_hash: str) -> str:
    """A decision id that depends only on the application (its id and inputs) and the model and policy versions.

    ``model``: anything with ``name``, ``version`` and ``run_id`` (a ``ModelRef``). Deciding the same application
    with the same model and policy gives the same id however a batch is cut or resumed.
    """
    return decision_ids([request_id], [input_fingerprint], model, policy_hash)[0]


def decision_ids(request_ids: Iterable[str], input_fingerprints: Iterable[str], model: Any,
                 policy_hash: str) -> list[str]:
    """``decision_id_for`` of many applications decided by one model and policy (a batch partition's ids).

    Each is ``uuid.uuid5`` of the same key, its name-based SHA-1 UUID written out directly (RFC 4122: the hash's
    first 16 bytes, version 5 and the RFC variant set), without building a ``UUID`` object a row.
    """
    prefix = _DECISION_NAMESPACE.bytes
    tail = f"|{model.name}|{model.version}|{model.run_id}|{policy_hash}"
    out = []
    for request_id, fingerprint in zip(request_ids, input_fingerprints, strict=True):
        digest = bytearray(hashlib.sha1(prefix + f"{request_id}|{fingerprint}{tail}".encode(),
                                        usedforsecurity=False).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x50
        digest[8] = (digest[8] & 0x3F) | 0x80
        h = digest.hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def input_hash(row: pd.Series) -> str:
    """A fingerprint of one row's values (personal fields are hashed, never stored)."""
    payload = {k: (None if _is_missing(v) else str(v)) for k, v in row.items() if not isinstance(v, list | dict)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


# The request's own name is not an input: the same household, date, amount and purpose fingerprint alike whether
# the request came as an application id (the batch) or as household@date (``kuozhong decide``, the API).
NOT_INPUTS = ("request_id",)


def input_hashes(features: pd.DataFrame, columns: FrameColumns | None = None) -> list[str]:
    """A fingerprint of each row of a feature frame (column names and values), computed for the frame at once.

    ``columns``: the frame's columns when already read (``FrameColumns``). The request's id is left out
    (``NOT_INPUTS``): the one definition the decide path and both batch inputs share.
    """
    if any(name in features.columns for name in NOT_INPUTS):
        features = features.drop(columns=[n for n in NOT_INPUTS if n in features.columns])
        if columns is not None:
            columns = FrameColumns.from_pairs((n, v) for n, v in columns.items() if n not in NOT_INPUTS)
    try:
        values = _row_hashes(features, columns)
    except TypeError:  # unhashable cells (lists, dicts): the row-by-row fingerprint
        return [input_hash(features.iloc[i]) for i in range(len(features))]
    names = _names_hash(tuple(features.columns.tolist()))
    return [hashlib.sha256(f"{names}:{v}".encode()).hexdigest()[:32] for v in values.tolist()]


@functools.lru_cache(maxsize=64)
def _names_hash(columns: tuple[Any, ...]) -> str:
    """The fingerprint's part that comes from the column names (the same for every frame of one builder)."""
    return hashlib.sha256("\x1f".join(sorted(map(str, columns))).encode()).hexdigest()


def _row_hashes(features: pd.DataFrame, columns: FrameColumns | None = None) -> np.ndarray:
    """``pd.util.hash_pandas_object`` of the frame's columns in sorted order, computed faster.

    Object columns of yes/no values are hashed as the boolean columns they stand for (``canonical_flags``).

    Numeric columns of one dtype are hashed in a single call (the hash of a number depends on that number only), and
    so are object columns holding only strings (a string's hash is the same with or without pandas' categorising);
    every other column on its own, as pandas does. The column hashes are then folded in sorted column order exactly
    as pandas folds them (CPython's tuple hash), so stored fingerprints stay comparable.
    """
    if features.columns.has_duplicates:
        return pd.util.hash_pandas_object(features[sorted(features.columns)], index=False).to_numpy()
    names = sorted(features.columns.tolist())
    n = len(features)
    read = FrameColumns.read(features) if columns is None else columns
    if n == 1:
        one = _one_row_hashes(read)
        return np.array([_fold([int(one[name]) for name in names])], dtype=np.uint64)
    hashed: dict[str, np.ndarray] = {}
    groups: dict[np.dtype, list[tuple[str, np.ndarray]]] = {}
    texts: dict[str, np.ndarray] = {}
    gaps: dict[str, np.ndarray] = {}
    for name, raw in read.items():
        values = canonical_flags(raw)
        if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
            groups.setdefault(values.dtype, []).append((name, values))
            continue
        strings = _strings(values)
        if strings is None:
            hashed[name] = _flag_gaps(raw, values, pd.util.hash_array(values))
        else:
            texts[name], gaps[name] = strings
    for group in groups.values():
        block = pd.util.hash_array(np.concatenate([values for _, values in group])).reshape(len(group), n)
        hashed.update(zip((name for name, _ in group), block, strict=True))
    if texts:
        block = pd.util.hash_array(np.concatenate(list(texts.values())), categorize=False).reshape(len(texts), n)
        for name, values in zip(texts, block, strict=True):
            values[gaps[name]] = _MISSING_HASH  # pandas hashes a missing text as the factorised code -1
            hashed[name] = values
    if n <= _FOLD_IN_PYTHON:  # a few rows: plain integers beat numpy's per-call cost on one-element arrays
        return np.array([_fold([int(hashed[name][r]) for name in names]) for r in range(n)], dtype=np.uint64)
    out = np.full(n, 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    for i, name in enumerate(names):
        inverse = len(names) - i
        out ^= hashed[name]
        out *= mult
        mult += np.uint64(82520 + inverse + inverse)
    out += np.uint64(97531)
    return out


def _one_row_hashes(columns: FrameColumns) -> dict[str, np.uint64]:
    """Each column's hash for a one-row frame: the same values as the frame path, grouped by kind by hand.

    One row is the API's case. Reading each cell's type directly and hashing every number, flag and text in one
    call per kind costs a fraction of the general path's per-column checks; anything unusual goes through it.
    """
    hashed: dict[str, np.uint64] = {}
    numbers: dict[np.dtype, list[tuple[str, Any]]] = {}
    flags: list[tuple[str, bool]] = []
    texts: list[tuple[str, str]] = []
    for name, values in columns.items():
        if isinstance(values, np.ndarray):
            kind = values.dtype.kind
            if kind in "iuf":
                numbers.setdefault(values.dtype, []).append((name, values[0]))
                continue
            if kind == "b":
                flags.append((name, bool(values[0])))
                continue
            if kind == "O":
                value = values[0]
                if type(value) is str:
                    texts.append((name, value))
                    continue
                if type(value) is bool or type(value) is np.bool_:  # a yes/no column (``canonical_flags``)
                    flags.append((name, bool(value)))
                    continue
                if missing_cell(value):
                    hashed[name] = _MISSING_HASH
                    continue
        elif isinstance(values, pd.Categorical) and all(type(c) is str for c in category_levels(values.dtype)):
            code = int(values.codes[0])
            if code < 0:
                hashed[name] = _MISSING_HASH
            else:
                texts.append((name, category_levels(values.dtype)[code]))
            continue
        elif isinstance(values.dtype, pd.StringDtype):
            value = values[0]
            if missing_cell(value):
                hashed[name] = _MISSING_HASH
            else:
                texts.append((name, str(value)))
            continue
        hashed[name] = _column_hash(values)[0]
    for dtype, group in numbers.items():
        hashed.update(zip((name for name, _ in group),
                          pd.util.hash_array(np.array([v for _, v in group], dtype=dtype)), strict=True))
    if flags:
        hashed.update(zip((name for name, _ in flags), pd.util.hash_array(np.array([v for _, v in flags])),
                          strict=True))
    if texts:
        block = np.empty(len(texts), dtype=object)
        block[:] = [v for _, v in texts]
        hashed.update(zip((name for name, _ in texts), pd.util.hash_array(block, categorize=False), strict=True))
    return hashed


def _flag_gaps(raw: ColumnValues, values: ColumnValues, hashed: np.ndarray) -> np.ndarray:
    """Gaps of a yes/no column (nullable booleans, or yes/no text read as booleans) hash as every missing cell does.

    On its own row a missing yes/no is a bare None, whose column type cannot be told; in a frame the column reads as
    booleans. Both give the all-ones hash, so one application has one fingerprint however many rows came with it.
    """
    if isinstance(values, pd.arrays.BooleanArray):
        hashed[np.asarray(values.isna())] = _MISSING_HASH
    return hashed


def _column_hash(raw: ColumnValues) -> np.ndarray:
    """One column's hashes as the frame path computes them (yes/no text as booleans, text by its strings)."""
    values = canonical_flags(raw)
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        return pd.util.hash_array(values)
    strings = _strings(values)
    if strings is None:
        return _flag_gaps(raw, values, pd.util.hash_array(values))
    out = pd.util.hash_array(strings[0], categorize=False)
    out[strings[1]] = _MISSING_HASH
    return out


_MISSING_HASH = np.uint64(2**64 - 1)
_FOLD_IN_PYTHON = 8
_MASK64 = 2**64 - 1


def _fold(hashes: list[int]) -> int:
    """The fold pandas applies to one row's column hashes (CPython's tuple hash in unsigned 64-bit arithmetic)."""
    out, mult, count = 0x345678, 1000003, len(hashes)
    for i, value in enumerate(hashes):
        inverse = count - i
        out = ((out ^ value) * mult) & _MASK64
        mult = (mult + 82520 + inverse + inverse) & _MASK64
    return (out + 97531) & _MASK64


def canonical_flags(values: ColumnValues) -> ColumnValues:
    """A text-typed column holding only yes/no values (and gaps) as the boolean column it stands for.

    Parquet, JSON and in-memory frames type the same flags differently (object, ``bool``, ``boolean``); read as
    booleans they fingerprint alike, so a decision's input hash does not depend on where its row came from.
    """
    if not (isinstance(values, np.ndarray) and values.dtype == object) or not len(values):
        return values
    gaps = pd.isna(values)
    present = values[~gaps]
    if not len(present) or not all(type(v) is bool or type(v) is np.bool_ for v in present):
        return values
    if not gaps.any():
        return values.astype(bool)
    return pd.array([None if gap else bool(v) for v, gap in zip(values, gaps, strict=True)], dtype="boolean")


def _strings(values: ColumnValues) -> tuple[np.ndarray, np.ndarray] | None:
    """A text column's values as plain strings ("" where missing) and where it is missing; None if not text.

    Plain, pandas-string and categorical-of-text columns all hash as their strings do in pandas (a missing value as
    the all-ones hash), so they go into one hashing call together.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if not all(type(c) is str for c in dtype.categories):
            return None
    elif not (isinstance(dtype, pd.StringDtype) or isinstance(dtype, np.dtype) and dtype.kind == "O"):
        return None
    objects = as_objects(values)
    gaps = pd.isna(objects)
    if gaps.any():
        objects = objects.copy()
        objects[gaps] = ""
    if not set(map(type, objects)) <= {str}:  # the types gathered in one C-level pass
        return None
    return objects, gaps


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
