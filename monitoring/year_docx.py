"""The year-end report as a Word document (python-docx) the 工作专班 edits: real heading styles, tables, page numbers.

Headings use Word's own 标题 1 / 标题 2 styles (so the navigation pane and a table of contents find them), body text
the 正文 style, tables the grid style with a repeated, shaded header row; the footer holds 第 X 页 共 Y 页 as fields.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from monitoring.year_layout import Figure, Heading, Paragraph, Table, YearReport

BODY_FONT, HEADING_FONT = "宋体", "黑体"
TEXT_WIDTH_CM = 16.0  # A4 less 2.5 cm margins


def _font(style: ParagraphStyle, east_asian: str, size: float, colour: RGBColor | None = None) -> None:
    style.font.name = "Times New Roman"
    style.font.size = Pt(size)
    style.font.color.rgb = colour or RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _styles(doc: DocxDocument) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _font(normal, BODY_FONT, 11)
    normal.paragraph_format.line_spacing = 1.3
    for name, size in (("Title", 18), ("Heading 1", 15), ("Heading 2", 13)):
        style = styles[name]
        assert isinstance(style, ParagraphStyle)
        _font(style, HEADING_FONT, size)
        style.font.bold = name != "Title"
        style.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
        style.paragraph_format.space_after = Pt(6)
    title = styles["Title"]
    assert isinstance(title, ParagraphStyle)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.element.get_or_add_pPr()  # the template's bottom border under the title stays; only fonts change


def _field(paragraph: DocxParagraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the pages out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), code)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _footer(doc: DocxDocument) -> None:
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("第 ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" 页　共 ")
    _field(paragraph, "NUMPAGES")
    paragraph.add_run(" 页")


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(doc: DocxDocument, block: Table) -> None:
    caption = doc.add_paragraph(block.title)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=len(block.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    scale = TEXT_WIDTH_CM / sum(block.widths)
    table.autofit = False  # Word and LibreOffice keep the grid's widths only when the table does not autofit
    for column, width in zip(table.columns, block.widths, strict=True):
        column.width = Cm(width * scale)
    size = Pt(9 if len(block.header) <= 6 else 8)
    header = table.rows[0]
    header_props = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page the table runs over
    repeat.set(qn("w:val"), "true")
    header_props.append(repeat)
    for k, values in enumerate([block.header, *block.rows]):
        cells = header.cells if k == 0 else table.add_row().cells
        last = k == len(block.rows)
        for cell, text, width, numeric in zip(cells, values, block.widths, block.numeric, strict=True):
            cell.width = Cm(width * scale)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.line_spacing = 1.0
            paragraph.alignment = (WD_ALIGN_PARAGRAPH.CENTER if k == 0 else
                                   WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT)
            run = paragraph.add_run(text)
            run.font.size = size
            run.bold = k == 0 or (block.total and last)
            if k == 0:
                _shade(cell, "E4EAF4")
    doc.add_paragraph()


def _figure(doc: DocxDocument, block: Figure) -> None:
    doc.add_picture(io.BytesIO(block.png), width=Cm(TEXT_WIDTH_CM))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    caption = doc.add_paragraph(block.caption)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _paragraph(doc: DocxDocument, block: Paragraph) -> None:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(block.text)
    if block.note:
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(90, 90, 90)
    else:
        paragraph.paragraph_format.first_line_indent = Pt(22)  # two characters, as Chinese documents indent


def docx_bytes(report: YearReport) -> bytes:
    """The report as DOCX bytes, its properties dated the report's day."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2.2)
    _styles(doc)
    _footer(doc)
    props = doc.core_properties
    props.title, props.author, props.language = report.title, report.issuer, "zh-CN"
    day = dt.datetime.combine(report.as_of.date(), dt.time())
    props.created = props.modified = day
    doc.add_paragraph(report.title, style="Title")
    for line in (report.subtitle, report.byline):
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for block in report.blocks:
        if isinstance(block, Heading):
            heading = doc.add_heading(block.text, level=block.level)
            heading.paragraph_format.page_break_before = block.new_page
        elif isinstance(block, Paragraph):
            _paragraph(doc, block)
        elif isinstance(block, Table):
            _table(doc, block)
        else:
            _figure(doc, block)
    out = io.BytesIO()
    doc.save(out)
    return _dated_zip(out.getvalue(), day)


def _dated_zip(data: bytes, day: dt.datetime) -> bytes:
    """The package with every member dated the report's day, so the same report gives the same bytes."""
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            dated = zipfile.ZipInfo(member.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            dated.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(dated, source.read(member.filename))
    return packed.getvalue()
