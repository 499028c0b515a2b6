"""The 成效监测表's indicators as 附件1 counts them, each with its Chinese definition, for any day of the pilot.

How each figure is counted (the Chinese text of ``INDICATORS`` is what the workbook, the report and the dashboard
print beside it):
- 推出共富贷系列产品: products of the policy's catalogue whose launch date is on or before the day.
- 走访、建档扩中家庭: households of the 扩中 list (not dropped by a list refresh before the visit) with an initial
  visit form on or before the day. Visits of households off the list are counted apart and left out.
- 签约、授信 / 总授信金额: households with a signed credit contract, and the credit lines granted, to the day.
- 其中用信: households that drew, and the amount drawn (disbursements), to the day: 授信 and 用信 kept apart.
- 惠及扩中家庭: households with a loan outstanding at the end of the day (附件1: 1,750万 over 175 households).
- 各项贷款余额: principal outstanding at the end of the day.
- 减少利息支出 and 撬动产业资金: the targets' own arithmetic (balance × the policy's points; leverage × balance),
  with the year-to-date actual saving (Σ daily balance × (normal − contract rate) / 360) and 2 × drawn beside.
- 新增收入: over the households with a loan, Σ income at a revisit / Σ income at the form before it − 1 (the
  revisits of the day's year), and Σ latest revisit income / Σ first visit income − 1 (since the pilot began).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from features.county import TOWNSHIPS
from features.sources.load import RawSources
from models.policy import Policy
from models.policy.targets import YearTargets
from monitoring.kpi_facts import Facts, balances_until, counts, income_growth, read_facts

__all__ = ["COUNTY", "INDICATORS", "KpiReport", "Scope", "balances_until", "breakdown_total", "double_count_notes",
           "kpi_table", "scoped", "values_at"]


@dataclass(frozen=True)
class Indicator:
    """One line of the 成效监测表."""

    key: str
    number: str  # 序号: 附件1's row, "3.1" for a 其中 line
    name: str
    unit: str  # 个, 户, 万元 or %
    definition: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator("products_launched", "1", "推出共富贷系列产品", "个",
              "政策文件产品目录中上线日期不晚于统计日的共富贷产品数"),
    Indicator("households_visited", "2", "走访、建档扩中家庭", "户",
              "扩中家庭名单内（走访时未被名单更新移出）、截至统计日已入户走访并填写《扩中家庭信息采集表》的家庭数；"
              "名单外家庭的走访不计入"),
    Indicator("households_signed", "3", "签约、授信扩中家庭", "户", "截至统计日已签订共富贷授信合同的家庭数（累计）"),
    Indicator("households_drawn", "3.1", "其中：已用信家庭", "户", "截至统计日已提款（放款）的签约家庭数（累计）"),
    Indicator("credit_granted", "4", "总授信金额", "万元", "截至统计日已签合同的授信额度合计（累计）"),
    Indicator("credit_drawn", "4.1", "其中：累计用信金额", "万元", "截至统计日累计放款（提款）金额"),
    Indicator("households_benefiting", "5", "惠及扩中家庭", "户", "统计日日终有共富贷余额的家庭数"),
    Indicator("loan_balance", "6", "各项贷款余额", "万元", "统计日日终共富贷本金余额合计"),
    Indicator("interest_saved", "7", "减少扩中家庭年贷款利息支出", "万元",
              "按附件1测算口径：统计日贷款余额×{points}个百分点（利率由约{high}降至{low}）"),
    Indicator("funds_leveraged", "8", "撬动产业资金金额", "万元", "按附件1测算口径：统计日贷款余额×{leverage}（金融杠杆{leverage}倍）"),
    Indicator("income_growth_year", "9", "有贷款扩中家庭新增收入（当年）", "%",
              "统计日所在年度回访的有贷款家庭：回访申报年收入合计÷其上一次采集（走访或回访）年收入合计−1"),
    Indicator("income_growth_pilot", "9.1", "有贷款扩中家庭新增收入（试点以来）", "%",
              "截至统计日有回访的有贷款家庭：最近一次回访年收入合计÷首次走访采集年收入合计−1"),
)
WAN = frozenset(i.key for i in INDICATORS if i.unit == "万元")
PERCENT = frozenset(i.key for i in INDICATORS if i.unit == "%")
BREAKDOWN_COLUMNS = {  # indicator key -> column of the township / manager / product sheets
    "households_visited": "走访建档扩中家庭(户)", "households_signed": "签约授信家庭(户)",
    "credit_granted": "总授信金额(万元)", "credit_drawn": "累计用信金额(万元)", "households_benefiting": "惠及家庭(户)",
    "loan_balance": "贷款余额(万元)", "interest_saved_actual": "当年实际减少利息(万元)",
}


@dataclass(frozen=True)
class Scope:
    """The dashboard's filters: one township, one account manager, one product (None: all)."""

    township: str | None = None
    manager: str | None = None
    product: str | None = None

    def label(self) -> str:
        """The filters in words, for titles ("全县" when there are none)."""
        parts = [p for p in (self.township, self.manager and f"客户经理{self.manager}",
                             self.product and f"产品{self.product}") if p]
        return "、".join(parts) or "全县"


