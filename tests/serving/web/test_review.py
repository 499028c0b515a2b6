"""The reviewers' page end to end in Debian's chromium (headless, Playwright): sign-in to an exported final list."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import expect, sync_playwright

from tests.serving.review.helpers import make_reviewer_key, unmasked_in
from tests.serving.serving_fixtures import live_server, make_key, settings_for
from tests.serving.web.test_officer import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

SIZES = {"desktop": {"width": 1280, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture(scope="module")
def site(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('review-web') / 'audit.db'}"
    officer, reviewer = make_key(url, "officer"), make_reviewer_key(url, "县财政局")
    with live_server(settings_for(url, data_dir), store) as server:
        # the bank has submitted its 待审核名单 for the visits up to mid-2024
        answer = requests.post(f"{server.url}/v1/review/batches", json={"until": "2024-06-30"},
                               headers={"X-API-Key": officer}, timeout=120)
        assert answer.status_code == 201, answer.text
        yield server, reviewer


@pytest.mark.parametrize("size", list(SIZES))
def test_a_reviewer_signs_in_reviews_a_batch_and_exports_the_final_list(site, size, sources, tmp_path):
    server, key = site
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (Debian package chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(accept_downloads=True, viewport=SIZES[size], locale="zh-CN")
        page = context.new_page()
        try:
            _walk(page, server.url, key, size, sources, tmp_path)
        finally:
            context.close()
            browser.close()


def _walk(page, url: str, key: str, size: str, sources, tmp_path: Path) -> None:
    # given the page, a wrong key is refused
    page.goto(f"{url}/review")
    page.fill("#api-key", "kz_wrong_key")
    page.click("#sign-in")
    expect(page.locator("#sign-in-error")).to_contain_text("登录失败")
    # when the county's reviewer signs in and filters one township
    page.fill("#api-key", key)
    page.click("#sign-in")
    expect(page.locator("#signed-in-as")).to_contain_text("县财政局")
    expect(page.locator("#batches tbody tr").first).to_be_visible()
    page.select_option("#filter-township", "菜园镇")
    expect(page.locator("#batches tbody tr td:nth-child(2)").filter(has_not_text="菜园镇")).to_have_count(0)
    townships = page.locator("#batches tbody tr td:nth-child(2)").all_inner_texts()
    assert townships and set(townships) == {"菜园镇"}
    # and opens a batch with entries still under review, then its first entry
    page.select_option("#filter-status", "under_review")
    page.locator("#batches tbody tr").first.click()
    expect(page.locator("#entries tbody tr").first).to_be_visible()
    assert set(page.locator("#entries tbody tr td:nth-child(7)").all_inner_texts()) == {"待审核"}
    page.locator("#entries tbody tr").first.click()
    # then the 采集表 shows the visit's date, GPS and photos with identity masked
    form = page.locator("#form-view")
    expect(form).to_contain_text("走访日期")
    expect(form).to_contain_text("GPS定位")
    expect(form).to_contain_text("照片数")
    assert "*" in form.inner_text()
    page.locator("#entry-panel").screenshot(path=str(SCREENSHOTS / f"review-entry-{size}.png"))
    page.locator("#entries-panel").screenshot(path=str(SCREENSHOTS / f"review-batch-{size}.png"))
    # when the reviewer confirms it, the trail shows the action
    page.select_option("#action", "confirm")
    page.click("#act")
    expect(page.locator("#trail tbody tr")).to_have_count(1)
    expect(page.locator("#trail tbody tr td:nth-child(2)")).to_have_text("确认")
    # and an action the status does not allow, or one without its reason, is named and not stored
    page.select_option("#action", "not_confirm")
    page.click("#act")
    expect(page.locator("#error")).to_contain_text("field 'action'")
    page.select_option("#action", "appeal")
    page.click("#act")
    expect(page.locator("#error")).to_contain_text("field 'reason'")
    expect(page.locator("#trail tbody tr")).to_have_count(1)
    # when the batch's confirmation is recorded and the list published
    page.select_option("#confirm-method", "村小组评议")
    page.fill("#confirm-result", "村小组评议通过")
    page.click("#confirm-save")
    expect(page.locator("#confirmations")).to_contain_text("村小组评议通过")
    page.click("#publish")
    expect(page.locator("#final-summary")).to_contain_text("已形成第")
    page.locator("#final-panel").screenshot(path=str(SCREENSHOTS / f"review-final-list-{size}.png"))
    page.screenshot(path=str(SCREENSHOTS / f"review-page-{size}.png"), full_page=True)
    # then the final list exports as XLSX with Chinese headers and masked identity only
    with page.expect_download() as info:
        page.click("#export")
    saved = tmp_path / f"final-{size}.xlsx"
    info.value.save_as(saved)
    rows = list(load_workbook(saved)["最终名单"].iter_rows(values_only=True))
    assert rows[0][:3] == ("名单版本", "生效日期", "乡镇") and len(rows) > 1
    assert "确认" in {r[7] for r in rows[1:]}
    assert unmasked_in(" ".join(str(v) for r in rows for v in r), sources) == []
    assert unmasked_in(page.content(), sources) == []
