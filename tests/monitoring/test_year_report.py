"""The 年底试点总结报告 read back as the 专班 would: the DOCX with python-docx, the PDF with pdftotext.

Every indicator printed must be stage 4's figure for the year's last day, the previous year-end beside it stage 4's
for that day; the sections, tables and page numbers are there; no ID number or phone number appears; a year without
data is refused naming --year; a year still in progress says 截至 which day.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import docx
import pandas as pd
import pytest

from features.errors import InputError
from monitoring.stage4 import data_span, stage4_report
from monitoring.year_layout import Heading, Table, number, share
from monitoring.year_report import report_day, write_year_report, year_report
from tests.cli_runner import run_kuozhong
from tests.monitoring.hand_made import hand_made_sources

YEAR_END = pd.Timestamp("2024-12-31")
SECTIONS = ("一、总体情况", "二、主要指标完成情况", "三、分乡镇、分客户经理、分产品情况", "四、过程考核情况",
            "五、贷后跟进：跃迁家庭与贷款使用", "六、贴息资金使用情况", "七、存在问题与下一步工作")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def files(data_dir: Path, tmp_path_factory) -> tuple[Path, Path, Path]:
    """`kuozhong monitor report --year 2024` run on the test county, as a user runs it."""
    out = tmp_path_factory.mktemp("year-report")
    with pytest.MonkeyPatch.context() as patch:
        from serving.cli.main import main

        patch.setattr("sys.argv", ["kuozhong", "monitor", "report", "--year", "2024", "--data", str(data_dir),
                                   "--out", str(out)])
        try:
            main()
        except SystemExit as stop:
            assert not stop.code, stop.code
    return out, out / "试点总结报告-2024.pdf", out / "试点总结报告-2024.docx"


@pytest.fixture(scope="module")
def stage4_year_end(sources, policy):
    return stage4_report(sources, policy, YEAR_END)


def _docx_tables(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in table.rows] for table in docx.Document(str(path)).tables]


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _pdf_text(path: Path, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_the_command_writes_both_files_and_nothing_else(files):
    out, pdf, docx_path = files
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    assert docx_path.stat().st_size > 20_000
    assert sorted(p.name for p in out.iterdir()) == sorted([pdf.name, docx_path.name])  # no temporary left


def test_the_docx_has_its_title_and_numbered_sections_as_word_headings(files):
    _, _, path = files
    document = docx.Document(str(path))
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert styled[0] == ("Title", "财金助力扩中家庭项目2024年度试点总结报告")
    level_one = [text for style, text in styled if style == "Heading 1"]
    assert level_one[:len(SECTIONS)] == list(SECTIONS)
    assert level_one[len(SECTIONS)] == "附件1：2024年存疑走访明细"
    level_two = [text for style, text in styled if style == "Heading 2"]
    assert "（一）指标完成表" in level_two and "（三）分产品情况" in level_two
    assert "统计截止日：2024年12月31日" in [p.text for p in document.paragraphs]
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer


def test_each_indicator_in_the_docx_is_stage4s_figure_for_the_year_end(files, stage4_year_end, sources, policy):
    _, _, path = files
    table = next(t for t in _docx_tables(path) if t[0][:2] == ["序号", "指标"] and "本期实际值" in t[0])
    assert table[0] == ["序号", "指标", "单位", "上年末", "本期实际值", "年度目标值", "完成率"]
    printed = {row[1]: row for row in table[1:]}
    last_year = stage4_report(sources, policy, pd.Timestamp("2023-12-31")).kpi.table.set_index("key")
    expected = stage4_year_end.kpi.table
    assert len(printed) == len(expected)
    for row in expected.itertuples(index=False):
        line = printed[row.指标]
        assert line[0] == row.序号 and line[2] == row.单位
        assert line[4] == number(row.实际值, row.单位), row.指标
        assert line[5] == number(row.年度目标, row.单位), row.指标
        assert line[6] == share(row.完成率), row.指标
        assert line[3] == number(last_year.at[row.key, "实际值"], row.单位), row.指标
    # the county lends in 2024, so the figures compared are not all empty
    assert float(printed["各项贷款余额"][4].replace(",", "")) == stage4_year_end.kpi.value("loan_balance") > 0


def test_each_indicator_in_the_pdf_is_stage4s_figure_for_the_year_end(files, stage4_year_end):
    _, path, _ = files
    text = _pdf_text(path, layout=True)
    for row in stage4_year_end.kpi.table.itertuples(index=False):
        line = re.search(rf"^\s*{re.escape(row.序号)}\s+{re.escape(row.指标)}\s+{row.单位}\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)",
                         text, re.MULTILINE)
        assert line is not None, row.指标
        assert line.group(2) == number(row.实际值, row.单位), row.指标
        assert line.group(3) == number(row.年度目标, row.单位) and line.group(4) == share(row.完成率), row.指标


def test_the_pdf_has_the_headings_tables_and_numbered_pages(files):
    _, path, _ = files
    text = _pdf_text(path, layout=True)
    for heading in ("财金助力扩中家庭项目2024年度试点总结报告", *SECTIONS, "附件1：2024年存疑走访明细"):
        assert heading in text, heading
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True,
                                                             text=True, check=True).stdout).group(1))
    sheets = text.split("\f")[:pages]  # pdftotext ends each page with a form feed
    assert pages > 3 and len(sheets) == pages
    for k, sheet in enumerate(sheets, start=1):
        assert re.search(rf"第\s*{k}\s*页\s*共\s*{pages}\s*页", sheet), k
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded


def test_the_breakdowns_and_subsidy_tables_add_up_to_the_county(files, stage4_year_end):
    _, _, path = files
    tables = _docx_tables(path)
    township = next(t for t in tables if t[0][:2] == ["序号", "乡镇"])
    column = township[0].index("贷款余额(万元)")
    assert township[-1][1] == "合计"
    assert township[-1][column] == number(stage4_year_end.kpi.value("loan_balance"), "万元")
    assert [row[1] for row in township[1:-1]] == stage4_year_end.kpi.by_township["乡镇"].tolist()
    subsidy = next(t for t in tables if t[0][:3] == ["序号", "月份", "申请贴息(元)"])
    progress = stage4_year_end.subsidy
    assert [row[1] for row in subsidy[1:-1]] == [f"{m}月" for m in range(1, 13)]
    assert subsidy[-1][2] == number(progress.claimed, "元") and progress.claimed > 0
    text = _docx_text(path)
    assert f"申请占预算{share(progress.share(progress.claimed))}" in text


def test_the_process_assessment_lists_every_doubtful_visit_of_the_year(files, stage4_year_end):
    _, _, path = files
    doubtful = stage4_year_end.doubtful
    year = doubtful[pd.to_datetime(doubtful["visited_at"]).dt.year == 2024]
    appendix = next(t for t in _docx_tables(path) if "存疑原因" in t[0] and "走访编号" in t[0])
    assert len(year) > 0
    assert [row[1] for row in appendix[1:]] == year["visit_id"].tolist()
    assert f"其中2024年存疑走访{len(year):,}次" in _docx_text(path)


def test_no_id_number_or_phone_appears_in_either_file(files, sources):
    _, pdf, docx_path = files
    held = set(sources.base_list["id_number"].astype(str))
    assert any(ID_NUMBER.fullmatch(i) for i in held)  # the sources do hold ID numbers the report could leak
    for text in (_pdf_text(pdf), _docx_text(docx_path)):
        assert not ID_NUMBER.search(text) and not PHONE.search(text)
        assert not any(i in text for i in held)


def test_a_year_without_data_is_refused_naming_the_option(data_dir, tmp_path, capsys, monkeypatch):
    code, err = run_kuozhong(capsys, monkeypatch, "monitor", "report", "--year", "2022", "--data", str(data_dir),
                             "--out", str(tmp_path / "out"))
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]  # beside it: the quarantine warning
    assert len(errors) == 1 and "'--year'" in errors[0] and "2022" in errors[0] and "无项目数据" in errors[0]
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_year_in_progress_says_to_which_day(sources, policy):
    # given the test county, whose records end with the pilot, and the same county as it stood on 2025-09-30
    assert data_span(sources)[1] == pd.Timestamp("2025-12-31")
    cut = pd.Timestamp("2025-09-30")
    ledger = sources.loan_ledger[sources.loan_ledger["disbursed_on"] <= cut]
    known = dataclasses.replace(
        sources, visits=sources.visits[sources.visits["visited_at"] < cut + pd.Timedelta(days=1)],
        revisits=sources.revisits[sources.revisits["visited_at"] < cut + pd.Timedelta(days=1)],
        loan_ledger=ledger, loan_events=sources.loan_events[sources.loan_events["event_date"] <= cut],
        list_refresh=sources.list_refresh[sources.list_refresh["refreshed_on"] <= cut])
    last = data_span(known)[1]
    assert last.year == 2025 and last <= cut
    # when 2025 is reported from each
    # then the whole pilot's year is complete, and the earlier county's stands at its last day with data, saying so
    assert report_day(sources, 2025) == (pd.Timestamp("2025-12-31"), True)
    assert report_day(known, 2025) == (last, False)
    assert report_day(sources, 2024) == (YEAR_END, True)
    with pytest.raises(InputError, match="--year"):
        report_day(sources, 2022)


def test_the_hand_counted_year_reports_its_misuse_and_mobility(policy, tmp_path):
    # given the hand-made program: in 2025 H3 leaves the list at the refresh (2025-01-15) because it moved away (not
    # 跃迁) and H2 rises out at a revisit (2025-06-15), where its loan D2, flagged by its account flows in March, is
    # found misused; the records end on 2025-12-01
    sources = hand_made_sources()
    report = year_report(sources, policy, 2025)
    # then the report stands at 2025-12-01, a year in progress
    assert report.as_of == pd.Timestamp("2025-12-01") and not report.complete
    assert report.subtitle == "（2025年度尚未结束，数据截至2025年12月1日）"
    text = report.text()
    clawed = report.stage4.subsidy.months["clawed_back"].sum()
    assert clawed > 0
    assert "2025年认定跃迁家庭1户" in text and "资金流向预警1笔" in text and "贷款违规使用1笔" in text
    assert f"扣回已拨贴息{number(clawed, '元')}元" in text
    misuse = next(b for b in report.blocks if isinstance(b, Table) and b.title.endswith("2025年贷款违规使用"))
    assert [row[1] for row in misuse.rows] == ["D2"]
    mobility = next(b for b in report.blocks if isinstance(b, Table) and b.title.endswith("2025年跃迁家庭"))
    assert sorted(row[1] for row in mobility.rows) == ["H2"]
    # and both files are written from it
    pdf, docx_path = write_year_report(report, tmp_path)
    assert "数据截至2025年12月1日" in _pdf_text(pdf) and "数据截至2025年12月1日" in _docx_text(docx_path)


def test_pdf_lines_are_broken_as_chinese_is_set():
    # given a paragraph with figures, brackets and punctuation, set at several widths
    from fpdf import FPDF

    from monitoring.year_pdf import FONT, _lines
    from training.fonts import font_for

    text = ("　　截至2024年12月31日，签约、授信扩中家庭112户（目标1,020户，完成11.0%），总授信金额432.10万元"
            "（目标10,200.00万元，完成4.2%）；账户AM003的存疑走访（定位不在所属乡镇）。")
    pdf = FPDF()
    pdf.add_font(FONT, "", str(font_for(text)))
    pdf.set_font(FONT, size=10.5)
    for width in (40.0, 60.0, 95.0, 170.0):
        # when it is broken into lines
        lines = _lines(pdf, text, width)
        # then nothing is lost, no line starts with closing punctuation or ends with an opening bracket,
        # no figure is split, and a line overruns only by the punctuation hung at its end
        assert "".join(lines) == text
        assert len(lines) > 1 or width == 170.0
        for before, after in zip(lines, lines[1:], strict=False):
            assert after[0] not in "，。；：、）%" and before[-1] not in "（《"
            assert not (before[-1].isascii() and before[-1].isalnum() and after[0].isascii() and after[0].isalnum())
        for line in lines:
            assert pdf.get_string_width(line.rstrip("，。；：、）%")) <= width + 1e-6


def test_the_same_data_gives_the_same_files(policy, tmp_path):
    # given the hand-made program's 2025 report, made twice
    first = write_year_report(year_report(hand_made_sources(), policy, 2025), tmp_path / "a")
    second = write_year_report(year_report(hand_made_sources(), policy, 2025), tmp_path / "b")
    # then both files are byte for byte the same, and the DOCX still opens
    for one, other in zip(first, second, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
    assert docx.Document(str(first[1])).paragraphs[0].text == "财金助力扩中家庭项目2025年度试点总结报告"


def test_a_long_list_of_cases_goes_to_an_appendix_and_the_body_counts_it(sources, policy):
    # given the test county's 2025, when the yearly list refresh drops many households (跃迁) and revisits find misuse
    report = year_report(sources, policy, 2025)
    flagged = report.stage4.upward_mobility
    rose = flagged[pd.to_datetime(flagged["flagged_on"]).dt.year == 2025]
    misused = report.stage4.misused
    misused = misused[pd.to_datetime(misused["found_on"]).dt.year == 2025]
    assert len(rose) > 20 and 0 < len(misused) <= 20
    # then the 跃迁 households are listed whole in an appendix the body points to, the misused loans in the body
    headings = [b.text for b in report.blocks if isinstance(b, Heading) and b.level == 1]
    assert headings[-2:] == ["附件1：2025年存疑走访明细", "附件2：2025年跃迁家庭明细"]
    tables = {b.title.split("　", 1)[-1]: b for b in report.blocks if isinstance(b, Table)}
    assert [row[1] for row in tables[f"2025年跃迁家庭明细（共{len(rose)}条）"].rows] == rose["household_id"].tolist()
    assert f"2025年跃迁家庭共{len(rose)}条，明细见附件2。" in report.text()
    assert sorted(row[1] for row in tables["2025年贷款违规使用"].rows) == sorted(misused["loan_id"])


def test_every_pdf_page_carries_content_and_the_first_is_kept_as_a_screenshot(files, tmp_path):
    # given the PDF's text page by page, and its first page rendered by pdftoppm as a viewer draws it
    import numpy as np
    from PIL import Image

    from tests.serving.web.test_officer import SCREENSHOTS

    _, path, _ = files
    sheets = [s for s in _pdf_text(path).split("\f") if s.strip()]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "year-report-2024-page1"
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(path), str(shot)],
                   check=True)
    # then no page holds only its running head and page number
    running = {"财金助力扩中家庭项目2024年度试点总结报告"}
    for k, sheet in enumerate(sheets, start=1):
        body = [line for line in sheet.splitlines()
                if line.strip() and line.strip() not in running and not re.fullmatch(r"第\s*\d+\s*页\s*共\s*\d+\s*页",
                                                                                  line.strip())]
        assert len(body) >= 3, k
    # and the first page is drawn: a good share of it is ink, some of it dark text
    pixels = np.asarray(Image.open(shot.with_suffix(".png")).convert("L"))
    assert (pixels < 250).mean() > 0.05 and (pixels < 100).mean() > 0.01
