"""Every month-end of the pilot, 2023-08-31 to 2025-12-31, on a simulated county: the report is made, its figures hold
together month to month, and `kuozhong monitor kpi` writes its files (2023-12-31 used to fail with KeyError)."""

import openpyxl
import pandas as pd
import pytest

from monitoring.stage4 import stage4_report
from monitoring.workbook import write_kpi_xlsx
from tests.cli_runner import run_kuozhong

MONTH_ENDS = list(pd.date_range("2023-08-31", "2025-12-31", freq="ME"))
CUMULATIVE = ("households_visited", "households_signed", "households_drawn", "credit_granted", "credit_drawn")


@pytest.fixture(scope="module")
def reports(sources, policy):
    return {day: stage4_report(sources, policy, day) for day in MONTH_ENDS}


def test_every_month_end_has_a_full_report(reports):
    assert len(reports) == 29
    for day, report in reports.items():
        values = report.kpi.table.set_index("key")["实际值"]
        assert report.as_of == day
        assert values.drop(["income_growth_year", "income_growth_pilot"]).notna().all(), day
        by_town = report.kpi.by_township
        assert by_town["贷款余额(万元)"].sum() == pytest.approx(values["loan_balance"], abs=0.05), day
        assert by_town["签约授信家庭(户)"].sum() == values["households_signed"], day
        assert values["households_benefiting"] <= values["households_drawn"] <= values["households_signed"], day
        assert values["interest_saved"] == pytest.approx(round(values["loan_balance"] * 0.038, 2), abs=0.011), day


def test_cumulative_indicators_never_fall(reports):
    frame = pd.DataFrame({day: r.kpi.table.set_index("key")["实际值"] for day, r in reports.items()}).T
    for key in CUMULATIVE:
        assert frame[key].is_monotonic_increasing, key
    # the county lends: by the end of the pilot there are loans and visits to count
    assert frame["households_signed"].iloc[-1] > 0 and frame["households_visited"].iloc[-1] > 0


def test_the_workbook_is_written_for_every_month_end(reports, tmp_path):
    for day, report in reports.items():
        path = write_kpi_xlsx(report, tmp_path / f"{day.date()}.xlsx")
        sheet = openpyxl.load_workbook(path)["成效监测表"]
        assert f"{day.year}年{day.month}月{day.day}日" in str(sheet["D2"].value)


@pytest.mark.parametrize("day", ["2023-08-31", "2023-12-31", "2025-12-31"])
def test_monitor_kpi_command_writes_its_files(day, data_dir, tmp_path, capsys, monkeypatch):
    code, err = run_kuozhong(capsys, monkeypatch, "monitor", "kpi", "--as-of", day, "--data", str(data_dir),
                             "--out", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / f"成效监测表-{day}.xlsx").exists() and (tmp_path / f"成效监测表-{day}.html").exists()
