"""Simulated bank records: monthly account flows, existing loans with a PBOC repayment grid, credit-report queries.

The flows also carry what a household's financial discipline leaves in a deposit account (docs/simulator.md, step
3): how much of its inflow it spends and how evenly, and its scheduled direct debits (代扣: utilities and phone,
insurance premiums, repayments of its loans with this bank), some of which come back unpaid (代扣失败) when the
balance on the bill day does not cover them and the household does not top the account up in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

from features.simulate.households import Households
from features.simulate.world import BUSINESS_LIVELIHOODS, FLOW_MONTHS, FLOW_START

MONTHS = pd.date_range(FLOW_START, periods=FLOW_MONTHS, freq="MS")


def gathered(values: np.ndarray, index: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[index]`` as the string column pandas would make of it, gathered in Arrow (not one str per row).

    For the long tables that repeat a household's or an account's id once per month.
    """
    return pd.array(pa.array(values).take(pa.array(index)), dtype="str")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class BankRecords:
    """The bank's tables plus the latent quantities the ground truth needs."""

    customer: np.ndarray
    account_flows: pd.DataFrame
    loan_accounts: pd.DataFrame
    repayment_history: pd.DataFrame
    credit_queries: pd.DataFrame
    inflow: np.ndarray  # n x FLOW_MONTHS, every household (recorded or not)
    banked_share: np.ndarray
    debt_balance: np.ndarray
    depth: np.ndarray  # n x FLOW_MONTHS overdue depth 0..7 (0 without a loan)
    has_loan: np.ndarray


def app_month_index(dates: pd.DatetimeIndex) -> np.ndarray:
    """Month index of each date in the flow window."""
    return ((dates.year - FLOW_START.year) * 12 + dates.month - FLOW_START.month).to_numpy()


def _spend_within_balance(start: np.ndarray, inflow: np.ndarray, wanted: np.ndarray,
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Month by month, a deposit account pays out at most what it holds: spending adapts to the money there is.

    Returns the outflows and the month-end balances (cents), never below zero.
    """
    balance = np.round(start, 2)
    outflow = np.empty_like(inflow)
    ends = np.empty_like(inflow)
    for m in range(inflow.shape[1]):
        available = balance + inflow[:, m]
        outflow[:, m] = np.round(np.minimum(wanted[:, m], available), 2)
        balance = np.round(np.maximum(available - outflow[:, m], 0.0), 2)
        ends[:, m] = balance
    return outflow, ends


def spending_share(draw: np.ndarray, discipline: np.ndarray) -> np.ndarray:
    """Each month's spending as a share of its inflow, from a U(0.75, 1.02) draw per household and month.

    Discipline moves the household's usual share (0.885 − 0.05·z: less disciplined households spend more of what
    comes in) and, below the mean, widens the month-to-month swings around it (by 40% per unit of −z): saving is
    regular for some households and erratic for others.
    """
    z = discipline[:, None]
    return np.maximum(0.885 - 0.05 * z + (draw - 0.885) * (1.0 + 0.4 * np.maximum(-z, 0.0)), 0.5)


def _flows(rng: np.random.Generator, hh: Households, customer: np.ndarray, debt_balance: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inflows, outflows, month-end balances, the opening balance, the first recorded month and the banked share."""
    n = hh.n
    growth = (1.0 + rng.normal(0.04, 0.05, (n, 1))) ** (np.arange(FLOW_MONTHS)[None, :] / 12)
    banked_share = rng.beta(6, 2, (n, 1))  # not all income passes through this bank
    inflow = hh.annual_income[:, None] / 12 * hh.season * growth * banked_share
    inflow = np.round(inflow * rng.lognormal(0, 0.15, inflow.shape), 2)
    # The loan's service comes first; the household spends its share of what is left of the month's inflow.
    service = debt_balance[:, None] / 24
    share = spending_share(rng.uniform(0.75, 1.02, inflow.shape), hh.discipline)
    wanted = share * np.maximum(inflow - service, 0.0) + service
    start = hh.annual_income * rng.uniform(0.02, 0.4, n)
    outflow, balance = _spend_within_balance(start, inflow, wanted)
    # Each customer's history reaches 24-36 months back from the application (the account's age).
    first = np.clip(app_month_index(hh.app_dates) - rng.integers(24, 37, n), 0, FLOW_MONTHS - 1)
    return inflow, outflow, balance, np.round(start, 2), first, banked_share[:, 0]