COUNTY = Scope()


@dataclass(frozen=True)
class KpiReport:
    """The 成效监测表 as of a day: the indicator table, its breakdowns and the month-end series."""

    as_of: pd.Timestamp
    scope: Scope
    table: pd.DataFrame  # 序号, 指标, 单位, 实际值, 年度目标, 完成率 (fraction), 口径说明, 备注, and the key
    by_township: pd.DataFrame
    by_manager: pd.DataFrame
    by_product: pd.DataFrame
    monthly: pd.DataFrame  # per month-end (and the day): date, each indicator's shown value and target_<key>

    def value(self, key: str) -> float:
        """An indicator's shown value (户, 个, 万元 with two decimals, % with one)."""
        return float(self.table.set_index("key").at[key, "实际值"])


def values_at(facts: Facts, policy: Policy, day: pd.Timestamp) -> dict[str, float]:
    """Every indicator as of ``day`` in raw units (元, 户, 个, fractions), from facts read up to at least ``day``."""
    values = {k: float(v) for k, v in counts(facts, day).iloc[0].items()}
    targets = policy.targets
    balance = values["loan_balance"]
    growth_year, growth_pilot, revisits, households = income_growth(facts, day)
    return {
        **values,
        "products_launched": float(len(launched(policy, day))),
        "interest_saved": balance * targets.interest_saved_points
        if targets is not None and targets.interest_saved_points else np.nan,
        "funds_leveraged": balance * targets.leverage if targets is not None and targets.leverage else np.nan,
        "income_growth_year": growth_year, "income_growth_pilot": growth_pilot,
        "income_revisits_counted": float(revisits), "income_households_counted": float(households),
    }


def launched(policy: Policy, day: pd.Timestamp) -> list[str]:
    """Names of the catalogue's products launched on or before the day."""
    return [p.name for p in policy.products if p.launched_on is not None and pd.Timestamp(p.launched_on) <= day]


def year_targets(policy: Policy, year: int) -> YearTargets | None:
    """附件1's cumulative targets for the year; after the pilot's last year the final ones stay the yardstick."""
    if policy.targets is None:
        return None
    last = policy.targets.by_year[-1]
    return policy.targets.for_year(year) or (last if year > last.year else None)


def target_of(policy: Policy, key: str, year: int) -> float | None:
    """The target an indicator is measured against in a year (raw units), or None when 附件1 sets none."""
    targets = policy.targets
    if targets is None:
        return None
    pilot = {"funds_leveraged": targets.industry_funds_leveraged, "income_growth_year": targets.income_growth_per_year,
             "income_growth_pilot": targets.income_growth_over_pilot}
    if key in pilot:
        return float(pilot[key])
    yearly = year_targets(policy, year)
    return float(getattr(yearly, key)) if yearly is not None and hasattr(yearly, key) else None


