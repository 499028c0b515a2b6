"""The loan ledger as the bank keeps it: principal events change balances, interest is paid on the 21st.

Repayment follows the usual one-year 共富贷 contract, 按月付息、到期还本: interest is paid on the 21st of every month
on the outstanding balance (daily rate = annual rate / 360), principal at maturity, with optional prepayments.
Balances change only on principal events, so the balance of a loan on day d is the ``balance_after`` of its last
principal event on or before d; ``daily_balances`` expands that for the subsidy ledger and the KPI report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PRINCIPAL_EVENTS = ("disburse", "prepay", "repay")
INTEREST_DAY = 21


def daily_balances(ledger: pd.DataFrame, events: pd.DataFrame, start: pd.Timestamp | None = None,
                   end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Each loan's end-of-day principal balance for every day it is outstanding (within ``start``..``end``)."""
    moves = events[events["event"].isin(PRINCIPAL_EVENTS)].sort_values(["loan_id", "event_date"], kind="stable")
    moves = moves.groupby(["loan_id", "event_date"], sort=False).tail(1)
    last_day = pd.to_datetime(ledger["settled_on"]).fillna(pd.to_datetime(ledger["maturity_on"]) + pd.Timedelta(
        days=365)) - pd.Timedelta(days=1)
    first_day = pd.to_datetime(ledger["disbursed_on"])
    if start is not None:
        first_day = first_day.clip(lower=start)
    if end is not None:
        last_day = last_day.clip(upper=end)
    days = ((last_day - first_day).dt.days + 1).clip(lower=0).to_numpy()
    loan = np.repeat(ledger["loan_id"].to_numpy(), days)
    offset = np.arange(days.sum()) - np.repeat(np.cumsum(days) - days, days)
    date = np.repeat(first_day.to_numpy(), days) + offset.astype("timedelta64[D]")
    grid = pd.DataFrame({"loan_id": loan, "date": date}).sort_values("date", kind="stable")
    out = pd.merge_asof(grid, moves[["loan_id", "event_date", "balance_after"]].sort_values("event_date"),
                        left_on="date", right_on="event_date", by="loan_id", direction="backward")
    out = out.rename(columns={"balance_after": "balance"})[["loan_id", "date", "balance"]]
    return out.sort_values(["loan_id", "date"], kind="stable").reset_index(drop=True)
