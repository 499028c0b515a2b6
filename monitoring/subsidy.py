"""The subsidy ledger (贴息台账): per loan and month, interest paid, the county's 贴息 and the bank's 让利, to the fen.

For each day a loan is outstanding, the interest at the reference (bank's normal) rate is split four ways:
the household's interest at its contract rate; the county's subsidy, the policy's finance share of the gap between
the reference rate and the program's rate cap; the bank's concession, its share of that gap; and, when the contract
rate sits below the cap, the bank's further discount. Daily rate = annual rate / 360.

Amounts are exact integers of fen. Per loan and month the balance-days (Σ daily balance, in fen·days) are exact;
each part is ``balance-days × rate / 360`` rounded half-up to the fen, except the bank's concession, which is the
reference interest less the other three, so that every row reconciles to the fen:
``reference = household + county subsidy + bank concession + bank discount``. Totals are sums of rows.

Interest accrues from disbursement to the day before maturity, and stops at a defaulting loan's first missed
interest date (interest that is never paid is never subsidised). Only loans signed while the household was eligible are subsidised: on the confirmed 扩中 list at signing, not
dropped at an earlier list refresh, and not found 跃迁 (revisit income above the cap) before signing. A loan
signed before the household rose out keeps its subsidy for the contract's life (合同有效期内均可享受贴息).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from features.errors import KuozhongError
from features.sources.ledger import daily_balances
from models.policy import Policy
from monitoring.mobility import risen_at_revisit

_DAYS_PER_YEAR = Decimal(360)
FEN_COLUMNS = ("household_interest_fen", "reference_interest_fen", "county_subsidy_fen", "bank_concession_fen",
               "bank_discount_fen")
ELIGIBLE = "签约时为扩中家庭"
NOT_LISTED = "签约时不在扩中家庭名单"
DROPPED = "签约前已在名单更新中移出"
ROSE_OUT = "签约前复访认定为跃迁家庭"
MISUSED = "贷款违规使用，停止贴息"
NOT_CONFIRMED = "名单审核不予确认，停止贴息"


class SubsidyInputError(KuozhongError):
    """Ledger data that cannot be used for the subsidy (missing columns, a month that is not YYYY-MM)."""


@dataclass(frozen=True)
class Rates:
    """One loan's annual rates as exact decimals."""

    contract: Decimal
    reference: Decimal
    cap: Decimal
    finance: Decimal


def _dec(value: float) -> Decimal:
    return Decimal(str(round(float(value), 8)))


def loan_rates(contract_rate: float, reference_rate: float, policy: Policy) -> Rates:
    """The rates of one loan: the gap above the cap is split by the policy's finance and bank points."""
    sub = policy.subsidy
    reference, cap = _dec(reference_rate), _dec(sub.rate_cap)
    gap = max(reference - cap, Decimal(0))
    points = _dec(sub.finance_points) + _dec(sub.bank_points)
    finance = gap * _dec(sub.finance_points) / points if points else Decimal(0)
    return Rates(_dec(contract_rate), reference, cap, finance)


