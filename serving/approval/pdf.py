"""The approval file as a PDF (fpdf2): the same content as the HTML page, Chinese embedded from a packaged font."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from models.decision.builder import Decision
from models.policy import Policy
from serving.approval.view import ApprovalView, RecordedReview, WaterfallBar, approval_view, document_text
from training.fonts import font_for

FONT = "cjk"
PAGE_WIDTH = 182.0  # A4 less 14 mm margins
_COLOURS = {"base": (120, 144, 176), "adverse": (198, 40, 40), "favourable": (26, 127, 55), "rest": (150, 150, 150),
            "total": (40, 70, 120)}
_OUTCOME_COLOURS = {"pass": (26, 127, 55), "fail": (198, 40, 40), "cannot_decide": (178, 106, 0)}
_RECOMMENDATION_COLOURS = {"approve": (26, 127, 55), "refer": (178, 106, 0), "decline": (198, 40, 40)}
_HEADINGS = FontFace(emphasis="", fill_color=(228, 234, 244))
_PADDING = 1.1
# A figure with its digits, separators and unit sign, a code or a Latin word: kept whole on one line
_TOKEN = re.compile(r"[0-9A-Za-z*][0-9A-Za-z,.\-_/%·*]*|\s|.", re.S)
_NO_LINE_START = set("，。、；：:,.;!?！？）)】」』”%％元分")
_NO_LINE_END = set("（(【「『“")


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: closing marks stay with what precedes them, opening marks with what follows."""
    pieces: list[str] = []
    for piece in _TOKEN.findall(text):
        if pieces and (piece[0] in _NO_LINE_START or pieces[-1][-1] in _NO_LINE_END):
            pieces[-1] += piece
        else:
            pieces.append(piece)
    return pieces


def _wrap(pdf: FPDF, text: str, width: float) -> str:
    """``text`` broken into lines no wider than ``width`` mm in the current font, never inside a number.

    fpdf2 breaks Chinese text at any character, which cuts figures such as 100,000元 across two lines; here the
    breaks fall between Chinese characters or at spaces, and only a piece longer than a whole line is cut.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in _tokens(paragraph):
            if not line or pdf.get_string_width(line + piece) <= width:
                line += piece
            else:
                lines.append(line.rstrip())
                line = piece.lstrip()
        lines.append(line.rstrip())
    return "\n".join(lines)


class _ApprovalPDF(FPDF):
    decision_id = ""

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, size=7.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"决策编号 {self.decision_id} · 第 {self.page_no()}/{{nb}} 页", align="C")
        self.set_text_color(0, 0, 0)


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > 262:
        pdf.add_page()
    pdf.ln(2.5)
    pdf.set_font(FONT, size=11)
    pdf.set_fill_color(40, 70, 120)
    pdf.set_text_color(255, 255, 255)
    pdf.cell(PAGE_WIDTH, 6.5, f"  {text}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.ln(1.2)
    pdf.set_font(FONT, size=8.5)


def _points_kind(points: str) -> str:
    """A reason's colour from its shown points: red when it takes points, green when it adds, grey under one."""
    return "adverse" if points.startswith("-") else "rest" if points in ("+0", "0") else "favourable"


def _inner(width: float) -> float:
    """The text width of a table column ``width`` mm wide (less the padding and a hair for rounding)."""
    return width - 2 * _PADDING - 0.3


def _table(pdf: FPDF, rows: Sequence[Sequence[str]], widths: Sequence[float], header: Sequence[str] | None = None,
           colours: dict[tuple[int, int], tuple[int, int, int]] | None = None) -> None:
    pdf.set_font(FONT, size=8.5)
    with pdf.table(col_widths=tuple(widths), width=PAGE_WIDTH, line_height=4.6, text_align="LEFT",
                   wrapmode=WrapMode.CHAR, headings_style=_HEADINGS, first_row_as_headings=header is not None,
                   padding=_PADDING, align="LEFT") as table:
        if header is not None:
            head = table.row()
            for j, text in enumerate(header):
                head.cell(_wrap(pdf, text, _inner(widths[j])))
        for i, values in enumerate(rows):
            row = table.row()
            for j, text in enumerate(values):
                colour = (colours or {}).get((i, j))
                row.cell(_wrap(pdf, text, _inner(widths[j])), style=FontFace(color=colour) if colour else None)


