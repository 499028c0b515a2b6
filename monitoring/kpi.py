"""The 成效监测表: every indicator of 附件1 as of a date, against the year's target, by township and manager.

Definitions (written next to each indicator in the report as well):
- 推出共富贷系列产品: distinct 共富 products with at least one loan signed on or before the date.
- 走访、建档扩中家庭: distinct households with an initial visit form (采集表) on or before the date.
- 签约、授信扩中家庭: distinct households with a signed 共富 loan contract on or before the date.
- 总授信金额: sum of the signed contract amounts (元).
- 惠及扩中家庭: distinct households whose loan was disbursed on or before the date.
- 各项贷款余额: principal outstanding at the end of the date (元).
- 减少扩中家庭年贷款利息支出: in the calendar year of the date up to it, Σ daily balance × (normal rate − the
  household's rate) / 360 — the interest the households did not pay.
- 撬动产业资金: 2 × the loans disbursed (the document's leverage of 2).
- 有贷款家庭增收: median growth of annual income from the visit form before the loan to the revisit after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.sources.ledger import daily_balances
from features.sources.load import RawSources
from models.policy import Policy
from monitoring.mobility import revisit_income

INDICATORS: tuple[tuple[str, str, str, str], ...] = (
    # (key, name in 附件1, unit, definition)
    ("products_launched", "推出共富贷系列产品", "个", "截至统计日已有签约贷款的共富贷产品数"),
    ("households_visited", "走访、建档扩中家庭", "户", "截至统计日已填写信息采集表的家庭数"),
    ("households_signed", "签约、授信扩中家庭", "户", "截至统计日已签订共富贷合同的家庭数"),
    ("credit_granted", "总授信金额", "万元", "截至统计日签约合同金额合计"),
    ("households_benefiting", "惠及扩中家庭", "户", "截至统计日已放款的家庭数"),
    ("loan_balance", "各项贷款余额", "万元", "统计日日终贷款本金余额合计"),
    ("interest_saved", "减少扩中家庭年贷款利息支出", "万元", "当年年初至统计日 Σ日终余额×(正常利率−执行利率)/360"),
    ("funds_leveraged", "撬动产业资金", "万元", "已放款金额×2（金融杠杆2倍）"),
    ("income_growth", "有贷款扩中家庭增收", "%", "借款家庭回访年收入相对贷前采集表年收入增长的中位数"),
)
_WAN = {"credit_granted", "loan_balance", "interest_saved", "funds_leveraged"}


@dataclass(frozen=True)
class KpiReport:
    """The KPI table and its breakdowns."""

    as_of: pd.Timestamp
    table: pd.DataFrame          # one row per indicator: value, target, progress, definition
    by_township: pd.DataFrame
    by_manager: pd.DataFrame
    monthly: pd.DataFrame        # month-end values of the cumulative indicators


def balances_until(ledger: pd.DataFrame, events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Daily principal balances (loan_id, date, balance) of the loans disbursed by ``as_of``, up to it."""
    if not ledger.empty:
        ledger = ledger[pd.to_datetime(ledger["disbursed_on"]) <= as_of]
    if ledger.empty:
        return pd.DataFrame({"loan_id": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
                             "balance": pd.Series(dtype=float)})
    return daily_balances(ledger, events[events["loan_id"].isin(ledger["loan_id"])], None, as_of)


def _values(sources: RawSources, balances: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, float]:
    ledger = sources.loan_ledger
    visits = sources.visits
    initial = visits[visits.get("visit_type", pd.Series("initial", index=visits.index)).fillna("initial") == "initial"]
    visited = initial[pd.to_datetime(initial["visited_at"]).dt.normalize() <= as_of]
    signed = ledger[pd.to_datetime(ledger["signed_on"]) <= as_of]
    disbursed = ledger[pd.to_datetime(ledger["disbursed_on"]) <= as_of]
    year_start = pd.Timestamp(year=as_of.year, month=1, day=1)
    today = balances[balances["date"] == as_of]
    ytd = balances[(balances["date"] >= year_start) & (balances["date"] <= as_of)]
    loans = ledger.set_index("loan_id")
    gap = (loans["normal_rate"] - loans["rate"]).clip(lower=0)
    saved = float((ytd["balance"] * ytd["loan_id"].map(gap)).sum() / 360.0)
    return {
        "products_launched": float(signed["product_code"].nunique()),
        "households_visited": float(visited["household_id"].nunique()),
        "households_signed": float(signed["household_id"].nunique()),
        "credit_granted": float(signed["amount"].sum()),
        "households_benefiting": float(disbursed["household_id"].nunique()),
        "loan_balance": float(today["balance"].sum()),
        "interest_saved": round(saved, 2),
        "funds_leveraged": float(2 * disbursed["amount"].sum()),
        "income_growth": income_growth(sources, as_of),
    }


