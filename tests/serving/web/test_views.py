"""What officers, reviewers and program staff see, at phone, tablet and desk widths in Debian's chromium.

Nothing reaches past the screen's edge (a wide table scrolls inside its panel), a figure, code or masked ID never
breaks across lines, and the card's score is the stored score cut to the whole point.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from models.explain.reasons import display_points
from tests.serving.review.helpers import make_reviewer_key
from tests.serving.serving_fixtures import application_for, live_server, make_key, settings_for
from tests.serving.web.test_officer import CHROMIUM, CHROMIUM_ARGS

SIZES = {"phone": (390, 844), "tablet": (820, 1180), "desktop": (1440, 900)}
SHOTS = Path(__file__).resolve().parents[3] / "output" / "screenshots"
APPLICATIONS = 4  # decided through the page at each width

# Every visible element whose box reaches past the viewport, unless an ancestor below <body> scrolls or clips it
# (a table in its scroll box, the waterfall in its chart box): the page's own overflow-x: hidden would cut it off.
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    let up = el.parentElement, held = false;
    while (up && up !== document.body) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) { held = true; break; }
      up = up.parentElement;
    }
    if (!held && (box.right > width + 1 || box.left < -1)) out.push(`${el.tagName}#${el.id} ${Math.round(box.right)}`);
  }
  return out;
}"""
# cells (by selector) whose text runs over more than one line
BROKEN = """(selector) => [...document.querySelectorAll(selector)].filter((td) => {
  const range = document.createRange(); range.selectNodeContents(td);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
}).map((td) => td.textContent)"""


@pytest.fixture(scope="module")
def site(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('views') / 'audit.db'}"
    keys = {"officer": make_key(url, "officer"), "program": make_key(url, "program"),
            "reviewer": make_reviewer_key(url, "县财政局")}
    with live_server(settings_for(url, data_dir), store) as server:
        answer = requests.post(f"{server.url}/v1/review/batches", json={"until": "2024-06-30"},
                               headers={"X-API-Key": keys["officer"]}, timeout=120)
        assert answer.status_code == 201, answer.text
        yield server, keys


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def _page(browser, size: str) -> Page:
    width, height = SIZES[size]
    return browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN").new_page()


