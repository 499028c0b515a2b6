"""The 数据大屏 in a real browser (Debian's chromium via Playwright) at desktop and tablet sizes, checked against
`kuozhong monitor kpi` for the same day; its API's access rules, filters, exports and data refresh."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sys
from pathlib import Path

import httpx
import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright

from features.sources.load import load_sources
from monitoring.stage4 import data_until
from serving.cli.main import main
from serving.clock import program_today
from tests.serving.serving_fixtures import live_server, make_key, settings_for
from tests.serving.web.test_officer import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

AS_OF = "2025-06-30"
TOWNSHIP = "枸杞乡"
SIZES = {"desktop": {"width": 1440, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture(scope="module")
def served_data(data_dir, tmp_path_factory):
    """A copy of the county's folder, so that a test may change the data under the running server."""
    folder = tmp_path_factory.mktemp("served") / "data"
    shutil.copytree(data_dir, folder)
    return folder


@pytest.fixture(scope="module")
def board(trained_store, served_data, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('program') / 'audit.db'}"
    keys = {role: make_key(url, role) for role in ("program", "officer")}
    with live_server(settings_for(url, served_data), store) as server:
        yield server, keys


@pytest.fixture(scope="module")
def workbook(served_data, tmp_path_factory):
    """`kuozhong monitor kpi` for the same day, read back: indicator -> value, township -> its row."""
    out = tmp_path_factory.mktemp("kpi")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["kuozhong", "monitor", "kpi", "--as-of", AS_OF, "--data", str(served_data),
                                    "--out", str(out)])
        try:
            main()
        except SystemExit as stop:
            assert not stop.code
    book = openpyxl.load_workbook(out / f"成效监测表-{AS_OF}.xlsx")
    form = {row[1].value: row[3].value for row in book["成效监测表"].iter_rows(min_row=4) if row[1].value}
    header = [c.value for c in book["分乡镇"][3]]
    towns = {row[1]: dict(zip(header, row, strict=True)) for row in book["分乡镇"].iter_rows(min_row=4, values_only=True)}
    return form, towns


def _get(server, key, path, **params):
    return httpx.get(f"{server.url}{path}", params=params, headers={"X-API-Key": key}, timeout=180)


def test_only_program_staff_and_admins_read_the_dashboard(board):
    server, keys = board
    assert httpx.get(f"{server.url}/v1/program/dashboard").status_code == 401
    assert _get(server, keys["officer"], "/v1/program/dashboard").status_code == 403
    bad = _get(server, keys["program"], "/v1/program/dashboard", as_of="2025-02-30")
    assert bad.status_code == 422 and "as_of" in bad.text
    town = _get(server, keys["program"], "/v1/program/dashboard", as_of=AS_OF, township="上海")
    assert town.status_code == 422 and "township" in town.text and "乡镇" in town.text
    sort = _get(server, keys["program"], "/v1/program/export", table="应回访清单", sort="nonsense", as_of=AS_OF)
    assert sort.status_code == 422 and "sort" in sort.text


