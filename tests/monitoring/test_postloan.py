"""Post-loan follow-up on the hand-counted county: revisits due, a flow signal within weeks, misuse and clawback."""

import pandas as pd
import pytest

from monitoring.postloan import confirmed_misuse, flow_signals, revisits_due
from monitoring.subsidy import MISUSED, clawbacks, eligibility_at_signing, subsidy_ledger
from tests.monitoring.hand_made import hand_made_sources


@pytest.fixture(scope="module")
def sources():
    return hand_made_sources()


def test_first_revisit_falls_due_a_month_after_disbursement(sources, policy):
    # policy: first revisit 30 days after disbursement, then every 90 days, list what is due within 14 days
    due = revisits_due(sources.loan_ledger, sources.revisits, policy, pd.Timestamp("2025-05-31")).set_index("loan_id")
    assert due.loc["D1", "due_on"] == pd.Timestamp("2025-02-09")       # 10 Jan + 30 days
    assert due.loc["D1", "days_overdue"] == 111 and due.loc["D1", "status"] == "逾期未访"
    assert due.loc["D2", "due_on"] == pd.Timestamp("2025-04-01")       # 2 Mar + 30 days
    # after the June revisits the next ones are 90 days on, beyond the 14-day look-ahead on 30 June
    assert revisits_due(sources.loan_ledger, sources.revisits, policy, pd.Timestamp("2025-06-30")).empty
    later = revisits_due(sources.loan_ledger, sources.revisits, policy, pd.Timestamp("2025-08-20")).set_index("loan_id")
    assert later.loc["D1", "due_on"] == pd.Timestamp("2025-08-30") and later.loc["D1", "status"] == "即将到期"


def test_outflow_right_after_disbursement_raises_a_signal_within_weeks(sources, policy):
    # H2 usually spends 5,000 a month; in March, the month D2 (50,000) was disbursed, 50,000 left: 45,000 more,
    # 90% of the loan, above the policy's 80%
    assert flow_signals(sources.loan_ledger, sources.account_flows, policy, pd.Timestamp("2025-03-30")).empty
    signals = flow_signals(sources.loan_ledger, sources.account_flows, policy, pd.Timestamp("2025-03-31"))
    assert list(signals["loan_id"]) == ["D2"]
    assert signals.loc[0, "signal_on"] == pd.Timestamp("2025-03-31")
    assert signals.loc[0, "excess_outflow"] == 45_000 and signals.loc[0, "share"] == 0.9
    assert "核实" in signals.loc[0, "evidence"]


def test_confirmed_misuse_is_in_chinese_and_dated(sources):
    assert confirmed_misuse(sources.revisits, pd.Timestamp("2025-06-14")).empty
    found = confirmed_misuse(sources.revisits, pd.Timestamp("2025-06-30"))
    assert list(found["loan_id"]) == ["D2"] and found.loc[0, "found_on"] == pd.Timestamp("2025-06-15")
    assert found.loc[0, "declared_purpose"] == "生产经营" and found.loc[0, "observed_use"] == "日常消费"


def test_misuse_stops_the_subsidy_and_claws_back_what_was_paid(sources, policy):
    eligibility = eligibility_at_signing(sources.loan_ledger, sources.base_list, sources.list_refresh,
                                         sources.revisits, policy)
    found = confirmed_misuse(sources.revisits, pd.Timestamp("2025-06-30")).set_index("loan_id")["found_on"]
    book = subsidy_ledger(sources.loan_ledger, sources.loan_events, eligibility, policy, None,
                          pd.Timestamp("2025-06-30"), found)
    june = book[(book["loan_id"] == "D2") & (book["month"] == "2025-06")].iloc[0]
    assert not june["subsidy_eligible"] and june["county_subsidy_fen"] == 0 and june["eligibility_reason"] == MISUSED
    # D2 50,000 at the county's 1.8 points: March 30 days, April 30, May 31 -> 7,500 + 7,500 + 7,750 fen
    back = clawbacks(book, found, "2025-06")
    assert list(back["loan_id"]) == ["D2"] and back.loc[0, "clawback_fen"] == 22_750 and back.loc[0, "months"] == 3
    assert clawbacks(book, found, "2025-05").empty
    # D1 keeps its subsidy
    assert book.loc[(book["loan_id"] == "D1") & (book["month"] == "2025-06"), "county_subsidy_fen"].iloc[0] > 0
