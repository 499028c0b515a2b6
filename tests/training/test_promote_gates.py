import numpy as np
import pandas as pd

from features.datasets import load_dataset
from training.promote import FAIRNESS_MARGIN, _fairness_gate, gates
from training.train import HOLDOUT_SLICE, HOLDOUT_TARGET, fit_model, split_dataset


def test_gates_compare_challenger_and_champion_on_the_same_holdout(policy):
    # given
    data = load_dataset("german-credit")
    train_idx, test_idx = split_dataset(data, seed=5)
    X, y = data.frame.iloc[train_idx], data.y[train_idx]
    good = fit_model(data, policy, X, y, seed=5)
    weak = fit_model(data, policy, X, y, seed=5, params={"n_estimators": 2, "num_leaves": 2})
    holdout = data.frame.iloc[test_idx][list(data.features)].copy()
    holdout[HOLDOUT_TARGET] = data.y[test_idx]
    # when
    weak_vs_good = {g.name: g for g in gates(weak, good, holdout)}
    good_vs_weak = {g.name: g for g in gates(good, weak, holdout)}
    # then
    assert not weak_vs_good["auc_vs_champion"].passed
    assert good_vs_weak["auc_vs_champion"].passed
    assert good_vs_weak["monotonicity"].passed
    assert good_vs_weak["fairness"].passed and "no fairness slices" in good_vs_weak["fairness"].detail
    assert isinstance(holdout, pd.DataFrame)


class _Scores:
    """A stand-in model whose scores approve exactly the rows it is told to."""

    features: tuple[str, ...] = ()

    def __init__(self, approve):
        self.approve = approve

    def predict_pd(self, frame):
        return np.where(self.approve[: len(frame)], 0.01, 0.5)

    def credit_score(self, frame):
        return np.where(self.approve[: len(frame)], 700.0, 300.0)


def test_the_fairness_gate_refuses_a_challenger_that_widens_the_approval_gap(policy):
    # given German Credit's holdout with its slice labels, as training keeps them beside it
    data = load_dataset("german-credit")
    _, test_idx = split_dataset(data, seed=5)
    test = data.frame.iloc[test_idx]
    holdout = test[list(data.features)].copy()
    holdout[HOLDOUT_TARGET] = data.y[test_idx]
    for name, labels in data.slices(test).items():
        holdout[f"{HOLDOUT_SLICE}{name}"] = labels.to_numpy()
    female = (holdout[f"{HOLDOUT_SLICE}sex"] == "female").to_numpy()
    assert female.sum() >= 20
    everyone = _Scores(np.ones(len(holdout), dtype=bool))
    fewer_women = _Scores(~female | (np.arange(len(holdout)) % 5 == 0))
    y = holdout[HOLDOUT_TARGET].to_numpy()
    # when the champion approves everyone and the challenger a fifth of the women
    widened = _fairness_gate(fewer_women, everyone, holdout, y, policy, FAIRNESS_MARGIN)
    same = _fairness_gate(everyone, everyone, holdout, y, policy, FAIRNESS_MARGIN)
    # then the gate fails the widened gap, naming the group, and passes the equal one
    assert not widened.passed and widened.value < 0.5 and "sex=female" in widened.detail
    assert same.passed and same.value == 1.0
    # and without slices beside the holdout (an older run) the gate says so and passes
    bare = _fairness_gate(fewer_women, everyone, holdout[list(data.features)], y, policy, FAIRNESS_MARGIN)
    assert bare.passed and "no fairness slices" in bare.detail
