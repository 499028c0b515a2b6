"""The trainable county's booked book spreads over the policy's grades as a rural bank's would (most A-C, a tail)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.credit.model import CreditModel


def _grades_of_pd(policy, pd_values: np.ndarray) -> pd.Series:
    scale = CreditModel.from_policy(policy)
    logit = np.log(pd_values / (1 - pd_values))
    return pd.Series(scale.grade_of(scale.score_from_logit(logit)))


def test_the_booked_book_true_pds_fall_mostly_in_a_to_c_with_a_tail(county, policy):
    # given the booked loans' true PDs graded by the policy's score bands
    truth = county.application_truth
    grades = _grades_of_pd(policy, truth.loc[truth["booked"], "true_pd"].to_numpy()).value_counts(normalize=True)
    # then most are A-C, a tail is D or E, and no grade holds most of the book
    assert grades.reindex(["A", "B", "C"]).fillna(0).sum() >= 0.7
    assert 0.03 <= grades.reindex(["D", "E"]).fillna(0).sum() <= 0.3
    assert grades.max() <= 0.6


def test_the_model_grades_booked_loans_over_several_grades(trained_store, table):
    # given the registered model's grades of the booked loans
    _, result = trained_store
    booked = table[table["default_12m"].notna()]
    grades = pd.Series(result.model.predict_frame(booked)["grade"].to_numpy()).value_counts(normalize=True)
    # then they spread over at least three grades, mostly the ones the policy approves
    assert (grades >= 0.05).sum() >= 3
    assert grades.max() <= 0.7
    assert grades.reindex(["A", "B", "C"]).fillna(0).sum() >= 0.6