def direct_debits(rng: np.random.Generator, discipline: np.ndarray, inflow: np.ndarray, outflow: np.ndarray,
                  balance: np.ndarray, opening: np.ndarray, loan_payment: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Direct debits due each month and how many come back unpaid (代扣失败), per household and month.

    Debits in the order the bank collects them on the bill day: utilities and phone (70% of households,
    100-400 元), an insurance premium (20%, 200-800 元) and the instalment of a loan with this bank
    (``loan_payment``, n x months, 0 without one). The balance on the bill day is last month's closing balance
    plus the part of the month's inflow already in, less the part of its spending already gone; less disciplined
    households spend earlier in the month. A debit the balance cannot cover fails; the bank retries for three
    days, and the household tops the account up in time with probability sigmoid(1.0 + 1.2·z), otherwise the
    debit is returned. Any debit also bounces with probability sigmoid(−5.6 − 1.5·z): the card it is drawn from
    was left empty while the money sat elsewhere.
    """
    n, months = inflow.shape
    utility = np.where(rng.random(n) < 0.7, rng.uniform(100, 400, n), 0.0)
    premium = np.where(rng.random(n) < 0.2, rng.uniform(200, 800, n), 0.0)
    amounts = np.stack([np.repeat(utility[:, None], months, axis=1), np.repeat(premium[:, None], months, axis=1),
                        loan_payment])  # 3 x n x months, in collection order
    previous = np.concatenate([opening[:, None], balance[:, :-1]], axis=1)
    arrived = rng.uniform(0.1, 0.9, (n, months))  # how much of the month's inflow is in by the bill day
    spent = np.clip(0.45 - 0.12 * discipline[:, None] + rng.normal(0, 0.1, (n, months)), 0.1, 0.95)
    on_bill_day = np.maximum(previous + arrived * inflow - spent * outflow, 0.0)
    short = (amounts > 0) & (np.cumsum(amounts, axis=0) > on_bill_day[None, :, :])
    topped_up = rng.random((n, months)) < sigmoid(1.0 + 1.2 * discipline)[:, None]
    # The debit card is not always the account that holds the money: a household that lets it run dry (moving
    # money to 微信/支付宝 or elsewhere) sees a debit bounce whatever the balance above says.
    lapse = (amounts > 0) & (rng.random(amounts.shape) < sigmoid(-5.6 - 1.5 * discipline)[None, :, None])
    scheduled = (amounts > 0).sum(axis=0).astype(np.int16)
    returned = (np.where(topped_up, 0, short.sum(axis=0)) + (lapse & ~short).sum(axis=0)).astype(np.int16)
    return scheduled, returned


def saving_plan(rng: np.random.Generator, discipline: np.ndarray, inflow: np.ndarray) -> np.ndarray:
    """Monthly transfers into a 零存整取 saving plan (元), per household and month: a habit discipline shapes.

    A household keeps a plan with probability sigmoid(0.2 + 1.0·z), of 5-20% of its usual monthly inflow, and pays
    a month's instalment with probability sigmoid(1.0 + 1.0·z) (fewer in a month whose inflow is under half the
    usual). The transfer stays within the household's own deposits: it changes neither outflow nor balance.
    """
    n, months = inflow.shape
    usual = np.maximum(np.median(inflow, axis=1), 1.0)
    has_plan = rng.random(n) < sigmoid(0.2 + 1.0 * discipline)
    amount = np.round(usual * rng.uniform(0.05, 0.2, n), -1)
    thin = inflow < 0.5 * usual[:, None]
    pays = rng.random((n, months)) < sigmoid(1.0 + 1.0 * discipline[:, None] - 1.5 * thin)
    return np.where(has_plan[:, None] & pays, amount[:, None], 0.0)


def _flow_table(hh: Households, customer: np.ndarray, first: np.ndarray, inflow: np.ndarray, outflow: np.ndarray,
                balance: np.ndarray, scheduled: np.ndarray, returned: np.ndarray, saved: np.ndarray,
                ) -> pd.DataFrame:
    """The bank's monthly flow records: customers only, from each account's first month."""
    keep = customer[:, None] & (np.arange(FLOW_MONTHS)[None, :] >= first[:, None])
    rows, cols = np.nonzero(keep)
    return pd.DataFrame({"household_id": gathered(hh.ids, rows), "month": MONTHS.to_numpy()[cols], "inflow": inflow[rows, cols],
                         "outflow": outflow[rows, cols], "balance": balance[rows, cols],
                         "debits_scheduled": scheduled[rows, cols], "debits_returned": returned[rows, cols],
                         "saving_plan_deposit": saved[rows, cols]})


def _grid(rng: np.random.Generator, hh: Households, loan_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monthly overdue depth (0..7) of each existing loan: a Markov chain stressed by low-income months."""
    stress = 1.0 / np.maximum(hh.season[loan_rows], 0.2)
    discipline = hh.discipline[loan_rows]
    depth = np.zeros((loan_rows.size, FLOW_MONTHS), dtype=np.int8)
    state = np.zeros(loan_rows.size, dtype=np.int8)
    enter_logit = -4.3 - 1.3 * discipline
    deeper_p = sigmoid(-0.6 - 0.8 * discipline)
    for m in range(FLOW_MONTHS):
        u = rng.random(loan_rows.size)
        p_enter = sigmoid(enter_logit + 0.35 * np.log(stress[:, m]))
        deeper = (state > 0) & (u < deeper_p)
        state = np.where(state == 0, (u < p_enter).astype(np.int8),
                         np.where(deeper, np.minimum(state + 1, 7), 0)).astype(np.int8)
        depth[:, m] = state
    bad_debt = np.zeros(depth.shape, dtype=bool)
    deep3 = (depth[:, 2:] == 7) & (depth[:, 1:-1] == 7) & (depth[:, :-2] == 7)
    written_off = deep3.any(axis=1) & (rng.random(loan_rows.size) < 0.4)
    first_deep = np.argmax(deep3, axis=1) + 2
    bad_debt[written_off] = np.arange(FLOW_MONTHS)[None, :] > first_deep[written_off, None]
    return depth, bad_debt


