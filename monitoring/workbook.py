"""The 成效监测表 as the monthly government form (openpyxl), a sheet per breakdown and per follow-up list.

Title, 填报单位, 统计截止日, 计量单位, 序号, 合计, percentages, 万元 with two decimals, dates as dates, 填表人/审核人.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from features.files import atomic_path
from monitoring.kpi import breakdown_total, double_count_notes
from monitoring.stage4 import Stage4Report

TITLE = "财金助力扩中家庭项目成效监测表"
REPORTING_UNIT = "浙江嵊泗农商银行股份有限公司"
UNITS = "户、个、万元、%"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
FORMATS = {"万元": "#,##0.00", "户": "#,##0", "个": "#,##0", "%": "0.0", "元": "#,##0.00", "天": "#,##0"}


def _date_text(day: pd.Timestamp) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _head(sheet: Worksheet, title: str, report: Stage4Report, width: int, units: str) -> int:
    """Title, 填报单位 / 统计截止日 / 计量单位; returns the header row's number."""
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = _CENTRE
    sheet.row_dimensions[1].height = 30
    scope = report.kpi.scope.label()
    sheet.append([f"填报单位：{REPORTING_UNIT}", None, None, f"统计截止日：{_date_text(report.as_of)}",
                  None, f"计量单位：{units}" + ("" if scope == "全县" else f"　范围：{scope}")])
    for first, last in ((1, 3), (4, 5), (6, max(6, width))):
        sheet.merge_cells(start_row=2, start_column=first, end_row=2, end_column=last)
    return 3


def _table(sheet: Worksheet, row: int, headers: list[str], records: list[list[object]],
           formats: dict[int, str], total: list[object] | None = None) -> int:
    """Header, rows and an optional 合计 line with borders and formats; returns the next free row."""
    for col, name in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=col, value=name)
        cell.font, cell.alignment, cell.border = Font(bold=True), _CENTRE, _BOX
    sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
    lines = [*records, total] if total is not None else records
    for r, values in enumerate(lines, start=row + 1):
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=col, value=_cell(value))
            cell.border, cell.alignment = _BOX, _WRAP
            if col in formats:
                cell.number_format = formats[col]
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm" if cell.value.time() != dt.time() else "yyyy-mm-dd"
        if total is not None and r == row + len(lines):
            for col in range(1, len(headers) + 1):
                sheet.cell(row=r, column=col).font = Font(bold=True)
    return row + len(lines) + 1


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def _foot(sheet: Worksheet, row: int, notes: list[str]) -> None:
    width = max(sheet.max_column, 6)
    for note in notes:
        sheet.cell(row=row, column=1, value=note)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    for first, last, text in ((1, 2, "填表人："), (3, 4, "审核人："), (5, width, "填报日期：　　年　　月　　日")):
        sheet.cell(row=row + 1, column=first, value=text)
        sheet.merge_cells(start_row=row + 1, start_column=first, end_row=row + 1, end_column=last)


def _widths(sheet: Worksheet, widths: list[float]) -> None:
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _indicator_sheet(sheet: Worksheet, report: Stage4Report) -> None:
    table = report.kpi.table
    row = _head(sheet, TITLE, report, 8, UNITS)
    headers = ["序号", "指标", "单位", "本期实际值", "年度目标值", "完成率", "口径说明", "备注"]
    records = [[r.序号, r.指标, r.单位, r.实际值, r.年度目标, r.完成率, r.口径说明, r.备注]
               for r in table.itertuples(index=False)]
    end = _table(sheet, row, headers, records, {6: "0.0%"})
    for r, unit in enumerate(table["单位"], start=row + 1):
        for col in (4, 5):
            sheet.cell(row=r, column=col).number_format = FORMATS[unit]
    _widths(sheet, [6, 30, 6, 13, 13, 9, 48, 36])
    _foot(sheet, end + 1, ["注：完成率＝本期实际值÷年度目标值；年度目标为附件1所列至当年末累计目标（撬动产业资金为试点期目标）。"])


def _breakdown_sheet(sheet: Worksheet, report: Stage4Report, frame: pd.DataFrame, what: str) -> None:
    row = _head(sheet, f"{TITLE}（分{what}）", report, len(frame.columns) + 1, "户、万元")
    headers = ["序号", *frame.columns]
    records = [[i, *values] for i, values in enumerate(frame.itertuples(index=False, name=None), start=1)]
    totals = breakdown_total(frame)
    total: list[object] = ["", "合计", *totals.values()]
    formats = {c: ("#,##0.00" if "万元" in h else "#,##0") for c, h in enumerate(headers, start=1) if "(" in h}
    end = _table(sheet, row, headers, records, formats, total)
    _widths(sheet, [6, 16, *([14] * (len(frame.columns) - 1))])
    _foot(sheet, end + 1, double_count_notes(report.kpi, totals, what))


def _list_sheet(sheet: Worksheet, report: Stage4Report, name: str, frame: pd.DataFrame) -> None:
    row = _head(sheet, f"{TITLE}（{name}）", report, len(frame.columns) + 1, "元、天")
    headers = ["序号", *frame.columns]
    records = [[i, *values] for i, values in enumerate(frame.itertuples(index=False, name=None), start=1)]
    formats = {c: "#,##0.00" for c, h in enumerate(headers, start=1) if "(元)" in h}
    end = _table(sheet, row, headers, records, formats)
    _widths(sheet, [6, *[max(12.0, min(60.0, 2.2 * len(h) + 6)) for h in frame.columns]])
    _foot(sheet, end + 1, [f"共{len(frame)}条。"])


def _subsidy_sheet(sheet: Worksheet, report: Stage4Report) -> None:
    progress = report.subsidy
    row = _head(sheet, f"{TITLE}（贴息资金使用进度）", report, 6, "元")
    headers = ["序号", "月份", "申请贴息(元)", "其中已扣追回(元)", "财政审核(元)", "财政拨付(元)"]
    months = progress.months
    records = [[i, r.month, r.claimed, r.clawed_back, r.approved, r.paid]
               for i, r in enumerate(months.itertuples(index=False), start=1)]
    recorded = progress.approved is not None
    total = ["", "合计", progress.claimed, float(months["clawed_back"].sum()) if len(months) else 0.0,
             progress.approved, progress.paid]
    end = _table(sheet, row, headers, records, dict.fromkeys(range(3, 7), "#,##0.00"), total)
    sheet.cell(row=end, column=2, value=f"{progress.year}年预算")
    sheet.cell(row=end, column=3, value=progress.budget).number_format = "#,##0.00"
    sheet.cell(row=end + 1, column=2, value="申请占预算")
    share = progress.share(progress.claimed)
    sheet.cell(row=end + 1, column=3, value=share).number_format = "0.0%"
    _widths(sheet, [6, 14, 16, 18, 16, 16])
    _foot(sheet, end + 3, [] if recorded else ["注：财政审核、拨付记录（subsidy_payments）尚未录入。"])


def write_kpi_xlsx(report: Stage4Report, path: Path) -> Path:
    """The 成效监测表 workbook: the indicator form, one sheet per breakdown, the follow-up lists and the 贴息 progress."""
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "成效监测表"
    _indicator_sheet(first, report)
    for what, frame in (("乡镇", report.kpi.by_township), ("客户经理", report.kpi.by_manager),
                        ("产品", report.kpi.by_product)):
        _breakdown_sheet(book.create_sheet(f"分{what}"), report, frame, what)
    _subsidy_sheet(book.create_sheet("贴息资金使用进度"), report)
    for name, frame in report.sheets().items():
        _list_sheet(book.create_sheet(name), report, name, frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path
