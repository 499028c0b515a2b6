"""The stage-4 report as of a day, assembled once for the command line, dashboard, workbook and year-end report.

The 成效监测表 indicators, the account managers' 过程考核 with the doubtful visits, the 跃迁 households, the
revisits falling due, misuse (flow signals and revisit findings) and the 贴息 progress: every surface reads this one
object, so the numbers cannot differ between the workbook, the 数据大屏 and the year-end report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from features.sources.load import RawSources
from models.policy import Policy
from monitoring.kpi import COUNTY, KpiReport, Scope, kpi_table, scoped
from monitoring.kpi_facts import balances_until, day_of
from monitoring.mobility import upward_mobility_flags
from monitoring.postloan import confirmed_misuse, flow_signals, revisits_due
from monitoring.process import manager_assessment
from monitoring.subsidy_progress import SubsidyProgress, subsidy_progress

DOUBTFUL_COLUMNS = ("visit_id", "household_id", "account_manager_id", "visited_at", "township", "reasons")
# each list as the surfaces show it: column -> Chinese header
LIST_HEADERS: dict[str, dict[str, str]] = {
    "过程考核": {"account_manager_id": "客户经理", "visits": "走访数", "sound_visits": "有效走访数",
                 "doubtful": "存疑走访数", "signings": "签约笔数", "signed_amount": "签约金额(元)",
                 "daily_avg_balance": "日均贷款余额(元)"},
    "存疑走访": {"visit_id": "走访编号", "household_id": "家庭编号", "account_manager_id": "客户经理",
                 "visited_at": "走访时间", "township": "乡镇", "reasons": "存疑原因"},
    "跃迁家庭": {"household_id": "家庭编号", "flagged_on": "认定日期", "evidence": "依据"},
    "资金用途预警": {"loan_id": "贷款编号", "household_id": "家庭编号", "account_manager_id": "客户经理",
                     "disbursed_on": "放款日期", "signal_on": "预警日期", "amount": "贷款金额(元)",
                     "excess_outflow": "超常流出(元)", "evidence": "预警依据"},
    "贷款违规使用": {"loan_id": "贷款编号", "household_id": "家庭编号", "found_on": "认定日期", "source": "认定方式",
                     "declared_purpose": "申报用途", "observed_use": "实际用途", "evidence": "处理"},
    "应回访清单": {"loan_id": "贷款编号", "household_id": "家庭编号", "account_manager_id": "客户经理",
                   "disbursed_on": "放款日期", "last_revisit": "上次回访", "due_on": "应回访日期",
                   "days_overdue": "逾期天数", "status": "状态"},
}


@dataclass(frozen=True)
class Stage4Report:
    """Everything stage 4 shows as of a day, for a scope (the county, a township, a manager, a product)."""

    as_of: pd.Timestamp
    data_until: pd.Timestamp | None  # the last day the sources hold a record for (数据截至)
    kpi: KpiReport
    assessment: pd.DataFrame  # per account manager: visits, doubtful visits, signings, daily average balance
    doubtful: pd.DataFrame  # the visits to check, with their reasons
    upward_mobility: pd.DataFrame  # 跃迁 households known by the day, with the evidence
    flow_signals: pd.DataFrame  # loans whose account flows after disbursement ask for a check
    misused: pd.DataFrame  # loans a revisit found used otherwise than declared: subsidy stopped and clawed back
    revisits_due: pd.DataFrame  # loans whose revisit is overdue or falls due soon
    subsidy: SubsidyProgress

    def lists(self) -> dict[str, pd.DataFrame]:
        """The report's lists by their Chinese names, with the stage-4 columns (English keys)."""
        frames = {"过程考核": self.assessment, "存疑走访": self.doubtful, "跃迁家庭": self.upward_mobility,
                  "资金用途预警": self.flow_signals, "贷款违规使用": self.misused, "应回访清单": self.revisits_due}
        return {name: frames[name][list(LIST_HEADERS[name])] for name in LIST_HEADERS}

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The lists with Chinese headers, as the workbook and the pages show them."""
        return {name: frame.rename(columns=LIST_HEADERS[name]) for name, frame in self.lists().items()}


def _known_by(frame: pd.DataFrame, column: str, day: pd.Timestamp) -> pd.DataFrame:
    """The rows dated on or before the day (a frame without the column is taken whole)."""
    if frame.empty or column not in frame:
        return frame
    return frame[day_of(frame[column]) <= day]


def data_span(sources: RawSources, start: pd.Timestamp | None = None,
              end: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day (within ``start``..``end`` when given) on which a source records program activity.

    Activity is a visit, a signing, a disbursement, a loan event, a revisit or a list refresh; None when there is none.
    """
    dated = [(sources.visits, "visited_at"), (sources.revisits, "visited_at"), (sources.loan_ledger, "signed_on"),
             (sources.loan_ledger, "disbursed_on"), (sources.loan_events, "event_date"),
             (sources.list_refresh, "refreshed_on")]
    days = [day_of(frame[column]).dropna() for frame, column in dated if not frame.empty and column in frame]
    if start is not None:
        days = [d[d >= start] for d in days]
    if end is not None:
        days = [d[d <= end] for d in days]
    days = [d for d in days if len(d)]
    return (min(d.min() for d in days), max(d.max() for d in days)) if days else None


def data_until(sources: RawSources, today: pd.Timestamp | None = None) -> pd.Timestamp | None:
    """数据截至: the last day, not after ``today``, on which any source records something the program did."""
    span = data_span(sources, end=today)
    return span[1] if span is not None else None


def stage4_report(sources: RawSources, policy: Policy, as_of: pd.Timestamp, scope: Scope = COUNTY) -> Stage4Report:
    """The stage-4 report from the raw sources, reading nothing dated after ``as_of``."""
    as_of = pd.Timestamp(as_of).normalize()
    report = kpi_table(sources, policy, as_of, scope)
    part = scoped(sources, scope)
    balances = balances_until(part.loan_ledger, part.loan_events, as_of)
    assessment, doubtful = manager_assessment(part.visits, part.loan_ledger, balances, as_of)
    revisits = _known_by(part.revisits, "visited_at", as_of)
    refresh = _known_by(part.list_refresh, "refreshed_on", as_of)
    flags = upward_mobility_flags(revisits, refresh, part.base_list, policy)
    if scope.township is not None or scope.manager is not None or scope.product is not None:
        flags = flags[flags["household_id"].isin(part.loan_ledger["household_id"])
                      | flags["household_id"].isin(part.visits.get("household_id", pd.Series(dtype=object)))]
    return Stage4Report(
        as_of=as_of, data_until=data_until(sources), kpi=report, assessment=assessment,
        doubtful=doubtful.reset_index(drop=True), upward_mobility=flags.reset_index(drop=True),
        flow_signals=flow_signals(part.loan_ledger, part.account_flows, policy, as_of),
        misused=confirmed_misuse(revisits, as_of),
        revisits_due=revisits_due(part.loan_ledger, revisits, policy, as_of),
        subsidy=_progress(part, policy, as_of, scope))


def _progress(part: RawSources, policy: Policy, as_of: pd.Timestamp, scope: Scope) -> SubsidyProgress:
    """The 贴息 progress; the budget is the county's, so a filtered view carries no budget share."""
    progress = subsidy_progress(part, policy, as_of)
    return progress if scope == COUNTY else replace(progress, budget=None)
