"""Input fingerprints and the frame's columns read once (``models.decision.fingerprint``).

The fast per-frame hash gives exactly the values of pandas' frame hash, row by row; reading a frame's columns in
one pass gives exactly what pandas' own object conversion gives.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from pandas.core.util.hashing import combine_hash_arrays

from models.decision.fingerprint import FrameColumns, canonical_flags, input_hashes, object_arrays

# -- input fingerprints --------------------------------------------------------------------------------------------


def _reference(features: pd.DataFrame) -> list[str]:
    """The fingerprint's definition: pandas' hash of each sorted column (yes/no text columns as booleans, their gaps
    as all ones like every missing cell) combined as pandas combines a frame's, then sha256 with the names; the
    request's own id is not an input."""
    features = features.drop(columns=[c for c in ("request_id",) if c in features.columns])
    hashes = []
    for c in sorted(features.columns):
        column = features[c]
        raw = column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
        values = canonical_flags(raw) if column.dtype == object else raw
        hashed = pd.util.hash_array(values)
        if isinstance(values, pd.arrays.BooleanArray):
            hashed[np.asarray(values.isna())] = np.uint64(2**64 - 1)
        hashes.append(hashed)
    values = combine_hash_arrays(iter(hashes), len(hashes))
    names = hashlib.sha256("\x1f".join(sorted(map(str, features.columns))).encode()).hexdigest()
    return [hashlib.sha256(f"{names}:{v}".encode()).hexdigest()[:32] for v in values.tolist()]


def _mixed() -> pd.DataFrame:
    return pd.DataFrame({
        "b": [1.0, np.nan, -0.0, 0.0], "a": [1, 2, 3, 4], "c": ["x", None, "y", "x"], "d": [True, "s", None, np.nan],
        "e": pd.Categorical(["p", None, "q", "p"]), "g": pd.array([True, None, False, True], dtype="boolean"),
        "h": pd.to_datetime(["2024-01-01", None, "2024-02-01", "2024-01-01"]), "i": [True, False, True, True],
        "j": np.array([2.5, 1.0, 3.0, np.inf], dtype="float32"), "k": pd.array(["x", None, "z", "x"], dtype="str"),
        "l": [True] * 4, "m": [None] * 4, "n": ["黄龙乡", "x", "", "y"]})


