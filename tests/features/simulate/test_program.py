"""The whole county (31,128 households) behaves like the plan's pilot: timeline, balances, list, applications, defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.build.table import training_table
from features.datasets import county_dataset
from features.simulate.county import County, SimulationConfig, simulate_county
from features.simulate.figures import program_figures
from features.sources.load import load_sources
from models.rules import evaluate_rules

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
    ledger = shengsi.loan_ledger
    assert 1_200 <= len(ledger) <= 2_200  # 1,700 signed households by 2025
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
    assert apps.loc[booked, "default_12m"].notna().all() and apps.loc[~booked, "default_12m"].isna().all()
    truth = pd.read_parquet(written / "application_truth.parquet")
    assert list(truth.columns) == ["application_id", "true_pd", "outcome_12m", "booked"]
    assert truth["outcome_12m"].isin([0, 1]).all() and (truth["booked"].to_numpy() == booked.to_numpy()).all()
    # the training table carries the outcome of booked loans only, and a dataset keeps only those rows
    table = shengsi_table
    assert table["default_12m"].notna().sum() == booked.sum()
    assert len(county_dataset(table).frame) == booked.sum()


def test_the_oracle_reads_every_applicant_not_only_the_booked(shengsi):
    truth = shengsi.application_truth
    assert len(truth) == len(shengsi.applications) > len(shengsi.loan_ledger)
    assert 0.75 <= shengsi.oracle_auc <= 0.92
