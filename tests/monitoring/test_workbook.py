"""The 成效监测表 workbook read back as a clerk would: the form's head, formats, 合计 lines, dates and signatures."""

import datetime as dt
import re

import openpyxl
import pandas as pd
import pytest

from monitoring.stage4 import stage4_report
from monitoring.workbook import REPORTING_UNIT, TITLE, write_kpi_xlsx
from tests.monitoring.hand_made import hand_made_sources

AS_OF = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="module")
def book(policy, tmp_path_factory):
    report = stage4_report(hand_made_sources(), policy, AS_OF)
    path = write_kpi_xlsx(report, tmp_path_factory.mktemp("wb") / "成效监测表.xlsx")
    return openpyxl.load_workbook(path), report


def _rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_form_has_its_head_units_and_signature_lines(book):
    wb, _ = book
    sheet = wb["成效监测表"]
    assert sheet["A1"].value == TITLE and "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == f"填报单位：{REPORTING_UNIT}"
    assert sheet["D2"].value == "统计截止日：2025年6月30日" and sheet["F2"].value.startswith("计量单位：")
    assert [c.value for c in sheet[3]] == ["序号", "指标", "单位", "本期实际值", "年度目标值", "完成率", "口径说明", "备注"]
    text = [str(v) for row in _rows(sheet) for v in row if v is not None]
    assert any(v.startswith("填表人") for v in text) and any(v.startswith("审核人") for v in text)
    assert sheet.column_dimensions["B"].width >= 20


def test_figures_are_typed_cells_with_the_forms_formats(book):
    wb, report = book
    sheet = wb["成效监测表"]
    rows = {sheet.cell(row=r, column=2).value: r for r in range(4, 4 + len(report.kpi.table))}
    balance = rows["各项贷款余额"]
    assert sheet.cell(row=balance, column=4).value == 11.0 and sheet.cell(row=balance, column=4).number_format == "#,##0.00"
    assert sheet.cell(row=balance, column=5).value == 5000.0
    done = sheet.cell(row=balance, column=6)
    assert done.number_format == "0.0%" and done.value == pytest.approx(110_000 / 50_000_000, abs=1e-4)
    visited = rows["走访、建档扩中家庭"]
    assert sheet.cell(row=visited, column=1).value == "2" and sheet.cell(row=visited, column=4).number_format == "#,##0"


def test_breakdown_sheets_have_serial_numbers_and_a_total(book):
    wb, report = book
    sheet = wb["分乡镇"]
    header = [c.value for c in sheet[3]]
    assert header[:2] == ["序号", "乡镇"]
    body = [r for r in _rows(sheet)[3:] if r[1] is not None and r[1] != "合计" and isinstance(r[0], int)]
    assert [r[0] for r in body] == list(range(1, len(body) + 1))
    total = next(r for r in _rows(sheet) if r[1] == "合计")
    column = header.index("贷款余额(万元)")
    assert total[column] == pytest.approx(sum(r[column] for r in body)) == report.kpi.value("loan_balance")
    assert {"分客户经理", "分产品", "贴息资金使用进度", "应回访清单", "贷款违规使用"} <= set(wb.sheetnames)


def test_lists_hold_dates_as_dates_and_chinese_values(book):
    wb, _ = book
    sheet = wb["贷款违规使用"]
    header = [c.value for c in sheet[3]]
    row = [c for c in sheet[4]]
    found = row[header.index("认定日期")]
    assert isinstance(found.value, dt.datetime) and found.number_format == "yyyy-mm-dd"
    for name in ("申报用途", "实际用途", "处理"):
        assert not re.search(r"[A-Za-z]", row[header.index(name)].value)
    visits = wb["存疑走访"]
    when = visits.cell(row=4, column=[c.value for c in visits[3]].index("走访时间") + 1)
    assert isinstance(when.value, dt.datetime) and "00:00:00" not in when.number_format


def _shown(cell) -> str:
    """A cell's value as a spreadsheet shows it with its number format."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M" if "hh" in cell.number_format else "%Y-%m-%d")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if cell.number_format == "0.0%":
            return f"{value:.1%}"
        if cell.number_format == "#,##0.00":
            return f"{value:,.2f}"
        if cell.number_format == "#,##0":
            return f"{value:,.0f}"
        if cell.number_format == "0.0":
            return f"{value:.1f}"
    return str(value)


def test_a_screenshot_of_the_form_as_a_clerk_sees_it(policy, tmp_path):
    # given the form of a simulated-looking day, laid out cell by cell with the workbook's merges, widths and formats
    from playwright.sync_api import sync_playwright

    from tests.serving.web.test_officer import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

    report = stage4_report(hand_made_sources(), policy, AS_OF)
    sheet = openpyxl.load_workbook(write_kpi_xlsx(report, tmp_path / "form.xlsx"))["成效监测表"]
    merged = {str(r).split(":")[0]: r.max_col - r.min_col + 1 for r in sheet.merged_cells.ranges}
    widths = [sheet.column_dimensions[chr(65 + i)].width or 10 for i in range(sheet.max_column)]
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            if not hasattr(cell, "column_letter"):  # covered by a merge
                continue
            span = merged.get(cell.coordinate, 1)
            bold = " style='font-weight:bold'" if cell.font and cell.font.bold else ""
            border = " class='b'" if cell.border and cell.border.left and cell.border.left.style else ""
            cells.append(f"<td colspan='{span}'{border}{bold}>{_shown(cell)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cols = "".join(f"<col style='width:{w * 7.5:.0f}px'>" for w in widths)
    page_html = ("<html><head><meta charset='utf-8'><style>body{font-family:'Noto Sans CJK SC',sans-serif;"
                 "font-size:12px}table{border-collapse:collapse;table-layout:fixed}td{padding:2px 4px;"
                 "vertical-align:middle}td.b{border:1px solid #808080}tr:first-child td{font-size:20px;"
                 "text-align:center}</style></head><body><table>" + cols + "".join(rows) + "</table></body></html>")
    (tmp_path / "form.html").write_text(page_html, encoding="utf-8")
    # when it is opened in the browser
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 900}, locale="zh-CN")
        page.goto((tmp_path / "form.html").as_uri())
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "workbook-成效监测表.png"), full_page=True)
        text = page.locator("body").inner_text()
        browser.close()
    # then the clerk reads the title, the day, percentages and 万元 with two decimals
    assert TITLE in text and "2025年6月30日" in text and "0.2%" in text and "11.00" in text and "填表人" in text


def test_the_progress_chart_keeps_the_indicators_names_inside_the_picture(policy):
    import io

    import numpy as np
    from PIL import Image

    from monitoring.report import kpi_charts

    # given the report's progress chart (indicators with long Chinese names on the left)
    report = stage4_report(hand_made_sources(), policy, AS_OF)
    picture = np.asarray(Image.open(io.BytesIO(kpi_charts(report.kpi)["progress"])).convert("L"))
    # then no name is cut at the picture's left edge: the first columns hold no ink
    assert picture.shape[0] > 100 and (picture[:, :4] > 200).all()