def test_fingerprints_of_the_feature_table_equal_pandas_frame_hash(table: pd.DataFrame) -> None:
    # given the training table built from the simulated county (every feature dtype, missing values included)
    # when fingerprinting it whole and a few rows one at a time
    whole = input_hashes(table)
    singles = [input_hashes(table.iloc[[i]])[0] for i in range(0, len(table), max(1, len(table) // 25))]
    # then each value is pandas' own frame hash of the same rows, and a row's value does not depend on its frame
    reference = _reference(table)
    assert whole == reference
    assert singles == reference[::max(1, len(table) // 25)]


def test_fingerprints_of_mixed_columns_equal_pandas_frame_hash() -> None:
    # given a frame mixing numbers of two widths, strings, mixed objects, categories, nullable and missing values
    frame = _mixed()
    # when fingerprinting the frame and each of its rows on its own
    whole, rows = input_hashes(frame), [input_hashes(frame.iloc[[i]])[0] for i in range(len(frame))]
    # then both equal pandas' frame hash of the same rows
    assert whole == _reference(frame)
    assert rows == [_reference(frame.iloc[[i]])[0] for i in range(len(frame))]


def test_fingerprints_from_columns_already_read_equal_those_read_from_the_frame() -> None:
    # given a frame and its columns read once, as the decision builder passes them on
    frame = _mixed()
    # when fingerprinting the frame and one row with and without the columns at hand
    # then the fingerprints are the same
    assert input_hashes(frame, FrameColumns.read(frame)) == input_hashes(frame)
    one = frame.iloc[[2]]
    assert input_hashes(one, FrameColumns.read(one)) == input_hashes(one)


def test_fingerprint_changes_with_one_value_and_with_column_names() -> None:
    # given a frame and copies differing in one string, in one number, or in a column name
    frame = _mixed()
    other_text, other_number = frame.copy(), frame.copy()
    other_text.loc[0, "n"] = "黄龙乡 "
    other_number.loc[0, "a"] = 5
    renamed = frame.rename(columns={"a": "z"})
    # when fingerprinting them
    base = input_hashes(frame)
    # then only the changed row's fingerprint moves, and a renamed column moves them all
    assert input_hashes(other_text)[0] != base[0] and input_hashes(other_text)[1:] == base[1:]
    assert input_hashes(other_number)[0] != base[0] and input_hashes(other_number)[1:] == base[1:]
    assert all(x != y for x, y in zip(input_hashes(renamed), base, strict=True))


def test_a_row_read_back_from_parquet_keeps_its_fingerprint(table: pd.DataFrame, tmp_path) -> None:
    # given the feature table and the same table written to Parquet and read back (text and flags retyped)
    from features.county import with_categories

    frame = table.head(60)
    frame.to_parquet(tmp_path / "f.parquet", index=False)
    back = with_categories(pd.read_parquet(tmp_path / "f.parquet"))
    assert any(str(frame[c].dtype) != str(back[c].dtype) for c in frame.columns)
    # when both are fingerprinted
    # then every row has the same fingerprint either way
    assert input_hashes(back) == input_hashes(frame)


def test_object_flags_hash_as_booleans() -> None:
    # given yes/no columns typed as object, bool and nullable boolean
    as_object = pd.DataFrame({"f": np.array([True, False, None], dtype=object)})
    as_boolean = pd.DataFrame({"f": pd.array([True, False, None], dtype="boolean")})
    plain = pd.DataFrame({"f": np.array([True, False], dtype=object)})
    # then the typing does not change the fingerprint
    assert input_hashes(as_object) == input_hashes(as_boolean)
    assert input_hashes(plain) == input_hashes(pd.DataFrame({"f": [True, False]}))


# -- the frame's columns read once ---------------------------------------------------------------------------------


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


def test_frame_columns_hold_names_and_values_in_column_order() -> None:
    # given a frame
    frame = _mixed()
    # when its columns are read, and rebuilt from (name, values) pairs as the feature builder hands them over
    read = FrameColumns.read(frame)
    rebuilt = FrameColumns.from_pairs(read.items())
    # then the names are the frame's, in order, each with its column's values, and only the named columns convert
    assert read.names == tuple(frame.columns) == rebuilt.names
    assert all(a is b for a, b in zip(read.values, rebuilt.values, strict=True))
    assert list(read.objects(["c", "a"])) == ["a", "c"]


def test_frame_columns_refuse_names_and_values_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="2 names for 1 columns"):
        FrameColumns(("a", "b"), (np.array([1.0]),))


def test_batch_decision_ids_are_the_uuid5_of_each_application(table: pd.DataFrame) -> None:
    # given every application of the simulated county with its fingerprint, and ids in other scripts and shapes
    import uuid
    from types import SimpleNamespace

    from models.decision.fingerprint import _DECISION_NAMESPACE, decision_id_for, decision_ids

    model = SimpleNamespace(name="kuozhong-credit", version="7", run_id="0f3a9c")
    requests = [str(r) for r in table["request_id"]] + ["申请-嵊山镇-001", "", "a|b", "😀" * 40]
    fingerprints = input_hashes(table) + ["0" * 16, "x", "|", "ff"]
    # when the batch writes them all at once
    ids = decision_ids(requests, fingerprints, model, "abc123")
    # then each is the name-based UUID of its key, as one decision at a time gives it, and all are distinct
    expected = [str(uuid.uuid5(_DECISION_NAMESPACE, f"{r}|{h}|kuozhong-credit|7|0f3a9c|abc123"))
                for r, h in zip(requests, fingerprints, strict=True)]
    assert ids == expected
    assert [decision_id_for(r, h, model, "abc123") for r, h in zip(requests, fingerprints, strict=True)] == expected
    assert len(set(ids)) == len(ids)
