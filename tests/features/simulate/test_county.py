"""The simulated county: realistic distributions, seasons, valid IDs, a consistent ledger, revisits and refreshes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.ids import is_valid_id_number
from features.simulate.county import TOWNSHIPS, County, SimulationConfig, simulate_county
from features.simulate.figures import ledger_figures
from features.simulate.ledger import list_refresh
from features.simulate.world import HOUSEHOLD_INCOME_CAP, PILOT_END, TOWNSHIP_POPULATION
from features.sources.ledger import daily_balances


def _clean_base(county: County) -> pd.DataFrame:
    return county.base_list.drop_duplicates("household_id", keep="last")


def test_household_size_and_age_match_the_census(county):
    # given the visit forms' members
    members = [m for v in county.visits for m in v["members"] if m["age"] is not None]
    ages = np.array([m["age"] for m in members])
    # then about 2.05 persons per household and an old population (21.5% aged 65+ in 2020)
    assert 1.9 <= _clean_base(county)["household_size"].mean() <= 2.2
    assert 0.15 <= (ages >= 65).mean() <= 0.32


def test_townships_follow_their_population_shares(county):
    shares = _clean_base(county)["township"].value_counts(normalize=True).reindex(list(TOWNSHIPS)).to_numpy()
    expected = TOWNSHIP_POPULATION / TOWNSHIP_POPULATION.sum()
    assert np.all(np.abs(shares - expected) < 0.05)


def test_mussel_farming_concentrates_in_gouqi(county):
    truth = county.ground_truth.merge(_clean_base(county)[["household_id", "township"]], on="household_id")
    mussel_share = truth.groupby("township")["livelihood"].apply(lambda s: (s == "mussel").mean())
    assert mussel_share.idxmax() == "枸杞乡"


def test_every_base_list_id_number_has_a_valid_check_digit(county):
    assert all(is_valid_id_number(x) for x in county.base_list["id_number"])
    assert (county.base_list["id_number"].str[:6] == "330922").mean() > 0.8


def test_fishing_income_stops_in_the_moratorium_and_mussels_peak_in_summer(county):
    flows = county.account_flows.merge(county.ground_truth[["household_id", "livelihood"]], on="household_id")
    month = flows["month"].dt.month
    by = flows.groupby(["livelihood", month])["inflow"].mean()
    assert by["fishing"].loc[[5, 6, 7, 8]].mean() < 0.2 * by["fishing"].loc[[10, 11, 12]].mean()
    assert by["mussel"].loc[[7, 8]].mean() > 2.5 * by["mussel"].loc[[1, 2, 3]].mean()


def test_flow_history_covers_24_to_36_months_before_the_application(county):
    first = county.account_flows.groupby("household_id")["month"].min()
    apps = county.applications.set_index("household_id")["application_date"]
    months = ((apps.dt.year - first.reindex(apps.index).dt.year) * 12
              + apps.dt.month - first.reindex(apps.index).dt.month).dropna()
    assert months.between(24, 36).mean() > 0.95


def test_defaults_and_oracle_auc_are_in_a_realistic_range(county):
    # the shared fixture is the riskier county of tests/conftest.py (PD log-odds +1.5): 3-9% of its booked loans
    # default (docs/simulator.md), more of its declined applicants would have; the plan's county is tested in
    # test_program.py
    booked = county.applications["approved"].astype(bool)
    assert county.applications.loc[~booked, "default_12m"].isna().all()
    truth = county.application_truth
    assert 0.03 <= truth.loc[booked.to_numpy(), "outcome_12m"].mean() <= 0.09
    assert truth["outcome_12m"].mean() > truth.loc[booked.to_numpy(), "outcome_12m"].mean()
    assert 0.78 <= county.oracle_auc <= 0.90
    applicants = county.ground_truth.set_index("household_id").loc[county.applications["household_id"]]
    assert 0.2 <= applicants["eligible"].mean() <= 0.8


def test_the_ledger_pays_interest_on_the_balance_at_rate_over_360(county):
    ledger, events = county.loan_ledger, county.loan_events
    assert len(ledger) > 0 and ledger["rate"].between(0.036, 0.038).all()
    loan = ledger.iloc[0]
    own = events[events["loan_id"] == loan["loan_id"]].reset_index(drop=True)
    assert own.loc[0, "event"] == "disburse" and own.loc[0, "balance_after"] == loan["amount"]
    interest = own[own["event"] == "interest"]
    previous = pd.concat([pd.Series([loan["disbursed_on"]]), interest["event_date"].iloc[:-1]], ignore_index=True)
    days = (interest["event_date"].reset_index(drop=True) - previous).dt.days
    expected = (interest["balance_after"].reset_index(drop=True) * loan["rate"] * days / 360).round(2)
    assert np.allclose(interest["interest"].to_numpy(), expected.to_numpy(), atol=0.01)


def test_settled_loans_end_at_zero_and_defaulted_ones_reach_90_days_past_due(county):
    last = county.loan_events.groupby("loan_id").tail(1).set_index("loan_id")
    status = county.loan_ledger.set_index("loan_id")["status"]
    assert (last.loc[status[status == "settled"].index, "balance_after"] == 0).all()
    assert (last.loc[status[status == "defaulted"].index, "event"] == "dpd90").all()


def test_daily_balances_follow_the_principal_events(county):
    ledger = county.loan_ledger.head(20)
    daily = daily_balances(ledger, county.loan_events)
    first = daily.groupby("loan_id").head(1).set_index("loan_id")["balance"]
    assert (first == ledger.set_index("loan_id")["amount"]).all()
    settled = ledger[ledger["status"] == "settled"].set_index("loan_id")
    last_day = daily.groupby("loan_id")["date"].max()
    assert (last_day.loc[settled.index] == settled["settled_on"] - pd.Timedelta(days=1)).all()


def test_every_borrower_is_revisited_about_a_year_later_and_some_rose_above_the_cap(county):
    revisits = pd.DataFrame(county.revisits)
    first = county.loan_ledger[county.loan_ledger["renewal_no"] == 0]
    joined = first.merge(revisits, on="loan_id")
    lag = (pd.to_datetime(joined["visited_at"]) - joined["signed_on"]).dt.days
    assert lag.between(330, 401).all()
    # every borrower whose revisit day has come by the end of the pilot is revisited; later revisits are not data
    due = first[first["signed_on"] <= PILOT_END - pd.Timedelta(days=401)]
    assert len(due) and due["loan_id"].isin(revisits["loan_id"]).all()
    assert (pd.to_datetime(revisits["visited_at"]) < PILOT_END + pd.Timedelta(days=1)).all()
    ahead = first[first["signed_on"] > PILOT_END - pd.Timedelta(days=330)]
    assert len(ahead) and not ahead["loan_id"].isin(revisits["loan_id"]).any()
    totals = revisits["declared_income"].map(lambda d: d["total"])
    over = totals > HOUSEHOLD_INCOME_CAP * revisits["household_size"] / 3
    assert 0 < over.mean() < 0.6


def test_a_dropped_household_is_not_listed_at_a_later_refresh(county):
    # given the yearly refreshes drawn for the county's households (2025 and 2026)
    truth = county.ground_truth.set_index("household_id")
    base = county.base_list.drop_duplicates("household_id").reset_index(drop=True)
    own = truth.loc[base["household_id"]]
    refresh = list_refresh(np.random.default_rng(1), base, own["annual_income"].to_numpy(),
                           own["income_growth"].to_numpy(), np.full(len(base), 50.0))
    dropped = refresh[refresh["change"] == "dropped"]
    assert (dropped["reasons"] != "").all()
    first, second = sorted(refresh["refreshed_on"].unique())
    gone = set(dropped.loc[dropped["refreshed_on"] == first, "household_id"])
    assert gone and not gone & set(refresh.loc[refresh["refreshed_on"] == second, "household_id"])
    # the county's sources hold only the refreshes made by the end of the pilot
    assert county.list_refresh["refreshed_on"].max() == pd.Timestamp("2025-01-15")


def test_hurried_account_managers_make_short_visits_from_the_branch(county):
    visits = pd.DataFrame(county.visits)
    hurried = visits["household_id"].map(county.ground_truth.set_index("household_id")["hurried_visit"])
    assert visits.loc[hurried, "duration_min"].median() < 15 < visits.loc[~hurried, "duration_min"].median()
    lat = visits["gps"].map(lambda g: g["lat"])
    assert lat.between(30.5, 30.95).all()


def test_visit_forms_carry_what_the_feature_builders_read(county):
    form = county.visits[0]
    for key in ("members", "residence", "assets", "applicant", "declared_income", "livelihood",
                "declaration_signed", "visited_at", "household_id", "account_manager_id", "gps", "photo_count"):
        assert key in form
    assert {"age", "health", "civil_capacity", "sex", "schooling"} <= set(form["members"][0])
    assert {"main", "total"} <= set(form["declared_income"])


def test_without_messiness_the_county_is_clean():
    county = simulate_county(SimulationConfig(households=300, seed=11, messiness=0.0))
    assert not county.base_list["household_id"].duplicated().any()
    assert len({v["visit_id"] for v in county.visits}) == len(county.visits)


def test_the_riskier_county_renews_good_drawdowns_refuses_those_in_arrears_and_pledges_only_what_is_held(county):
    # given the shared county (SimulationConfig.trainable: about 10% of booked loans default)
    figures = ledger_figures(county)
    decisions = figures["renewal_decisions"]
    # then renewals and refusals for arrears both happen, and no drawdown with an overdue posting is renewed
    assert decisions["renewed"] >= 20 and decisions["refused_arrears"] >= 5
    overdue = set(county.loan_events.loc[county.loan_events["event"] == "overdue", "loan_id"])
    renewed = county.loan_ledger.loc[county.loan_ledger["renewal"] == "renewed", "loan_id"]
    assert not renewed.isin(overdue).any()
    # every guaranteed line has its guarantor, no pledge is on something not held, nothing is dated after the end
    assert figures["guaranteed_lines"] > 50 and figures["guaranteed_lines_with_a_guarantor"] == figures[
        "guaranteed_lines"]
    assert figures["collateral_not_held"] == 0
    assert figures["postings_after_end"] == figures["revisits_after_end"] == 0
