import pandas as pd

from features.datasets import load_dataset
from training.promote import gates
from training.train import HOLDOUT_TARGET, fit_model, split_dataset


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
    assert isinstance(holdout, pd.DataFrame)
