"""Simulated loans after approval: the loan ledger, its balance events, revisits and list refreshes.

Repayment follows the usual one-year 共富贷 contract, 按月付息、到期还本: interest is paid on the 21st of every month
on the outstanding balance (daily rate = annual rate / 360), principal at maturity, with optional prepayments. A
loan that defaults stops paying at some month, is overdue from that due date and 90+ days past due 90 days later;
its balance stays outstanding. The ledger's contract (principal events, daily balances) is the bank's, in
``features.sources.ledger``; the simulator only writes ledgers that follow it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.simulate.world import (
    BANK_NORMAL_RATE,
    HOUSEHOLD_INCOME_CAP,
    LIST_DATE,
    LIST_REFRESHES,
    LOAN_CAP,
    PRODUCTS,
)
from features.sources.ledger import INTEREST_DAY


def loan_ledger(rng: np.random.Generator, apps: pd.DataFrame, approved: np.ndarray, managers: np.ndarray,
                draw_share: np.ndarray, guarantee: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger (one row per loan) and its events, for the approved applications (``apps`` row order).

    Each approval is a credit line (授信额度, valid three years: 一次授信、三年有效) of 60-100% of the request; the loan
    is the household's first drawdown (用信) on it, ``draw_share`` of the line; ``guarantee`` says what secures it.
    Renewals at maturity are added by ``features.simulate.renewals``.
    """
    rows = np.flatnonzero(approved)
    a = apps.iloc[rows].reset_index(drop=True)
    k = rows.size
    line = np.clip(np.round(a["requested_amount"].to_numpy() * rng.uniform(0.6, 1.0, k), -4), 10_000, LOAN_CAP)
    amount = np.clip(np.round(line * draw_share[rows], -3), 5_000, line)
    applied = pd.to_datetime(a["application_date"]).to_numpy().astype("datetime64[D]")
    signed = applied + rng.integers(2, 21, k).astype("timedelta64[D]")
    digits = np.char.lstrip(a["application_id"].to_numpy().astype(str), "A")
    terms = pd.DataFrame({
        "loan_id": np.char.add("D", digits), "line_id": np.char.add("SX", digits),
        "application_id": a["application_id"].to_numpy(), "household_id": a["household_id"].to_numpy().astype(str),
        "account_manager_id": managers[rows], "purpose": a["purpose"].to_numpy().astype(str),
        "credit_line": line, "amount": amount, "signed_on": signed,
        "disbursed_on": signed + (rng.random(k) < 0.3).astype("timedelta64[D]"),
        "line_valid_until": (pd.DatetimeIndex(signed) + pd.DateOffset(years=3)).to_numpy().astype("datetime64[D]"),
        "guarantee": np.asarray(guarantee)[rows].astype(str),
        "default": a["default_12m"].astype("int64").to_numpy().astype(bool),
        "renewal_of": None, "renewal_no": 0,
    })
    return drawdowns(rng, terms)