def _repayment_table(rng: np.random.Generator, hh: Households, loan_rows: np.ndarray, depth: np.ndarray,
                     bad_debt: np.ndarray, account_ids: np.ndarray, closed_month: np.ndarray) -> pd.DataFrame:
    codes = np.array(list("N1234567"))[depth].astype("<U1")
    # worst depth of the last six months (fewer at the start): depth is never negative, so zeros pad the start
    padded = np.concatenate([np.zeros((depth.shape[0], 5), dtype=depth.dtype), depth], axis=1)
    recent_max = sliding_window_view(padded, 6, axis=1).max(axis=2)
    five = np.where(recent_max >= 6, "可疑", np.where(recent_max >= 4, "次级",
                    np.where(recent_max >= 2, "关注", "正常"))).astype("<U2")
    after_close = np.arange(FLOW_MONTHS)[None, :] > closed_month[:, None]
    codes = np.where(bad_debt, "B", np.where(after_close, "C", codes))
    five = np.where(bad_debt, "损失", np.where(after_close, "正常", five))
    guarantor = bad_debt & (rng.random(loan_rows.size)[:, None] < 0.15)
    codes = np.where(guarantor, "D", codes)
    codes = np.where(rng.random(codes.shape) < 0.001, "#", codes)  # the bureau lost a month now and then
    n = loan_rows.size
    return pd.DataFrame({
        "account_id": gathered(account_ids, np.repeat(np.arange(n), FLOW_MONTHS)),
        "household_id": gathered(hh.ids, np.repeat(loan_rows, FLOW_MONTHS)),
        "month": np.tile(MONTHS.to_numpy(), n),
        "status": codes.ravel(),
        "five_class": five.ravel(),
    })


