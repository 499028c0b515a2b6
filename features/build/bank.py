"""Bank records as monthly windows before the as-of month: inflows, balances, repayment grid, debt and queries.

A monthly record is reported at the end of its month, so a request reads only the complete months before its
as-of month (window column 0 is the month just before). Dated records (queries, loan openings) count when dated
on or before the as-of date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build.checks import FIVE_CLASSES, raise_first
from features.build.index import Records

WINDOW = 24
# Overdue depth of each grid code: 1-7 are the overdue bands; D, Z and B count as the deepest (bad) statuses.
GRID_DEPTH = {"N": 0, "*": 0, "C": 0, "G": 0, "#": 0, "/": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6,
              "7": 7, "D": 7, "Z": 7, "B": 7}
BAD_STATUSES = frozenset("BDZ")
FIVE_CLASS_RANK = {name: float(rank) for rank, name in enumerate(FIVE_CLASSES)}
MORATORIUM_MONTHS = (5, 6, 7, 8)  # 伏季休渔 1 May - 16 Sep: months wholly closed to most gear
_MORATORIUM_BY_MONTH = np.isin(np.arange(13), MORATORIUM_MONTHS)  # indexed by month 1..12
QUERY_DAYS = {"queries_3m": 91, "queries_6m": 182, "queries_12m": 365, "queries_24m": 730}
WORST_DSR_CAP = 20.0


def zero_nan(x: np.ndarray) -> np.ndarray:
    """NaN replaced by 0 (cheaper than np.nan_to_num on the one-row hot path)."""
    return np.where(np.isnan(x), 0.0, x)


def _mean(x: np.ndarray) -> np.ndarray:
    count = (~np.isnan(x)).sum(axis=1)
    return np.where(count > 0, np.nansum(x, axis=1) / np.maximum(count, 1), np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """The ratio where the denominator is positive, NaN elsewhere (nothing is divided by zero or NaN)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast_shapes(num.shape, den.shape), np.nan)
    return np.divide(num, den, out=out, where=den > 0)


