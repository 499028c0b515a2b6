"""Cross-fitted members: the merged booster is their mean, calibration rows are out of fold, the model reproduces."""

from __future__ import annotations

import os

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from features.datasets import load_dataset
from models.credit.bagging import cross_fit, fold_of_rows, mean_booster
from models.credit.model import DEFAULT_PARAMS, CreditModel
from models.credit.sizing import SCARCE_FOLDS
from training.train import fit_model, split_dataset

FOLDS = 4
FEW_TREES = {"n_estimators": 60, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def german():
    data = load_dataset("german-credit")
    train_idx, test_idx = split_dataset(data, seed=7)
    template = CreditModel(features=data.features, categorical=data.categorical, monotone=data.monotone)
    template.categories_ = {c: sorted(str(v) for v in data.frame[c].dropna().astype("string").unique())
                            for c in template.categorical_features()}
    matrix = template._matrix(data.frame)
    params = {**DEFAULT_PARAMS, **FEW_TREES, "random_state": 7,
              "monotone_constraints": template.monotone_constraints()}
    return data, matrix, params, train_idx, test_idx


@pytest.fixture(scope="module")
def crossfit(german):
    _, matrix, params, train_idx, _ = german
    y = german[0].y[train_idx]
    return cross_fit(matrix.iloc[train_idx], y, params, FOLDS, seed=7, early_stopping_rounds=10)


def test_merged_booster_predicts_the_mean_of_the_members(german, crossfit):
    # given
    data, matrix, _, _, test_idx = german
    rows = matrix.iloc[test_idx]
    members = [m.booster_ for m in crossfit.members]
    member_raw = np.mean([b.predict(rows, raw_score=True) for b in members], axis=0)
    # when
    merged = mean_booster(members)
    raw = merged.predict(rows, raw_score=True)
    contrib = merged.predict(rows, pred_contrib=True)
    # then: one booster holding every member's trees, scoring their mean; TreeSHAP rows add up to it
    assert merged.num_trees() == sum(b.num_trees() for b in members) > len(members)
    np.testing.assert_allclose(raw, member_raw, rtol=0, atol=1e-9)
    np.testing.assert_allclose(contrib.sum(axis=1), raw, rtol=0, atol=1e-9)
    assert merged.pandas_categorical == members[0].pandas_categorical
    assert np.std(raw) > 0.1


def test_merged_booster_survives_its_own_model_text(german, crossfit):
    # given
    _, matrix, _, _, test_idx = german
    merged = mean_booster([m.booster_ for m in crossfit.members])
    # when
    reloaded = lgb.Booster(model_str=merged.model_to_string())
    # then
    assert reloaded.model_to_string() == merged.model_to_string()
    np.testing.assert_array_equal(reloaded.predict(matrix.iloc[test_idx], raw_score=True),
                                  merged.predict(matrix.iloc[test_idx], raw_score=True))


def test_each_row_is_scored_by_the_member_that_did_not_learn_from_it(german, crossfit):
    # given
    data, matrix, params, train_idx, _ = german
    X, y = matrix.iloc[train_idx], data.y[train_idx]
    fold = crossfit.fold
    # then: the folds partition the rows, stratified
    assert sorted(np.unique(fold)) == list(range(FOLDS))
    assert all(abs(y[fold == j].mean() - y.mean()) < 0.02 for j in range(FOLDS))
    for j, member in enumerate(crossfit.members):
        held = fold == j
        # when: the member is refitted on the other folds only
        alone = lgb.LGBMClassifier(**params).fit(  # type: ignore[arg-type]
            X[~held], y[~held], eval_X=(X[held],), eval_y=(y[held],), eval_metric="binary_logloss",
            callbacks=[lgb.early_stopping(10, verbose=False)])
        # then: it is the same member (it never saw fold j), and fold j's scores are its scores
        assert alone.booster_.model_to_string() == member.booster_.model_to_string()
        np.testing.assert_array_equal(crossfit.oof_raw[held], member.booster_.predict(X[held], raw_score=True))


def test_model_calibration_is_fitted_on_the_out_of_fold_scores(german):
    # given
    data, matrix, params, train_idx, _ = german
    X, y = data.frame.iloc[train_idx], data.y[train_idx]
    model = CreditModel(features=data.features, categorical=data.categorical, monotone=data.monotone,
                        params=FEW_TREES, early_stopping_rounds=10, random_state=7, cv_folds=FOLDS)
    # when
    model.fit(X, y)
    oof = cross_fit(model._training_matrix(X), y, params, FOLDS, seed=7, early_stopping_rounds=10).oof_raw
    platt = LogisticRegression(C=1e6).fit(oof.reshape(-1, 1), y)
    # then: every training row calibrates, each scored by trees that never saw it
    assert model.calibration_report_["n"] == len(y)
    assert model.calibration_slope_ == pytest.approx(float(platt.coef_[0, 0]), abs=1e-9)
    assert model.calibration_intercept_ == pytest.approx(float(platt.intercept_[0]), abs=1e-9)
    assert model.booster_.booster_.num_trees() == sum(model.member_iterations_)
    assert model.calibration_report_["ece_after"] < 0.1
    # and the reviewer's summary reads the same model
    summary = model.summary()
    assert summary["cv_folds"] == FOLDS and summary["member_iterations"] == model.member_iterations_
    assert summary["trees"] == sum(model.member_iterations_)
    assert summary["model_hash"] == model.model_hash()[:16]
    assert summary["monotone_features"] == sum(v != 0 for v in data.monotone.values())


def test_folds_depend_on_the_seed_only():
    # given
    y = np.array([0, 1] * 50)
    # when / then
    np.testing.assert_array_equal(fold_of_rows(y, 5, seed=3), fold_of_rows(y, 5, seed=3))
    assert (fold_of_rows(y, 5, seed=3) != fold_of_rows(y, 5, seed=4)).any()


def test_different_seeds_give_different_models_and_too_few_bad_rows_are_refused(german, policy):
    # given
    data, _, _, train_idx, _ = german
    X, y = data.frame.iloc[train_idx], data.y[train_idx]
    # when
    one = fit_model(data, policy, X, y, seed=1, params=FEW_TREES)
    other = fit_model(data, policy, X, y, seed=2, params=FEW_TREES)
    few_bad = np.flatnonzero(y == 0)[:40].tolist() + np.flatnonzero(y == 1)[:SCARCE_FOLDS - 1].tolist()
    # then
    assert one.model_hash() != other.model_hash()
    with pytest.raises(ValueError, match=f"cv_folds = {SCARCE_FOLDS} needs at least {SCARCE_FOLDS} rows of each class"):
        fit_model(data, policy, X.iloc[few_bad], y[few_bad], seed=1)


def test_registered_model_is_the_merged_booster_after_mlflow_load(trained_store):
    # given
    from training.registry import load_by_alias

    store, result = trained_store
    old = os.environ.get("KUOZHONG_MLRUNS")
    os.environ["KUOZHONG_MLRUNS"] = str(store)
    try:
        # when
        loaded = load_by_alias("champion").model
    finally:
        if old is None:
            os.environ.pop("KUOZHONG_MLRUNS", None)
        else:
            os.environ["KUOZHONG_MLRUNS"] = old
    # then: the same trees and calibration, all members' trees in the one booster
    assert loaded.model_hash() == result.model.model_hash()
    assert loaded.booster_.booster_.num_trees() == sum(result.model.member_iterations_)
    # sized: few rows, and few of them bad, five members
    assert len(result.model.member_iterations_) == result.model.cv_folds_ == SCARCE_FOLDS


def test_a_model_pickled_before_cross_fitting_loads_as_a_single_split_model(german, policy):
    # given: the state of a model saved before the cv_folds parameter existed
    data, _, _, train_idx, _ = german
    model = fit_model(data, policy, data.frame.iloc[train_idx], data.y[train_idx], seed=1, params=FEW_TREES)
    state = model.__getstate__()
    del state["cv_folds"], state["cv_folds_"], state["member_iterations_"]
    # when
    old = CreditModel.__new__(CreditModel)
    old.__setstate__(state)
    # then
    assert old.cv_folds == 1 and old.get_params()["cv_folds"] == 1 and old.fitted_folds == 1
    assert old.member_iterations_ == [model.best_iteration_]
    assert old.model_hash() == model.model_hash()
