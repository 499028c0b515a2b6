"""Capacity by training rows: cross-fitted members only on small data, one larger booster from 2,000 rows on."""

from __future__ import annotations

import numpy as np
import pytest

from features.datasets import load_dataset
from models.credit.sizing import (
    CROSS_FIT_BELOW,
    CROSS_FIT_FOLDS,
    FEW_RARER_BELOW,
    SCARCE_FOLDS,
    SCARCE_RARER_BELOW,
    cv_folds_for,
    sized_params,
)
from training.train import fit_model, split_dataset


@pytest.mark.parametrize(("rows", "members", "leaves"), [(750, CROSS_FIT_FOLDS, 7), (CROSS_FIT_BELOW - 1, CROSS_FIT_FOLDS, 7),
                                                        (CROSS_FIT_BELOW, 1, 15), (60_000, 1, 31)])
def test_members_and_leaves_follow_the_training_rows(rows, members, leaves):
    # when
    folds, params = cv_folds_for(rows), sized_params(rows)
    # then
    assert folds == members and params["num_leaves"] == leaves
    assert (params["max_depth"] == 3) == (folds > 1)  # the shallow trees go with the cross-fitted members


@pytest.mark.parametrize(("rows", "rarer", "members"), [(1_200, 25, SCARCE_FOLDS),
                                                        (1_200, SCARCE_RARER_BELOW - 1, SCARCE_FOLDS),
                                                        (1_200, SCARCE_RARER_BELOW, CROSS_FIT_FOLDS),
                                                        (750, 225, CROSS_FIT_FOLDS), (5_000, 20, SCARCE_FOLDS),
                                                        (5_000, FEW_RARER_BELOW - 1, CROSS_FIT_FOLDS),
                                                        (5_000, FEW_RARER_BELOW, 1), (60_000, 40_000, 1)])
def test_scarce_bad_rows_keep_the_members_at_any_size(rows, rarer, members):
    # when the members and the trees are sized by the rows and the rarer class's rows
    folds, params = cv_folds_for(rows, rarer), sized_params(rows, rarer)
    # then few rows of the rarer class keep the small-data shape with its members, whatever the rows
    assert folds == members
    assert (params["num_leaves"] == 7 and params["max_depth"] == 3) == (folds > 1)


def test_german_credit_is_cross_fitted_and_a_larger_table_gets_one_booster(policy):
    # given German Credit's 750 training rows, and 2,500 rows of the car-loan table
    german = load_dataset("german-credit")
    train_idx, _ = split_dataset(german)
    cars = load_dataset("benchmarks/data/car-loan.yaml")
    rows = np.random.default_rng(0).choice(len(cars.frame), 2_500, replace=False)
    # when
    small = fit_model(german, policy, german.frame.iloc[train_idx], german.y[train_idx], seed=0)
    large = fit_model(cars, policy, cars.frame.iloc[rows], cars.y[rows], seed=0)
    # then
    assert small.fitted_folds == CROSS_FIT_FOLDS == len(small.member_iterations_)
    assert large.fitted_folds == 1 and large.params_["num_leaves"] == 15
    assert large.booster_.booster_.num_trees() == large.best_iteration_ < 1000  # early stopping fired


def test_the_same_seed_fits_the_same_cross_fitted_model(policy):
    # given
    german = load_dataset("german-credit")
    train_idx, _ = split_dataset(german)
    X, y = german.frame.iloc[train_idx], german.y[train_idx]
    # when
    first, second = (fit_model(german, policy, X, y, seed=4) for _ in range(2))
    other = fit_model(german, policy, X, y, seed=5)
    # then
    assert first.model_hash() == second.model_hash()
    assert other.model_hash() != first.model_hash()
