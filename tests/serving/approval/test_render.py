"""The approval file: PDF and HTML with the same content, Chinese embedded and readable, nothing unmasked."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.decision.builder import ModelRef, decide
from models.explain.reasons import display_points
from serving.approval.render import render_html, render_pdf, write_decision
from serving.approval.view import approval_view
from training.fonts import FontUnavailable

LABELS = ("共富贷审批附件", "申请人与家庭", "准入规则", "信用评价与建议", "主要原因", "评分构成", "如何改变结果",
          "模型与政策", "信贷人员复核", "复核意见")
NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def decisions(trained_store, table, policy):
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    return [decide(table.iloc[[i]], result.model, ref, policy, now=NOW) for i in range(20)], table.head(20)


@pytest.fixture(scope="module")
def pdf_file(decisions, tmp_path_factory) -> tuple[Path, object]:
    items, _ = decisions
    decision = next((d for d in items if d.terms is not None), items[0])
    path = tmp_path_factory.mktemp("approval") / "approval.pdf"
    path.write_bytes(render_pdf(decision))
    return path, decision


def test_pdf_text_carries_the_chinese_labels_and_the_decisions_facts(pdf_file):
    # given one rendered approval file
    path, decision = pdf_file
    # when its text is extracted by poppler
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    # then the Chinese labels, the masked id, the decision id and the reasons are all readable
    for label in LABELS:
        assert label in text, label
    assert decision.applicant_id_masked in text and decision.decision_id in text
    compact = "".join(text.split())
    for reason in decision.reasons:
        assert reason.label_zh in compact, reason.label_zh
    assert f"{int(display_points(decision.score))} 分" in text


def test_pdf_embeds_its_cjk_font(pdf_file):
    path, _ = pdf_file
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    embedded = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert embedded and all(" yes " in line for line in embedded)


def test_first_page_renders_to_a_non_blank_image(pdf_file, tmp_path):
    # given the PDF rendered by pdftoppm
    path, _ = pdf_file
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    pixels = np.asarray(Image.open(tmp_path / "page.png").convert("L"))
    # then a good share of the page is ink, and some of it is dark (text), not just fills
    assert (pixels < 250).mean() > 0.05
    assert (pixels < 100).mean() > 0.005


def test_unmasked_id_never_reaches_the_file(pdf_file, sources):
    path, decision = pdf_file
    base = sources.base_list
    raw = base.loc[base["household_id"] == decision.household_id, "id_number"].iloc[0]
    assert decision.applicant_id_masked.endswith(raw[-4:])
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert raw not in text and raw not in render_html(decision)


def test_waterfall_points_add_up_to_the_displayed_score(decisions):
    items, _ = decisions
    for decision in items:
        bars = approval_view(decision).waterfall
        base, moves, total = bars[0], bars[1:-1], bars[-1]
        assert base.points + sum(b.points for b in moves) == total.points == int(display_points(decision.score))
        assert base.points == int(display_points(decision.base_points))


def test_html_has_the_same_content_as_the_pdf(pdf_file):
    _, decision = pdf_file
    html = render_html(decision)
    view = approval_view(decision)
    for label in LABELS:
        assert label in html, label
    for row in view.reasons:
        assert row[0] in html and row[2] in html
    assert "<svg" in html and html.count("<rect") == len(view.waterfall)
    assert view.change_status in html


def test_write_decision_writes_json_html_and_pdf_and_leaves_no_temporary_file(decisions, tmp_path):
    items, _ = decisions
    paths = write_decision(items[0], tmp_path)
    assert set(paths) == {"json", "html", "pdf"}
    assert paths["pdf"].read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


def test_missing_font_is_a_clear_error_and_still_writes_the_rest(decisions, tmp_path, monkeypatch):
    items, _ = decisions
    monkeypatch.setenv("KUOZHONG_CJK_FONT", str(tmp_path / "no-such-font.ttc"))
    with pytest.raises(FontUnavailable, match="no-such-font.ttc"):
        render_pdf(items[0])
    paths = write_decision(items[0], tmp_path / "out")
    assert set(paths) == {"json", "html"}


def test_a_character_outside_gb2312_gets_a_font_that_has_it():
    # given text with 镕 (in the packaged font, not in GB 2312)
    from fontTools import ttLib

    from training.fonts import font_for

    assert not _in_gb2312("镕")
    # when a font is asked for it
    path = font_for("申请人朱镕")
    # then the font handed to the PDF has a glyph for every character
    cmap = ttLib.TTFont(str(path), lazy=True).getBestCmap()
    assert all(ord(c) in cmap for c in "申请人朱镕")


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def test_the_same_decision_gives_the_same_pdf_bytes(decisions):
    # given one decision rendered twice, a moment apart
    decision = decisions[0][0]
    first = render_pdf(decision)
    second = render_pdf(decision)
    # then the files are byte for byte the same (the document is dated by the decision, not by the clock)
    assert first == second
    assert decision.decided_at.strftime("%Y%m%d").encode() in first


def test_the_file_prints_recorded_reviews_and_times_in_shengsi(pdf_file, tmp_path, policy):
    from serving.store import StoredReview

    _, decision = pdf_file
    reviews = [StoredReview("r1", decision.decision_id, "override", "refer", "走访核实：经营情况有变", "a1b2c3d4",
                            dt.datetime(2026, 11, 28, 17, 30, 5, tzinfo=dt.UTC))]
    # when the file is rendered with the review recorded beside the decision
    path = tmp_path / "reviewed.pdf"
    path.write_bytes(render_pdf(decision, reviews, policy))
    text = "".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    html = render_html(decision, reviews, policy)
    # then who, when (Asia/Shanghai: the next day, 01:30), what and why are printed, and the decision's local time
    for document in (text, "".join(html.split())):
        assert "2026-11-2901:30:05（北京时间）" in document and "a1b2c3d4" in document
        assert "改变结果" in document and "走访核实：经营情况有变" in document and "转人工" in document
        assert "2026-11-2811:00:00（北京时间）" in document and "UTC" not in document
    # and no rule value is printed as a raw key
    view = approval_view(decision, reviews, policy)
    for row in view.rules:
        assert not any(word in " ".join(row) for word in ("overdue_current", "consecutive", "True", "full"))
