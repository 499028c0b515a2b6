"""Discipline's traces in the bank's records: returned direct debits, months that save, a saving plan kept up."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.simulate.county import County


def _per_household(county: County) -> pd.DataFrame:
    flows = county.account_flows
    out = flows.groupby("household_id").agg(months=("month", "size"), returned=("debits_returned", "sum"),
                                            scheduled=("debits_scheduled", "sum"),
                                            plan_months=("saving_plan_deposit", lambda s: (s > 0).sum()))
    return out.join(county.ground_truth.set_index("household_id")["discipline"])


def test_direct_debits_and_saving_plans_are_recorded_at_plausible_rates(county):
    # given the account flows of every customer
    flows = county.account_flows
    # then each month records the debits due and those returned unpaid, never more returned than due
    assert (flows["debits_returned"] <= flows["debits_scheduled"]).all()
    assert (flows["debits_returned"] >= 0).all() and (flows["saving_plan_deposit"] >= 0).all()
    # and a returned debit is a rare event: a few percent of the months that have a debit due
    due = flows["debits_scheduled"] > 0
    assert 0.005 <= (flows.loc[due, "debits_returned"] > 0).mean() <= 0.06
    households = _per_household(county)
    assert 0.1 <= (households["returned"] > 0).mean() <= 0.6
    # and some households keep a 零存整取 plan, not all
    assert 0.2 <= (households["plan_months"] > 0).mean() <= 0.8


def test_the_traces_follow_discipline_but_do_not_reveal_it(county):
    # given each customer's whole history and the latent discipline behind it
    h = _per_household(county)
    low, high = h[h["discipline"] < -1], h[h["discipline"] > 1]
    # then the least disciplined households bounce debits far more often, and keep up saving plans less
    assert len(low) >= 200 and len(high) >= 200
    assert (low["returned"] > 0).mean() >= 2 * (high["returned"] > 0).mean()
    assert (low["plan_months"] / low["months"]).mean() + 0.2 <= (high["plan_months"] / high["months"]).mean()
    # but noisily: plenty of disciplined households bounce one too, and many undisciplined ones never do
    assert (high["returned"] > 0).sum() >= 20 and (low["returned"] == 0).sum() >= 50
    rate = h["returned"] / h["scheduled"].clip(lower=1)
    assert -0.6 < np.corrcoef(rate, h["discipline"])[0, 1] < -0.1


def test_booked_loans_with_returned_debits_are_riskier(county, table):
    # given the booked loans and the features at their application dates
    booked = table[table["default_12m"].notna()]
    bounced = (booked["returned_debits_12m"] > 0).to_numpy()
    defaulted = booked["default_12m"].to_numpy(dtype=float)
    true_pd = county.application_truth.set_index("application_id").loc[booked["request_id"], "true_pd"].to_numpy()
    # then enough of them bounced a debit in the year before to say so, and they are riskier
    assert bounced.sum() >= 20
    assert true_pd[bounced].mean() >= 1.3 * true_pd[~bounced].mean()
    # and their drawn defaults follow those PDs in both groups (within three binomial standard deviations: a few
    # dozen bounced loans may by chance default less than the others on one county, never far from their PDs)
    for group in (bounced, ~bounced):
        p = true_pd[group]
        assert abs(defaulted[group].sum() - p.sum()) <= 3 * np.sqrt(np.sum(p * (1 - p))), group.sum()
    # and a booked household that keeps up a saving plan less, or whose savings grow in fewer months, is riskier
    for name in ("saving_plan_months_share_24m", "balance_yoy_growth_months_12m"):
        few = (booked[name] < booked[name].median()).to_numpy()
        assert true_pd[few].mean() > true_pd[~few].mean(), name
