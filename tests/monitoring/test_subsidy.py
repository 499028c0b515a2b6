"""The subsidy ledger: hand-worked splits and rounding, eligibility at signing, reconciliation to the fen."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from features.simulate.county import County
from models.policy import Policy
from monitoring.subsidy import (
    DROPPED,
    ELIGIBLE,
    FEN_COLUMNS,
    NOT_CONFIRMED,
    NOT_LISTED,
    ROSE_OUT,
    SubsidyInputError,
    eligibility_at_signing,
    loan_rates,
    month_bounds,
    not_confirmed_on,
    split_interest,
    subsidy_ledger,
)


def test_hand_worked_month_at_the_cap(policy: Policy) -> None:
    # given 100,000.00 yuan for 30 days at 3.8% against the 7.5% reference: 3,000,000 yuan-days
    rates = loan_rates(0.038, 0.075, policy)
    parts = split_interest(100_000_00 * 30, rates, subsidised=True)
    # then (by hand) household 3,000,000 × 3.8% / 360 = 316.666… → 316.67; reference 625.00; county 1.8% → 150.00;
    # no discount at the cap; the bank's 1.9% share is the rest: 625.00 − 316.67 − 150.00 = 158.33
    assert parts == {"household_interest_fen": 31_667, "reference_interest_fen": 62_500,
                     "county_subsidy_fen": 15_000, "bank_concession_fen": 15_833, "bank_discount_fen": 0}


def test_rounding_is_half_up_to_the_fen(policy: Policy) -> None:
    # given balance-days whose household interest at 3.6% is exactly 2.5 fen (25,000 fen-days × 0.036 / 360)
    rates = loan_rates(0.036, 0.075, policy)
    parts = split_interest(25_000, rates, subsidised=True)
    # then half-up gives 3 fen (banker's rounding would give 2), and the row still reconciles
    assert parts["household_interest_fen"] == 3
    assert parts["reference_interest_fen"] == 5  # 5.208… fen
    assert sum(v for k, v in parts.items() if k != "reference_interest_fen") == parts["reference_interest_fen"]


def test_an_unsubsidised_loan_costs_the_county_nothing(policy: Policy) -> None:
    parts = split_interest(100_000_00 * 30, loan_rates(0.038, 0.075, policy), subsidised=False)
    assert parts["county_subsidy_fen"] == 0
    assert parts["household_interest_fen"] + parts["bank_concession_fen"] == parts["reference_interest_fen"]


def _loan(loan_id: str, household: str, signed: str, rate: float = 0.037, amount: float = 100_000.0) -> dict:
    signed_on = pd.Timestamp(signed)
    return {"loan_id": loan_id, "household_id": household, "product_code": "GF-AJ", "product_name": "共富安居贷",
            "amount": amount, "rate": rate, "normal_rate": 0.075, "signed_on": signed_on,
            "disbursed_on": signed_on, "maturity_on": signed_on + pd.DateOffset(years=1), "status": "settled",
            "settled_on": signed_on + pd.DateOffset(years=1)}


def _event(loan_id: str, household: str, date: str, kind: str, principal: float, balance: float) -> dict:
    return {"loan_id": loan_id, "household_id": household, "event_date": pd.Timestamp(date), "event": kind,
            "principal": principal, "interest": 0.0, "balance_after": balance}


def test_hand_worked_month_with_a_prepayment(policy: Policy) -> None:
    # given 100,000 disbursed on 10 March at 3.7%, 40,000 prepaid on 20 March
    ledger = pd.DataFrame([_loan("L1", "H1", "2025-03-10")])
    events = pd.DataFrame([_event("L1", "H1", "2025-03-10", "disburse", 100_000, 100_000),
                           _event("L1", "H1", "2025-03-20", "prepay", -40_000, 60_000)])
    eligibility = pd.DataFrame({"loan_id": ["L1"], "subsidy_eligible": [True], "eligibility_reason": [ELIGIBLE]})
    start, end = month_bounds("2025-03")
    # when March is booked
    row = subsidy_ledger(ledger, events, eligibility, policy, start, end).iloc[0]
    # then 10 days × 100,000 + 12 days × 60,000 = 1,720,000 yuan-days, and by hand:
    # household 1,720,000 × 3.7% / 360 = 176.777… → 176.78; reference 7.5% → 358.333… → 358.33;
    # county 1.8% → 86.00; discount 0.1% → 4.777… → 4.78; bank 358.33 − 176.78 − 86.00 − 4.78 = 90.77
    assert row["days"] == 22
    assert row["balance_fen_days"] == 1_720_000_00
    assert [row[c] for c in FEN_COLUMNS] == [17_678, 35_833, 8_600, 9_077, 478]


def test_eligibility_is_judged_on_the_signing_day(policy: Policy) -> None:
    # given: H1 listed throughout; H2 found 跃迁 at a revisit on 1 Feb 2025 (income 200,000 > cap 100,000 for 3),
    # with one loan signed before and one after; H3 dropped at the 15 Jan 2025 refresh; H4 never on the list
    ledger = pd.DataFrame([_loan("L1", "H1", "2025-02-10"), _loan("L2a", "H2", "2025-01-10"),
                           _loan("L2b", "H2", "2025-03-01"), _loan("L3", "H3", "2025-02-01"),
                           _loan("L4", "H4", "2025-02-01")])
    base = pd.DataFrame({"household_id": ["H1", "H2", "H3", "H4"], "household_size": 3,
                         "is_kuozhong": [True, True, True, False], "listed_on": pd.Timestamp("2023-09-01")})
    refresh = pd.DataFrame({"household_id": ["H1", "H2", "H3"], "refreshed_on": pd.Timestamp("2025-01-15"),
                            "change": ["kept", "kept", "dropped"], "on_list": [True, True, False],
                            "reasons": ["", "", "收入超标"]})
    revisits = pd.DataFrame({"household_id": ["H1", "H2"], "visited_at": ["2025-02-01T10:00:00"] * 2,
                             "household_size": [3, 3],
                             "declared_income": [{"total": 90_000.0}, {"total": 200_000.0}]})
    # when judged
    result = eligibility_at_signing(ledger, base, refresh, revisits, policy).set_index("loan_id")
    # then only loans signed while eligible are subsidised; the earlier loan of the 跃迁 household keeps it
    assert result["eligibility_reason"].to_dict() == {"L1": ELIGIBLE, "L2a": ELIGIBLE, "L2b": ROSE_OUT,
                                                      "L3": DROPPED, "L4": NOT_LISTED}
    assert result["subsidy_eligible"].to_dict() == {"L1": True, "L2a": True, "L2b": False, "L3": False,
                                                    "L4": False}


def test_the_month_must_be_yyyy_mm() -> None:
    for bad in ("2025-13", "2025-3", "March", "2025-03-01"):
        with pytest.raises(SubsidyInputError, match="YYYY-MM"):
            month_bounds(bad)
    assert month_bounds("2024-02")[1] == pd.Timestamp("2024-02-29")


@pytest.fixture(scope="module")
def county_ledger(county: County, policy: Policy) -> pd.DataFrame:
    revisits = pd.DataFrame.from_records(county.revisits)
    eligibility = eligibility_at_signing(county.loan_ledger, county.base_list, county.list_refresh, revisits, policy)
    return subsidy_ledger(county.loan_ledger, county.loan_events, eligibility, policy)


def test_every_loan_month_of_the_county_reconciles_to_the_fen(county_ledger: pd.DataFrame) -> None:
    parts = county_ledger[["household_interest_fen", "county_subsidy_fen", "bank_concession_fen",
                           "bank_discount_fen"]].sum(axis=1)
    assert len(county_ledger) > 100
    assert (parts == county_ledger["reference_interest_fen"]).all()
    assert (county_ledger.loc[~county_ledger["subsidy_eligible"], "county_subsidy_fen"] == 0).all()
    # the county's share is its 1.8 of the 3.7 points above the cap, within a fen per row
    exact = county_ledger["balance_fen_days"] * 0.018 / 360
    subsidised = county_ledger["subsidy_eligible"]
    assert ((county_ledger.loc[subsidised, "county_subsidy_fen"] - exact[subsidised]).abs() <= 0.5 + 1e-6).all()  # half a fen at most


def test_household_interest_matches_the_ledger_postings(county: County, county_ledger: pd.DataFrame) -> None:
    # given settled, never-prepaid loans whose interest postings run to maturity (the same days the ledger books)
    events = county.loan_events
    prepaid = set(events.loc[events["event"] == "prepay", "loan_id"])
    loans = county.loan_ledger.set_index("loan_id")
    posted = events[events["event"] == "interest"].groupby("loan_id").agg(
        total=("interest", "sum"), postings=("interest", "size"), last=("event_date", "max"))
    full = [loan for loan in posted.index if loan not in prepaid and loans.at[loan, "status"] == "settled"
            and posted.at[loan, "last"] == loans.at[loan, "maturity_on"]]
    booked = county_ledger.groupby("loan_id")["household_interest_fen"].sum() / 100
    months = county_ledger.groupby("loan_id").size()
    # then over each loan's life they agree within half a fen per posting and per month (each rounds on its own)
    assert len(full) >= 3
    for loan in full:
        slack = (posted.at[loan, "postings"] + months[loan]) * 0.005 + 1e-9
        assert abs(booked[loan] - posted.at[loan, "total"]) <= slack


def test_the_claim_table_and_summary_add_up(county_ledger: pd.DataFrame, tmp_path) -> None:
    from openpyxl import load_workbook

    from monitoring.subsidy_claim import write_claim

    # given one month of the county's ledger
    month = county_ledger["month"].value_counts().idxmax()
    rows = county_ledger[county_ledger["month"] == month]
    # when the claim is written
    paths = write_claim(month, rows, tmp_path)
    # then the CSV total row equals the sum of its rows and the county's subsidy in the ledger, to the fen
    csv = pd.read_csv(paths["csv"], dtype=str, encoding="utf-8-sig")
    body, total = csv.iloc[:-1], csv.iloc[-1]
    assert total["贷款编号"] == "合计"
    assert sum(Decimal(v) for v in body["县财政贴息(元)"]) == Decimal(total["县财政贴息(元)"])
    expected = Decimal(int(rows.loc[rows["subsidy_eligible"], "county_subsidy_fen"].sum())) / 100
    assert Decimal(total["县财政贴息(元)"]) == expected
    import json

    info = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert info["reconciles"] is True and Decimal(info["totals_yuan"]["county_subsidy"]) == expected
    sheet = load_workbook(paths["xlsx"])["贴息申请表"]
    assert [c.value for c in sheet[2]][:3] == ["序号", "贷款编号", "户编号"]
    assert sheet.max_row == len(csv) + 2
    assert not list(tmp_path.glob("*.tmp"))


def test_the_claim_workbook_reads_as_the_finance_bureau_form(county_ledger: pd.DataFrame, tmp_path) -> None:
    import datetime as dt

    from openpyxl import load_workbook

    from monitoring.subsidy_claim import write_claim

    # given one month's claim written for the finance bureau
    month = county_ledger["month"].value_counts().idxmax()
    rows = county_ledger[county_ledger["month"] == month]
    paths = write_claim(month, rows, tmp_path)
    csv = pd.read_csv(paths["csv"], dtype=str, encoding="utf-8-sig")
    # when a clerk opens the workbook
    sheet = load_workbook(paths["xlsx"])["贴息申请表"]
    header = [c.value for c in sheet[2]]
    body = list(sheet.iter_rows(min_row=3, max_row=sheet.max_row - 1))
    # then the header stays in view, the title spans the table, and every column is wide enough for its header
    assert sheet.freeze_panes == "C3" and "A1:N1" in {str(r) for r in sheet.merged_cells.ranges}
    for index, name in enumerate(header, start=1):
        width = sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width
        assert width >= min(len(name), 8) + 1, name
    # and dates are dates, rates percentages, yuan with separators to the fen, and they say what the CSV says
    signed, rate = header.index("签约日期"), header.index("合同年利率")
    money = [i for i, name in enumerate(header) if name.endswith("(元)") or name.endswith("(元·天)")]
    assert body and all(isinstance(r[signed].value, dt.datetime) and r[signed].number_format == "yyyy-mm-dd"
                        for r in body)
    assert all(r[rate].number_format == "0.00%" for r in body)
    assert all(r[i].number_format == "#,##0.00" for r in body for i in money)
    assert [r[signed].value.date().isoformat() for r in body] == list(csv["签约日期"].iloc[:-1])
    assert [f"{r[rate].value:.2%}" for r in body] == list(csv["合同年利率"].iloc[:-1])
    assert all(c.font.b for c in sheet[sheet.max_row]) and sheet.cell(row=sheet.max_row, column=2).value == "合计"


def test_a_household_refused_after_lending_while_reviewing_loses_the_subsidy_from_that_month(policy: Policy) -> None:
    # given two loans signed in March 2025 while their households were under review; H1 is later confirmed, H2 is
    # 不予确认 on 10 May 2025, and a third household was refused before its loan was ever signed
    ledger = pd.DataFrame([_loan("L1", "H1", "2025-03-03"), _loan("L2", "H2", "2025-03-03"),
                           _loan("L3", "H3", "2025-06-02")])
    events = pd.DataFrame([_event(x, h, d, "disburse", 100_000, 100_000)
                           for x, h, d in (("L1", "H1", "2025-03-03"), ("L2", "H2", "2025-03-03"),
                                           ("L3", "H3", "2025-06-02"))])
    final = pd.DataFrame({"household_id": ["H1", "H2", "H1", "H2", "H3"], "list_version": [1, 1, 2, 2, 2],
                          "effective_on": pd.to_datetime(["2025-02-20", "2025-02-20", "2025-05-10", "2025-05-10",
                                                          "2025-05-10"]),
                          "list_status": ["under_review", "under_review", "confirmed", "not_confirmed",
                                          "not_confirmed"]})
    eligibility = pd.DataFrame({"loan_id": ["L1", "L2", "L3"], "subsidy_eligible": True,
                                "eligibility_reason": ELIGIBLE})
    # when the policy stops the subsidy of a refused household (its default) and the months are booked
    refused = not_confirmed_on(ledger, final, policy)
    booked = subsidy_ledger(ledger, events, eligibility, policy, None, pd.Timestamp("2025-07-31"),
                            unconfirmed_on=refused).set_index(["loan_id", "month"])
    # then only the loan signed before its household's refusal stops, from the refusal's month on
    assert refused.to_dict() == {"L2": pd.Timestamp("2025-05-10")}
    assert booked.loc[("L2", "2025-04"), "county_subsidy_fen"] > 0 and booked.loc[("L2", "2025-04"), "subsidy_eligible"]
    assert booked.loc[("L2", "2025-05"), "county_subsidy_fen"] == 0
    assert booked.loc[("L2", "2025-05"), "eligibility_reason"] == NOT_CONFIRMED
    assert booked.loc[("L1", "2025-05"), "county_subsidy_fen"] > 0
    # and each month still splits to the fen (what the county does not pay stays the bank's or the household's)
    kept = booked.loc[("L2", "2025-05")]
    assert kept["reference_interest_fen"] == (kept["household_interest_fen"] + kept["bank_concession_fen"]
                                              + kept["bank_discount_fen"])
    # and with the policy's 'keep' the signed loan keeps its subsidy
    keep = policy.model_copy(update={"list_review": policy.list_review.model_copy(
        update={"not_confirmed_subsidy": "keep"})})
    assert not_confirmed_on(ledger, final, keep).empty
