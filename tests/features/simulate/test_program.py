"""The whole county (31,128 households) behaves like the plan's pilot: timeline, balances, list, applications, defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.build.table import FeatureBuilder, training_table
from features.datasets import county_dataset
from features.simulate.county import County, SimulationConfig, simulate_county
from features.simulate.figures import collateral_not_held, program_figures
from features.simulate.world import HOUSEHOLD_INCOME_CAP, PILOT_END
from features.sources.load import load_sources
from models.rules import evaluate_rules
from monitoring.stage4 import data_until

# Bands documented in docs/simulator.md ("What the county reproduces").
LIST_SHARE_BAND = (0.19, 0.25)  # the plan's 6,900 of 31,128 households = 22.2%
BOOKED_DEFAULT_BAND = (0.01, 0.035)  # Zhejiang rural banks' NPL ratios to the national rural-bank ratio
CENSUS_HOUSEHOLDS = 31_128


@pytest.fixture(scope="module")
def shengsi() -> County:
    return simulate_county(SimulationConfig(households=CENSUS_HOUSEHOLDS, seed=20230712))


@pytest.fixture(scope="module")
def figures(shengsi: County) -> dict:
    return program_figures(shengsi)


@pytest.fixture(scope="module")
def written(shengsi: County, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shengsi")
    shengsi.write(folder)
    return folder


@pytest.fixture(scope="module")
def shengsi_table(written: Path, policy) -> pd.DataFrame:
    return training_table(load_sources(written), policy)


def test_no_monthly_balance_is_below_zero(shengsi):
    flows = shengsi.account_flows
    assert len(flows) > 500_000
    assert (flows["balance"] >= 0).all()
    # spending adapts: a month never pays out more than the account held plus what came in
    flows = flows.sort_values(["household_id", "month"])
    previous = flows.groupby("household_id")["balance"].shift()
    known = previous.notna()
    assert (flows.loc[known, "outflow"] <= previous[known] + flows.loc[known, "inflow"] + 0.01).all()


def test_first_visit_and_first_loan_follow_the_plans_timeline(shengsi, figures):
    visits = pd.to_datetime(pd.DataFrame(shengsi.visits)["visited_at"])
    loans = shengsi.loan_ledger["disbursed_on"]
    assert visits.min() >= pd.Timestamp("2023-08-01") and visits.min().year == 2023
    assert loans.min() >= pd.Timestamp("2023-09-01") and loans.min().year == 2023
    assert shengsi.base_list["listed_on"].max() <= pd.Timestamp("2023-07-31")
    # visits and loans in every year of the pilot, at about the pace of 附件1 (1,360 / 4,100 / 6,900 visited)
    assert set(figures["loans_by_year"]) == {"2023", "2024", "2025"}
    cumulative = np.cumsum([figures["listed_households_visited_by_year"][y] for y in ("2023", "2024", "2025")])
    assert np.all(np.abs(cumulative / np.array([1_360, 4_100, 6_900]) - 1) < 0.15)
    assert loans.max() <= pd.Timestamp("2025-12-31")


def test_every_application_comes_on_or_after_the_households_first_visit(shengsi):
    # the visit comes first (stage 2, then stage 3); a household visited in the pilot's last weeks does not apply
    visits = pd.DataFrame(shengsi.visits)
    first = pd.to_datetime(visits["visited_at"]).dt.normalize().groupby(visits["household_id"]).min()
    apps = shengsi.applications
    visited_on = apps["household_id"].map(first)
    assert visited_on.notna().all()
    assert (pd.to_datetime(apps["application_date"]) >= visited_on).all()


def test_the_list_holds_about_the_plans_share_of_households(figures):
    assert LIST_SHARE_BAND[0] <= figures["list_share"] <= LIST_SHARE_BAND[1]


def test_visited_eligible_households_apply_far_more_and_some_ineligible_ones_still_do(figures):
    assert figures["apply_rate_visited_eligible"] > 2.5 * figures["apply_rate_visited_ineligible"] > 0
    assert 0.05 < figures["applications_failing_rules_share"] < 0.4


def test_booked_loans_default_at_rural_bank_rates_and_more_in_a_typhoon_year(figures):
    assert BOOKED_DEFAULT_BAND[0] <= figures["booked_default_rate"] <= BOOKED_DEFAULT_BAND[1]
    assert figures["booked_default_rate_typhoon_exposed"] > 1.5 * figures["booked_default_rate_other"]
    assert figures["through_the_door_default_rate"] > figures["booked_default_rate"]  # the bank declines risk


def test_credit_lines_are_near_the_targets_and_about_a_third_drawn(shengsi):
    ledger = shengsi.loan_ledger[shengsi.loan_ledger["renewal_no"] == 0]  # each line's first drawdown
    assert 1_200 <= len(ledger) <= 2_200  # 1,700 signed households by 2025
    assert ledger["line_id"].is_unique and ledger["household_id"].is_unique
    assert 70_000 <= ledger["credit_line"].mean() <= 130_000  # 17,000万 / 1,700
    assert 0.2 <= ledger["amount"].sum() / ledger["credit_line"].sum() <= 0.4  # 5,000万 of 17,000万
    assert (ledger["amount"] <= ledger["credit_line"]).all()
    assert (ledger["line_valid_until"] > ledger["maturity_on"]).all()
    assert {"捕捞证质押", "养殖证抵押", "住房抵押", "保证", "信用"} == set(ledger["guarantee"])


def test_some_households_near_the_cap_declare_just_under_it(shengsi):
    truth = shengsi.ground_truth
    cap = 100_000 * shengsi.base_list.drop_duplicates("household_id").set_index("household_id")[
        "household_size"].reindex(truth["household_id"]).to_numpy() / 3
    forms = pd.DataFrame(shengsi.visits).drop_duplicates("household_id").set_index("household_id")
    declared = forms["declared_income"].map(lambda d: d["total"]).reindex(truth["household_id"]).to_numpy()
    over = (truth["annual_income"].to_numpy() > cap) & ~np.isnan(declared)
    shaded = over & (declared < cap)
    assert shaded.sum() > 100 and (shaded.sum() / over.sum()) > 0.1


def test_under_declared_income_shows_only_against_the_account_flows(shengsi, shengsi_table, policy):
    # given every application's rule trace and whether the household truly under-declared
    truth = shengsi.ground_truth.set_index("household_id")
    under = truth.loc[shengsi_table["household_id"], "under_declared"].to_numpy()
    referred = np.array([{r.code: r for r in evaluate_rules(row, policy)}["INCOME_OBSERVED"].outcome == "fail"
                         for row in shengsi_table.to_dict("records")])
    # then INCOME_OBSERVED refers some under-declarers and (almost) no honest household
    assert referred[under].sum() >= 10
    assert referred[under].mean() > 10 * max(referred[~under].mean(), 0.001)


def test_outcomes_are_absent_for_unbooked_applications_in_the_written_sources(shengsi, written, shengsi_table):
    apps = pd.read_parquet(written / "applications.parquet")
    assert "true_pd" not in apps.columns
    booked = apps["approved"].astype(bool)
    assert apps.loc[~booked, "default_12m"].isna().all()
    truth = pd.read_parquet(written / "application_truth.parquet")
    assert list(truth.columns) == ["application_id", "true_pd", "outcome_12m", "booked", "mature"]
    assert truth["outcome_12m"].isin([0, 1]).all() and (truth["booked"].to_numpy() == booked.to_numpy()).all()
    known = apps["default_12m"].notna().to_numpy()
    assert (known == truth["mature"].to_numpy()).all() and (known <= booked.to_numpy()).all()
    # the training table carries the known outcomes only, and a dataset keeps only those rows
    table = shengsi_table
    assert table["default_12m"].notna().sum() == known.sum()
    assert len(county_dataset(table).frame) == known.sum()


def test_outcomes_are_absent_for_loans_booked_less_than_twelve_months_before_the_data_end(shengsi, written,
                                                                                         shengsi_table):
    # given the written sources of the full county: its applications and its loans' first drawdowns
    apps = pd.read_parquet(written / "applications.parquet").set_index("application_id")
    ledger = pd.read_parquet(written / "loan_ledger.parquet")
    first = ledger[ledger["renewal_no"] == 0].set_index("application_id")
    end = PILOT_END
    immature = first["maturity_on"] > end
    # then a loan whose 12 months had not passed by the end of the data has no outcome, every other booked loan one
    assert immature.sum() > 300 and (~immature).sum() > 300  # the county books loans on both sides of the cut
    outcome = apps.loc[first.index, "default_12m"]
    assert outcome[immature.to_numpy()].isna().all()
    assert outcome[~immature.to_numpy()].notna().all()
    # and those late loans are not in what training learns from, while the truth keeps their outcome for evaluation
    data = county_dataset(shengsi_table)
    late = set(first.index[immature.to_numpy()])
    assert not late & set(data.frame["request_id"])
    assert data.unlabelled is not None and late <= set(data.unlabelled["request_id"])
    truth = shengsi.application_truth.set_index("application_id")
    assert truth.loc[sorted(late), "outcome_12m"].isin([0, 1]).all() and not truth.loc[sorted(late), "mature"].any()
    # and every loan training learns from was applied for at least a year before the end of the data
    assert (pd.to_datetime(data.frame["as_of"]) <= end - pd.DateOffset(years=1)).all()


def test_the_oracle_reads_every_applicant_not_only_the_booked(shengsi):
    truth = shengsi.application_truth
    assert len(truth) == len(shengsi.applications) > len(shengsi.loan_ledger)
    assert 0.75 <= shengsi.oracle_auc <= 0.92


def test_drawdowns_in_good_standing_are_renewed_and_those_in_arrears_are_not(shengsi):
    ledger, events = shengsi.loan_ledger, shengsi.loan_events
    by_id = ledger.set_index("loan_id")
    overdue = set(events.loc[events["event"] == "overdue", "loan_id"])
    renewed = ledger[ledger["renewal"] == "renewed"]
    # renewals happen, in 2024 and 2025, and some drawdowns are refused for arrears at maturity
    assert len(renewed) >= 100 and (ledger["renewal"] == "refused_arrears").sum() >= 5
    # no drawdown with an overdue posting is renewed; every one in arrears at a maturity inside the pilot is refused
    assert not renewed["loan_id"].isin(overdue).any()
    matured = ledger[ledger["maturity_on"] <= PILOT_END]
    assert (matured.loc[matured["loan_id"].isin(overdue), "renewal"] == "refused_arrears").all()
    # a renewal is a new one-year loan on the same line, signed on the old one's maturity, which it repays
    new = ledger[ledger["renewal_no"] >= 1]
    old = by_id.loc[new["renewal_of"]]
    assert len(new) == len(renewed) - (renewed["maturity_on"] > PILOT_END).sum()
    assert (new["signed_on"].to_numpy() == old["maturity_on"].to_numpy()).all()
    assert (new["line_id"].to_numpy() == old["line_id"].to_numpy()).all()
    assert (new["renewal_no"].to_numpy() == old["renewal_no"].to_numpy() + 1).all()
    assert (new["amount"] <= new["credit_line"]).all() and (new["line_valid_until"] >= new["maturity_on"]).all()
    repaid = events[(events["event"] == "repay") & events["loan_id"].isin(new["renewal_of"])]
    assert set(repaid["loan_id"]) == set(new["renewal_of"])
    # a household the program stopped serving before maturity (dropped, or over the cap at a revisit) is not renewed
    revisits = pd.DataFrame(shengsi.revisits)
    over = revisits[revisits["declared_income"].map(lambda d: d["total"])
                    > HOUSEHOLD_INCOME_CAP * revisits["household_size"] / 3]
    risen = pd.to_datetime(over["visited_at"]).dt.normalize().groupby(over["household_id"].to_numpy()).min()
    barred = renewed["household_id"].map(risen) <= renewed["maturity_on"]
    assert not barred.any() and (ledger["renewal"] == "refused_not_eligible").sum() > 0


def test_every_guaranteed_line_has_a_guarantor_household_with_its_standing(shengsi):
    ledger, guarantors = shengsi.loan_ledger, shengsi.loan_guarantors
    lines = ledger[(ledger["renewal_no"] == 0) & (ledger["guarantee"] == "保证")]
    # one guarantor per 保证 line, none for the others
    assert len(lines) > 300 and set(guarantors["line_id"]) == set(lines["line_id"])
    assert guarantors["line_id"].is_unique
    # another household of the same township, one the bank serves, named by household id only
    assert (guarantors["guarantor_household_id"] != guarantors["household_id"]).all()
    assert guarantors["guarantor_household_id"].str.fullmatch(r"H\d{11}").all()
    assert not {"name", "id_number", "phone"} & set(guarantors.columns)
    township = shengsi.base_list.drop_duplicates("household_id").set_index("household_id")["township"]
    assert (guarantors["guarantor_household_id"].map(township) == guarantors["household_id"].map(township)).all()
    assert guarantors["guarantor_household_id"].isin(shengsi.bank_customers["household_id"]).all()
    # its standing at signing is on the record: almost every guarantor is clean, the bank sees the few who are not
    assert (guarantors["guarantor_overdue_months_24m"] == 0).mean() > 0.95
    assert guarantors[["guarantor_current_overdue", "guarantor_program_borrower"]].notna().all().all()


def test_collateral_is_pledged_only_by_households_that_hold_it(shengsi):
    ledger = shengsi.loan_ledger
    assert {"捕捞证质押", "养殖证抵押", "住房抵押"} <= set(ledger["guarantee"])
    assert collateral_not_held(ledger, shengsi.visits).sum() == 0
    # the count can fail: the same loans against households that hold nothing
    nothing = [{**v, "assets": {k: False for k in v["assets"]}} for v in shengsi.visits]
    assert collateral_not_held(ledger, nothing).sum() == ledger["guarantee"].isin(["捕捞证质押", "养殖证抵押",
                                                                                    "住房抵押"]).sum()


def test_nothing_after_the_pilots_end_is_data(shengsi, written):
    ledger, events = shengsi.loan_ledger, shengsi.loan_events
    assert events["event_date"].max() <= PILOT_END
    assert max(pd.Timestamp(r["visited_at"]) for r in shengsi.revisits) < PILOT_END + pd.Timedelta(days=1)
    # loans running at the end are active: their maturity is the contract's schedule, not a posting
    active = ledger[ledger["status"] == "active"]
    assert len(active) > 100 and (active["maturity_on"] > PILOT_END).all() and active["settled_on"].isna().all()
    assert (ledger["settled_on"].dropna() <= PILOT_END).all()
    assert (ledger.loc[ledger["maturity_on"] > PILOT_END, "renewal"] == "pending").all()
    # the dashboards' 数据截至 is inside the pilot
    until = data_until(load_sources(written))
    assert until is not None and pd.Timestamp("2025-12-01") <= until <= PILOT_END


def test_the_ledger_reaches_the_features_of_a_later_request(shengsi, written, shengsi_table, policy):
    # given requests on the day each renewal was signed, and on the day before each line's first drawdown
    sources = load_sources(written)
    ledger = sources.loan_ledger
    renewals = ledger[ledger["renewal_no"] >= 1]
    first = ledger[ledger["renewal_no"] == 0]
    requests = pd.concat([
        pd.DataFrame({"household_id": renewals["household_id"], "as_of": renewals["signed_on"]}),
        pd.DataFrame({"household_id": first["household_id"], "as_of": first["signed_on"]})], ignore_index=True)
    table = FeatureBuilder(sources, policy).build(requests)
    at_renewal, at_first = table.iloc[:len(renewals)], table.iloc[len(renewals):]
    # then a renewal's request sees the line, the drawn balance it renews and the renewals before it
    assert (at_renewal["program_renewals"].to_numpy() == renewals["renewal_no"].to_numpy() - 1).all()
    assert at_renewal["program_line_utilisation"].between(0.01, 1.0).all()
    assert (at_renewal["program_credit_line"].to_numpy() > 0).all()
    assert (at_renewal["program_loans_in_arrears"] == 0).all()
    # and the first drawdown's request sees no line of its own (nothing signed before the day is read)
    assert at_first["program_line_utilisation"].isna().all() and (at_first["program_renewals"] == 0).all()
    # guarantees given for others' lines reach the applications in the training table
    assert (shengsi_table["guaranteed_for_others"] > 0).sum() >= 5