def drawdowns(rng: np.random.Generator, terms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ledger rows and postings of one-year drawdowns from their terms (one row per loan, ``default`` drawn).

    ``terms``: loan_id, line_id, application_id, household_id, account_manager_id, purpose, credit_line, amount,
    signed_on, disbursed_on, line_valid_until, guarantee, default, renewal_of, renewal_no.
    """
    k = len(terms)
    purpose = terms["purpose"].to_numpy().astype(str)
    product = np.array([PRODUCTS[p][0] for p in purpose], dtype=object)
    name = np.array([PRODUCTS[p][1] for p in purpose], dtype=object)
    rate = np.array([PRODUCTS[p][2] for p in purpose], dtype=float)
    amount = terms["amount"].to_numpy(dtype=float)
    signed = terms["signed_on"].to_numpy().astype("datetime64[D]")
    disbursed = terms["disbursed_on"].to_numpy().astype("datetime64[D]")
    maturity = (pd.DatetimeIndex(signed) + pd.DateOffset(years=1)).to_numpy().astype("datetime64[D]")
    default = terms["default"].to_numpy(dtype=bool)
    stop = np.where(default, rng.integers(2, 9, k), 99)  # defaulters miss this month's interest, then all
    prepay_month = np.where(~default & (rng.random(k) < 0.35), rng.integers(3, 11, k), 99)
    prepay_share = np.where(rng.random(k) < 0.25, 1.0, rng.uniform(0.2, 0.6, k))

    # Due dates: the 21st of each month after disbursement, the last one moved to maturity.
    month0 = disbursed.astype("datetime64[M]")
    day = (disbursed - month0.astype("datetime64[D]")).astype(int) + 1
    first = month0 + (day >= INTEREST_DAY).astype("timedelta64[M]")
    m = np.arange(12)
    due = (first[:, None] + m[None, :].astype("timedelta64[M]")).astype("datetime64[D]") + np.timedelta64(
        INTEREST_DAY - 1, "D")
    due = np.minimum(due, maturity[:, None])
    prev = np.concatenate([disbursed[:, None], due[:, :-1]], axis=1)
    exists = prev < maturity[:, None]
    full_prepay = prepay_share >= 1.0
    alive = exists & (m[None, :] < stop[:, None]) & ~(full_prepay[:, None] & (m[None, :] > prepay_month[:, None]))
    paid_down = np.where(m[None, :] > prepay_month[:, None], np.round(amount * prepay_share, -2)[:, None], 0.0)
    paid_down = np.where(full_prepay[:, None] & (m[None, :] > prepay_month[:, None]), amount[:, None], paid_down)
    balance = amount[:, None] - paid_down
    interest = np.round(balance * rate[:, None] * (due - prev).astype(int) / 360, 2)

    loan_ids = terms["loan_id"].to_numpy().astype(str)
    hh = terms["household_id"].to_numpy().astype(str)
    parts = [_events(loan_ids, hh, disbursed, "disburse", amount, 0.0, amount, np.ones(k, bool))]
    li, mi = np.nonzero(alive)
    parts.append(_events(loan_ids[li], hh[li], due[li, mi], "interest", 0.0, interest[li, mi], balance[li, mi],
                         np.ones(li.size, bool)))
    has_prepay = prepay_month < 12
    pm = np.minimum(prepay_month, 11)
    pre_due = due[np.arange(k), pm]
    pre_ok = has_prepay & exists[np.arange(k), pm] & (pre_due < maturity)
    pre_amount = np.where(full_prepay, amount, np.round(amount * prepay_share, -2))
    parts.append(_events(loan_ids, hh, pre_due, "prepay", -pre_amount, 0.0, amount - pre_amount, pre_ok))
    repaid = ~default & ~(pre_ok & full_prepay)
    left = np.where(pre_ok, amount - pre_amount, amount)
    parts.append(_events(loan_ids, hh, maturity, "repay", -left, 0.0, np.zeros(k), repaid))
    sm = np.minimum(stop, 11)
    stop_due = due[np.arange(k), sm]
    parts.append(_events(loan_ids, hh, stop_due, "overdue", 0.0, 0.0, amount, default))
    parts.append(_events(loan_ids, hh, stop_due + np.timedelta64(90, "D"), "dpd90", 0.0, 0.0, amount, default))
    events = sort_events(pd.concat(parts, ignore_index=True))
    settled_on = np.where(default, np.datetime64("NaT"), np.where(pre_ok & full_prepay, pre_due, maturity))
    ledger = pd.DataFrame({
        "loan_id": loan_ids, "line_id": terms["line_id"].to_numpy().astype(str),
        "application_id": terms["application_id"].to_numpy(),
        "household_id": hh, "account_manager_id": terms["account_manager_id"].to_numpy(),
        "product_code": product, "product_name": name, "amount": amount, "rate": rate,
        "normal_rate": BANK_NORMAL_RATE, "signed_on": signed.astype("datetime64[ns]"),
        "disbursed_on": disbursed.astype("datetime64[ns]"), "maturity_on": maturity.astype("datetime64[ns]"),
        "status": np.where(default, "defaulted", "settled"), "settled_on": settled_on.astype("datetime64[ns]"),
        "term_months": 12, "repayment_method": "按月付息到期还本",
        "credit_line": terms["credit_line"].to_numpy(dtype=float),
        "line_valid_until": terms["line_valid_until"].to_numpy().astype("datetime64[ns]"),
        "guarantee": terms["guarantee"].to_numpy().astype(str),
        "renewal_of": terms["renewal_of"].to_numpy(dtype=object),
        "renewal_no": terms["renewal_no"].to_numpy(dtype=np.int64),
    })
    return ledger, events


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Postings by loan, date and the order a day's postings are made in."""
    order = {"disburse": 0, "interest": 1, "prepay": 2, "repay": 3, "overdue": 4, "dpd90": 5}
    events = events.assign(_o=events["event"].map(order)).sort_values(
        ["loan_id", "event_date", "_o"], kind="stable").drop(columns="_o")
    return events.reset_index(drop=True)


def known_by(ledger: pd.DataFrame, events: pd.DataFrame, cut: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger as the bank's system shows it at the end of ``cut``: postings after it are not data yet.

    A loan is ``settled`` when it was repaid by then, ``defaulted`` when it was 90 days past due by then, and
    ``active`` otherwise (its maturity date is the contract's schedule, not a record of something done).
    """
    events = events[events["event_date"] <= cut].reset_index(drop=True)
    settled = ledger["settled_on"].notna() & (ledger["settled_on"] <= cut)
    defaulted = ledger["loan_id"].isin(events.loc[events["event"] == "dpd90", "loan_id"])
    ledger = ledger.assign(status=np.select([settled, defaulted], ["settled", "defaulted"], "active"),
                           settled_on=ledger["settled_on"].where(settled))
    return ledger, events


def _events(loan: np.ndarray, hh: np.ndarray, date: np.ndarray, kind: str, principal: float | np.ndarray,
            interest: float | np.ndarray, balance: float | np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    n = keep.size
    frame = pd.DataFrame({"loan_id": loan, "household_id": hh, "event_date": np.asarray(date).astype("datetime64[ns]"),
                          "event": kind, "principal": np.broadcast_to(principal, n).astype(float),
                          "interest": np.broadcast_to(interest, n).astype(float),
                          "balance_after": np.broadcast_to(balance, n).astype(float)})
    return frame[keep]


def income_growth(rng: np.random.Generator, n: int, borrower: np.ndarray) -> np.ndarray:
    """Yearly log income growth: about +4% for most households, about +13% for those with a 共富 loan."""
    return rng.normal(0.04, 0.12, n) + borrower * rng.normal(0.09, 0.08, n)


def list_refresh(rng: np.random.Generator, base: pd.DataFrame, income: np.ndarray, growth: np.ndarray,
                 head_age: np.ndarray) -> pd.DataFrame:
    """The yearly 扩中 list refresh: which listed households stay and which are dropped, with the reasons."""
    on_list = base["is_kuozhong"].to_numpy().astype(bool).copy()
    cap = HOUSEHOLD_INCOME_CAP * base["household_size"].to_numpy() / 3
    frames = []
    for refresh in LIST_REFRESHES:
        years = (refresh - LIST_DATE).days / 365.25
        now_income = income * np.exp(growth * years)
        over = now_income > cap * 1.2  # the refresh tolerates small overshoots of the cap
        moved = rng.random(len(base)) < 0.015
        died = (head_age + years >= 75) & (rng.random(len(base)) < 0.03)
        assisted = rng.random(len(base)) < 0.005
        tags = np.array([";".join(t for t, f in (("收入超标", a), ("迁出", b), ("户主死亡", c), ("已享受低收入帮扶", d)) if f)
                         for a, b, c, d in zip(over, moved, died, assisted, strict=True)])
        rows = np.flatnonzero(on_list)
        dropped = tags[rows] != ""
        frames.append(pd.DataFrame({"household_id": base["household_id"].to_numpy()[rows], "refreshed_on": refresh,
                                    "change": np.where(dropped, "dropped", "kept"), "on_list": ~dropped,
                                    "reasons": tags[rows]}))
        on_list[rows[dropped]] = False
    return pd.concat(frames, ignore_index=True)