def simulate_bank(rng: np.random.Generator, hh: Households) -> BankRecords:
    """Step 3: flows for the bank's customers, existing loans and their grid, credit-report queries."""
    n = hh.n
    customer = rng.random(n) < 0.8
    business = np.isin(hh.livelihood, BUSINESS_LIVELIHOODS)
    has_loan = rng.random(n) < np.where(business, 0.65, 0.35)
    debt_balance = np.where(has_loan, np.round(hh.annual_income * rng.gamma(2.0, 0.35, n), -2), 0.0)
    inflow, outflow, balance, opening, first, banked_share = _flows(rng, hh, customer, debt_balance)

    loan_rows = np.flatnonzero(has_loan)
    depth_l, bad_debt = _grid(rng, hh, loan_rows)
    # A quarter of existing loans are settled before the applications start (status C afterwards).
    closes = (rng.random(loan_rows.size) < 0.25) & (depth_l.max(axis=1) < 3)
    closed_month = np.where(closes, rng.integers(6, 24, loan_rows.size), FLOW_MONTHS + 1)
    depth_l = np.where(np.arange(FLOW_MONTHS)[None, :] > closed_month[:, None], 0, depth_l).astype(np.int8)
    account_ids = np.char.add("L", np.char.lstrip(hh.ids[loan_rows].astype(str), "H"))
    opened = FLOW_START - pd.to_timedelta(rng.integers(30, 900, loan_rows.size), unit="D")
    closed = pd.Series(pd.NaT, index=range(loan_rows.size), dtype="datetime64[ns]")
    closed[closes] = (MONTHS[np.minimum(closed_month[closes], FLOW_MONTHS - 1)] + pd.Timedelta(days=14)).to_numpy()
    lenders = np.array(["嵊泗农商银行", "其他银行", "小额贷款公司"])[rng.choice(3, loan_rows.size, p=[0.6, 0.3, 0.1])]
    loan_accounts = pd.DataFrame({
        "account_id": account_ids,
        "household_id": hh.ids[loan_rows],
        "lender": lenders,
        "opened": opened,
        "closed": closed.to_numpy(),
        "balance": np.where(closes, 0.0, debt_balance[loan_rows]),
        "monthly_payment": np.where(closes, 0.0, np.round(debt_balance[loan_rows] / 12 * 1.05, 2)),
    })
    repayment_history = _repayment_table(rng, hh, loan_rows, depth_l, bad_debt, account_ids, closed_month)
    # The debits draw from a stream of their own, so every other record stays as it was without them.
    here = (lenders == "嵊泗农商银行")[:, None] & (np.arange(FLOW_MONTHS)[None, :] <= closed_month[:, None])
    instalment = np.zeros((n, FLOW_MONTHS))
    instalment[loan_rows] = np.round(debt_balance[loan_rows] / 24, 2)[:, None] * here  # as the flows pay it
    own = rng.spawn(1)[0]
    scheduled, returned = direct_debits(own, hh.discipline, inflow, outflow, balance, opening, instalment)
    flows = _flow_table(hh, customer, first, inflow, outflow, balance, scheduled, returned,
                        saving_plan(own, hh.discipline, inflow))
    depth = np.zeros((n, FLOW_MONTHS), dtype=np.int8)
    depth[loan_rows] = depth_l

    n_queries = rng.poisson(np.exp(0.6 - 0.5 * hh.discipline) * 2.0)
    q_hh = np.repeat(hh.ids, n_queries)
    q_dates = FLOW_START + pd.to_timedelta(rng.integers(0, FLOW_MONTHS * 30, q_hh.size), unit="D")
    credit_queries = pd.DataFrame({"household_id": q_hh, "query_date": q_dates,
                                   "reason": np.array(["贷款审批", "信用卡审批", "贷后管理"])[
                                       rng.integers(0, 3, q_hh.size)]})
    credit_queries = credit_queries.sort_values(["household_id", "query_date"], kind="stable").reset_index(drop=True)
    return BankRecords(customer, flows, loan_accounts, repayment_history, credit_queries, inflow, banked_share,
                       np.where(has_loan, debt_balance, 0.0), depth, has_loan)


def credit_reports(apps: pd.DataFrame, bank: BankRecords, report_dates: pd.Series) -> pd.DataFrame:
    """The credit-report summary pulled for each application: queries in 3/6/12 months, accounts, 五级分类."""
    q = bank.credit_queries.merge(pd.DataFrame({"household_id": apps["household_id"], "report_date": report_dates}),
                                  on="household_id")
    age_days = (q["report_date"] - q["query_date"]).dt.days
    counts = {f"queries_{m}m": ((age_days >= 0) & (age_days < m * 30)).groupby(q["household_id"]).sum()
              for m in (3, 6, 12)}
    hist = bank.repayment_history
    hist = hist.merge(pd.DataFrame({"household_id": apps["household_id"], "report_date": report_dates}),
                      on="household_id")
    month_end = hist["month"] + pd.offsets.MonthEnd(0)
    hist = hist[month_end < hist["report_date"]]
    last = hist.groupby("account_id").tail(1)
    rank = last["five_class"].map({"正常": 0, "关注": 1, "次级": 2, "可疑": 3, "损失": 4})
    worst = rank.groupby(last["household_id"]).max()
    last24 = hist[hist["month"] >= hist["report_date"] - pd.DateOffset(months=24)]
    overdue24 = last24["status"].isin(list("1234567")).groupby(last24["household_id"]).sum()
    open_now = last[~last["status"].isin(["C", "G"])]
    out = pd.DataFrame({"household_id": apps["household_id"].to_numpy(),
                        "application_id": apps["application_id"].to_numpy(),
                        "report_date": report_dates.to_numpy()})
    ids = out["household_id"]
    for name, series in counts.items():
        out[name] = ids.map(series).fillna(0).astype(int).to_numpy()
    out["loan_accounts"] = ids.map(last.groupby("household_id").size()).fillna(0).astype(int).to_numpy()
    out["open_loan_accounts"] = ids.map(open_now.groupby("household_id").size()).fillna(0).astype(int).to_numpy()
    out["overdue_months_24m"] = ids.map(overdue24).fillna(0).astype(int).to_numpy()
    out["worst_five_class"] = ids.map(worst).map(dict(enumerate(("正常", "关注", "次级", "可疑", "损失")))).fillna(
        "无贷款").to_numpy()
    out["current_overdue"] = ids.map(open_now["status"].isin(list("1234567")).groupby(
        open_now["household_id"]).any()).fillna(False).astype(bool).to_numpy()
    return out
