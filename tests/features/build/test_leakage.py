"""No leakage: records dated after a request's as-of date never change any of its features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build.table import build_features
from features.sources.load import RawSources, visits_frame
from models.policy import load_policy

PROGRAM = load_policy()  # the policy the features' ratios are taken against


@pytest.fixture(scope="module")
def requests(sources: RawSources) -> pd.DataFrame:
    apps = sources.applications.iloc[:300]
    return pd.DataFrame({"request_id": apps["application_id"], "household_id": apps["household_id"],
                         "as_of": apps["application_date"], "requested_amount": apps["requested_amount"],
                         "purpose": apps["purpose"]})


def _after(frame: pd.DataFrame, requests: pd.DataFrame, date_col: str, monthly: bool) -> pd.Series:
    """Rows of ``frame`` dated after their household's as-of date (a month is dated at its end)."""
    as_of = frame["household_id"].map(requests.set_index("household_id")["as_of"])
    dated = frame[date_col]
    if monthly:
        return as_of.notna() & (dated >= as_of.dt.to_period("M").dt.to_timestamp())
    return as_of.notna() & (dated > as_of)


def _tamper(sources: RawSources, requests: pd.DataFrame, window: str, leave_list: bool = True) -> RawSources:
    """Sources with every record after (``window='after'``) or before the as-of date rewritten.

    ``leave_list``: also a list refresh dropping every household and a revisit finding its income far above the
    cap, on that side of the date.
    """
    rng = np.random.default_rng(1)
    def pick(after: pd.Series) -> pd.Series:
        return after if window == "after" else ~after

    in_req = sources.account_flows["household_id"].isin(requests["household_id"])
    flows = sources.account_flows.copy()
    hit = pick(_after(flows, requests, "month", monthly=True)) & in_req
    flows.loc[hit, ["inflow", "outflow", "balance"]] = rng.uniform(0, 1e6, (int(hit.sum()), 3))
    grid = sources.repayment_history.copy()
    hit = pick(_after(grid, requests, "month", monthly=True)) & grid["household_id"].isin(requests["household_id"])
    grid.loc[hit, "status"] = rng.choice(list("1234567BDZ"), int(hit.sum()))
    grid.loc[hit, "five_class"] = "损失"
    shift = pd.Timedelta(days=1) if window == "after" else -pd.Timedelta(days=5)
    extra = requests[["household_id"]].assign(query_date=requests["as_of"] + shift, reason="贷款审批")
    queries = pd.concat([sources.credit_queries, extra], ignore_index=True)
    loans = sources.loan_accounts.copy()
    opened = requests["as_of"] + pd.Timedelta(days=3) if window == "after" else requests["as_of"] - pd.Timedelta(
        days=30)
    new_loans = pd.DataFrame({"account_id": "L-NEW-" + requests["household_id"], "household_id": requests[
        "household_id"], "opened": opened, "balance": 400_000.0, "monthly_payment": 35_000.0})
    loans = pd.concat([loans, new_loans], ignore_index=True)
    base = sources.base_list.set_index("household_id").loc[requests["household_id"]].reset_index()
    base = base.assign(is_kuozhong=~base["is_kuozhong"].astype(bool), listed_on=requests["as_of"].to_numpy() + (
        pd.Timedelta(days=1) if window == "after" else -pd.Timedelta(days=1)))
    base_list = pd.concat([sources.base_list, base], ignore_index=True)
    visits = sources.visits.to_dict("records")
    as_of = requests.set_index("household_id")["as_of"]
    extra_visits = []
    for record in visits:
        hh = record["household_id"]
        if hh in as_of.index:
            later = {**record, "visit_id": record["visit_id"] + "-X", "livelihood": "pension",
                     "declared_income": {"main": 999_000.0}, "members": record["members"][:1],
                     "visited_at": (as_of[hh] + pd.Timedelta(days=1) if window == "after"
                                    else as_of[hh] - pd.Timedelta(days=1)).isoformat()}
            extra_visits.append(later)
    records = [{**r, "visited_at": pd.Timestamp(r["visited_at"]).isoformat()} for r in visits + extra_visits]
    # the list leaves on that side of the date: a refresh drop and a revisit with income far above any cap
    refresh, revisits = sources.list_refresh, sources.revisits
    if leave_list:
        refresh = pd.concat([refresh, requests[["household_id"]].assign(
            refreshed_on=requests["as_of"] + shift, change="dropped", on_list=False, reasons="收入超标")],
            ignore_index=True)
        revisits = pd.concat([revisits, requests[["household_id"]].assign(
            visit_id="R-X-" + requests["household_id"], visited_at=requests["as_of"] + shift, household_size=1,
            declared_income=[{"total": 9_999_000.0}] * len(requests))], ignore_index=True)
    ledger, events, guarantors = _tamper_ledger(sources, requests, window)
    return RawSources(visits=visits_frame(records), base_list=base_list, account_flows=flows,
                      loan_accounts=loans, repayment_history=grid, credit_queries=queries,
                      applications=sources.applications, list_refresh=refresh, revisits=revisits,
                      loan_ledger=ledger, loan_events=events, loan_guarantors=guarantors)


