"""Reject inference (training/reject.py) on a selection-biased synthetic set: each method's rows, labels and weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from models.credit.model import CreditModel
from training.reject import (
    BANDS,
    PARCEL_UPLIFT,
    RejectInferenceError,
    augmentation,
    band_bad_rates,
    check_method,
    fit_with_rejects,
    fuzzy,
    infer,
    parcelling,
)

COLUMNS = [f"x{i}" for i in range(6)]


class LogitScorer:
    """An accepted-only scorer with the one method the methods read (``predict_pd``)."""

    def __init__(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self.model = LogisticRegression(max_iter=1000).fit(X, y)

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(X)[:, 1]


@pytest.fixture(scope="module")
def biased() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """Applicants with a known outcome; the bank accepted the 45% its old score found least risky."""
    X, y = make_classification(n_samples=4000, n_features=6, n_informative=4, n_redundant=0, weights=[0.8],
                               flip_y=0.02, random_state=3)
    frame = pd.DataFrame(X, columns=COLUMNS)
    old_score = LogisticRegression(max_iter=1000).fit(frame[COLUMNS[:3]], y).decision_function(frame[COLUMNS[:3]])
    old_score = old_score + np.random.default_rng(3).normal(0, 0.5, len(y))
    accepted = old_score < np.quantile(old_score, 0.45)
    return (frame[accepted].reset_index(drop=True), y[accepted], frame[~accepted].reset_index(drop=True),
            y[~accepted])


def credit_model(seed: int = 0) -> CreditModel:
    return CreditModel(features=COLUMNS, categorical=(), monotone={}, random_state=seed, sensitive=())


def test_the_synthetic_selection_is_biased(biased):
    # given / then: the premise of every test below — the rejects are worse than the accepts
    X_acc, y_acc, X_rej, y_rej = biased
    assert y_rej.mean() > 2 * y_acc.mean() and len(X_rej) > len(X_acc)


def test_fuzzy_enters_each_reject_twice_with_weights_pd_and_one_minus_pd(biased):
    # given
    X_acc, y_acc, X_rej, _ = biased
    scorer = LogitScorer(X_acc, y_acc)
    # when
    out = fuzzy(X_acc, y_acc, X_rej, scorer)
    # then accepts stay as they are; rejects come twice, bad with weight PD, good with 1 - PD
    n_acc, n_rej = len(X_acc), len(X_rej)
    assert len(out.X) == len(out.y) == len(out.weight) == n_acc + 2 * n_rej
    assert (out.weight[:n_acc] == 1).all() and (out.y[:n_acc] == y_acc).all()
    bad, good = slice(n_acc, n_acc + n_rej), slice(n_acc + n_rej, None)
    assert (out.y[bad] == 1).all() and (out.y[good] == 0).all()
    np.testing.assert_allclose(out.weight[bad], scorer.predict_pd(X_rej))
    np.testing.assert_allclose(out.weight[bad] + out.weight[good], 1.0)
    pd.testing.assert_frame_equal(out.X.iloc[bad].reset_index(drop=True), X_rej)
    pd.testing.assert_frame_equal(out.X.iloc[good].reset_index(drop=True), X_rej)
    assert out.from_reject.sum() == 2 * n_rej


def test_parcelling_gives_each_band_at_least_the_accepts_bad_rate_times_the_uplift(biased):
    # given
    X_acc, y_acc, X_rej, _ = biased
    scorer = LogitScorer(X_acc, y_acc)
    pd_acc, pd_rej = scorer.predict_pd(X_acc), scorer.predict_pd(X_rej)
    # when
    rates = band_bad_rates(pd_acc, y_acc, pd_rej)
    # then each reject's rate is its score band's accepted bad rate (bands at the accepts' deciles) times the uplift
    edges = np.quantile(pd_acc, np.linspace(0, 1, BANDS + 1))
    for lo, hi in zip(edges[1:-2], edges[2:-1], strict=True):  # the inner bands, bounded on both sides
        in_acc, in_rej = (pd_acc >= lo) & (pd_acc < hi), (pd_rej >= lo) & (pd_rej < hi)
        if in_rej.any():
            accepted_rate = y_acc[in_acc].mean()
            np.testing.assert_allclose(rates[in_rej], min(1.0, accepted_rate * PARCEL_UPLIFT))
            assert (rates[in_rej] >= accepted_rate).all()
    # and the riskier the band, the higher the rate the rejects are given (on average)
    assert np.corrcoef(pd_rej, rates)[0, 1] > 0.5


def test_parcelling_draws_one_label_per_reject_at_its_bands_rate_reproducibly(biased):
    # given
    X_acc, y_acc, X_rej, _ = biased
    scorer = LogitScorer(X_acc, y_acc)
    rates = band_bad_rates(scorer.predict_pd(X_acc), y_acc, scorer.predict_pd(X_rej))
    # when
    first, again, other = (parcelling(X_acc, y_acc, X_rej, scorer, seed=s) for s in (5, 5, 6))
    # then one row per reject, labels drawn at the bands' rates: the count of bads within 4 binomial sd
    drawn = first.y[len(X_acc):]
    assert len(first.y) == len(X_acc) + len(X_rej) and first.weight is None
    sd = np.sqrt((rates * (1 - rates)).sum())
    assert abs(drawn.sum() - rates.sum()) < 4 * sd
    assert (again.y == first.y).all() and (other.y != first.y).any()  # same seed, same labels


def test_parcelling_refuses_an_uplift_below_one(biased):
    X_acc, y_acc, X_rej, _ = biased
    with pytest.raises(RejectInferenceError, match="uplift = 0.5"):
        parcelling(X_acc, y_acc, X_rej, LogitScorer(X_acc, y_acc), uplift=0.5)


def test_augmentation_reweights_the_accepts_toward_the_whole_applicant_pool(biased):
    # given
    X_acc, y_acc, X_rej, _ = biased
    scorer = credit_model().fit(X_acc, y_acc)
    # when
    out = augmentation(X_acc, y_acc, X_rej, scorer, seed=0)
    # then only accepted rows, no outcome invented, weights with mean 1 that vary with P(accept)
    assert len(out.X) == len(X_acc) and (out.y == y_acc).all() and not out.from_reject.any()
    assert out.weight is not None and abs(out.weight.mean() - 1) < 1e-9 and out.weight.max() > 2 * out.weight.min()
    # and the weighted accepts look more like all applicants on the columns acceptance was decided on
    pool = pd.concat([X_acc, X_rej])[COLUMNS[:3]].mean()
    plain, weighted = X_acc[COLUMNS[:3]].mean(), X_acc[COLUMNS[:3]].apply(lambda c: np.average(c, weights=out.weight))
    assert (weighted - pool).abs().sum() < 0.6 * (plain - pool).abs().sum()


def test_augmentation_weights_are_the_inverse_of_each_bands_acceptance_rate(biased, monkeypatch):
    # given a selection model whose P(accept) we set: two groups of applicants, 0.9 and 0.3
    X_acc, y_acc, X_rej, _ = biased
    high_acc = np.arange(len(X_acc)) < len(X_acc) // 2
    high_rej = np.arange(len(X_rej)) < len(X_rej) // 4
    p_accept = np.r_[np.where(high_acc, 0.9, 0.3), np.where(high_rej, 0.9, 0.3)]

    class Known:
        def set_params(self, **_: object) -> Known:
            return self

        def fit(self, X: pd.DataFrame, y: np.ndarray) -> Known:
            return self

        def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
            return p_accept

    monkeypatch.setattr("training.reject.clone", lambda _: Known())
    # when
    out = augmentation(X_acc, y_acc, X_rej, scorer=None, seed=0)  # type: ignore[arg-type]
    # then an accept weighs its band's applicants over its band's accepts, scaled to a mean weight of 1
    inverse_rate = np.where(high_acc, (high_acc.sum() + high_rej.sum()) / high_acc.sum(),
                            ((~high_acc).sum() + (~high_rej).sum()) / (~high_acc).sum())
    np.testing.assert_allclose(out.weight, inverse_rate / inverse_rate.mean())
    assert out.weight[~high_acc].min() > out.weight[high_acc].max()  # the rarely accepted group counts more


def test_none_keeps_the_accepted_rows_and_leaves_the_rejects_out(biased):
    X_acc, y_acc, X_rej, _ = biased
    out = infer("none", X_acc, y_acc, X_rej, LogitScorer(X_acc, y_acc))
    assert len(out.X) == len(X_acc) and out.weight is None and not out.from_reject.any()


@pytest.mark.parametrize("method", ["none", "augmentation", "parcelling", "fuzzy"])
def test_same_data_and_seed_give_the_same_model(biased, method):
    # given
    X_acc, y_acc, X_rej, _ = biased

    def fit(X: pd.DataFrame, y: np.ndarray, w: np.ndarray | None) -> CreditModel:
        return credit_model(seed=1).fit(X, y, sample_weight=w)

    # when
    first, summary = fit_with_rejects(method, fit, X_acc, y_acc, X_rej, seed=1)
    again, _ = fit_with_rejects(method, fit, X_acc, y_acc, X_rej, seed=1)
    # then
    assert first.model_hash() == again.model_hash()  # type: ignore[attr-defined]
    assert summary["method"] == method and summary["accepted_rows"] == len(X_acc)
    assert summary["rejects_left_out"] == (len(X_rej) if method == "none" else 0)


def test_fuzzy_and_parcelling_raise_the_predicted_risk_of_the_rejects(biased):
    # given: trained on the accepts alone, a model sees few bads among applicants like the rejects
    X_acc, y_acc, X_rej, y_rej = biased

    def fit(X: pd.DataFrame, y: np.ndarray, w: np.ndarray | None) -> CreditModel:
        return credit_model().fit(X, y, sample_weight=w)

    none, _ = fit_with_rejects("none", fit, X_acc, y_acc, X_rej)
    parcelled, _ = fit_with_rejects("parcelling", fit, X_acc, y_acc, X_rej)
    # then parcelling (rejects at least as bad as accepts of the same score, × 1.5) predicts more default for them
    assert parcelled.predict_pd(X_rej).mean() > none.predict_pd(X_rej).mean()  # type: ignore[attr-defined]


def test_an_unknown_method_names_the_setting_the_value_and_the_methods():
    with pytest.raises(RejectInferenceError) as caught:
        check_method("heckman")
    err = caught.value
    assert err.field == "--reject-inference" and err.value == "heckman"
    assert "none, augmentation, parcelling, fuzzy" in str(err) and "拒绝推断" in (err.message_zh or "")
