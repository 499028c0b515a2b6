"""The features read the policy's numbers: a changed income cap moves ``income_to_cap`` and INCOME_CAP together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build.table import build_features
from models.decision.builder import eligibility_for
from models.policy import Policy


def _with_income_cap(policy: Policy, cap: float) -> Policy:
    return policy.model_copy(update={"eligibility": policy.eligibility.model_copy(update={"income_cap": cap})})


def _income_cap_rule(features: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    rows = []
    for verdict in eligibility_for(features, policy):
        rule = next(r for r in verdict.rules if r.code == "INCOME_CAP")
        rows.append({"outcome": rule.outcome, "threshold": rule.threshold})
    return pd.DataFrame(rows)


def test_a_changed_income_cap_moves_the_feature_and_the_rule_together(sources, table, policy) -> None:
    # given the county's applications and the same policy with its income cap raised by half
    requests = table[["request_id", "household_id", "as_of", "requested_amount", "purpose"]]
    raised = _with_income_cap(policy, policy.eligibility.income_cap * 1.5)
    # when the features are built under each policy
    before = build_features(sources, requests, policy)
    after = build_features(sources, requests, raised)
    # then income_to_cap shrinks by exactly the same factor wherever it is known
    known = before["income_to_cap"].notna()
    assert known.sum() > 100
    np.testing.assert_allclose(after.loc[known, "income_to_cap"] * 1.5, before.loc[known, "income_to_cap"], rtol=1e-9)
    # and under each policy the rule passes exactly where the feature is at most 1 (the feature is the rule's ratio)
    for features, pol in ((before, policy), (after, raised)):
        rule = _income_cap_rule(features, pol)
        decided = rule["outcome"].isin(["pass", "fail"]).to_numpy() & known.to_numpy()
        within = features["income_to_cap"].to_numpy()[decided] <= 1.0 + 1e-12
        assert ((rule["outcome"].to_numpy()[decided] == "pass") == within).all()
    # and some households cross the line, so the agreement was tested where it matters
    crossed = (before["income_to_cap"] > 1.0) & (after["income_to_cap"] <= 1.0)
    assert crossed.sum() > 0


def test_the_program_rate_prices_the_requested_loan_in_the_ratio(sources, table, policy) -> None:
    # given the same policy with a lower rate cap (and the subsidy split shifted with it, as the policy requires)
    requests = table[["request_id", "household_id", "as_of", "requested_amount", "purpose"]].head(200)
    cheaper = policy.model_copy(update={"subsidy": policy.subsidy.model_copy(update={"rate_cap": 0.0})})
    # when the features are built under each
    base = build_features(sources, requests, policy)
    free = build_features(sources, requests, cheaper)
    # then the debt-service ratio with the request falls by the request's interest share, and nothing else moves
    known = base["debt_service_ratio_with_request"].notna()
    assert known.sum() > 100
    assert free["debt_service_ratio_with_request"].notna().equals(known)
    assert (free.loc[known, "debt_service_ratio_with_request"]
            <= base.loc[known, "debt_service_ratio_with_request"] + 1e-12).all()
    assert (free.loc[known, "debt_service_ratio_with_request"]
            < base.loc[known, "debt_service_ratio_with_request"]).any()
    pd.testing.assert_series_equal(free["income_to_cap"], base["income_to_cap"])


def test_the_request_is_serviced_by_its_repayment_method(sources, table, policy) -> None:
    # given the county's requests under the shipped policy (one-year 按月付息到期还本 loans)
    requests = table[["request_id", "household_id", "as_of", "requested_amount", "purpose"]].head(300)
    built = build_features(sources, requests, policy)
    # then the request adds its monthly interest only, against bank inflows and against declared income
    service = built["requested_amount"].fillna(0.0) * policy.program_rate / 12.0
    known = built["debt_service_ratio_with_request"].notna()
    assert known.sum() > 100
    expected = (built["monthly_payment"] + service) / (built["observed_income_12m"] / 12.0)
    np.testing.assert_allclose(built.loc[known, "debt_service_ratio_with_request"], expected[known], rtol=1e-9)
    declared = built["debt_service_ratio_with_request_declared"].notna()
    assert declared.sum() > 100
    expected_declared = (built["monthly_payment"] + service) / (built["declared_income"] / 12.0)
    np.testing.assert_allclose(built.loc[declared, "debt_service_ratio_with_request_declared"],
                               expected_declared[declared], rtol=1e-9)
    # when every product is repaid in equal instalments instead
    products = tuple(p.model_copy(update={"repayment_method": "等额本息"}) for p in policy.products)
    instalments = build_features(sources, requests, policy.model_copy(update={"products": products}))
    # then the request's service is the annuity of its term, and a ratio with a request only rises
    rate, n = policy.program_rate / 12.0, policy.products[0].term_months
    annuity = built["requested_amount"].fillna(0.0) * rate / (1.0 - (1.0 + rate) ** -n)
    np.testing.assert_allclose(instalments["request_monthly_service"], annuity, rtol=1e-9)
    asked = known & (built["requested_amount"] > 0)
    assert (instalments.loc[asked, "debt_service_ratio_with_request"]
            > built.loc[asked, "debt_service_ratio_with_request"]).all()
