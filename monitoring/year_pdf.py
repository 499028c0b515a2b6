"""The year-end report as a PDF (fpdf2): A4, numbered headings in the outline, tables, charts, 第 X 页 共 Y 页.

Chinese is embedded from the packaged CJK font (``training.fonts``), cut to the characters the report uses.
"""

from __future__ import annotations

import datetime as dt
import io

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from features.errors import KuozhongError
from monitoring.year_layout import Figure, Heading, Paragraph, Table, YearReport
from training.fonts import FontUnavailable, font_for

FONT = "cjk"
MARGIN = 20.0
WIDTH = 210.0 - 2 * MARGIN  # A4 less the margins
BOTTOM = 297.0 - 18.0  # lowest y a block may reach
_HEAD = FontFace(emphasis="", fill_color=(228, 234, 244))
_TOTAL = FontFace(emphasis="", fill_color=(243, 243, 243))
_INK = (30, 30, 30)
_NAVY = (40, 70, 120)
_CLOSING = set("，。；：、！？）》”’」』％%,.;:)")  # never at the start of a line
_OPENING = set("（《“‘「『(")


class ReportFontError(KuozhongError):
    """No CJK font to embed, so the Chinese report cannot be drawn."""


class _ReportPDF(FPDF):
    running_title = ""

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT, size=8)
            self.set_text_color(120, 120, 120)
            self.cell(WIDTH, 6, self.running_title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(2)
            self.set_text_color(*_INK)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=8.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"第 {self.page_no()} 页　共 {{nb}} 页", align="C")
        self.set_text_color(*_INK)


def _heading(pdf: FPDF, block: Heading) -> None:
    size = 14.0 if block.level == 1 else 11.5
    if block.new_page or pdf.get_y() > BOTTOM - 45:  # a heading never stands alone at the foot of a page
        pdf.add_page()
    pdf.ln(4 if block.level == 1 else 2)
    pdf.start_section(block.text, level=block.level - 1)
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*(_NAVY if block.level == 1 else _INK))
    pdf.multi_cell(WIDTH, size * 0.5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.ln(1.5)


def _glued(char: str) -> bool:
    """Part of a run of digits or Latin letters ("4,100.00", "AM003") that a line break must not split."""
    return char.isascii() and (char.isalnum() or char in ",.")


def _lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """Text broken into lines as Chinese is set.

    Closing punctuation never starts a line (it hangs at the end of the line before), an opening bracket never ends
    one, and a run of digits or Latin letters is not split.
    """
    lines: list[str] = []
    start = 0
    while start < len(text):
        end = start + 1
        while end < len(text) and pdf.get_string_width(text[start:end + 1]) <= width:
            end += 1
        if end < len(text):
            cut = end
            while cut > start + 1 and _glued(text[cut - 1]) and _glued(text[cut]):
                cut -= 1
            while cut > start + 1 and text[cut - 1] in _OPENING:
                cut -= 1
            end = cut if cut > start + 1 else end
            while end < len(text) and text[end] in _CLOSING:
                end += 1
        lines.append(text[start:end])
        start = end
    return lines


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    pdf.set_font(FONT, size=8.5 if block.note else 10.5)
    pdf.set_text_color(*((100, 100, 100) if block.note else _INK))
    text = block.text if block.note else f"　　{block.text}"
    height = 4.6 if block.note else 6.2
    for line in _lines(pdf, text, WIDTH):
        pdf.cell(WIDTH, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.ln(1.5)


def _table(pdf: FPDF, block: Table) -> None:
    if pdf.get_y() > BOTTOM - 30:
        pdf.add_page()
    pdf.set_font(FONT, size=9.5)
    pdf.cell(WIDTH, 6, block.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    size = 8.0 if len(block.header) <= 6 else 7.2
    pdf.set_font(FONT, size=size)
    scale = WIDTH / sum(block.widths)
    with pdf.table(col_widths=tuple(w * scale for w in block.widths), width=WIDTH, line_height=size * 0.55,
                   text_align="LEFT", wrapmode=WrapMode.CHAR, headings_style=_HEAD, padding=1.0,
                   align="LEFT", v_align="MIDDLE", repeat_headings=1) as table:
        head = table.row()
        for text in block.header:
            head.cell(text, align="C")
        for k, values in enumerate(block.rows):
            row = table.row()
            style = _TOTAL if block.total and k == len(block.rows) - 1 else None
            for text, numeric in zip(values, block.numeric, strict=True):
                row.cell(text, align="R" if numeric else "L", style=style)
    pdf.ln(3)


def _figure(pdf: FPDF, block: Figure) -> None:
    with Image.open(io.BytesIO(block.png)) as image:
        width_px, height_px = image.size
    width = min(WIDTH, width_px * 0.2)  # charts come at 100 dpi: 0.254 mm a pixel, drawn a little smaller
    height = width * height_px / width_px
    room = BOTTOM - pdf.get_y() - 8
    if height > room:  # shrink a little to stay under its text, or start a page
        if room >= 0.75 * height:
            width, height = width * room / height, room
        else:
            pdf.add_page()
    pdf.image(io.BytesIO(block.png), x=MARGIN + (WIDTH - width) / 2, w=width, h=height, alt_text=block.caption)
    pdf.set_font(FONT, size=9)
    pdf.cell(WIDTH, 6, block.caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def pdf_bytes(report: YearReport) -> bytes:
    """The report as PDF bytes, dated the report's day (the same report, the same document)."""
    try:
        font = font_for(report.text() + "第页共0123456789")
    except FontUnavailable as err:
        raise ReportFontError(f"field 'KUOZHONG_CJK_FONT': {err} / 未找到可嵌入的中文字体", rule="CJK font") from err
    pdf = _ReportPDF(format="A4")
    pdf.set_creation_date(dt.datetime.combine(report.as_of.date(), dt.time(), tzinfo=dt.UTC))
    pdf.set_margins(MARGIN, 18, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", str(font))
    pdf.running_title = report.title
    pdf.set_title(report.title)
    pdf.set_creator("kuozhong")
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.ln(6)
    pdf.set_font(FONT, size=18)
    pdf.multi_cell(WIDTH, 10, report.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10.5)
    for line in (report.subtitle, report.byline):
        pdf.cell(WIDTH, 7, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    draw = {Heading: _heading, Paragraph: _paragraph, Table: _table, Figure: _figure}
    for block in report.blocks:
        draw[type(block)](pdf, block)  # type: ignore[operator]
    return bytes(pdf.output())