def _tamper_ledger(sources: RawSources, requests: pd.DataFrame, window: str,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A fully drawn 共富 line in arrears and a guarantee for another household, per requesting household.

    ``after``: booked ON the as-of date (the ledger is read strictly before it); ``before``: 30 days earlier.
    """
    day = requests["as_of"] if window == "after" else requests["as_of"] - pd.Timedelta(days=30)
    hh = requests["household_id"].to_numpy()
    loan = "D-X-" + requests["household_id"]
    ledger = pd.DataFrame({"loan_id": loan, "line_id": "SX-X-" + requests["household_id"], "household_id": hh,
                           "amount": 90_000.0, "signed_on": day, "disbursed_on": day,
                           "maturity_on": day + pd.DateOffset(years=1), "credit_line": 100_000.0,
                           "line_valid_until": day + pd.DateOffset(years=3), "guarantee": "保证", "renewal_no": 1})
    events = pd.concat([
        pd.DataFrame({"loan_id": loan, "household_id": hh, "event_date": day, "event": "disburse",
                      "principal": 90_000.0, "interest": 0.0, "balance_after": 90_000.0}),
        pd.DataFrame({"loan_id": loan, "household_id": hh, "event_date": day, "event": "overdue",
                      "principal": 0.0, "interest": 0.0, "balance_after": 90_000.0})], ignore_index=True)
    guarantors = pd.DataFrame({"line_id": "SX-Y-" + requests["household_id"], "household_id": "H-OTHER",
                               "guarantor_household_id": hh, "guaranteed_amount": 300_000.0, "signed_on": day,
                               "valid_until": day + pd.DateOffset(years=3), "guarantor_overdue_months_24m": 9})
    own_guarantor = guarantors.assign(line_id="SX-X-" + requests["household_id"], household_id=hh,
                                      guarantor_household_id="H-OTHER")
    return (pd.concat([sources.loan_ledger, ledger], ignore_index=True),
            pd.concat([sources.loan_events, events], ignore_index=True),
            pd.concat([sources.loan_guarantors, guarantors, own_guarantor], ignore_index=True))


def test_changing_every_record_after_the_as_of_date_changes_no_feature(sources, requests):
    # given the features of 300 applications, each at its own date
    before = build_features(sources, requests, PROGRAM)
    # when every flow, grid month, query, loan, visit and base-list entry dated after each as-of date is
    # rewritten or added, and a 共富 line in arrears and a guarantee are booked on the as-of date itself
    after = build_features(_tamper(sources, requests, "after"), requests, PROGRAM)
    # then every feature of every request is unchanged
    pd.testing.assert_frame_equal(after, before)


def test_the_same_changes_before_the_as_of_date_do_change_features(sources, requests):
    # given the same tampering, but dated before each as-of date (the test above can fail)
    before = build_features(sources, requests, PROGRAM)
    after = build_features(_tamper(sources, requests, "before", leave_list=False), requests, PROGRAM)
    # then the features move
    for name in ("program_line_utilisation", "program_renewals", "program_loans_in_arrears",
                 "program_guarantor_overdue_months_24m", "guaranteed_for_others"):
        both_missing = after[name].isna() & before[name].isna()
        assert ((after[name] != before[name]) & ~both_missing).mean() > 0.5, name
    for name in ("observed_income_12m", "queries_3m", "debt_balance", "declared_income", "on_list"):
        assert (after[name] != before[name]).mean() > 0.5, name
    # the credit grid moves for every request whose household has grid months in the 24 before its date (every
    # one of them rewritten as overdue); households without a credit history have nothing to move
    grid = sources.repayment_history
    as_of = grid["household_id"].map(requests.set_index("household_id")["as_of"])
    month = grid["month"]
    in_window = as_of.notna() & (month < as_of.dt.to_period("M").dt.to_timestamp()) & (
        month >= as_of - pd.DateOffset(months=24))
    with_history = requests["household_id"].isin(grid.loc[in_window, "household_id"]).to_numpy()
    assert with_history.sum() >= 30
    moved = (after["overdue_months_24m"] != before["overdue_months_24m"]).to_numpy()
    assert moved[with_history].mean() > 0.9
    # and a refresh drop and a revisit over the cap before the date take the household off the list as 跃迁
    left = build_features(_tamper(sources, requests, "before"), requests, PROGRAM)
    for name in ("list_status", "upward_mobility_flagged_on"):
        assert (left[name] != before[name]).mean() > 0.5, name
