"""KPI indicators, process assessment and 跃迁 flags against a hand-counted fixture."""

import openpyxl
import pandas as pd
import pytest

from features.sources.ledger import daily_balances
from monitoring.kpi import kpi_table
from monitoring.mobility import misused_loans, upward_mobility_flags
from monitoring.process import manager_assessment, visit_checks
from monitoring.report import write_kpi_html, write_kpi_xlsx
from tests.monitoring.hand_made import hand_made_sources

AS_OF = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="module")
def sources():
    return hand_made_sources()


def _value(report, key):
    return report.table.set_index("key").loc[key, "实际值"]


def test_indicators_match_the_hand_count(sources, policy):
    # when
    report = kpi_table(sources, policy, AS_OF)
    # then: V1, V2, V3 are initial visits on or before the date (V4 is later)
    assert _value(report, "households_visited") == 3
    assert _value(report, "households_signed") == 2
    assert _value(report, "households_benefiting") == 2
    assert _value(report, "products_launched") == 1
    assert _value(report, "credit_granted") == 15.0           # 150,000 元 = 15 万元
    assert _value(report, "loan_balance") == 11.0             # 60,000 + 50,000 at the end of 30 June
    assert _value(report, "funds_leveraged") == 30.0          # 2 × 150,000
    # interest saved 1 Jan – 30 Jun: D1 100,000 × 111 days (10 Jan – 30 Apr) + 60,000 × 61 days (1 May – 30 Jun)
    # at a gap of 3.7 points; D2 50,000 × 121 days (2 Mar – 30 Jun) at 3.9 points; all / 360
    saved = (100_000 * 111 * 0.037 + 60_000 * 61 * 0.037 + 50_000 * 121 * 0.039) / 360
    assert _value(report, "interest_saved") == pytest.approx(round(saved / 10_000, 2))
    # median of +20% and +100%
    assert _value(report, "income_growth") == pytest.approx(60.0)
    # the 2025 target of 附件1 sits beside the value
    assert report.table.set_index("key").loc["households_signed", "年度目标"] == 1700


def test_breakdown_by_township_and_manager(sources, policy):
    report = kpi_table(sources, policy, AS_OF)
    by_town = report.by_township.set_index("乡镇")
    assert by_town.loc["菜园镇", "走访建档户数"] == 2
    assert by_town.loc["枸杞乡", "签约户数"] == 1
    by_am = report.by_manager.set_index("客户经理")
    assert by_am.loc["AM1", "授信金额(万元)"] == 15.0
    assert by_am.loc["AM2", "签约户数"] == 0


def test_doubtful_visits_are_listed_with_reasons(sources):
    checks = visit_checks(sources.visits).set_index("visit_id")
    assert not checks.loc["V1", "doubtful"]
    assert checks.loc["V2", "impossible_travel"]
    assert checks.loc["V3", "no_photo"] and checks.loc["V3", "implausible_duration"]
    assert "无现场照片" in checks.loc["V3", "reasons"]


def test_manager_assessment_counts_and_daily_average(sources):
    balances = daily_balances(sources.loan_ledger, sources.loan_events, None, AS_OF)
    table, doubtful = manager_assessment(sources.visits, sources.loan_ledger, balances, AS_OF)
    am1 = table.set_index("account_manager_id").loc["AM1"]
    assert am1["visits"] == 2 and am1["doubtful"] == 1 and am1["signings"] == 2
    # Σ daily balances 1 Jan – 30 Jun over 181 days
    total = 100_000 * 111 + 60_000 * 61 + 50_000 * 121
    assert am1["daily_avg_balance"] == pytest.approx(total / 181)
    assert set(doubtful["visit_id"]) == {"V2", "V3"}


def test_upward_mobility_from_revisit_and_refresh(sources, policy):
    flags = upward_mobility_flags(sources.revisits, sources.list_refresh, sources.base_list, policy)
    by_household = flags.set_index("household_id")
    # H3 left the list at the refresh because it moved away: it left the list but did not rise out of it (跃迁)
    assert set(by_household.index) == {"H2"}
    assert "迁出" in str(sources.list_refresh.set_index("household_id").loc["H3", "reasons"])
    assert by_household.loc["H2", "flagged_on"] == pd.Timestamp("2025-06-15")
    assert "120,000" in by_household.loc["H2", "evidence"]
    assert list(misused_loans(sources.revisits)["loan_id"]) == ["D2"]


def test_workbook_has_the_sheet_and_document_headers(sources, policy, tmp_path):
    report = kpi_table(sources, policy, AS_OF)
    path = write_kpi_xlsx(report, {"跃迁家庭": pd.DataFrame({"家庭编号": ["H2"]})}, tmp_path / "kpi.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "成效监测表"
    sheet = book["成效监测表"]
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["指标", "单位", "实际值", "年度目标", "完成率"]
    names = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert "签约、授信扩中家庭" in names and "各项贷款余额" in names
    page = write_kpi_html(report, {}, tmp_path / "kpi.html").read_text(encoding="utf-8")
    assert "口径说明" in page and "data:image/png;base64" in page
    assert not list(tmp_path.glob("*.tmp"))


def test_a_date_before_any_loan_gives_zero_balances_not_an_error(sources, policy):
    report = kpi_table(sources, policy, pd.Timestamp("2024-01-01"))
    assert _value(report, "loan_balance") == 0
    assert _value(report, "households_signed") == 0
