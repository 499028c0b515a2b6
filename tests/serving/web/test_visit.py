"""The PAD page (/visit) in Debian's chromium at phone and tablet sizes: offline drafts sent once, position and a
photo from the test's fake camera, field checks as typed, and a new household decided from its visit."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from features.county import TOWNSHIP_CENTRES
from features.ids import make_id_number
from serving.clock import program_today
from serving.store import AuditStore
from serving.store.crypto import FieldCipher
from serving.store.visits import VisitStore
from tests.serving.serving_fixtures import live_server, make_key, settings_for
from tests.serving.web.test_officer import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, english_only

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
TOWNSHIP = "枸杞乡"


@pytest.fixture(scope="module")
def pad_site(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('pad-web') / 'audit.db'}"
    settings = settings_for(url, data_dir)
    key = make_key(url, "officer")
    program = make_key(url, "program")
    audit = AuditStore(url).create_all()
    visits = VisitStore(audit.engine, FieldCipher.from_settings(settings)).create_all()
    visits.set_township(key.split("_")[1], TOWNSHIP)
    with live_server(settings, store) as server:
        yield server, key, program, visits
    audit.dispose()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_CAMERA],
                                              headless=True)
        yield launched
        launched.close()


def _context(browser, server, size):
    lat, lon = TOWNSHIP_CENTRES[TOWNSHIP]
    context = browser.new_context(viewport=size, locale="zh-CN", geolocation={"latitude": lat, "longitude": lon,
                                                                              "accuracy": 8},
                                  permissions=["geolocation", "camera"], has_touch=True)
    context.grant_permissions(["geolocation", "camera"], origin=server.url)
    return context


def _sign_in(page, server, key):
    page.goto(f"{server.url}/visit")
    page.fill("#api-key", key)
    page.click("#sign-in")
    expect(page.locator("#visit")).to_be_visible(timeout=30_000)
    expect(page.locator("#v-position")).to_contain_text("已定位", timeout=15_000)


def _fill(page, number: str, name: str, amount: str = "50000") -> None:
    page.fill("#v-id", number)
    page.fill("#v-name", name)
    page.fill("#v-phone", "13900001111")
    page.select_option("#v-township", TOWNSHIP)
    page.fill("#v-years", "12")
    page.select_option("#v-livelihood", "mussel")
    age = program_today().year - int(number[6:10]) - 1
    page.locator("#v-members .m-age").first.fill(str(age))
    page.click("#v-add-member")
    page.locator("#v-members .m-age").nth(1).fill("38")
    page.fill("input[data-income='mussel']", "52000")  # under the cap for two (66,667)
    page.fill("#v-amount", amount)
    page.select_option("#v-purpose", "business")
    page.check("#v-declaration")


def _photo(page) -> None:
    page.click("#v-open-camera")
    expect(page.locator("#v-shoot")).to_be_visible()
    page.wait_for_function("document.getElementById('v-camera').videoWidth > 0", timeout=15_000)
    page.click("#v-shoot")
    expect(page.locator("#v-photos img")).to_have_count(1)


def _no_horizontal_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_household_never_seen_is_visited_offline_sent_once_and_decided_on_a_phone(pad_site, browser):
    server, key, program, visits = pad_site
    number = make_id_number("330922", dt.date(1979, 4, 12), 517)
    before = visits.count()
    context = _context(browser, server, PHONE)
    page = context.new_page()
    _sign_in(page, server, key)
    # given a form filled at the door with position and a photo from the camera
    _fill(page, number, "新户甲")
    _photo(page)
    _no_horizontal_scroll(page, PHONE["width"])
    page.screenshot(path=str(SCREENSHOTS / "visit-390-form.png"), full_page=True)
    # when the network is gone and the officer submits
    context.set_offline(True)
    page.click("#v-submit")
    # then the form waits on the device, nothing reached the service
    expect(page.locator("#outbox-summary")).to_contain_text("本机有1份采集表待发送")
    expect(page.locator("#network-state")).to_contain_text("离线")
    assert visits.count() == before
    page.screenshot(path=str(SCREENSHOTS / "visit-390-offline.png"), full_page=True)
    # when the network returns
    context.set_offline(False)
    sent = time.monotonic()
    # then the visit is sent, stored once, and the new household's decision is on the card within seconds
    expect(page.locator("#sent-result")).to_contain_text("已提交", timeout=20_000)
    expect(page.locator("#decision-card")).to_be_visible(timeout=20_000)
    took = time.monotonic() - sent
    assert took < 20
    expect(page.locator("#outbox-summary")).to_contain_text("没有待发送")
    assert visits.count() == before + 1
    stored = visits.visits()[-1]
    assert stored.photo_count == 1 and stored.lat is not None and stored.township == TOWNSHIP
    expect(page.locator("#recommendation")).to_have_text("转人工审核")
    expect(page.locator("#card-notes")).to_contain_text("本行没有该户的贷款和征信记录")
    # and the visit shows in the 过程考核 with its position, photo and checks (a visit of seconds is doubtful)
    item = page.locator(f"#my-visits li[data-visit-id='{stored.visit_id}']")
    expect(item).to_contain_text(f"北纬{stored.lat:.5f}°")
    expect(item.locator("img")).to_have_count(1)
    expect(item).to_contain_text("存疑：走访时长异常")
    expect(item).to_contain_text(f"{stored.visited_at:%Y-%m-%d %H:%M}")
    _no_horizontal_scroll(page, PHONE["width"])
    assert english_only(page.locator("body").inner_text()) == []
    assert number not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "visit-390-decided.png"), full_page=True)
    # and reloading sends nothing again
    page.reload()
    expect(page.locator("#visit")).to_be_visible()
    page.wait_for_timeout(1500)
    assert visits.count() == before + 1
    context.close()
    # and the program's 过程考核 counts it for this officer
    board = httpx.get(f"{server.url}/v1/program/dashboard", params={"as_of": program_today().isoformat()},
                      headers={"X-API-Key": program}, timeout=180).json()
    mine = [m for m in board["lists"]["过程考核"]["rows"] if m["account_manager_id"] == key.split("_")[1]]
    assert mine and mine[0]["visits"] == 1 and mine[0]["doubtful"] == 1


def test_a_lost_answer_is_resent_and_stored_once_and_fields_are_checked_as_typed_on_a_tablet(pad_site, browser):
    server, key, _, visits = pad_site
    number = make_id_number("330922", dt.date(1983, 9, 3), 211)
    context = _context(browser, server, TABLET)
    page = context.new_page()
    _sign_in(page, server, key)
    spec = {f["field"]: f for f in httpx.get(f"{server.url}/v1/visits/schema",
                                            headers={"X-API-Key": key}).json()["fields"]}
    # given bad values typed, each field says what the service would answer
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    typed = [("#v-id", wrong, "form.applicant.id_number", "check"),
             ("#v-phone", "138-ABC", "form.applicant.phone", "pattern"),
             ("#v-years", "200", "form.residence.years_at_address", "le"),
             ("input[data-income='fishing']", "8.6", "form.declared_income.fishing", "wan_yuan"),
             ("#v-amount", "50", "form.requested_amount", "wan_yuan"),
             ("#v-members .m-age >> nth=0", "130", "form.members.0.age", "le")]
    shown = []
    for selector, value, field, rule in typed:
        page.fill(selector, value)
        note = page.locator(selector).locator("xpath=ancestor::label").locator(".field-error")
        expect(note).to_have_text(spec[field]["messages"][rule])
        shown.append(note.inner_text())
    page.click("#v-submit")
    expect(page.locator("#v-errors")).to_contain_text("请先改正标红的")
    shown.append(page.locator("#v-errors").inner_text())
    page.screenshot(path=str(SCREENSHOTS / "visit-768-field-checks.png"), full_page=True)
    assert [line for s in shown for line in english_only(s)] == []
    page.fill("input[data-income='fishing']", "")
    page.fill("#v-phone", "")
    page.fill("#v-years", "5")
    _fill(page, number, "平板乙")
    # when the service stores the visit but its answer is lost on the way back
    lost = []

    def drop_answer(route):
        if not lost:
            route.fetch()  # the service receives and stores it
            lost.append(True)
            route.abort("connectionreset")
        else:
            route.continue_()

    before = visits.count()
    page.route("**/v1/visits", drop_answer)
    page.click("#v-submit")
    expect(page.locator("#outbox-summary")).to_contain_text("本机有1份采集表待发送")
    assert visits.count() == before + 1
    # then the page sends the draft again, and the service answers with the visit it has: still one
    expect(page.locator("#sent-result")).to_contain_text("已提交", timeout=20_000)
    expect(page.locator("#outbox-summary")).to_contain_text("没有待发送")
    assert visits.count() == before + 1
    expect(page.locator("#decision-card")).to_be_visible(timeout=20_000)
    _no_horizontal_scroll(page, TABLET["width"])
    page.screenshot(path=str(SCREENSHOTS / "visit-768-decided.png"), full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})
    _no_horizontal_scroll(page, 1024)
    page.screenshot(path=str(SCREENSHOTS / "visit-1024.png"), full_page=True)
    context.close()
