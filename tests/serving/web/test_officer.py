"""The loan officer's page end to end in a real browser: Debian's chromium, headless, driven by Playwright."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright

from models.explain.reasons import display_points
from serving.store import AuditStore
from tests.serving.serving_fixtures import LiveServer, live_server, make_key, settings_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "output" / "screenshots"
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASE = re.compile(r"[A-Za-z]{3,}[\s,.:;'()-]+[A-Za-z]{3,}")
WIDTHS = (390, 768, 1024, 1440)


def english_only(text: str) -> list[str]:
    """Lines that carry an English phrase and no Chinese at all (a message an officer could not read)."""
    return [line for line in text.splitlines() if ENGLISH_PHRASE.search(line) and not CJK.search(line)]


class Site(NamedTuple):
    """The running app, an officer's key, a program key and the store's URL."""

    server: LiveServer
    key: str
    program_key: str
    url: str


@pytest.fixture(scope="module")
def site(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'audit.db'}"
    key = make_key(url, "officer")
    with live_server(settings_for(url, data_dir), store) as server:
        yield Site(server, key, make_key(url, "program"), url)


@pytest.fixture(scope="module")
def page(site):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh` (Debian package chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900},
                                      locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()


def _eligible_row(table: pd.DataFrame, policy) -> pd.Series:
    """The first application that passes every rule (so the card shows terms too)."""
    from models.rules import evaluate_rules

    for _, row in table.head(200).iterrows():
        if all(r.outcome == "pass" for r in evaluate_rules(row.to_dict(), policy)):
            return row
    raise AssertionError("no eligible application among the first 200")


def test_an_officer_signs_in_decides_downloads_and_reviews(site, page, table, policy, tmp_path):
    server, key = site.server, site.key
    row = _eligible_row(table, policy)
    shown: list[str] = []
    # given the page, a wrong key is refused in Chinese, and a program key at sign-in, not at the first decision
    page.goto(f"{server.url}/officer")
    page.fill("#api-key", "kz_wrong_key")
    page.click("#sign-in")
    expect(page.locator("#sign-in-error")).to_contain_text("登录失败：密钥无效")
    shown.append(page.locator("#sign-in-error").inner_text())
    page.fill("#api-key", site.program_key)
    page.click("#sign-in")
    expect(page.locator("#sign-in-error")).to_contain_text("不能办理信贷业务")
    shown.append(page.locator("#sign-in-error").inner_text())
    expect(page.locator("#work")).to_be_hidden()
    # when the officer signs in and looks a household up
    page.fill("#api-key", key)
    page.click("#sign-in")
    expect(page.locator("#signed-in-as")).to_contain_text("已登录")
    page.fill("#household-id", str(row["household_id"]))
    page.fill("#application-date", pd.Timestamp(row["as_of"]).date().isoformat())
    page.fill("#requested-amount", str(int(row["requested_amount"])))
    page.select_option("#purpose", str(row["purpose"]))
    page.click("#submit-decision")
    # then the decision card shows rules, score, grade, reasons with a waterfall, and terms
    card = page.locator("#decision-card")
    expect(card).to_be_visible()
    expect(page.locator("#recommendation")).not_to_be_empty()
    shown_id = page.locator("#decision-id").inner_text().removeprefix("编号 ").strip()
    decision = page.evaluate(f"fetch('/v1/decisions/{shown_id}', {{headers: {{'X-API-Key': '{key}'}}}})"
                             ".then(r => r.json())")["decision"]
    assert page.locator("#score").inner_text() == str(int(display_points(decision["score"])))
    assert page.locator("#grade").inner_text() == decision["grade"]
    assert page.locator("#eligibility-list .rule").count() == len(decision["eligibility"]["rules"])
    assert page.locator("#reasons li").count() == len(decision["reasons"])
    assert page.locator("#waterfall rect").count() >= len(decision["reasons"]) + 2
    # the waterfall: base, the reasons, the other factors by group, the score; the whole points add up
    assert page.locator("#waterfall rect").count() == len(decision["reasons"]) + len(decision["other_factors"]) + 2
    labels = page.locator("#waterfall text").evaluate_all("els => els.map(e => e.textContent)")
    assert all(g["label_zh"] in labels for g in decision["other_factors"])
    assert decision["applicant_id_masked"] in page.locator("#applicant").inner_text()
    # and the application date defaulted to the officer's day in Shengsi
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SCREENSHOTS / "decision-card.png"))
    shown.append(page.locator("body").inner_text())
    # when the approval file is downloaded
    with page.expect_download() as info:
        page.click("#download-approval")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    # then it is the decision's approval file
    content = saved.read_bytes()
    assert shown_id in info.value.suggested_filename
    assert info.value.suggested_filename.endswith(".pdf") and content.startswith(b"%PDF")
    # when the officer overrides with a reason
    other = next(r for r in ("approve", "refer", "decline") if r != decision["recommendation"])
    page.select_option("#review-action", "override")
    page.select_option("#review-final", other)
    page.fill("#review-reason", "走访核实：经营情况好于记录")
    page.click("#submit-review")
    # then the review is listed beside the model's output
    expect(page.locator("#reviews li")).to_have_count(1)
    expect(page.locator("#final")).to_contain_text("信贷员复核")
    expect(page.locator("#recommendation")).to_have_text(
        {"approve": "建议批准", "refer": "转人工审核", "decline": "建议拒绝"}[decision["recommendation"]])
    expect(page.locator("#reviews li")).to_contain_text("北京时间")
    # when a household that does not exist is looked up next
    page.fill("#household-id", "H99999999999")
    page.click("#submit-decision")
    # then the error is in Chinese and the previous card and review form are gone
    expect(page.locator("#error")).to_contain_text("H99999999999")
    expect(page.locator("#decision-card")).to_be_hidden()
    assert page.locator("#review-final").input_value() == "" and page.locator("#review-reason").input_value() == ""
    shown.append(page.locator("#error").inner_text())
    assert all(CJK.search(s) for s in shown)
    assert [line for s in shown for line in english_only(s)] == []


def test_three_quick_clicks_make_one_decision(site, page, table):
    server = site.server
    row = table.iloc[21]
    page.goto(f"{server.url}/officer")
    expect(page.locator("#work")).to_be_visible()
    page.fill("#household-id", str(row["household_id"]))
    page.fill("#application-date", pd.Timestamp(row["as_of"]).date().isoformat())
    audit = AuditStore(site.url)
    before = audit.count_decisions()
    # when the officer clicks three times before the answer comes
    page.evaluate("() => { const b = document.getElementById('submit-decision'); b.click(); b.click(); b.click(); }")
    expect(page.locator("#decision-card")).to_be_visible(timeout=30_000)
    expect(page.locator("#submit-decision")).to_be_enabled()
    # then one decision is stored
    assert audit.count_decisions() == before + 1
    audit.dispose()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_card_holds_at_every_width(site, page, table, width):
    server, key = site.server, site.key
    row = table.iloc[31]
    made = page.evaluate(
        "([key, body]) => fetch('/v1/decisions', {method: 'POST', headers: {'X-API-Key': key, "
        "'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then(r => r.json())",
        [key, {"source": "household", "household_id": str(row["household_id"]),
               "application_date": pd.Timestamp(row["as_of"]).date().isoformat(),
               "requested_amount": float(row["requested_amount"]), "purpose": str(row["purpose"])}])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server.url}/officer?decision={made['decision']['decision_id']}")
    expect(page.locator("#decision-card")).to_be_visible()
    # then nothing is wider than the screen and the waterfall fits its container
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator("#waterfall").bounding_box()
    holder = page.locator("#decision-card").bounding_box()
    assert box is not None and holder is not None and box["x"] + box["width"] <= holder["x"] + holder["width"] + 1
    # and the download button is not covered by anything
    page.locator("#download-approval").scroll_into_view_if_needed()
    handle = page.locator("#download-approval").bounding_box()
    assert handle is not None
    top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).id",
                        [handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2])
    assert top == "download-approval"
    assert english_only(page.locator("body").inner_text()) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"officer-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1100, "height": 900})


def test_a_form_filled_in_the_page_is_decided_and_bad_input_is_named(site, page, county, table):
    server = site.server
    row = table.iloc[11]
    visit = next(v for v in reversed(county.visits) if v["household_id"] == row["household_id"])
    page.goto(f"{server.url}/officer")
    expect(page.locator("#work")).to_be_visible()  # the key is kept for the browser session
    page.click("#mode-form")
    page.fill("#household-id", str(row["household_id"]))
    page.fill("#application-date", pd.Timestamp(row["as_of"]).date().isoformat())
    # given a mistyped ID number, the page names the field
    number = visit["applicant"]["id_number"]
    page.fill("#f-id-number", number[:17] + ("0" if number[17] != "0" else "1"))
    page.fill("#f-name", visit["applicant"]["name"])
    page.click("#submit-decision")
    expect(page.locator("#error")).to_contain_text("申请人身份证号有误")
    expect(page.locator("#error")).to_contain_text("校验码")
    # when the right number is typed
    page.fill("#f-id-number", number)
    page.select_option("#f-township", visit["residence"]["township"])
    page.select_option("#f-livelihood", visit["livelihood"])
    # the member list is the household: an age left empty is asked for, not invented
    page.click("#submit-decision")
    expect(page.locator("#error")).to_contain_text("请填写第1位家庭成员的年龄")
    for k, member in enumerate(visit["members"]):
        if k:
            page.click("#f-add-member")
        page.locator("#f-members .m-age").nth(k).fill(str(member["age"]))
    page.click("#submit-decision")
    # then the card shows the masked identity only
    expect(page.locator("#applicant")).to_contain_text(number[-4:])
    text = page.locator("#decision-card").inner_text()
    assert number not in text and visit["applicant"]["name"] not in text
    assert json.dumps(visit["applicant"]["name"], ensure_ascii=False).strip('"')[0] in text


def test_a_conditioned_approval_states_its_condition_on_the_card_and_the_file_at_phone_width(
        site, page, county, table, tmp_path):
    # given visit forms typed in again with the 身份承诺书 left unsigned, until one is approved
    server, key = site.server, site.key
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{server.url}/officer")
    if not page.locator("#work").is_visible():
        page.fill("#api-key", key)
        page.click("#sign-in")
        expect(page.locator("#work")).to_be_visible()
    made = None
    for position in range(60):
        row = table.iloc[position]
        visit = next((v for v in reversed(county.visits) if v["household_id"] == row["household_id"]), None)
        if visit is None:
            continue
        form = {k: visit[k] for k in ("visited_at", "applicant", "livelihood", "residence", "members",
                                      "declared_income", "assets")}
        body = {"source": "form", "household_id": str(row["household_id"]),
                "application_date": pd.Timestamp(row["as_of"]).date().isoformat(),
                "requested_amount": float(row["requested_amount"]), "purpose": str(row["purpose"]),
                "visit": json.loads(json.dumps({**form, "declaration_signed": False}, default=str))}
        answer = page.evaluate(
            "([key, body]) => fetch('/v1/decisions', {method: 'POST', headers: {'X-API-Key': key, "
            "'Content-Type': 'application/json'}, body: JSON.stringify(body)}).then(r => r.json())", [key, body])
        if answer["decision"]["recommendation"] == "approve" and answer["decision"]["conditions"]:
            made = answer["decision"]
            break
    assert made is not None, "no approval among the first 60 forms"
    # the API's JSON carries the condition
    assert made["conditions"][0]["text_zh"] == "放款前提条件：签署扩中家庭身份承诺书"
    # when the officer opens it on a phone
    page.goto(f"{server.url}/officer?decision={made['decision_id']}")
    expect(page.locator("#decision-card")).to_be_visible()
    # then the card states the condition beside the approval, the rule reads as one to meet, and the pricing adds up
    expect(page.locator("#conditions")).to_be_visible()
    expect(page.locator("#conditions")).to_contain_text("放款前提条件：签署扩中家庭身份承诺书（满足前不得放款）")
    expect(page.locator("#recommendation")).to_have_text("建议批准")
    expect(page.locator("#eligibility-list")).to_contain_text("放款前须满足")
    expect(page.locator("#terms")).to_contain_text(f"利率构成：{made['terms']['pricing_zh']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#decision-card").screenshot(path=str(SCREENSHOTS / "conditioned-approval-390.png"))
    # and the approval file it downloads states it too
    with page.expect_download() as info:
        page.click("#download-approval")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    import subprocess

    text = subprocess.run(["pdftotext", "-raw", str(saved), "-"], capture_output=True, text=True, check=True).stdout
    assert "放款前提条件" in text and "签署扩中家庭身份承诺书" in "".join(text.split())
    page.set_viewport_size({"width": 1100, "height": 900})
