"""Each indicator's definition pinned on a hand-counted county; process assessment and 跃迁 flags beside them."""

import pandas as pd
import pytest

from features.sources.ledger import daily_balances
from monitoring.kpi import INDICATORS, Scope, balances_until, kpi_table
from monitoring.mobility import misused_loans, upward_mobility_flags
from monitoring.process import manager_assessment, visit_checks
from tests.monitoring.hand_made import hand_made_sources

AS_OF = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="module")
def sources():
    return hand_made_sources()


def _row(report, key):
    return report.table.set_index("key").loc[key]


def test_every_indicator_has_a_chinese_definition_and_a_line_number(sources, policy):
    report = kpi_table(sources, policy, AS_OF)
    assert list(report.table["key"]) == [i.key for i in INDICATORS]
    assert report.table["口径说明"].str.len().min() > 10
    assert report.table["序号"].is_unique


def test_visits_count_only_households_of_the_list(sources, policy):
    # given V1, V2, V3 of listed households before the day (H3 was dropped in 2025, after its visit) and V5 of H4,
    # a household not on the list
    report = kpi_table(sources, policy, AS_OF)
    assert report.value("households_visited") == 3
    assert "名单外家庭1户" in _row(report, "households_visited")["备注"]


def test_credit_lines_and_drawdowns_are_counted_apart(sources, policy):
    # D1 100,000 signed and drawn 10 Jan; D2 50,000 signed 1 Mar, drawn 2 Mar
    on_1_march = kpi_table(sources, policy, pd.Timestamp("2025-03-01"))
    assert on_1_march.value("households_signed") == 2 and on_1_march.value("credit_granted") == 15.0
    assert on_1_march.value("households_drawn") == 1 and on_1_march.value("credit_drawn") == 10.0
    report = kpi_table(sources, policy, AS_OF)
    assert report.value("households_drawn") == 2 and report.value("credit_drawn") == 15.0
    assert report.value("households_benefiting") == 2          # both loans outstanding on 30 June
    assert report.value("loan_balance") == 11.0                # 60,000 + 50,000


def test_interest_saved_and_funds_leveraged_follow_the_targets_arithmetic(sources, policy):
    report = kpi_table(sources, policy, AS_OF)
    # 附件1: balance × 3.8 points; 2 × balance
    assert report.value("interest_saved") == round(110_000 * 0.038 / 10_000, 2)
    assert report.value("funds_leveraged") == 22.0
    # the year-to-date actual beside it: D1 100,000 × 111 days + 60,000 × 61 days at 3.7 points, D2 50,000 × 121
    # days at 3.9 points, / 360
    actual = (100_000 * 111 * 0.037 + 60_000 * 61 * 0.037 + 50_000 * 121 * 0.039) / 360
    assert f"{actual / 10_000:,.2f}万元" in _row(report, "interest_saved")["备注"]
    # targets: 2025's 190万 and the pilot's 1亿, with the completion as a fraction
    assert _row(report, "interest_saved")["年度目标"] == 190.0
    assert _row(report, "funds_leveraged")["完成率"] == pytest.approx(220_000 / 100_000_000, abs=1e-4)


def test_income_growth_per_year_and_over_the_pilot(sources, policy):
    # by 30 June: R1 72,000 against V1 60,000 and R2 120,000 against V2 60,000 -> 192/120 - 1
    mid = kpi_table(sources, policy, AS_OF)
    assert mid.value("income_growth_year") == 60.0
    assert mid.value("income_growth_pilot") == 60.0
    # by 31 Dec also R3 90,000 against R1 72,000: (72 + 120 + 90) / (60 + 60 + 72) - 1 this year; since the
    # first visit (90 + 120) / (60 + 60) - 1
    end = kpi_table(sources, policy, pd.Timestamp("2025-12-31"))
    assert end.value("income_growth_year") == round((282 / 192 - 1) * 100, 1)
    assert end.value("income_growth_pilot") == 75.0
    assert _row(end, "income_growth_year")["年度目标"] == 15.0
    assert _row(end, "income_growth_pilot")["年度目标"] == 50.0


