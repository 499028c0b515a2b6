"""Input fingerprints: the fast per-frame hash gives exactly the values of pandas' frame hash, row by row."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from models.decision.builder import canonical_flags, input_hashes


def _reference(features: pd.DataFrame) -> list[str]:
    """The fingerprint's definition: pandas' frame hash over the sorted columns (yes/no text columns as booleans),
    then sha256 with the names."""
    canonical = pd.DataFrame({c: canonical_flags(features[c].to_numpy()) if features[c].dtype == object
                              else features[c] for c in sorted(features.columns)})
    values = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
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
