import numpy as np
import pytest

from features.datasets import load_dataset
from models.credit.model import CreditModel
from training.train import fit_model, split_dataset


@pytest.fixture(scope="module")
def german(policy):
    data = load_dataset("german-credit")
    train_idx, test_idx = split_dataset(data, seed=3)
    model = fit_model(data, policy, data.frame.iloc[train_idx], data.y[train_idx], seed=3)
    return data, model, test_idx


def test_frame_and_single_record_agree(german):
    # given
    data, model, test_idx = german
    rows = data.frame.iloc[test_idx[:5]]
    # when
    frame = model.predict_frame(rows)
    one = model.predict_one(rows.iloc[2].to_dict())
    # then
    assert one["pd"] == pytest.approx(frame["pd"].iloc[2])
    assert one["grade"] == frame["grade"].iloc[2] != ""


def test_score_is_linear_in_the_contributions(german):
    # given
    data, model, test_idx = german
    rows = data.frame.iloc[test_idx[:20]]
    # when
    contrib, expected = model.contributions(rows)
    logit = model.calibrated_logit(contrib.sum(axis=1) + expected)
    # then: base points + Σ points is the score exactly (calibration is linear in log-odds)
    np.testing.assert_allclose(model.score_from_logit(logit), model.credit_score(rows), atol=1e-6)


def test_monotone_hint_holds_and_calibration_was_fitted_on_unseen_rows(german):
    # given
    data, model, test_idx = german
    rows = data.frame.iloc[test_idx[:30]].copy()
    # when
    pds = []
    for months in (6, 12, 24, 48, 72):
        rows["duration_in_month"] = months
        pds.append(model.predict_pd(rows))
    # then
    assert (np.diff(np.vstack(pds), axis=0) >= -1e-12).all()
    # every training row is a calibration row, scored out of fold (tests/models/credit/test_bagging.py)
    assert model.calibration_report_["n"] == len(data.frame) - len(test_idx)


def test_same_seed_same_model(german, policy):
    # given
    data, model, test_idx = german
    train_idx, _ = split_dataset(data, seed=3)
    # when
    again = fit_model(data, policy, data.frame.iloc[train_idx], data.y[train_idx], seed=3)
    # then
    assert again.model_hash() == model.model_hash()
    assert isinstance(again, CreditModel)