def _sign_in(page: Page, url: str, path: str, key: str) -> None:
    page.goto(f"{url}{path}")
    page.fill("#api-key", key)
    page.click("#sign-in")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_decision_card_fits_the_screen_and_shows_the_stored_score_cut_to_the_point(site, browser, table, size):
    server, keys = site
    page = _page(browser, size)
    _sign_in(page, server.url, "/officer", keys["officer"])
    expect(page.locator("#work")).to_be_visible()
    problems: list[str] = []
    for position in range(APPLICATIONS):
        # given an application, decided through the officer's page
        application = application_for(table, position)
        page.fill("#household-id", application["household_id"])
        page.fill("#application-date", application["application_date"])
        page.fill("#requested-amount", str(int(application["requested_amount"])))
        page.select_option("#purpose", application["purpose"])
        before = page.locator("#decision-id").inner_text()
        page.click("#submit-decision")
        expect(page.locator("#decision-id")).not_to_have_text(before, timeout=60_000)
        decision_id = page.locator("#decision-id").inner_text().removeprefix("编号 ").strip()
        stored = requests.get(f"{server.url}/v1/decisions/{decision_id}", headers={"X-API-Key": keys["officer"]},
                              timeout=60).json()["decision"]
        # when the card is drawn, then its score is the stored score cut to the whole point (556.6 shows 556)
        shown = int(display_points(stored["score"]))
        if page.locator("#score").inner_text() != str(shown):
            problems.append(f"{decision_id}: card {page.locator('#score').inner_text()} ≠ {shown}")
        # and the grade carries the PD range it stands for, as the decision states it
        if stored["grade_band_zh"] not in page.locator("#grade-band").inner_text() or not stored["grade_band_zh"]:
            problems.append(f"{decision_id}: grade band {page.locator('#grade-band').inner_text()!r}")
        bars = page.locator("#waterfall text").evaluate_all("els => els.map((e) => e.textContent)")
        if bars[-1] != str(shown):
            problems.append(f"{decision_id}: waterfall ends at {bars[-1]} ≠ {shown}")
        change = stored["what_would_change"]
        if change and change["status"] == "found" and change.get("score_after") is not None:
            after = f"改变后评分约 {int(display_points(change['score_after']))}"
            if after not in page.locator("#what-would-change").inner_text():
                problems.append(f"{decision_id}: what-would-change lacks {after}")
        # a reason worth less than a whole point is drawn neither as a gain nor as a loss
        zero = sum(1 for r in stored["reasons"] if r["points_int"] == 0)
        zero += sum(1 for g in stored["other_factors"] if g["points_int"] == 0)
        if page.locator("#waterfall rect.flat").count() != zero:
            problems.append(f"{decision_id}: {zero} steps under a point, "
                            f"{page.locator('#waterfall rect.flat').count()} drawn flat")
        # and nothing on the page reaches past the screen's edge
        problems += [f"{decision_id}: {x}" for x in page.evaluate(OUTSIDE)]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"views-officer-{size}.png"), full_page=True)
    page.context.close()
    assert problems == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_dashboard_fits_the_screen_and_its_tables_scroll_with_figures_on_one_line(site, browser, size):
    server, keys = site
    page = _page(browser, size)
    # given program staff signed in to the dashboard
    _sign_in(page, server.url, "/program", keys["program"])
    expect(page.locator("#board")).to_be_visible(timeout=120_000)
    expect(page.locator("#kpi-table tbody tr").first).to_be_visible()
    expect(page.locator("#list-table tbody tr").first).to_be_visible()
    # then nothing reaches past the screen, and the indicator table's figures and the lists' codes stay whole
    assert page.evaluate(OUTSIDE) == []
    figures = "#kpi-table td:nth-child(4), #kpi-table td:nth-child(5), #kpi-table td:nth-child(6)"
    assert page.evaluate(BROKEN, figures) == []
    assert page.evaluate(BROKEN, "#list-table td:not(.text)") == []
    # and every axis of the charts is named (in Chinese) where it carries figures
    names = page.evaluate("""() => ["chart-progress", "chart-trend", "chart-township", "chart-subsidy"].map((id) => {
      const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();
      return [...o.xAxis, ...o.yAxis].filter((a) => a.type === "value").map((a) => a.name || "");
    })""")
    assert all(name and any("\u4e00" <= c <= "\u9fff" for c in name) for axes in names for name in axes), names
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"views-program-{size}.png"), full_page=True)
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_review_page_fits_the_screen_with_ids_and_dates_on_one_line(site, browser, size):
    server, keys = site
    page = _page(browser, size)
    # given the county's reviewer with a batch open
    _sign_in(page, server.url, "/review", keys["reviewer"])
    expect(page.locator("#batches tbody tr").first).to_be_visible(timeout=60_000)
    page.locator("#batches tbody tr").first.click()
    expect(page.locator("#entries tbody tr").first).to_be_visible(timeout=60_000)
    # then nothing reaches past the screen, and batch numbers, household numbers, masked IDs and dates stay whole
    assert page.evaluate(OUTSIDE) == []
    assert page.evaluate(BROKEN, "#batches td:nth-child(-n+5), #entries td:nth-child(-n+5)") == []
    masked = page.locator("#entries td:nth-child(4)").all_inner_texts()
    assert masked and all(len(t) == 18 and t[6:14] == "*" * 8 for t in masked), masked[:3]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"views-review-{size}.png"), full_page=True)
    page.context.close()


def test_the_files_people_open_in_a_browser_fit_a_phone(site, browser, data_dir, trained_store, table, policy,
                                                        tmp_path, monkeypatch):
    """The approval file's HTML and the 成效监测表 HTML report, opened on a phone: nothing wider than the screen."""
    import sys

    from models.decision.builder import ModelRef, decide
    from serving.approval.render import render_html
    from serving.cli.main import main

    # given three approval files and the monitoring report of a day
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    files = []
    for position in range(3):
        path = tmp_path / f"approval-{position}.html"
        path.write_text(render_html(decide(table.iloc[[position]], result.model, ref, policy), policy=policy),
                        encoding="utf-8")
        files.append(path)
    monkeypatch.setattr(sys, "argv", ["kuozhong", "monitor", "kpi", "--as-of", "2025-06-30", "--data",
                                      str(data_dir), "--out", str(tmp_path / "kpi")])
    try:
        main()
    except SystemExit as stop:
        assert not stop.code
    files += sorted((tmp_path / "kpi").glob("*.html"))
    assert len(files) == 4
    # when each is opened at 390 px, then nothing reaches past the screen (wide tables scroll in their box)
    page = _page(browser, "phone")
    wide = {}
    for path in files:
        page.goto(path.as_uri())
        outside = page.evaluate(OUTSIDE)
        if outside or page.evaluate("document.documentElement.scrollWidth") > SIZES["phone"][0]:
            wide[path.name] = outside[:3]
    page.context.close()
    assert wide == {}
