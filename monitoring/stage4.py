"""The stage-4 report as of a day, assembled once for the command line, the dashboard and the files.

The 成效监测表 indicators, the account managers' 过程考核 with the doubtful visits, the 跃迁 households and the loans
whose use does not match their purpose: every surface reads this one object, so the numbers cannot differ
between the workbook and the 数据大屏.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.sources.load import RawSources
from models.policy import Policy
from monitoring.kpi import KpiReport, balances_until, kpi_table
from monitoring.mobility import misused_loans, upward_mobility_flags
from monitoring.process import manager_assessment

DOUBTFUL_COLUMNS = ("visit_id", "household_id", "account_manager_id", "visited_at", "township", "reasons")


@dataclass(frozen=True)
class Stage4Report:
    """Everything stage 4 shows as of a day."""

    as_of: pd.Timestamp
    kpi: KpiReport
    assessment: pd.DataFrame  # per account manager: visits, doubtful visits, signings, daily average balance
    doubtful: pd.DataFrame  # the visits to check, with their reasons
    upward_mobility: pd.DataFrame  # 跃迁 households known by the day, with the evidence
    misused: pd.DataFrame  # loans whose observed use differs from the declared purpose

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The report's lists with Chinese headers, as the workbook and the HTML page show them."""
        return {
            "过程考核": self.assessment.rename(columns={
                "account_manager_id": "客户经理", "visits": "走访数", "doubtful": "存疑走访数",
                "sound_visits": "有效走访数", "signings": "签约户数", "signed_amount": "签约金额(元)",
                "daily_avg_balance": "日均贷款余额(元)"}),
            "存疑走访": self.doubtful[list(DOUBTFUL_COLUMNS)].rename(columns={
                "visit_id": "走访编号", "household_id": "家庭编号", "account_manager_id": "客户经理",
                "visited_at": "走访时间", "township": "乡镇", "reasons": "存疑原因"}),
            "跃迁家庭": self.upward_mobility.rename(columns={
                "household_id": "家庭编号", "flagged_on": "认定日期", "evidence": "依据"}),
            "贷款用途异常": self.misused.rename(columns={
                "loan_id": "贷款编号", "household_id": "家庭编号", "visited_at": "回访日期",
                "declared_purpose": "申报用途", "observed_use": "实际用途"}),
        }


def _known_by(frame: pd.DataFrame, column: str, day: pd.Timestamp) -> pd.DataFrame:
    """The rows dated on or before the day (a frame without the column is taken whole)."""
    if frame.empty or column not in frame:
        return frame
    return frame[pd.to_datetime(frame[column]).dt.normalize() <= day]


def stage4_report(sources: RawSources, policy: Policy, as_of: pd.Timestamp) -> Stage4Report:
    """The stage-4 report from the raw sources, reading nothing dated after ``as_of``."""
    report = kpi_table(sources, policy, as_of)
    balances = balances_until(sources.loan_ledger, sources.loan_events, as_of)
    assessment, doubtful = manager_assessment(sources.visits, sources.loan_ledger, balances, as_of)
    revisits = _known_by(sources.revisits, "visited_at", as_of)
    refresh = _known_by(sources.list_refresh, "refreshed_on", as_of)
    flags = upward_mobility_flags(revisits, refresh, sources.base_list, policy)
    return Stage4Report(as_of=as_of, kpi=report, assessment=assessment, doubtful=doubtful, upward_mobility=flags,
                        misused=misused_loans(revisits))
