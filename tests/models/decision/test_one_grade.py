"""One grade per row: the model's frame, the Decision (API), the batch's flat row and the fairness search agree.

Rows are placed within half a hundredth of a point under each bar (the model's calibration intercept moved so that
one row scores bar − 0.003, stated as the bar, or bar − 0.006, stated a hundredth under it), where grading the raw
score and grading the stated score once disagreed.
"""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

from models.decision.builder import decide_rows
from serving.batch.chunk import flatten
from training.fairness import approvals
from training.registry import load_by_alias

NOW = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
UNDER = (0.003, 0.006, 0.0049, 0.0051)


@pytest.fixture(scope="module")
def champion(trained_store):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KUOZHONG_MLRUNS", str(trained_store[0]))
        return load_by_alias("champion")


def _placed(model, score_now: float, target: float):
    """A copy of the model whose scores are all moved so that a row scoring ``score_now`` scores ``target``."""
    moved = copy.deepcopy(model)
    moved.calibration_intercept_ = model.calibration_intercept_ + (score_now - target) / model.points_factor
    return moved


def test_every_surface_gives_a_row_near_a_bar_the_same_grade(champion, table, policy):
    # given forty applications and the champion
    rows = table.iloc[:40].reset_index(drop=True)
    scores = champion.model.predict_frame(rows)["score"].to_numpy()
    bars = [g.min_score for g in policy.grades if g.min_score > 0]
    checked = near = 0
    for bar in bars:
        for under in UNDER:
            # when the model is moved so that row 0 scores just under the bar
            model = _placed(champion.model, float(scores[0]), bar - under)
            frame = model.predict_frame(rows)
            assert frame["score"].iloc[0] == pytest.approx(bar - under, abs=1e-6)
            decided = decide_rows(rows, model, champion.ref, policy, NOW, with_what_would_change=False)
            flat = flatten(decided, rows)
            # then the model's frame, one-row prediction, the Decision, the batch row and the policy give one grade
            for i in range(len(rows)):
                decision = decided.decision(i)
                grades = {frame["grade"].iloc[i], model.predict_one(rows.iloc[i].to_dict())["grade"],
                          decision.grade, flat["grade"].iloc[i], policy.grade_for(decision.score).grade,
                          policy.grade_for(float(flat["score"].iloc[i])).grade}
                assert len(grades) == 1, (bar, under, i, grades, decision.score)
                assert flat["score"].iloc[i] == decision.score
                checked += 1
            # and the fairness search approves exactly the rows whose grade approves
            by_grade = np.array([policy.grade_for(decided.decision(i).score).recommendation == "approve"
                                 for i in range(len(rows))], dtype=int)
            assert approvals(frame["score"].to_numpy(), policy).tolist() == by_grade.tolist()
            stated_at_bar = round(bar - under, 2) >= bar
            assert (decided.decision(0).grade == policy.grade_for(bar).grade) == stated_at_bar
            near += 1
    assert checked == 40 * len(bars) * len(UNDER) and near == len(bars) * len(UNDER)
