"""The program staff's dashboard in a real browser (Debian's chromium via Playwright), and its API's access rules."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.serving.serving_fixtures import live_server, make_key, settings_for
from tests.serving.web.test_officer import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def board(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('program') / 'audit.db'}"
    keys = {role: make_key(url, role) for role in ("program", "officer")}
    with live_server(settings_for(url, data_dir), store) as server:
        yield server, keys


def test_only_program_staff_and_admins_read_the_dashboard(board):
    server, keys = board
    assert httpx.get(f"{server.url}/v1/program/dashboard").status_code == 401
    assert httpx.get(f"{server.url}/v1/program/dashboard", headers={"X-API-Key": keys["officer"]}).status_code == 403
    bad = httpx.get(f"{server.url}/v1/program/dashboard", params={"as_of": "2025-02-30"},
                    headers={"X-API-Key": keys["program"]})
    assert bad.status_code == 422 and "as_of" in bad.text


def test_dashboard_renders_kpis_lists_and_drift(board, county, policy):
    server, keys = board
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (Debian package chromium)")
    data = httpx.get(f"{server.url}/v1/program/dashboard", params={"as_of": AS_OF},
                     headers={"X-API-Key": keys["program"]}, timeout=120).json()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 1400}, locale="zh-CN")
        # given the page, a key without the program role is refused
        page.goto(f"{server.url}/program")
        page.fill("#api-key", keys["officer"])
        page.click("#sign-in")
        expect(page.locator("#sign-in-error")).to_contain_text("登录失败")
        # when program staff sign in and pick the statistics day
        page.fill("#api-key", keys["program"])
        page.click("#sign-in")
        expect(page.locator("#board")).to_be_visible(timeout=60_000)
        page.fill("#as-of-input", AS_OF)
        page.click("#refresh")
        expect(page.locator("#as-of")).to_contain_text(AS_OF, timeout=60_000)
        # then the KPI table shows every indicator of 附件1 with the API's figures
        rows = page.locator("#kpi-table tbody tr")
        expect(rows).to_have_count(len(data["kpis"]))
        signed = next(k for k in data["kpis"] if k["key"] == "households_signed")
        expect(rows.filter(has_text="签约、授信扩中家庭")).to_contain_text(f"{signed['实际值']:,.0f}".replace(",", ","))
        assert page.locator("#charts img").count() >= 1
        expect(page.locator("#doubtful-count")).to_contain_text(str(data["doubtful_total"]))
        expect(page.locator("#mobility-count")).to_contain_text(str(data["upward_mobility_total"]))
        expect(page.locator("#drift")).to_contain_text("模型 v")
        # and no ID number or name of any household is on the page
        text = page.locator("body").inner_text()
        for visit in county.visits[:200]:
            assert visit["applicant"]["id_number"] not in text
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "program-dashboard.png"), full_page=True)
        browser.close()
    assert data["upward_mobility_total"] > 0 and data["doubtful_total"] > 0