def test_products_are_counted_from_their_launch_dates(sources, policy):
    assert kpi_table(sources, policy, pd.Timestamp("2023-07-30")).value("products_launched") == 0
    assert kpi_table(sources, policy, pd.Timestamp("2023-07-31")).value("products_launched") == 4


def test_the_pilots_first_months_are_reported_without_data(sources, policy):
    report = kpi_table(sources, policy, pd.Timestamp("2023-08-31"))
    assert report.value("loan_balance") == 0 and report.value("households_signed") == 0
    assert _row(report, "households_signed")["年度目标"] == 340      # 2023's target
    assert list(report.monthly["date"]) == [pd.Timestamp("2023-07-31"), pd.Timestamp("2023-08-31")]


def test_breakdowns_add_up_to_the_county(sources, policy):
    report = kpi_table(sources, policy, AS_OF)
    by_town = report.by_township.set_index("乡镇")
    assert by_town.loc["菜园镇", "走访建档扩中家庭(户)"] == 2     # H1, H3 (H4 is off the list)
    assert by_town.loc["枸杞乡", "签约授信家庭(户)"] == 1
    assert by_town["贷款余额(万元)"].sum() == report.value("loan_balance")
    by_am = report.by_manager.set_index("客户经理")
    assert by_am.loc["AM1", "总授信金额(万元)"] == 15.0
    assert by_am.loc["AM2", "签约授信家庭(户)"] == 0
    assert report.by_product.set_index("产品").loc["共富经营贷", "惠及家庭(户)"] == 2


def test_a_scope_counts_only_its_households(sources, policy):
    town = kpi_table(sources, policy, AS_OF, Scope(township="枸杞乡"))
    assert town.value("households_visited") == 1 and town.value("loan_balance") == 5.0
    manager = kpi_table(sources, policy, AS_OF, Scope(manager="AM2"))
    assert manager.value("households_visited") == 1 and manager.value("households_signed") == 0
    product = kpi_table(sources, policy, AS_OF, Scope(product="GF-YL"))
    assert product.value("credit_granted") == 0


def test_month_end_series_matches_the_report_of_each_day(sources, policy):
    report = kpi_table(sources, policy, AS_OF)
    april = report.monthly.set_index("date").loc[pd.Timestamp("2025-04-30")]
    again = kpi_table(sources, policy, pd.Timestamp("2025-04-30"))
    for ind in INDICATORS:
        assert april[ind.key] == again.value(ind.key) or (pd.isna(april[ind.key]) and pd.isna(again.value(ind.key)))
    assert april["target_loan_balance"] == 5000.0


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


def test_manager_assessment_before_any_visit_is_empty_not_an_error(sources):
    balances = balances_until(sources.loan_ledger, sources.loan_events, pd.Timestamp("2023-12-31"))
    table, doubtful = manager_assessment(sources.visits, sources.loan_ledger, balances, pd.Timestamp("2023-12-31"))
    assert table.empty and doubtful.empty and "visit_id" in doubtful


def test_upward_mobility_from_revisit_and_refresh(sources, policy):
    flags = upward_mobility_flags(sources.revisits, sources.list_refresh, sources.base_list, policy)
    by_household = flags.set_index("household_id")
    # H3 left the list at the refresh because it moved away: it left the list but did not rise out of it (跃迁)
    assert set(by_household.index) == {"H2"}
    assert "迁出" in str(sources.list_refresh.set_index("household_id").loc["H3", "reasons"])
    assert by_household.loc["H2", "flagged_on"] == pd.Timestamp("2025-06-15")
    assert "120,000" in by_household.loc["H2", "evidence"]
    assert list(misused_loans(sources.revisits)["loan_id"]) == ["D2"]