def shown(key: str, value: float | None) -> float | None:
    """A raw value in the unit the form prints: 万元 to two decimals, % to one, counts whole."""
    if value is None or np.isnan(value):
        return None
    if key in WAN or key == "interest_saved_actual":
        return round(value / 10_000, 2)
    if key in PERCENT:
        return round(value * 100, 1)
    return float(round(value))


def _definition(indicator: Indicator, policy: Policy) -> str:
    targets = policy.targets
    points = targets.interest_saved_points if targets is not None and targets.interest_saved_points else np.nan
    low = policy.subsidy.rate_cap
    return indicator.definition.format(points=f"{points * 100:g}", high=f"{(low + points) * 100:g}%",
                                       low=f"{low * 100:g}%",
                                       leverage=f"{targets.leverage:g}" if targets and targets.leverage else "—")


def _notes(values: dict[str, float], policy: Policy, as_of: pd.Timestamp) -> dict[str, str]:
    unlaunched = [p.name for p in policy.products if p.launched_on is None]
    leverage = policy.targets.leverage if policy.targets is not None and policy.targets.leverage else None
    notes = {
        "products_launched": "、".join(launched(policy, as_of)),
        "households_visited": f"另走访名单外家庭{values['households_visited_off_list']:.0f}户，未计入",
        "interest_saved": f"{as_of.year}年实际已减少利息{values['interest_saved_actual'] / 10_000:,.2f}万元"
                          "（Σ日终余额×(正常利率−执行利率)/360）",
        "income_growth_year": f"计入回访{values['income_revisits_counted']:.0f}次",
        "income_growth_pilot": f"计入家庭{values['income_households_counted']:.0f}户",
    }
    if unlaunched:
        notes["products_launched"] += f"；未填上线日期：{'、'.join(unlaunched)}"
    if leverage:
        notes["funds_leveraged"] = (f"按累计用信计：{leverage:g}×累计用信="
                                    f"{leverage * values['credit_drawn'] / 10_000:,.2f}万元")
    return notes


def indicator_table(values: dict[str, float], policy: Policy, as_of: pd.Timestamp) -> pd.DataFrame:
    """The form's lines: 序号, 指标, 单位, 实际值, 年度目标, 完成率 (a fraction), 口径说明, 备注 (and ``key``)."""
    notes = _notes(values, policy, as_of)
    rows = []
    for ind in INDICATORS:
        target = target_of(policy, ind.key, as_of.year)
        value = values[ind.key]
        progress = value / target if target and not np.isnan(value) else None
        rows.append({"key": ind.key, "序号": ind.number, "指标": ind.name, "单位": ind.unit,
                     "实际值": shown(ind.key, value), "年度目标": shown(ind.key, target),
                     "完成率": None if progress is None else round(progress, 4),
                     "口径说明": _definition(ind, policy), "备注": notes.get(ind.key, "")})
    return pd.DataFrame(rows)


def scoped(sources: RawSources, scope: Scope) -> RawSources:
    """The sources cut to a scope: a township's households, a manager's visits and loans, a product's loans."""
    if scope.township is not None:
        base = sources.base_list
        sources = sources.for_households(base.loc[base["township"] == scope.township, "household_id"].tolist())
    ledger = sources.loan_ledger
    keep = pd.Series(True, index=ledger.index)
    if scope.manager is not None:
        keep &= ledger["account_manager_id"] == scope.manager
        visits = sources.visits
        sources = replace(sources, visits=visits[visits["account_manager_id"] == scope.manager] if len(visits)
                          else visits)
    if scope.product is not None:
        keep &= ledger["product_code"] == scope.product
    if keep.all():
        return sources
    ledger = ledger[keep]
    events, revisits = sources.loan_events, sources.revisits
    return replace(sources, loan_ledger=ledger, loan_events=events[events["loan_id"].isin(ledger["loan_id"])],
                   revisits=revisits[revisits["household_id"].isin(ledger["household_id"])]
                   if "household_id" in revisits else revisits)


