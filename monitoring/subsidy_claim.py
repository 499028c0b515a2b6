"""The county's monthly subsidy claim table (财政贴息申请表): XLSX and CSV with Chinese headers, and a summary."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from features.files import atomic_path
from monitoring.subsidy import FEN_COLUMNS

CLAIM_HEADERS = {
    "loan_id": "贷款编号", "household_id": "户编号", "product_name": "产品名称", "signed_on": "签约日期",
    "rate": "合同年利率", "days": "计息天数", "average_balance": "日均贷款余额(元)",
    "balance_days": "贷款余额积数(元·天)", "household_interest": "客户支付利息(元)",
    "reference_interest": "按基准利率计利息(元)", "county_subsidy": "县财政贴息(元)",
    "bank_concession": "银行让利(元)", "bank_discount": "银行低于上限优惠(元)",
}
TOTAL_LABEL = "合计"
# how each column of the claim sheet reads in Excel: width in characters and number format
_CLAIM_LAYOUT = {"序号": (6, "0"), "贷款编号": (15, "@"), "户编号": (15, "@"), "产品名称": (12, "@"),
                 "签约日期": (12, "yyyy-mm-dd"), "合同年利率": (11, "0.00%"), "计息天数": (9, "#,##0")}
_AMOUNT = (17, "#,##0.00")
_HEADER_FILL = PatternFill("solid", fgColor="E4EAF4")


def yuan(fen: int) -> Decimal:
    """Exact yuan with two decimals from integer fen."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def claim_rows(month_ledger: pd.DataFrame) -> pd.DataFrame:
    """The subsidised loans of one month, one row each (amounts as exact Decimal yuan), sorted by loan id.

    The signing date is a date and the rate a fraction: the workbook shows them as such, the CSV as text.
    """
    rows = month_ledger[month_ledger["subsidy_eligible"] & (month_ledger["county_subsidy_fen"] > 0)]
    rows = rows.sort_values("loan_id", kind="stable")
    table = pd.DataFrame({
        "loan_id": rows["loan_id"], "household_id": rows["household_id"], "product_name": rows["product_name"],
        "signed_on": pd.to_datetime(rows["signed_on"]).dt.date,
        "rate": rows["rate"].astype(float), "days": rows["days"].astype(int),
        "average_balance": [yuan(round(b / d)) for b, d in zip(rows["balance_fen_days"], rows["days"], strict=True)],
        "balance_days": rows["balance_fen_days"].map(yuan),
    })
    for column in FEN_COLUMNS:
        table[column.removesuffix("_fen")] = rows[column].map(yuan)
    return table.reset_index(drop=True)


def summary(month: str, month_ledger: pd.DataFrame, clawback: pd.DataFrame | None = None) -> dict:
    """Totals for the month (yuan, exact to the fen), loan counts, exclusions by reason and the reconciliation.

    ``clawback`` (``monitoring.subsidy.clawbacks``): subsidy of loans found misused this month, to take back; the
    county's net payment for the month is its subsidy less the clawback.
    """
    clawed = int(clawback["clawback_fen"].sum()) if clawback is not None and len(clawback) else 0
    subsidised = month_ledger[month_ledger["subsidy_eligible"]]
    totals = {c.removesuffix("_fen"): int(subsidised[c].sum()) for c in FEN_COLUMNS}
    parts = (totals["household_interest"] + totals["county_subsidy"] + totals["bank_concession"]
             + totals["bank_discount"])
    excluded = month_ledger[~month_ledger["subsidy_eligible"]]
    return {
        "month": month, "loans_accruing": int(month_ledger["loan_id"].nunique()),
        "loans_subsidised": int(subsidised["loan_id"].nunique()),
        "loans_excluded": {str(k): int(v) for k, v in excluded["eligibility_reason"].value_counts().items()},
        "totals_yuan": {k: str(yuan(v)) for k, v in totals.items()},
        "reconciles": parts == totals["reference_interest"],
        "clawback_yuan": str(yuan(clawed)),
        "clawback_loans": 0 if clawback is None else int(len(clawback)),
        "net_county_subsidy_yuan": str(yuan(totals["county_subsidy"] - clawed)),
        "reconciliation": "客户支付利息 + 县财政贴息 + 银行让利 + 银行低于上限优惠 = 按基准利率计利息（逐笔逐月到分）",
    }