def test_figures_follow_the_data_folder_when_it_changes(board, served_data):
    server, keys = board
    before = _get(server, keys["program"], "/v1/program/dashboard", as_of=AS_OF).json()
    signed = next(k["实际值"] for k in before["kpis"] if k["key"] == "households_signed")
    ledger_path = served_data / "loan_ledger.parquet"
    original = ledger_path.read_bytes()
    try:
        ledger = pd.read_parquet(ledger_path)
        ledger.iloc[: len(ledger) // 2].to_parquet(ledger_path, index=False)
        after = _get(server, keys["program"], "/v1/program/dashboard", as_of=AS_OF).json()
        assert next(k["实际值"] for k in after["kpis"] if k["key"] == "households_signed") < signed
    finally:
        ledger_path.write_bytes(original)
    again = _get(server, keys["program"], "/v1/program/dashboard", as_of=AS_OF).json()
    assert next(k["实际值"] for k in again["kpis"] if k["key"] == "households_signed") == signed


@pytest.mark.parametrize("size", list(SIZES))
def test_dashboard_filters_exports_and_matches_monitor_kpi(size, board, served_data, workbook, county, tmp_path):
    server, keys = board
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (Debian package chromium)")
    form, towns = workbook
    yesterday = pd.Timestamp(program_today() - dt.timedelta(days=1))
    last_day = data_until(load_sources(served_data), yesterday).date().isoformat()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=SIZES[size], locale="zh-CN", accept_downloads=True)
        # given a key without the program role, the page refuses
        page.goto(f"{server.url}/program")
        page.fill("#api-key", keys["officer"])
        page.click("#sign-in")
        expect(page.locator("#sign-in-error")).to_contain_text("登录失败")
        # when program staff sign in, the default day is the last day with data, and the page says so
        page.fill("#api-key", keys["program"])
        page.click("#sign-in")
        expect(page.locator("#board")).to_be_visible(timeout=120_000)
        expect(page.locator("#data-until")).to_contain_text(f"数据截至 {last_day}")
        assert page.input_value("#as-of-input") == last_day
        # and they pick the day: every card shows the figure `kuozhong monitor kpi` wrote for it
        page.fill("#as-of-input", AS_OF)
        page.click("#refresh")
        expect(page.locator("#as-of")).to_contain_text(AS_OF, timeout=120_000)
        cards = page.locator("#kpi-cards .card")
        expect(cards).to_have_count(len(form))
        for i in range(cards.count()):
            name = cards.nth(i).locator("h3").inner_text()
            value = cards.nth(i).locator(".value").inner_text().split(" ")[0].replace(",", "")
            assert (value == "—" and form[name] is None) or float(value) == pytest.approx(form[name]), name
        # the charts are drawn in the browser (ECharts canvases), not images
        assert page.locator("#chart-trend canvas").count() == 1 and page.locator("img").count() == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"program-dashboard-{size}.png"), full_page=True)
        # a township filter gives the 分乡镇 row of the workbook
        page.select_option("#township", TOWNSHIP)
        page.click("#refresh")
        expect(page.locator("#as-of")).to_contain_text(TOWNSHIP, timeout=120_000)
        balance = page.locator('#kpi-cards .card[data-key="loan_balance"] .value').inner_text().split(" ")[0]
        assert float(balance.replace(",", "")) == pytest.approx(towns[TOWNSHIP]["贷款余额(万元)"])
        signed = page.locator('#kpi-cards .card[data-key="households_signed"] .value').inner_text().split(" ")[0]
        assert int(signed.replace(",", "")) == towns[TOWNSHIP]["签约授信家庭(户)"]
        # the revisit list is paged and sortable; its export holds the whole filtered list in the order on screen
        page.click('#list-tabs button[data-list="应回访清单"]')
        total = int(page.locator("#list-count").inner_text().split("共 ")[1].split(" ")[0])
        assert page.locator("#list-table tbody tr").count() == min(total, 20)
        page.click('#list-table th[data-column="days_overdue"]')
        page.click('#list-table th[data-column="days_overdue"]')
        expect(page.locator('#list-table th[data-column="days_overdue"]')).to_have_attribute("aria-sort", "descending")
        shown = [int(t.replace(",", "")) for t in page.locator("#list-table tbody tr td:nth-child(7)").all_inner_texts()]
        assert shown == sorted(shown, reverse=True)
        with page.expect_download() as done:
            page.click('#list-exports button[data-format="xlsx"]')
        sheet = openpyxl.load_workbook(io.BytesIO(Path(done.value.path()).read_bytes())).active
        rows = list(sheet.iter_rows(min_row=3, values_only=True))
        header = [c.value for c in sheet[2]]
        assert len(rows) == total and header[6] == "逾期天数"
        assert [r[6] for r in rows[: len(shown)]] == shown
        with page.expect_download() as done:
            page.click('.exports[data-table="kpis"] button[data-format="csv"]')
        csv = pd.read_csv(done.value.path(), encoding="utf-8-sig")
        assert float(csv.set_index("指标").at["各项贷款余额", "实际值"]) == pytest.approx(towns[TOWNSHIP]["贷款余额(万元)"])
        page.screenshot(path=str(SCREENSHOTS / f"program-dashboard-{size}-{TOWNSHIP}.png"), full_page=True)
        # no ID number of any household is on the page
        text = page.locator("body").inner_text()
        for visit in county.visits[:300]:
            assert visit["applicant"]["id_number"] not in text
        browser.close()