def _pairs(pdf: FPDF, pairs: Sequence[tuple[str, str]]) -> None:
    """Key-value pairs two to a line."""
    rows = [[k1, v1, *(pairs[i + 1] if i + 1 < len(pairs) else ("", ""))] for i, (k1, v1) in enumerate(pairs)
            if i % 2 == 0]
    widths = (30, 61, 30, 61)
    with pdf.table(col_widths=widths, width=PAGE_WIDTH, line_height=4.6, text_align="LEFT",
                   wrapmode=WrapMode.CHAR, first_row_as_headings=False, padding=_PADDING, align="LEFT") as table:
        for values in rows:
            row = table.row()
            for j, text in enumerate(values):
                row.cell(_wrap(pdf, text, _inner(widths[j])), style=_HEADINGS if j % 2 == 0 else None)


def _long_pairs(pdf: FPDF, pairs: Sequence[tuple[str, str]]) -> None:
    _table(pdf, [list(p) for p in pairs], (38, PAGE_WIDTH - 38))


def _waterfall(pdf: FPDF, bars: list[WaterfallBar]) -> None:
    """A horizontal waterfall in points: base, each reason, the rest, the score (axis zoomed to the moves)."""
    label_w, value_w, row_h = 42.0, 16.0, 5.2
    area_x = pdf.l_margin + label_w
    area_w = PAGE_WIDTH - label_w - value_w
    moves = [v for b in bars if b.kind not in ("base", "total") for v in (b.start, b.end)]
    ends = [b.end for b in bars if b.kind in ("base", "total")]
    low = min(moves + ends) - 8
    high = max(moves + ends) + 8

    def x_of(value: float) -> float:
        return area_x + (max(min(value, high), low) - low) / (high - low) * area_w

    if pdf.get_y() + row_h * (len(bars) + 3) > 275:
        pdf.add_page()
    pdf.set_font(FONT, size=8.5)
    pdf.cell(PAGE_WIDTH, 5, "评分构成（点数瀑布图）：基础分 + 各因素点数 = 信用评分", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 1
    pdf.set_draw_color(200, 200, 200)
    pdf.set_font(FONT, size=7)
    pdf.set_text_color(110, 110, 110)
    for tick in range(int(low) - int(low) % 10 + 10, int(high) + 1, 10):
        x = x_of(tick)
        pdf.line(x, top, x, top + row_h * len(bars))
        pdf.text(x - 2.5, top + row_h * len(bars) + 3.2, str(tick))
    pdf.text(area_x + area_w + 2, top + row_h * len(bars) + 3.2, "（分）")
    pdf.set_text_color(0, 0, 0)
    for k, bar in enumerate(bars):
        y = top + k * row_h
        pdf.set_font(FONT, size=8)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w - 2, row_h, bar.label, align="R")
        start, end = (low, bar.end) if bar.kind in ("base", "total") else (bar.start, bar.end)
        x0, x1 = sorted((x_of(start), x_of(end)))
        pdf.set_fill_color(*_COLOURS[bar.kind])
        pdf.rect(x0, y + 0.9, max(x1 - x0, 0.4), row_h - 1.8, style="F")
        if k + 1 < len(bars) and bar.kind != "total":
            pdf.set_draw_color(150, 150, 150)
            pdf.line(x_of(bar.end), y + row_h - 0.9, x_of(bar.end), y + row_h + 0.9)
        pdf.set_xy(area_x + area_w + 1, y)
        shown = str(bar.points) if bar.kind in ("base", "total") else f"{bar.points:+d}"
        pdf.cell(value_w - 1, row_h, shown, align="R")
    pdf.set_y(top + row_h * len(bars) + 5)


def _review_box(pdf: FPDF, lines: list[str]) -> None:
    """The reviews recorded so far, wrapped to the page, then the reviewer's box, kept whole on one page."""
    blank = lines.index("") if "" in lines else 0
    recorded, box = lines[:blank], lines[blank + 1:]
    pdf.set_font(FONT, size=9)
    for line in recorded:
        pdf.multi_cell(PAGE_WIDTH, 5.2, _wrap(pdf, line, PAGE_WIDTH - 2), wrapmode=WrapMode.CHAR,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    height = 7.0 * len(box) + 4
    if pdf.get_y() + 2 + height > pdf.h - 16:
        pdf.add_page()
    pdf.ln(2)
    top = pdf.get_y()
    pdf.set_draw_color(90, 90, 90)
    pdf.rect(pdf.l_margin, top, PAGE_WIDTH, height)
    for k, line in enumerate(box):
        pdf.set_xy(pdf.l_margin + 3, top + 2 + 7.0 * k)
        pdf.cell(PAGE_WIDTH - 6, 7, line)
    pdf.set_y(top + height + 2)


def build_pdf(view: ApprovalView, recommendation_code: str, created: dt.datetime | None = None) -> bytes:
    """Lay out an approval view as PDF bytes (``created``: the document's date; the same input, the same bytes)."""
    pdf = _ApprovalPDF(format="A4")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.decision_id = view.decision_id
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_font(FONT, "", str(font_for(document_text(view) + "决策编号第页/0123456789（分）")))
    for font in pdf.fonts.values():
        # The cut font's glyph boxes are already right; recomputing them re-encodes every glyph (half the time).
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
    pdf.set_title(f"{view.title} {view.decision_id}")
    pdf.set_creator("kuozhong")
    pdf.set_lang("zh-CN")
    pdf.add_page()
    pdf.set_font(FONT, size=15)
    pdf.cell(PAGE_WIDTH, 8, view.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(PAGE_WIDTH, 5, f"决策编号 {view.decision_id}    决策时间 {view.decided_at}",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)

    _heading(pdf, "申请人与家庭（已脱敏）")
    _pairs(pdf, view.applicant)
    _heading(pdf, "信用评价与建议")
    _pairs(pdf, view.credit[:6])
    colour = _RECOMMENDATION_COLOURS.get(recommendation_code, (0, 0, 0))
    _table(pdf, [[view.credit[6][0], view.credit[6][1]]], (30, PAGE_WIDTH - 30), colours={(0, 1): colour})
    if view.credit[7:]:  # conditions precedent to disbursement, in the referral colour: nothing is paid out before
        _table(pdf, [list(pair) for pair in view.credit[7:]], (30, PAGE_WIDTH - 30),
               colours={(i, 1): _RECOMMENDATION_COLOURS["refer"] for i in range(len(view.credit) - 7)})
    _heading(pdf, view.eligibility_heading)
    outcome_colours = {(i, 1): _OUTCOME_COLOURS.get(o, (0, 0, 0)) for i, o in enumerate(view.rule_outcomes)}
    _table(pdf, view.rules, (33, 13, 34, 30, PAGE_WIDTH - 110), view.rules_header, outcome_colours)
    _heading(pdf, "主要原因（评分点数）")
    reason_colours = {(i, 2): _COLOURS[_points_kind(row[2])] for i, row in enumerate(view.reasons)}
    _table(pdf, view.reasons, (32, 24, 12, 11, PAGE_WIDTH - 79), view.reasons_header, reason_colours)
    pdf.ln(1.5)
    _waterfall(pdf, view.waterfall)
    _heading(pdf, f"如何改变结果：{view.change_status}")
    pdf.set_font(FONT, size=8.5)
    for paragraph in ([view.change_text] if view.change_text else []) + [f"• {c}" for c in view.changes]:
        pdf.multi_cell(PAGE_WIDTH, 4.8, _wrap(pdf, paragraph, PAGE_WIDTH - 2), wrapmode=WrapMode.CHAR,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if view.terms:
        _heading(pdf, "产品、额度、利率与贴息")
        _long_pairs(pdf, view.terms)
    _heading(pdf, "模型与政策")
    _long_pairs(pdf, view.model)
    _heading(pdf, "信贷人员复核")
    _review_box(pdf, view.review_lines)
    return bytes(pdf.output())


def render_pdf(decision: Decision, reviews: Sequence[RecordedReview] = (), policy: Policy | None = None) -> bytes:
    """The approval file of one Decision, with its recorded reviews, as PDF bytes."""
    return build_pdf(approval_view(decision, reviews, policy), decision.recommendation, created=decision.decided_at)