def _fen(balance_fen_days: int, rate: Decimal) -> int:
    return int((Decimal(balance_fen_days) * rate / _DAYS_PER_YEAR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_interest(balance_fen_days: int, rates: Rates, subsidised: bool) -> dict[str, int]:
    """The four parts of one loan-month's reference interest, in fen, reconciling exactly."""
    reference = _fen(balance_fen_days, rates.reference)
    household = _fen(balance_fen_days, rates.contract)
    if not subsidised:
        # No subsidy: the household owes the contract rate; the bank forgoes the rest itself.
        return {"household_interest_fen": household, "reference_interest_fen": reference, "county_subsidy_fen": 0,
                "bank_concession_fen": reference - household, "bank_discount_fen": 0}
    county = _fen(balance_fen_days, rates.finance)
    discount = _fen(balance_fen_days, max(rates.cap - rates.contract, Decimal(0)))
    return {"household_interest_fen": household, "reference_interest_fen": reference, "county_subsidy_fen": county,
            "bank_concession_fen": reference - household - county - discount, "bank_discount_fen": discount}


def eligibility_at_signing(ledger: pd.DataFrame, base_list: pd.DataFrame, list_refresh: pd.DataFrame,
                           revisits: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Per loan: was the household eligible on the day it signed (``subsidy_eligible``) and why (``reason``)."""
    signed = pd.to_datetime(ledger["signed_on"])
    base = base_list.drop_duplicates("household_id").set_index("household_id")
    listed_on = pd.to_datetime(base["listed_on"]) if "listed_on" in base else pd.Series(pd.Timestamp.min,
                                                                                          index=base.index)
    hh = ledger["household_id"]
    on_list = hh.map(base["is_kuozhong"]).fillna(False).astype(bool) & (
        hh.map(listed_on).fillna(pd.Timestamp.max) <= signed)
    dropped_on = _first_date(list_refresh[list_refresh["change"] == "dropped"], "refreshed_on")
    rose_out_on = _first_date(risen_at_revisit(revisits, base_list, policy), "flagged_on")
    dropped = hh.map(dropped_on) <= signed
    risen = hh.map(rose_out_on) <= signed
    reason = np.select([~on_list, dropped.fillna(False), risen.fillna(False)], [NOT_LISTED, DROPPED, ROSE_OUT],
                       default=ELIGIBLE)
    return pd.DataFrame({"loan_id": ledger["loan_id"].to_numpy(), "subsidy_eligible": reason == ELIGIBLE,
                         "eligibility_reason": reason, "rose_out_on": hh.map(rose_out_on).to_numpy(),
                         "dropped_on": hh.map(dropped_on).to_numpy()})


def _first_date(frame: pd.DataFrame, column: str) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype="datetime64[ns]")
    dates = pd.to_datetime(frame[column])
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.groupby(frame["household_id"].to_numpy()).min().dt.normalize()


def _accrual_stop(ledger: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Per loan, the first day without subsidised interest: maturity, or the first missed interest date."""
    stop = pd.to_datetime(ledger.set_index("loan_id")["maturity_on"])
    overdue = events[events["event"] == "overdue"].groupby("loan_id")["event_date"].min()
    return pd.concat([stop, pd.to_datetime(overdue)], axis=1).min(axis=1)


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a ``YYYY-MM`` month; SubsidyInputError names the value otherwise."""
    try:
        start = pd.Timestamp(dt_month(month))
    except ValueError as err:
        raise SubsidyInputError(f"option '--month': '{month}' is not a month (YYYY-MM)") from err
    return start, start + pd.offsets.MonthEnd(0)


def dt_month(month: str) -> str:
    """Validate ``YYYY-MM`` and return the first day as ISO text."""
    parts = month.split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not (parts[0] + parts[1]).isdigit() \
            or not 1 <= int(parts[1]) <= 12:
        raise ValueError(month)
    return f"{month}-01"


def not_confirmed_on(ledger: pd.DataFrame, final_list: pd.DataFrame | None, policy: Policy) -> pd.Series:
    """Loan id -> the day its household was 不予确认 on the final list after the loan was signed (边审核边放款).

    Empty unless the policy stops the subsidy then (``list_review.not_confirmed_subsidy: stop``); a household
    refused before signing never got a subsidised loan in the first place (ON_LIST declines it).
    """
    empty = pd.Series(dtype="datetime64[ns]")
    if (final_list is None or final_list.empty or "list_status" not in final_list
            or policy.list_review.not_confirmed_subsidy != "stop"):
        return empty
    refused = final_list[final_list["list_status"] == "not_confirmed"]
    first = pd.to_datetime(refused.groupby("household_id")["effective_on"].min())
    loans = ledger.assign(refused_on=ledger["household_id"].map(first))
    loans = loans[loans["refused_on"].notna() & (loans["refused_on"] > pd.to_datetime(loans["signed_on"]))]
    return pd.Series(pd.to_datetime(loans["refused_on"]).to_numpy(), index=loans["loan_id"].to_numpy())


def subsidy_ledger(ledger: pd.DataFrame, events: pd.DataFrame, eligibility: pd.DataFrame, policy: Policy,
                   start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                   misused_on: pd.Series | None = None, unconfirmed_on: pd.Series | None = None) -> pd.DataFrame:
    """One row per loan and month with balance-days and the four interest parts in fen (``start``..``end``).

    ``misused_on`` (loan id -> day a revisit confirmed misuse): from that day's month on, the loan is not
    subsidised; what it received before is clawed back in that month's claim (``clawbacks``).
    ``unconfirmed_on`` (loan id -> day the final list refused the household, ``not_confirmed_on``): from that
    day's month on the loan is not subsidised; what it received while under review is not clawed back.
    """
    missing = [c for c in ("loan_id", "household_id", "rate", "signed_on", "disbursed_on") if c not in ledger]
    if missing:
        raise SubsidyInputError(f"loan ledger lacks required column(s): {', '.join(missing)}")
    days = daily_balances(ledger, events, start, end)
    days = days[(days["balance"] > 0) & (days["date"] < days["loan_id"].map(_accrual_stop(ledger, events)))]
    days = days.assign(month=days["date"].dt.strftime("%Y-%m"),
                       balance_fen=np.rint(days["balance"].to_numpy() * 100).astype(np.int64))
    monthly = days.groupby(["loan_id", "month"], sort=True).agg(
        days=("date", "size"), balance_fen_days=("balance_fen", "sum")).reset_index()
    loans = ledger.set_index("loan_id")
    elig = eligibility.set_index("loan_id")
    reference_col = loans["normal_rate"] if "normal_rate" in loans else pd.Series(
        policy.subsidy.reference_rate, index=loans.index)
    misused = _stopped_rows(monthly, misused_on)
    refused = _stopped_rows(monthly, unconfirmed_on) & ~misused
    stopped = misused | refused
    rows = []
    for rec, stop in zip(monthly.itertuples(index=False), stopped, strict=True):
        rates = loan_rates(loans.at[rec.loan_id, "rate"], reference_col.at[rec.loan_id], policy)
        subsidised = bool(elig.at[rec.loan_id, "subsidy_eligible"]) and not stop
        rows.append(split_interest(int(rec.balance_fen_days), rates, subsidised))
    parts = pd.DataFrame(rows, columns=list(FEN_COLUMNS), dtype="int64")
    out = pd.concat([monthly, parts], axis=1)
    info = loans.loc[out["loan_id"], ["household_id", "product_code", "product_name", "rate", "signed_on"]]
    out = pd.concat([out, info.reset_index(drop=True)], axis=1)
    out["subsidy_eligible"] = out["loan_id"].map(elig["subsidy_eligible"]).astype(bool) & ~stopped
    reason = out["loan_id"].map(elig["eligibility_reason"]).where(~misused, MISUSED)
    out["eligibility_reason"] = reason.where(~refused, NOT_CONFIRMED)
    return out


def _stopped_rows(monthly: pd.DataFrame, misused_on: pd.Series | None) -> np.ndarray:
    if misused_on is None or misused_on.empty:
        return np.zeros(len(monthly), dtype=bool)
    found = monthly["loan_id"].map(pd.to_datetime(misused_on).dt.strftime("%Y-%m"))
    return (found.notna() & (monthly["month"] >= found.fillna(""))).to_numpy(dtype=bool)


def clawbacks(ledger_rows: pd.DataFrame, misused_on: pd.Series, month: str) -> pd.DataFrame:
    """Loans whose misuse was confirmed in ``month``: the county subsidy of their earlier months, to claw back.

    ``ledger_rows`` is the subsidy ledger from disbursement on (``subsidy_ledger`` without ``start``).
    """
    found = pd.to_datetime(misused_on).dt.strftime("%Y-%m")
    loans = found[found == month].index
    rows = ledger_rows[ledger_rows["loan_id"].isin(loans) & (ledger_rows["month"] < month)
                       & ledger_rows["subsidy_eligible"]]
    out = rows.groupby("loan_id").agg(household_id=("household_id", "first"), months=("month", "nunique"),
                                      clawback_fen=("county_subsidy_fen", "sum")).reset_index()
    out["found_on"] = pd.to_datetime(misused_on).reindex(out["loan_id"].to_numpy()).to_numpy(dtype="datetime64[ns]")
    return out[out["clawback_fen"] > 0].reset_index(drop=True)