def income_growth(sources: RawSources, as_of: pd.Timestamp) -> float:
    """Median growth of borrowers' annual income from the last visit before signing to the revisit after it."""
    ledger, revisits, visits = sources.loan_ledger, sources.revisits, sources.visits
    if ledger.empty or revisits.empty:
        return float("nan")
    rv = revisits[pd.to_datetime(revisits["visited_at"]).dt.normalize() <= as_of]
    rv = rv[rv["household_id"].isin(ledger["household_id"])]
    if rv.empty:
        return float("nan")
    after = pd.Series(revisit_income(rv).to_numpy(), index=rv["household_id"].to_numpy())
    after = after[~after.index.duplicated(keep="last")]
    declared = visits["declared_income"].map(
        lambda d: d.get("total", d.get("main")) if isinstance(d, dict) else None)
    before = pd.to_numeric(declared, errors="coerce").groupby(visits["household_id"].to_numpy()).first()
    growth = (after / before.reindex(after.index) - 1).replace([np.inf, -np.inf], np.nan).dropna()
    return float(growth.median()) if len(growth) else float("nan")


def _display(key: str, value: float) -> float:
    if np.isnan(value):
        return value
    if key in _WAN:
        return round(value / 10_000, 2)
    if key == "income_growth":
        return round(value * 100, 1)
    return value


def kpi_table(sources: RawSources, policy: Policy, as_of: pd.Timestamp) -> KpiReport:
    """Every indicator of 附件1 as of ``as_of``, its target for the year and the progress, plus breakdowns."""
    as_of = pd.Timestamp(as_of).normalize()
    ledger = sources.loan_ledger
    balances = balances_until(ledger, sources.loan_events, as_of)
    values = _values(sources, balances, as_of)
    year_targets = None
    if policy.targets is not None:
        # after the pilot's last year the final (cumulative) targets remain the yardstick
        last = policy.targets.by_year[-1]
        year_targets = policy.targets.for_year(as_of.year) or (last if as_of.year > last.year else None)
    rows = []
    for key, name, unit, definition in INDICATORS:
        target: float | None = None
        if year_targets is not None and hasattr(year_targets, key):
            target = float(getattr(year_targets, key))
        elif policy.targets is not None and key == "funds_leveraged":
            target = policy.targets.industry_funds_leveraged
        elif policy.targets is not None and key == "income_growth":
            target = policy.targets.income_growth_per_year
        shown, shown_target = _display(key, values[key]), _display(key, target) if target is not None else None
        progress = values[key] / target if target else float("nan")
        rows.append({"key": key, "指标": name, "单位": unit, "实际值": shown, "年度目标": shown_target,
                     "完成率": round(progress * 100, 1) if not np.isnan(progress) else float("nan"),
                     "口径说明": definition})
    table = pd.DataFrame(rows)
    return KpiReport(as_of, table, _by_township(sources, balances, as_of), _by_manager(sources, balances, as_of),
                     _monthly(sources, balances, as_of))


def _group_counts(sources: RawSources, balances: pd.DataFrame, as_of: pd.Timestamp, key: pd.Series,
                  ledger_key: pd.Series) -> pd.DataFrame:
    visits, ledger = sources.visits, sources.loan_ledger
    visited = visits[pd.to_datetime(visits["visited_at"]).dt.normalize() <= as_of]
    signed_mask = pd.to_datetime(ledger["signed_on"]) <= as_of
    today = balances[balances["date"] == as_of]
    out = pd.DataFrame({
        "走访建档户数": visited.groupby(key.loc[visited.index])["household_id"].nunique(),
        "签约户数": ledger[signed_mask].groupby(ledger_key[signed_mask])["household_id"].nunique(),
        "授信金额(万元)": ledger[signed_mask].groupby(ledger_key[signed_mask])["amount"].sum() / 10_000,
        "贷款余额(万元)": today.groupby(today["loan_id"].map(
            pd.Series(ledger_key.to_numpy(), index=ledger["loan_id"])))["balance"].sum() / 10_000,
    })
    return out.fillna(0).round(2)


def _by_township(sources: RawSources, balances: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    township = sources.base_list.drop_duplicates("household_id").set_index("household_id")["township"]
    out = _group_counts(sources, balances, as_of, sources.visits["household_id"].map(township),
                        sources.loan_ledger["household_id"].map(township))
    out.index.name = "乡镇"
    return out.reset_index()


def _by_manager(sources: RawSources, balances: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    out = _group_counts(sources, balances, as_of, sources.visits["account_manager_id"],
                        sources.loan_ledger["account_manager_id"])
    out.index.name = "客户经理"
    return out.reset_index()


def _monthly(sources: RawSources, balances: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    ledger = sources.loan_ledger
    if ledger.empty:
        return pd.DataFrame(columns=["month", "households_signed", "credit_granted", "loan_balance"])
    start = pd.to_datetime(ledger["signed_on"]).min().to_period("M")
    rows = []
    for period in pd.period_range(start, as_of.to_period("M"), freq="M"):
        end = min(period.to_timestamp(how="end").normalize(), as_of)
        signed = ledger[pd.to_datetime(ledger["signed_on"]) <= end]
        rows.append({"month": str(period), "households_signed": signed["household_id"].nunique(),
                     "credit_granted": float(signed["amount"].sum()),
                     "loan_balance": float(balances.loc[balances["date"] == end, "balance"].sum())})
    return pd.DataFrame(rows)
