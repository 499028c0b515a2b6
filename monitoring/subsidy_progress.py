"""贴息资金使用进度: each complete month's 贴息 claim of the year (less clawbacks), approved and paid, against the budget.

The claim of a month is the county subsidy of the month's ledger less the subsidy clawed back from loans found
misused that month — the figure ``kuozhong subsidy --month`` writes. Approved and paid amounts come from the finance
bureau's record (source ``subsidy_payments``: month, approved, paid); without it they read as not yet recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.sources.load import RawSources
from models.policy import Policy
from monitoring.postloan import confirmed_misuse
from monitoring.subsidy import clawbacks, eligibility_at_signing, subsidy_ledger


@dataclass(frozen=True)
class SubsidyProgress:
    """The year's claims month by month (元) and the totals against the budget."""

    year: int
    months: pd.DataFrame  # month, claimed, clawed_back, approved, paid (NaN where not recorded)
    budget: float | None
    claimed: float
    approved: float | None
    paid: float | None

    def share(self, amount: float | None) -> float | None:
        """An amount as a share of the year's budget."""
        return None if amount is None or not self.budget else amount / self.budget


def subsidy_progress(sources: RawSources, policy: Policy, as_of: pd.Timestamp) -> SubsidyProgress:
    """The claims of the complete months of ``as_of``'s year, with approvals and payments where recorded."""
    as_of = pd.Timestamp(as_of).normalize()
    year = as_of.year
    last_month = (as_of + pd.Timedelta(days=1)).to_period("M") - 1  # the last month complete on the day
    months = [str(p) for p in pd.period_range(f"{year}-01", last_month, freq="M")] if last_month.year == year else []
    budget = policy.post_loan.subsidy_budget_by_year.get(year) if policy.post_loan is not None else None
    rows = []
    ledger = sources.loan_ledger
    end = pd.Period(months[-1]).to_timestamp(how="end").normalize() if months else as_of
    ledger = ledger[pd.to_datetime(ledger["disbursed_on"]) <= end] if not ledger.empty else ledger
    if months and not ledger.empty:
        eligibility = eligibility_at_signing(ledger, sources.base_list, sources.list_refresh, sources.revisits,
                                             policy)
        found = confirmed_misuse(sources.revisits, end).set_index("loan_id")["found_on"]
        book = subsidy_ledger(ledger, sources.loan_events, eligibility, policy, None, end, found)
        for month in months:
            rows.append({"month": month,
                         "claimed_fen": int(book.loc[book["month"] == month, "county_subsidy_fen"].sum()),
                         "clawed_back_fen": int(clawbacks(book, found, month)["clawback_fen"].sum())})
    table = pd.DataFrame(rows, columns=["month", "claimed_fen", "clawed_back_fen"])
    table = pd.DataFrame({"month": table["month"],
                          "claimed": (table["claimed_fen"] - table["clawed_back_fen"]) / 100,
                          "clawed_back": table["clawed_back_fen"] / 100})
    payments = sources.subsidy_payments
    recorded = not payments.empty and "month" in payments
    if recorded:
        paid = payments.assign(month=payments["month"].astype(str).str[:7]).groupby("month")[["approved", "paid"]].sum()
        table = table.join(paid, on="month")
    else:
        table = table.assign(approved=float("nan"), paid=float("nan"))
    return SubsidyProgress(year, table, budget, float(table["claimed"].sum()),
                           float(table["approved"].sum()) if recorded else None,
                           float(table["paid"].sum()) if recorded else None)
