"""The 最终名单 as an XLSX file with Chinese headers, identity masked, for county and township staff."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

# (column key, Chinese header, width)
COLUMNS = (("list_version", "名单版本", 10), ("effective_on", "生效日期", 12), ("township", "乡镇", 10),
           ("batch_no", "批次号", 18), ("household_id", "家庭编号", 16), ("name", "户主姓名（脱敏）", 14),
           ("id_number", "身份证号（脱敏）", 22), ("list_status_zh", "名单状态", 10), ("kind_zh", "来源", 10),
           ("lent_zh", "边审核边放款", 14))
KIND_ZH = {"visits": "走访待审核名单", "supplement": "补充名单"}


def _cell(key: str, value: Any) -> Any:
    """The effective date as a date cell (a clerk sorts and filters on it); everything else as it is."""
    if key == "effective_on" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def final_list_xlsx(rows: Sequence[dict[str, Any]], version: int | None = None) -> bytes:
    """The workbook's bytes: one sheet 最终名单, a header row, one row per household."""
    book = Workbook()
    sheet = book.create_sheet("最终名单", 0)
    for other in book.sheetnames[1:]:
        del book[other]
    sheet.append([header for _, header, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = row | {"kind_zh": KIND_ZH.get(row.get("kind", ""), row.get("kind", "")),
                        "lent_zh": "是" if row.get("lent_while_reviewing") else "否"}
        sheet.append([_cell(key, values.get(key)) for key, _, _ in COLUMNS])
        sheet.cell(row=sheet.max_row, column=2).number_format = "yyyy-mm-dd"
    for k, (_, _, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + k)].width = width
    sheet.freeze_panes = "A2"
    book.properties.title = f"最终名单 第{version}版" if version else "最终名单（最新版）"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