def _window_positions(records: Records, codes: np.ndarray, as_of_month: np.ndarray,
                      width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(request row, record position, age in months) of each record inside its request's window."""
    rows, pos = records.gather(codes)
    age = as_of_month[rows] - records.columns["month"][pos]
    keep = (age >= 1) & (age <= width)
    rows, pos, age = rows[keep], pos[keep], age[keep]
    if "problem" in records.columns:
        raise_first(records.columns["problem"], pos)
    return rows, pos, age


def _scatter(n: int, rows: np.ndarray, age: np.ndarray, values: np.ndarray, width: int,
             how: str = "sum") -> np.ndarray:
    """An (n, width) window of the records' values by age; NaN where a month has no record."""
    out = np.zeros((n, width)) if how == "sum" else np.full((n, width), -np.inf)
    seen = np.zeros((n, width), dtype=bool)
    keep = ~np.isnan(values)
    idx = (rows[keep], age[keep] - 1)
    if how == "sum":
        np.add.at(out, idx, values[keep])
    else:
        np.maximum.at(out, idx, values[keep])
    seen[idx] = True
    return np.where(seen, out, np.nan)


def _slope(y: np.ndarray) -> np.ndarray:
    """Least-squares slope per row of y over time (column 0 the latest month), NaN-aware, units per month."""
    x = -np.arange(y.shape[1], dtype=float)[None, :] * np.ones_like(y)
    x = np.where(np.isnan(y), np.nan, x)
    xm, ym = _mean(x), _mean(y)
    num = np.nansum((x - xm[:, None]) * (y - ym[:, None]), axis=1)
    den = np.nansum((x - xm[:, None]) ** 2, axis=1)
    return _ratio(num, den)


def flow_features(flows: Records, codes: np.ndarray, as_of_month: np.ndarray) -> dict[str, np.ndarray]:
    """Income level, seasonality, volatility, moratorium exposure and balances from monthly account flows."""
    n = codes.size
    if not flows.present:
        return {"flow_months_12m": np.zeros(n)}
    rows, pos, age = _window_positions(flows, codes, as_of_month, WINDOW)
    inflow = _scatter(n, rows, age, flows.columns["inflow"][pos], WINDOW)
    outflow = _scatter(n, rows, age, flows.columns["outflow"][pos], WINDOW)
    balance = _scatter(n, rows, age, flows.columns["balance"][pos], WINDOW)
    last12, prior12 = inflow[:, :12], inflow[:, 12:]
    months12 = (~np.isnan(last12)).sum(axis=1).astype(float)
    mean12 = _mean(last12)
    filled = np.where(np.isnan(last12), 0.0, last12)
    with np.errstate(invalid="ignore"):
        std12 = np.sqrt(_mean((last12 - mean12[:, None]) ** 2))
        below = np.where(np.isnan(last12), False, last12 < 0.5 * mean12[:, None]).sum(axis=1).astype(float)
    top3 = -np.sort(-filled, axis=1)[:, :3].sum(axis=1)
    month_of_year = (as_of_month[:, None] - np.arange(1, 13)[None, :]) % 12 + 1
    closed = _MORATORIUM_BY_MONTH[month_of_year]
    in_closed = _mean(np.where(closed, last12, np.nan))
    in_open = _mean(np.where(closed, np.nan, last12))
    enough_prior = (~np.isnan(prior12)).sum(axis=1) >= 9
    out12 = outflow[:, :12]
    balance6 = balance[:, :6]
    low3 = np.sort(np.where(np.isnan(last12), np.inf, last12), axis=1)[:, :3]
    low3_mean = np.where(np.isinf(low3), np.nan, low3).mean(axis=1)
    with np.errstate(invalid="ignore"):
        growth = np.where(enough_prior, _ratio(mean12, _mean(prior12)) - 1.0, np.nan)
        savings = _ratio(np.nansum(last12, axis=1) - np.nansum(out12, axis=1), np.nansum(last12, axis=1))
    return {
        "flow_months_12m": months12,
        "observed_income_12m": mean12 * 12.0,
        "inflow_cv_12m": _ratio(std12, mean12),
        "months_below_half_mean_12m": np.where(months12 > 0, below, np.nan),
        "inflow_top3_share_12m": np.where(months12 > 0, _ratio(top3, filled.sum(axis=1)), np.nan),
        "inflow_min_to_mean_12m": _ratio(np.nanmin(np.where(np.isnan(last12), np.inf, last12), axis=1), mean12),
        "moratorium_income_dip_12m": 1.0 - _ratio(in_closed, in_open),
        "inflow_growth_12m": growth,
        "low_season_inflow_3m": low3_mean,
        "savings_rate_12m": savings,
        "balance_mean_6m": _mean(balance6),
        "balance_min_6m": np.where(np.isnan(balance6).all(axis=1), np.nan,
                                   np.nanmin(np.where(np.isnan(balance6), np.inf, balance6), axis=1)),
        "balance_trend_6m": _slope(balance6),
        "balance_buffer_months": _ratio(balance[:, 0], _mean(out12)),
    }


def conduct_features(flows: Records, codes: np.ndarray, as_of_month: np.ndarray) -> dict[str, np.ndarray]:
    """How the account is kept: direct debits returned unpaid (代扣失败), savings that grow, a saving plan kept up.

    Savings grow in a month whose closing balance is above the same month's a year before (so a season's dip,
    a fishing moratorium or a winter without guests, is set against the same season: a habit, not a livelihood);
    the saving plan's share counts months with a transfer into a 零存整取 plan, where the flows carry
    ``saving_plan_deposit``.
    Returned debits are counted where the flows carry ``debits_returned``; NaN without a flow month in the window.
    """
    n = codes.size
    if not flows.present:
        return {}
    rows, pos, age = _window_positions(flows, codes, as_of_month, WINDOW)
    balance = _scatter(n, rows, age, flows.columns["balance"][pos], WINDOW)
    now, year_before = balance[:, :12], balance[:, 12:]
    grew = np.where(np.isnan(now) | np.isnan(year_before), np.nan, (now > year_before).astype(float))
    out = {"balance_yoy_growth_months_12m": _mean(grew)}
    if "saving_plan_deposit" in flows.columns:
        plan = _scatter(n, rows, age, flows.columns["saving_plan_deposit"][pos], WINDOW)
        out["saving_plan_months_share_24m"] = _mean(np.where(np.isnan(plan), np.nan, (plan > 0).astype(float)))
    if "debits_returned" in flows.columns:
        returned = _scatter(n, rows, age, flows.columns["debits_returned"][pos], WINDOW)
        out["returned_debits_12m"] = np.where((~np.isnan(returned[:, :12])).any(axis=1),
                                              np.nansum(returned[:, :12], axis=1), np.nan)
        out["returned_debits_24m"] = np.where((~np.isnan(returned)).any(axis=1), np.nansum(returned, axis=1), np.nan)
    return out


def _longest_run(flags: np.ndarray) -> np.ndarray:
    run = np.zeros(flags.shape[0])
    best = np.zeros(flags.shape[0])
    for col in range(flags.shape[1]):
        run = np.where(flags[:, col], run + 1, 0.0)
        best = np.maximum(best, run)
    return best


def grid_features(grid: Records, codes: np.ndarray, as_of_month: np.ndarray) -> dict[str, np.ndarray]:
    """Repayment-grid features over the 24 months before the as-of month, worst account per month."""
    n = codes.size
    if not grid.present:
        return {"grid_months_24m": np.zeros(n)}
    rows, pos, age = _window_positions(grid, codes, as_of_month, WINDOW)
    depth = _scatter(n, rows, age, grid.columns["depth"][pos], WINDOW, how="max")
    bad = _scatter(n, rows, age, grid.columns["bad"][pos], WINDOW, how="max")
    five = _scatter(n, rows, age, grid.columns["five_rank"][pos], WINDOW, how="max")
    overdue = depth > 0  # NaN (no record) is not overdue
    reported = ~np.isnan(depth)
    any_overdue = overdue.any(axis=1)
    first_overdue = np.where(any_overdue, overdue.argmax(axis=1) + 1.0, WINDOW + 1.0)
    latest = np.where(reported.any(axis=1), reported.argmax(axis=1), 0)
    consecutive = _longest_run(overdue)
    cumulative = overdue.sum(axis=1).astype(float)
    return {
        "grid_months_24m": reported.sum(axis=1).astype(float),
        "overdue_current": overdue[:, 0].astype(float),
        "overdue_months_6m": overdue[:, :6].sum(axis=1).astype(float),
        "overdue_months_12m": overdue[:, :12].sum(axis=1).astype(float),
        "overdue_months_24m": cumulative,
        "max_consecutive_overdue_24m": consecutive,
        "worst_status_24m": np.where(reported, depth, 0.0).max(axis=1),
        "months_since_overdue": first_overdue,
        "bad_status_24m": (bad > 0).any(axis=1).astype(float),
        "lian3lei6": ((consecutive >= 3) | (cumulative >= 6)).astype(float),
        "worst_five_class": zero_nan(five[np.arange(n), latest]),
    }


def debt_features(loans: Records, grid: Records, codes: np.ndarray, as_of_day: np.ndarray,
                  as_of_month: np.ndarray) -> dict[str, np.ndarray]:
    """Outstanding debt, monthly service and number of loans of accounts open on the as-of date."""
    n = codes.size
    if not loans.present:
        return {}
    rows, pos = loans.gather(codes)
    if "opened" in loans.columns:
        keep = loans.columns["opened"][pos] <= as_of_day[rows]
        rows, pos = rows[keep], pos[keep]
    if "closed" in loans.columns:
        closed = loans.columns["closed"][pos]
        keep = ~(closed <= as_of_day[rows])  # NaN/absent closing day: still open
        rows, pos = rows[keep], pos[keep]
    raise_first(loans.columns["problem"], pos)
    balance = np.bincount(rows, weights=zero_nan(loans.columns["balance"][pos]), minlength=n)
    if grid.present and "balance" in grid.columns:
        # The grid's monthly balances date the debt at the as-of month; the account snapshot is undated.
        g_rows, g_pos, g_age = _window_positions(grid, codes, as_of_month, 1)
        dated = _scatter(n, g_rows, g_age, grid.columns["balance"][g_pos], 1)[:, 0]
        balance = np.where(np.isnan(dated), balance, dated)
    payment = np.bincount(rows, weights=zero_nan(loans.columns["monthly_payment"][pos]), minlength=n)
    return {"debt_balance": balance, "monthly_payment": payment,
            "loan_count": np.bincount(rows, minlength=n).astype(float)}


def query_features(queries: Records, codes: np.ndarray, as_of_day: np.ndarray) -> dict[str, np.ndarray]:
    """Credit-report queries in the 3, 6, 12 and 24 months up to the as-of date (91, 182, 365, 730 days)."""
    n = codes.size
    if not queries.present:
        return {}
    rows, pos = queries.gather(codes)
    days = as_of_day[rows] - queries.columns["query_date"][pos]
    return {name: np.bincount(rows[(days >= 0) & (days <= span)], minlength=n).astype(float)
            for name, span in QUERY_DAYS.items()}


def grid_codes(status: pd.Series | np.ndarray, five_class: pd.Series | np.ndarray) -> dict[str, np.ndarray]:
    """Depth, bad flag and 五级分类 rank arrays from raw grid codes (unknown codes map to NaN).

    Each column is factorised whole (a Parquet column by Arrow, without a Python string per record) and its few
    distinct codes looked up.
    """
    codes, uniques = pd.factorize(_codes_series(status))
    depth = np.array([GRID_DEPTH.get(str(u), np.nan) for u in uniques] + [np.nan])[codes]
    bad = np.array([float(str(u) in BAD_STATUSES) for u in uniques] + [0.0])[codes]
    five_codes, five_uniques = pd.factorize(_codes_series(five_class))
    five = np.array([FIVE_CLASS_RANK.get(str(u), np.nan) for u in five_uniques] + [np.nan])[five_codes]
    return {"depth": depth, "bad": bad, "five_rank": five}


def _codes_series(values: pd.Series | np.ndarray) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
