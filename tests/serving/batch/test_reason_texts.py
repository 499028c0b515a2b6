"""Every reason slot the batch lays out holds the feature and sentence of that row's own Decision."""

from __future__ import annotations

import datetime as dt

from serving.batch.chunk import TOP_REASONS, _reason_columns, decide_all

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def test_every_reason_sentence_is_the_one_its_rows_decision_states(table, loaded, policy):
    # given every application of the simulated county decided as one partition
    features = table.drop(columns=["default_12m"]).reset_index(drop=True)
    rows = decide_all(features, loaded, policy, NOW)
    # when its reasons are laid out as columns
    columns = _reason_columns(rows)
    # then every row's slots hold exactly the features and sentences of that row's own Decision, row by row
    slots = 0
    for i in range(len(rows)):
        reasons = rows.reasons(i)[:TOP_REASONS]
        assert [columns[f"reason_{k + 1}_feature"][i] for k in range(len(reasons))] == [r.feature for r in reasons]
        assert [columns[f"reason_{k + 1}_text_zh"][i] for k in range(len(reasons))] == [r.text_zh for r in reasons]
        assert all(columns[f"reason_{k + 1}_text_zh"][i] is None for k in range(len(reasons), TOP_REASONS))
        slots += len(reasons)
    texts = [t for k in range(TOP_REASONS) for t in columns[f"reason_{k + 1}_text_zh"] if t is not None]
    assert len(texts) == slots > 0
