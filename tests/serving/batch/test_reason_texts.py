"""The batch writes each distinct reason sentence once, and every slot gets the sentence its own row would get."""

from __future__ import annotations

import datetime as dt

import numpy as np

from serving.batch.chunk import TOP_REASONS, _reason_columns, _value_codes, decide_all

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def test_every_reason_sentence_is_the_one_its_rows_decision_states(table, loaded, policy):
    # given every application of the simulated county decided as one partition
    features = table.drop(columns=["default_12m"]).reset_index(drop=True)
    rows = decide_all(features, loaded, policy, NOW)
    # when its reasons are laid out as columns (each distinct sentence written once)
    columns = _reason_columns(rows)
    # then every row's slots hold exactly the features and sentences of that row's own Decision, row by row
    shared = 0
    for i in range(len(rows)):
        reasons = rows.reasons(i)[:TOP_REASONS]
        assert [columns[f"reason_{k + 1}_feature"][i] for k in range(len(reasons))] == [r.feature for r in reasons]
        assert [columns[f"reason_{k + 1}_text_zh"][i] for k in range(len(reasons))] == [r.text_zh for r in reasons]
        assert all(columns[f"reason_{k + 1}_text_zh"][i] is None for k in range(len(reasons), TOP_REASONS))
        shared += len(reasons)
    texts = [t for k in range(TOP_REASONS) for t in columns[f"reason_{k + 1}_text_zh"] if t is not None]
    assert len(texts) == shared > len(set(texts))  # some sentences are shared by several slots


def test_cells_only_a_type_or_a_sign_tells_apart_get_codes_of_their_own():
    # given one feature's cells: equal numbers of different types, a signed zero, NaN beside None, text
    cells = np.array([1, 1.0, True, -0.0, 0.0, np.nan, None, "1", 1.0, 0.0, None], dtype=object)
    # when they are coded for sharing sentences
    codes = _value_codes(cells).tolist()
    # then only cells of the same type and value share a code
    assert len(set(codes[:8])) == 8
    assert codes[8] == codes[1] and codes[9] == codes[4] and codes[10] == codes[6]


def test_a_float_column_keeps_a_signed_zero_apart_and_nan_together():
    # given a column of Python floats only (the usual case, factorised whole)
    cells = np.array([0.25, -0.0, 0.0, np.nan, 0.25, float("nan")], dtype=object)
    codes = _value_codes(cells).tolist()
    # then -0.0 and 0.0 differ, the two 0.25 and the two NaN (both read as missing) agree
    assert codes[1] != codes[2] and codes[0] == codes[4] and codes[3] == codes[5]
    assert len(set(codes)) == 4