def breakdown(facts: Facts, day: pd.Timestamp, by: str, label: str, order: tuple[str, ...] = ()) -> pd.DataFrame:
    """The countable indicators per township, manager or product, in the form's units (``order`` first)."""
    table = counts(facts, day, by=by)
    rank = {name: i for i, name in enumerate(order)}
    table = table.assign(_rank=table[by].map(lambda v: rank.get(v, len(rank)))).sort_values(
        ["_rank", by], kind="stable")
    out = pd.DataFrame({label: table[by].to_numpy()})
    for key, column in BREAKDOWN_COLUMNS.items():
        out[column] = [shown(key, v) for v in table[key]]
    if by == "product":
        out[BREAKDOWN_COLUMNS["households_visited"]] = None  # a visit is not for a product
    return out


def breakdown_total(frame: pd.DataFrame) -> dict[str, float | None]:
    """The 合计 line of a breakdown: each figure column summed (None for a column without figures)."""
    totals: dict[str, float | None] = {}
    for column in frame.columns[1:]:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        totals[column] = None if numbers.isna().all() else round(float(numbers.sum()), 2)
    return totals


def double_count_notes(report: KpiReport, totals: dict[str, float | None], what: str) -> list[str]:
    """Notes for household columns whose breakdown total exceeds the county's count (a household served by two)."""
    county = {BREAKDOWN_COLUMNS[key]: report.value(key)
              for key in ("households_visited", "households_signed", "households_benefiting")}
    return [f"注：{column}按{what}分别计数，一户可由多个{what}服务，合计大于全县去重数{count:,.0f}户。"
            for column, count in county.items() if totals.get(column) not in (None, count)]


def month_ends(start: pd.Timestamp, as_of: pd.Timestamp) -> list[pd.Timestamp]:
    """The month-ends from ``start``'s month to ``as_of`` (the day itself last when it is not a month-end)."""
    ends = list(pd.date_range(start + pd.offsets.MonthEnd(0), as_of, freq="ME"))
    return [*ends, as_of] if not ends or ends[-1] != as_of else ends


def kpi_table(sources: RawSources, policy: Policy, as_of: pd.Timestamp, scope: Scope = COUNTY) -> KpiReport:
    """Every indicator as of the day for the scope, against 附件1's target for the year, with breakdowns and series."""
    as_of = pd.Timestamp(as_of).normalize()
    pilot_start = min(pd.Timestamp(policy.effective_from), as_of)
    facts = read_facts(sources, as_of, start=pilot_start.replace(month=1, day=1))
    facts = facts.where(**{k: v for k, v in (("township", scope.township), ("manager", scope.manager),
                                              ("product", scope.product)) if v is not None})
    values = values_at(facts, policy, as_of)
    monthly = []
    for day in month_ends(pilot_start, as_of):
        at = values_at(facts, policy, day)
        monthly.append({"date": day, **{i.key: shown(i.key, at[i.key]) for i in INDICATORS},
                        **{f"target_{i.key}": shown(i.key, target_of(policy, i.key, day.year)) for i in INDICATORS}})
    names = {p.code: p.name for p in policy.products}
    by_product = breakdown(facts, as_of, "product", "产品", tuple(names))
    by_product["产品"] = by_product["产品"].map(lambda c: names.get(c, c))
    return KpiReport(as_of, scope, indicator_table(values, policy, as_of),
                     breakdown(facts, as_of, "township", "乡镇", TOWNSHIPS),
                     breakdown(facts, as_of, "manager", "客户经理"),
                     by_product, pd.DataFrame(monthly))
