"""The approval file never recommends approval beside a limit of 0 元, over every application of the county."""

from __future__ import annotations

import datetime as dt

from models.decision.builder import ModelRef, decide_frame
from serving.approval.view import approval_view

NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)


def test_no_approval_file_shows_approve_beside_a_zero_limit(trained_store, table, policy):
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    decisions = decide_frame(table, result.model, ref, policy, now=NOW, with_what_would_change=False)
    views = [approval_view(d) for d in decisions]
    approving = [v for v in views if v.recommendation == "建议批准"]
    assert approving  # the county has approvals to look at
    assert [v.decision_id for v in approving if ("额度", "0 元") in v.terms or not v.terms] == []
    # while files with a 0 元 limit exist, and recommend a person's review instead
    zero = [v for v in views if ("额度", "0 元") in v.terms]
    assert zero and all(v.recommendation != "建议批准" for v in zero)