def _with_total(rows: pd.DataFrame) -> pd.DataFrame:
    total: dict[str, object] = {c: "" for c in rows.columns}
    total["loan_id"] = TOTAL_LABEL
    total["days"] = int(rows["days"].sum()) if len(rows) else 0
    for column in ("balance_days", *(c.removesuffix("_fen") for c in FEN_COLUMNS)):
        total[column] = sum(rows[column], Decimal("0.00"))
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def _header(sheet: Worksheet, row: int) -> None:
    """A header row as the finance bureau's forms have it: bold, shaded, wrapped, and frozen above the rows."""
    for cell in sheet[row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = f"A{row + 1}"


def _lay_out_claim(sheet: Worksheet, columns: list[str]) -> None:
    """Title across the table, a frozen header, readable widths, dates as dates, rates as %, yuan to the fen."""
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    _header(sheet, 2)
    sheet.freeze_panes = "C3"  # the loan number stays in view while scrolling right
    sheet.row_dimensions[2].height = 32
    for index, name in enumerate(columns, start=1):
        width, number_format = _CLAIM_LAYOUT.get(name, _AMOUNT)
        sheet.column_dimensions[get_column_letter(index)].width = width
        for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
            if cell.value not in (None, ""):
                cell.number_format = number_format
    if sheet.cell(row=sheet.max_row, column=2).value == TOTAL_LABEL:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)


def _lay_out_totals(sheet: Worksheet) -> None:
    """The summary sheet: counts as whole numbers, yuan to the fen."""
    _header(sheet, 1)
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 18
    for label, value in sheet.iter_rows(min_row=2, max_col=2):
        if isinstance(value.value, float):
            value.number_format = "#,##0.00"
        elif isinstance(value.value, int):
            value.number_format = "#,##0"
        label.alignment = Alignment(wrap_text=True)


def write_claim(month: str, month_ledger: pd.DataFrame, out: Path, clawback: pd.DataFrame | None = None
                ) -> dict[str, Path]:
    """Write ``贴息申请表_YYYY-MM.xlsx``/``.csv`` and ``贴息汇总_YYYY-MM.json`` to ``out``, each via a rename."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = _with_total(claim_rows(month_ledger)).rename(columns=CLAIM_HEADERS)
    table.insert(0, "序号", [*range(1, len(table)), ""])
    info = summary(month, month_ledger, clawback)
    paths = {"xlsx": out / f"贴息申请表_{month}.xlsx", "csv": out / f"贴息申请表_{month}.csv",
             "summary": out / f"贴息汇总_{month}.json"}

    csv_table = table.map(lambda v: f"{v:.2f}" if isinstance(v, Decimal) else v.isoformat()
                          if isinstance(v, dt.date) else v)
    csv_table["合同年利率"] = table["合同年利率"].map(lambda r: f"{r:.2%}" if isinstance(r, float) else r)

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "贴息申请表"
    sheet.append([f"嵊泗县财金助力扩中家庭项目 财政贴息申请表（{month}）"])
    sheet.append(list(table.columns))
    for record in table.itertuples(index=False):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in record])
    _lay_out_claim(sheet, list(table.columns))
    totals = book.create_sheet("汇总")
    totals.append(["项目", "金额（元）/ 笔数"])
    labels = {"household_interest": "客户支付利息", "reference_interest": "按基准利率计利息",
              "county_subsidy": "县财政贴息", "bank_concession": "银行让利", "bank_discount": "银行低于上限优惠"}
    for key, label in labels.items():
        totals.append([label, float(Decimal(info["totals_yuan"][key]))])
    totals.append(["计息贷款笔数", info["loans_accruing"]])
    totals.append(["贴息贷款笔数", info["loans_subsidised"]])
    for reason, count in info["loans_excluded"].items():
        totals.append([f"不予贴息：{reason}", count])
    totals.append(["逐笔核对", "一致" if info["reconciles"] else "不一致"])
    totals.append(["追回贴息（贷款违规使用）", float(Decimal(info["clawback_yuan"]))])
    totals.append(["追回笔数", info["clawback_loans"]])
    totals.append(["本月县财政应拨贴息（贴息−追回）", float(Decimal(info["net_county_subsidy_yuan"]))])
    _lay_out_totals(totals)
    if clawback is not None and len(clawback):
        back = book.create_sheet("追回贴息")
        back.append(["贷款编号", "户编号", "违规认定日期", "已贴息月数", "追回金额(元)"])
        for rec in clawback.itertuples(index=False):
            back.append([rec.loan_id, rec.household_id, pd.Timestamp(rec.found_on).date(), int(rec.months),
                         float(yuan(rec.clawback_fen))])
            back.cell(row=back.max_row, column=3).number_format = "yyyy-mm-dd"
            back.cell(row=back.max_row, column=5).number_format = "#,##0.00"
        _header(back, 1)
        for column, width in zip("ABCDE", (15, 15, 14, 12, 16), strict=True):
            back.column_dimensions[column].width = width

    # All three are written to temporary names before any is renamed; the renames run in the order of ``paths``
    # (the stack unwinds last-in first), so the summary appears last.
    with ExitStack() as stack:
        tmp = {key: stack.enter_context(atomic_path(path)) for key, path in reversed(paths.items())}
        csv_table.to_csv(tmp["csv"], index=False, encoding="utf-8-sig")
        book.save(tmp["xlsx"])
        tmp["summary"].write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths
