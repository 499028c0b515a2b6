"""The 年底试点总结报告: the year's stage-4 report as numbered sections with tables and charts, written as PDF and DOCX.

Every figure is read from ``stage4_report`` as of the year's last day (for a year still in progress, the last day
with data, said as 截至): nothing is counted here, so the report, the 成效监测表 and the 数据大屏 cannot disagree. The
cases of the process assessment, 跃迁 and misuse are the stage-4 lists' entries dated within the year. The text is a
draft for the 工作专班 to edit: the figures are filled in, the judgement is left to people.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from features.errors import InputError
from features.files import write_bytes_atomic
from features.sources.load import RawSources
from models.policy import Policy
from monitoring.kpi import breakdown_total, double_count_notes
from monitoring.report import kpi_charts
from monitoring.stage4 import LIST_HEADERS, Stage4Report, data_span, stage4_report
from monitoring.workbook import REPORTING_UNIT
from monitoring.year_charts import breakdown_chart, subsidy_chart
from monitoring.year_layout import (
    Block,
    Figure,
    Heading,
    Paragraph,
    Table,
    YearReport,
    cell,
    column_unit,
    date_text,
    frame_table,
    number,
    share,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100
ADDRESSEE = "嵊泗县财金助力扩中家庭项目工作专班"
TO_FILL = "（请工作专班填写）"
# each list's date column: the year's cases are those dated within it
DATED = {"存疑走访": "visited_at", "跃迁家庭": "flagged_on", "资金用途预警": "signal_on", "贷款违规使用": "found_on"}
NUMERALS = "一二三四五六七八九十"
LONG_LIST = 20  # a longer list of cases goes to an appendix, the body says how many
LIST_WIDTHS = {  # relative column widths, the 序号 first
    "存疑走访": (0.7, 1.5, 1.5, 0.9, 1.5, 0.8, 2.6),
    "跃迁家庭": (0.7, 1.6, 1.1, 4.2),
    "贷款违规使用": (0.7, 1.5, 1.5, 1.1, 0.9, 0.9, 0.9, 3.2),
    "资金用途预警": (0.7, 1.5, 1.5, 0.9, 1.1, 1.1, 1.2, 1.2, 3.2),
}


def report_day(sources: RawSources, year: int) -> tuple[pd.Timestamp, bool]:
    """The day the year's report stands at, and whether the year is complete.

    The year's last day when the sources hold records after it; otherwise the year is in progress and the report
    stands at the last day with data. A year without any program record is refused, naming ``--year``.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"field '--year': {year} is not a year this toolkit reports on ({FIRST_YEAR}–{LAST_YEAR}) "
                         f"/ 年度{year}不在可报告范围内", value=year, rule="year range")
    start, end = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
    within = data_span(sources, start, end)
    if within is None:
        whole = data_span(sources)
        held = f"the data covers {whole[0].date()} to {whole[1].date()}" if whole else "the data holds no record"
        held_zh = f"数据覆盖{date_text(whole[0])}至{date_text(whole[1])}" if whole else "数据中没有任何项目记录"
        raise InputError(f"field '--year': {year} has no program record (visit, signing, disbursement, loan event, "
                         f"revisit, list refresh); {held} / {year}年度无项目数据，{held_zh}",
                         value=year, rule="a year with data")
    last = data_span(sources)
    assert last is not None  # the year holds records, so the whole data does
    return (end, True) if last[1] >= end else (within[1], False)


def year_report(sources: RawSources, policy: Policy, year: int) -> YearReport:
    """The year-end report of ``year``: the stage-4 report as of the year's last day, laid out as sections."""
    as_of, complete = report_day(sources, year)
    stage4 = stage4_report(sources, policy, as_of)
    return YearReport(year, as_of, complete, stage4, tuple(_sections(stage4, year, complete)), REPORTING_UNIT, ADDRESSEE)


def write_year_report(report: YearReport, folder: Path) -> tuple[Path, Path]:
    """Both files, each built whole in memory first and then written atomically: (PDF, DOCX)."""
    from monitoring.year_docx import docx_bytes
    from monitoring.year_pdf import pdf_bytes

    pdf, docx = pdf_bytes(report), docx_bytes(report)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"试点总结报告-{report.year}"
    paths = stem.with_suffix(".pdf"), stem.with_suffix(".docx")
    for path, data in zip(paths, (pdf, docx), strict=True):
        write_bytes_atomic(path, data)
    return paths


# ---- the sections ----

def _sections(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    parts = (_overview, _indicators, _breakdowns, _process, _post_loan, _subsidy, _next_steps)
    figures = iter(range(1, 100))
    tables = iter(range(1, 100))
    for section, part in enumerate(parts):
        subsection = 0
        for block in part(stage4, year, complete):
            if isinstance(block, Heading) and block.level == 1:
                block = Heading(1, f"{NUMERALS[section]}、{block.text}", block.new_page)
            elif isinstance(block, Heading):
                block = Heading(2, f"（{NUMERALS[subsection]}）{block.text}", block.new_page)
                subsection += 1
            elif isinstance(block, Figure):
                block = Figure(block.png, f"图{next(figures)}　{block.caption}")
            elif isinstance(block, Table):
                block = Table(f"表{next(tables)}　{block.title}", block.header, block.rows, block.widths,
                              block.numeric, block.total)
            yield block
    yield from _appendix(stage4, year)


def _values(stage4: Stage4Report) -> pd.DataFrame:
    return stage4.kpi.table.set_index("key")


def _said(row: pd.Series) -> str:
    """An indicator's figure with its unit, as a sentence says it."""
    return f"{number(row['实际值'], row['单位'])}{'' if row['单位'] == '%' else row['单位']}"


def _against(row: pd.Series) -> str:
    if row["年度目标"] is None or pd.isna(row["年度目标"]):
        return ""
    target = f"{number(row['年度目标'], row['单位'])}{'' if row['单位'] == '%' else row['单位']}"
    return f"（目标{target}，完成{share(row['完成率'])}）"


def _overview(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    v = _values(stage4)
    day = date_text(stage4.as_of)
    yield Heading(1, "总体情况")
    yield Paragraph(
        f"根据嵊政办发〔2023〕41号《嵊泗县财金助力扩中家庭项目试点实施方案（2023—2025年）》，现将{year}年度试点工作情况"
        f"报告如下。{'' if complete else f'本年度尚未结束，以下数据截至{day}。'}")
    yield Paragraph(
        f"截至{day}，已推出共富贷系列产品{_said(v.loc['products_launched'])}{_against(v.loc['products_launched'])}；"
        f"走访、建档扩中家庭{_said(v.loc['households_visited'])}{_against(v.loc['households_visited'])}；"
        f"签约、授信扩中家庭{_said(v.loc['households_signed'])}{_against(v.loc['households_signed'])}，"
        f"总授信金额{_said(v.loc['credit_granted'])}{_against(v.loc['credit_granted'])}，"
        f"其中已用信{_said(v.loc['households_drawn'])}、累计用信{_said(v.loc['credit_drawn'])}；"
        f"惠及扩中家庭{_said(v.loc['households_benefiting'])}{_against(v.loc['households_benefiting'])}，"
        f"各项贷款余额{_said(v.loc['loan_balance'])}{_against(v.loc['loan_balance'])}。")
    yield Paragraph(
        f"按附件1测算口径，减少扩中家庭年贷款利息支出{_said(v.loc['interest_saved'])}"
        f"{_against(v.loc['interest_saved'])}，{v.at['interest_saved', '备注']}；"
        f"撬动产业资金{_said(v.loc['funds_leveraged'])}{_against(v.loc['funds_leveraged'])}。"
        + _growth_sentence(v))
    rated = v.dropna(subset=["完成率"])
    reached = [name for name, done in zip(rated["指标"], rated["完成率"], strict=True) if done >= 1]
    behind = [f"{name}（{share(done)}）" for name, done in zip(rated["指标"], rated["完成率"], strict=True) if done < 1]
    yield Paragraph(f"达到年度目标的指标：{'、'.join(reached) or '无'}；尚未达到的指标：{'、'.join(behind) or '无'}。")


def _growth_sentence(v: pd.DataFrame) -> str:
    year, pilot = v.loc["income_growth_year"], v.loc["income_growth_pilot"]
    if pd.isna(year["实际值"]) and pd.isna(pilot["实际值"]):
        return "有贷款扩中家庭新增收入：截至统计日尚无可比的回访收入数据。"
    parts = []
    for row in (year, pilot):
        if not pd.isna(row["实际值"]):
            parts.append(f"{row['指标']}{_said(row)}{_against(row)}，{row['备注']}")
    return "；".join(parts) + "。"


def _indicators(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    kpi = stage4.kpi
    monthly = kpi.monthly.set_index("date")
    last_year_end = pd.Timestamp(year=year - 1, month=12, day=31)
    before = monthly.loc[last_year_end] if last_year_end in monthly.index else None
    yield Heading(1, "主要指标完成情况")
    yield Heading(2, "指标完成表")
    rows = []
    for r in kpi.table.itertuples(index=False):
        previous = before[r.key] if before is not None else None
        rows.append((r.序号, r.指标, r.单位, number(previous, r.单位), number(r.实际值, r.单位),
                     number(r.年度目标, r.单位), share(r.完成率)))
    yield Table(f"{year}年度主要指标完成情况", ("序号", "指标", "单位", "上年末", "本期实际值", "年度目标值", "完成率"),
                tuple(rows), (0.7, 3.2, 0.6, 1.2, 1.2, 1.2, 0.9), (False, False, False, True, True, True, True))
    yield Paragraph(f"注：本期实际值为{date_text(stage4.as_of)}日终数；上年末为{date_text(last_year_end)}日终数；"
                    "年度目标为附件1所列至当年末的累计目标（撬动产业资金、新增收入为试点期目标）；"
                    "完成率＝本期实际值÷年度目标值。", note=True)
    charts = kpi_charts(kpi)
    if "progress" in charts:
        yield Figure(charts["progress"], "各项指标年度目标完成率")
    if "trend" in charts:
        yield Figure(charts["trend"], "主要累计指标逐月走势与当年目标")
    yield Heading(2, "指标口径")
    yield Table("指标口径与备注", ("序号", "指标", "口径说明", "备注"),
                tuple((r.序号, r.指标, r.口径说明, r.备注 or "—") for r in kpi.table.itertuples(index=False)),
                (0.7, 2.2, 4.2, 3.0), (False, False, False, False))


def _breakdowns(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    kpi = stage4.kpi
    yield Heading(1, "分乡镇、分客户经理、分产品情况")
    for what, frame in (("乡镇", kpi.by_township), ("客户经理", kpi.by_manager), ("产品", kpi.by_product)):
        yield Heading(2, f"分{what}情况")
        table, notes = _breakdown_table(f"分{what}指标情况（截至{date_text(stage4.as_of)}）", stage4, frame, what)
        yield table
        for note in notes:
            yield Paragraph(note, note=True)
        if what != "客户经理" and len(frame):
            yield Figure(breakdown_chart(frame, f"分{what}贷款余额与家庭数"), f"分{what}贷款余额、签约授信与惠及家庭")


def _breakdown_table(title: str, stage4: Stage4Report, frame: pd.DataFrame, what: str) -> tuple[Table, list[str]]:
    """A breakdown with its 合计 line (summed as the workbook sums it) and the notes on households counted twice."""
    table = frame_table(title, frame)
    totals = breakdown_total(frame)
    total = ("", "合计", *(cell(v, column_unit(frame[c], c)) for c, v in totals.items()))
    return (Table(table.title, table.header, (*table.rows, total), table.widths, table.numeric, total=True),
            double_count_notes(stage4.kpi, totals, what))


def in_year(stage4: Stage4Report, name: str, year: int) -> pd.DataFrame:
    """A stage-4 list's cases dated within the year, with their Chinese headers."""
    frame = stage4.lists()[name]
    column = DATED.get(name)
    if column is not None and not frame.empty:
        frame = frame[pd.to_datetime(frame[column]).dt.year == year]
    return frame.rename(columns=LIST_HEADERS[name]).reset_index(drop=True)


def _reasons(doubtful: pd.DataFrame) -> pd.Series:
    """How often each reason flags a visit (a visit may have several)."""
    return doubtful["存疑原因"].str.split("；").explode().value_counts()


def _process(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    doubtful = in_year(stage4, "存疑走访", year)
    assessment = stage4.sheets()["过程考核"]
    yield Heading(1, "过程考核情况")
    visits = int(assessment["走访数"].sum()) if len(assessment) else 0
    reasons = _reasons(doubtful) if len(doubtful) else pd.Series(dtype=int)
    said = "、".join(f"{reason}{count}次" for reason, count in reasons.items())
    yield Paragraph(
        f"按实施方案“过程考核＋结果考核”要求，系统对每次走访的PAD定位、现场照片、走访时长和相邻走访间的移动速度进行核验。"
        f"试点以来至{date_text(stage4.as_of)}共走访{visits:,}次，其中{year}年存疑走访{len(doubtful):,}次"
        f"（涉及客户经理{doubtful['客户经理'].nunique() if len(doubtful) else 0}人）"
        f"{f'，存疑原因：{said}' if said else ''}。存疑走访逐条列于附件，请核实后认定，不作自动扣减。")
    yield Heading(2, "客户经理过程考核")
    yield frame_table(f"客户经理过程考核（截至{date_text(stage4.as_of)}）", assessment)
    yield Paragraph("注：走访数、存疑走访数、签约笔数和签约金额为试点以来累计；日均贷款余额为统计年度1月1日至统计截止日的日均数。",
                    note=True)
    if len(reasons):
        yield Heading(2, "存疑走访原因")
        yield Table(f"{year}年存疑走访原因分布", ("序号", "存疑原因", "走访次数"),
                    tuple((str(i), reason, f"{count:,}") for i, (reason, count) in enumerate(reasons.items(), 1)),
                    (0.7, 3.0, 1.2), (False, False, True))


def _post_loan(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    lists = {name: in_year(stage4, name, year) for name in ("跃迁家庭", "资金用途预警", "贷款违规使用")}
    due = stage4.sheets()["应回访清单"]
    clawed = float(stage4.subsidy.months["clawed_back"].sum()) if len(stage4.subsidy.months) else 0.0
    yield Heading(1, "贷后跟进：跃迁家庭与贷款使用")
    by_status = due["状态"].value_counts() if len(due) else pd.Series(dtype=int)
    status = "、".join(f"{name}{count}笔" for name, count in by_status.items())
    rose, signals, misused = (len(lists[n]) for n in ("跃迁家庭", "资金用途预警", "贷款违规使用"))
    yield Paragraph(
        f"{year}年认定跃迁家庭{rose}户（试点以来累计{len(stage4.upward_mobility)}户）"
        + ("，此后不再为其新发放贴息贷款，已签合同在有效期内继续享受贴息；" if rose else "；")
        + f"账户资金流向预警{signals}笔；"
        + (f"经回访确认贷款违规使用{misused}笔，已停止贴息并在当月贴息申请中扣回已拨贴息{number(clawed, '元')}元。"
           if misused else "回访未发现贷款违规使用。")
        + f"截至{date_text(stage4.as_of)}，应回访贷款{len(due)}笔{f'（{status}）' if status else ''}，"
          "明细见同日《成效监测表》。")
    attached = appendices(stage4, year)
    for name in ("跃迁家庭", "贷款违规使用", "资金用途预警"):
        yield Heading(2, name)
        frame = lists[name]
        if frame.empty:
            yield Paragraph(f"{year}年无{name}。")
        elif name in attached:
            yield Paragraph(f"{year}年{name}共{len(frame)}条，明细见附件{attached.index(name) + 1}。")
        else:
            yield frame_table(f"{year}年{name}", frame, widths=LIST_WIDTHS[name])


def _subsidy(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    progress = stage4.subsidy
    months = progress.months
    yield Heading(1, "贴息资金使用情况")
    recorded = progress.approved is not None
    budget = (f"{progress.year}年贴息预算{number(progress.budget, '元')}元，申请占预算{share(progress.share(progress.claimed))}"
              if progress.budget else "本年度贴息预算未在政策文件中设定")
    yield Paragraph(
        f"{year}年已结月份共申请财政贴息{number(progress.claimed, '元')}元（已扣除违规使用追回"
        f"{number(months['clawed_back'].sum() if len(months) else 0.0, '元')}元）；{budget}。"
        + (f"财政已审核{number(progress.approved, '元')}元、已拨付{number(progress.paid, '元')}元。" if recorded
           else "财政审核、拨付记录尚未录入。"))
    if months.empty:
        yield Paragraph(f"{year}年尚无已结月份的贴息申请。")
        return
    rows = [(str(i), f"{int(m.month[5:])}月", number(m.claimed, "元"), number(m.clawed_back, "元"),
             number(m.approved, "元"), number(m.paid, "元")) for i, m in enumerate(months.itertuples(index=False), 1)]
    rows.append(("", "合计", number(progress.claimed, "元"), number(months["clawed_back"].sum(), "元"),
                 number(progress.approved, "元"), number(progress.paid, "元")))
    yield Table(f"{year}年贴息资金月度申请与拨付", ("序号", "月份", "申请贴息(元)", "其中已扣追回(元)", "财政审核(元)",
                                             "财政拨付(元)"),
                tuple(rows), (0.7, 0.9, 1.4, 1.4, 1.4, 1.4), (False, False, True, True, True, True), total=True)
    yield Paragraph("注：申请贴息为当月贴息台账中财政贴息扣除当月违规使用追回后的金额，与同月《贴息申请表》一致。", note=True)
    yield Figure(subsidy_chart(progress), f"{year}年贴息资金申请进度与预算")


def _next_steps(stage4: Stage4Report, year: int, complete: bool) -> Iterator[Block]:
    yield Heading(1, "存在问题与下一步工作")
    yield Heading(2, "主要成效与经验做法")
    yield Paragraph(TO_FILL)
    yield Heading(2, "存在问题")
    yield Paragraph(TO_FILL)
    yield Heading(2, "下一步工作")
    yield Paragraph(TO_FILL)
    yield Paragraph(f"{REPORTING_UNIT}　　　　年　　月　　日")


def appendices(stage4: Stage4Report, year: int) -> list[str]:
    """The lists printed as appendices: the doubtful visits always, the others when too long for the body."""
    return ["存疑走访", *(name for name in ("跃迁家庭", "贷款违规使用", "资金用途预警")
                      if len(in_year(stage4, name, year)) > LONG_LIST)]


def _appendix(stage4: Stage4Report, year: int) -> Iterator[Block]:
    for number_, name in enumerate(appendices(stage4, year), start=1):
        frame = in_year(stage4, name, year)
        yield Heading(1, f"附件{number_}：{year}年{name}明细", new_page=True)
        if frame.empty:
            yield Paragraph(f"{year}年无{name}。")
        else:
            yield frame_table(f"{year}年{name}明细（共{len(frame)}条）", frame, widths=LIST_WIDTHS[name])
