"""The figures a simulated county reproduces (list share, the plan's pace, booked-loan defaults), for docs and benchmarks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.simulate.county import County
from features.simulate.world import PILOT_END, TYPHOON_YEARS

TYPHOON_LIVELIHOODS = ("fishing", "mussel")
# What a pledge or mortgage needs the household to hold, as its visit form's assets record it.
COLLATERAL_HELD = {"捕捞证质押": "fishing_permit", "养殖证抵押": "aquaculture_permit", "住房抵押": "house"}


def _by_year(dates: pd.Series) -> dict[str, int]:
    years = pd.to_datetime(dates).dt.year.value_counts().sort_index()
    return {str(year): int(count) for year, count in years.items()}


def typhoon_window(application_date: pd.Series) -> np.ndarray:
    """Whether a loan applied for on that date has a typhoon season (Aug-Sep of a typhoon year) in its first year."""
    dates = pd.to_datetime(application_date)
    hit = np.zeros(len(dates), dtype=bool)
    for year in TYPHOON_YEARS:
        season_start, season_end = pd.Timestamp(f"{year}-08-01"), pd.Timestamp(f"{year}-09-30")
        hit |= ((dates + pd.DateOffset(years=1) > season_start) & (dates <= season_end)).to_numpy()
    return hit


def program_figures(county: County) -> dict[str, Any]:
    """What the county shows a credit manager: list, visits, applications, credit lines and booked-loan defaults."""
    base = county.base_list.drop_duplicates("household_id", keep="last")
    truth = county.ground_truth.set_index("household_id")
    apps = county.applications
    booked = apps[apps["approved"].astype(bool)]
    visits = pd.DataFrame(county.visits).drop_duplicates("household_id")
    listed = set(base.loc[base["is_kuozhong"].astype(bool), "household_id"])
    listed_visits = visits[visits["household_id"].isin(listed)]
    visited = truth["visited"]
    eligible = truth["eligible"]
    applied = truth["applied"]
    livelihood = truth.loc[booked["household_id"], "livelihood"].to_numpy()
    exposed = np.isin(livelihood, TYPHOON_LIVELIHOODS) & typhoon_window(booked["application_date"])
    # every booked loan's simulated outcome (the sources hold it only for loans whose 12 months have passed)
    booked_truth = county.application_truth.set_index("application_id").loc[booked["application_id"]]
    outcome = booked_truth["outcome_12m"].astype(float).to_numpy()
    ledger = county.loan_ledger
    lines = ledger[ledger["renewal_no"] == 0] if "renewal_no" in ledger else ledger
    flows = county.account_flows
    size = base.set_index("household_id")["household_size"].reindex(truth.index).to_numpy()
    per_head = truth["annual_income"] / size
    mussel = (truth["livelihood"] == "mussel").to_numpy()
    return {
        "households": int(len(base)),
        "list_share": round(float(base["is_kuozhong"].astype(bool).mean()), 4),
        "listed_households_visited_by_year": _by_year(pd.Series(listed_visits["visited_at"])),
        "first_visit": str(pd.to_datetime(visits["visited_at"]).min().date()),
        "applications": int(len(apps)),
        "apply_rate_visited_eligible": round(float(applied[visited & eligible].mean()), 4),
        "apply_rate_visited_ineligible": round(float(applied[visited & ~eligible].mean()), 4),
        "applications_failing_rules_share": round(float(1 - eligible.loc[apps["household_id"]].mean()), 4),
        "booked_loans": int(len(booked)),
        "loans_by_year": _by_year(lines["disbursed_on"]),
        "first_loan": str(pd.to_datetime(lines["disbursed_on"]).min().date()),
        "mean_loan_amount": round(float(lines["amount"].mean()), 0),
        "booked_default_rate": round(float(outcome.mean()), 4),
        "booked_defaults": int(outcome.sum()),
        "booked_loans_with_known_outcome": int(booked["default_12m"].notna().sum()),
        "booked_default_rate_known_outcome": round(float(booked["default_12m"].astype(float).mean()), 4),
        "booked_default_rate_typhoon_exposed": round(float(outcome[exposed].mean()), 4) if exposed.any() else None,
        "booked_default_rate_other": round(float(outcome[~exposed].mean()), 4),
        "through_the_door_default_rate": round(float(county.application_truth["outcome_12m"].mean()), 4),
        "oracle_auc": round(county.oracle_auc, 4),
        "negative_balance_months": int((flows["balance"] < 0).sum()),
        "mussel_income_per_head_median": round(float(per_head[mussel].median()), 0),
        "mussel_households_over_100k_per_head": round(float((per_head[mussel] > 100_000).mean()), 4),
        "credit_line_mean": round(float(lines["credit_line"].mean()), 0) if "credit_line" in ledger else None,
        "drawn_share_of_lines": round(float(lines["amount"].sum() / lines["credit_line"].sum()), 4)
        if "credit_line" in ledger else None,
        "under_declared_share_of_applicants": round(float(truth.loc[apps["household_id"], "under_declared"].mean()), 4),
        **ledger_figures(county),
    }


def collateral_not_held(ledger: pd.DataFrame, visits: list[dict]) -> pd.Series:
    """Per pledge or mortgage type, the loans whose household's latest visit form does not record holding it."""
    assets = pd.DataFrame(visits).drop_duplicates("household_id", keep="last").set_index("household_id")["assets"]
    counts = {}
    for guarantee, asset in COLLATERAL_HELD.items():
        secured = ledger[ledger["guarantee"] == guarantee]
        held = secured["household_id"].map(assets.map(lambda a, key=asset: bool(a.get(key)) if a else False))
        counts[guarantee] = int((held != True).sum())  # noqa: E712 - NaN (no form) counts as not held
    return pd.Series(counts)


def ledger_figures(county: County) -> dict[str, Any]:
    """What a credit officer counts in the ledger: renewals and refusals, guarantors, collateral, the timeline's end."""
    ledger, guarantors = county.loan_ledger, county.loan_guarantors
    if "renewal" not in ledger:
        return {}
    renewed = ledger[ledger["renewal_no"] >= 1]
    guaranteed = ledger.loc[(ledger["renewal_no"] == 0) & (ledger["guarantee"] == "保证"), "line_id"]
    decisions = ledger["renewal"].value_counts()
    return {
        "credit_lines": int((ledger["renewal_no"] == 0).sum()),
        "renewals": int(len(renewed)),
        "renewals_by_year": _by_year(renewed["signed_on"]),
        "renewal_decisions": {str(k): int(v) for k, v in decisions.items()},
        "guarantee_types": {str(k): int(v) for k, v in ledger.loc[ledger["renewal_no"] == 0, "guarantee"]
                            .value_counts().items()},
        "guaranteed_lines": int(len(guaranteed)),
        "guaranteed_lines_with_a_guarantor": int(guaranteed.isin(guarantors["line_id"]).sum()),
        "guarantors_with_overdue_24m": int((guarantors["guarantor_overdue_months_24m"] > 0).sum()),
        "guarantors_also_borrowing": int(guarantors["guarantor_program_borrower"].sum()),
        "collateral_not_held": int(collateral_not_held(ledger, county.visits).sum()),
        "loans_active_at_end": int((ledger["status"] == "active").sum()),
        "postings_after_end": int((county.loan_events["event_date"] > PILOT_END).sum()),
        "revisits_after_end": int(sum(pd.Timestamp(r["visited_at"]) >= PILOT_END + pd.Timedelta(days=1)
                                      for r in county.revisits)),
    }
