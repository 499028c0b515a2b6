"""The year-end report's building blocks (headings, paragraphs, tables, charts) and how its figures are printed.

The content is laid out once as these blocks (``monitoring.year_report``); the PDF and DOCX renderers draw the
same blocks, so the two files say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from monitoring.stage4 import Stage4Report

_UNIT = re.compile(r"\((万元|元|户|%)\)$")


@dataclass(frozen=True)
class Heading:
    """A numbered heading: level 1 (一、) or 2 (（一）); ``new_page`` starts it on a page of its own (an appendix)."""

    level: int
    text: str
    new_page: bool = False


@dataclass(frozen=True)
class Paragraph:
    """Body text; ``note`` for the small print under a table or chart."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Table:
    """A table with Chinese headers, every cell already formatted as the reader sees it."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative column widths
    numeric: tuple[bool, ...]  # right-aligned columns
    total: bool = False  # the last row is a 合计 line


@dataclass(frozen=True)
class Figure:
    """A chart (PNG) with its caption."""

    png: bytes
    caption: str


Block = Heading | Paragraph | Table | Figure


@dataclass(frozen=True)
class YearReport:
    """The year-end report's content: title, the day it stands at, and its blocks in order."""

    year: int
    as_of: pd.Timestamp
    complete: bool  # False: the year is still in progress and the figures stand at ``as_of``
    stage4: Stage4Report
    blocks: tuple[Block, ...]
    issuer: str  # 报送单位
    addressee: str  # 报送对象

    @property
    def title(self) -> str:
        """The report's title."""
        return f"财金助力扩中家庭项目{self.year}年度试点总结报告"

    @property
    def subtitle(self) -> str:
        """The day the figures stand at, said as the year's end or as 截至 a day of a year in progress."""
        day = date_text(self.as_of)
        return f"统计截止日：{day}" if self.complete else f"（{self.year}年度尚未结束，数据截至{day}）"

    @property
    def byline(self) -> str:
        """Who reports to whom."""
        return f"报送单位：{self.issuer}　　报送：{self.addressee}"

    def text(self) -> str:
        """Every word of the report (for the embedded font's character set and for checks)."""
        parts = [self.title, self.subtitle, self.byline]
        for block in self.blocks:
            if isinstance(block, Heading | Paragraph):
                parts.append(block.text)
            elif isinstance(block, Table):
                parts += [block.title, *block.header, *(text for row in block.rows for text in row)]
            else:
                parts.append(block.caption)
        return "\n".join(parts)


def date_text(day: pd.Timestamp) -> str:
    """A day as Chinese documents write it: 2024年12月31日."""
    return f"{day.year}年{day.month}月{day.day}日"


def number(value: object, unit: str) -> str:
    """A figure as printed: 万元 and 元 with two decimals and thousands separators, % with one decimal, counts whole."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    v = float(value)  # type: ignore[arg-type]
    if unit in ("万元", "元"):
        return f"{v:,.2f}"
    if unit == "%":
        return f"{v:.1f}%"
    return f"{v:,.0f}"


def share(value: object) -> str:
    """A fraction as a percentage with one decimal ("—" when there is none)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return f"{float(value):.1%}"  # type: ignore[arg-type]


def frame_table(title: str, frame: pd.DataFrame, widths: tuple[float, ...] | None = None) -> Table:
    """A stage-4 list or breakdown (Chinese headers) as a numbered table: dates as days, figures by their column's unit.

    The unit is read from the header ("贷款余额(万元)", "签约金额(元)"); a number column without one prints whole
    numbers as counts and other numbers with two decimals.
    """
    columns = [str(c) for c in frame.columns]
    units = [column_unit(frame[c], c) for c in frame.columns]
    rows = tuple((str(i), *(cell(v, u) for v, u in zip(values, units, strict=True)))
                 for i, values in enumerate(frame.itertuples(index=False, name=None), start=1))
    header = ("序号", *columns)
    return Table(title, header, rows, widths or tuple(_width(h) for h in header),
                 (True, *(u is not None for u in units)))


def column_unit(values: pd.Series, header: str) -> str | None:
    """The unit a column's figures print in (None: not a number column)."""
    found = _UNIT.search(header)
    numbers = pd.to_numeric(values, errors="coerce") if values.dtype == object else values
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(numbers):
        return found.group(1) if found else None
    if found:
        return found.group(1)
    whole = numbers.dropna()
    return "户" if (whole % 1 == 0).all() else "元"


def _width(header: str) -> float:
    return 0.7 if header == "序号" else 1.0 if len(header) <= 6 else 1.3


def cell(value: object, unit: str | None) -> str:
    """One value as the table prints it: a day, a time, a figure in its unit, or the text; "—" for nothing."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M")
    if unit is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, unit)
    return str(value)
