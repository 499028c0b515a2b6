"""List review over HTTP: roles and scope, the error shape, 边审核边放款 then 不予确认, the export, masking."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from serving.api.app import create_app
from serving.clock import program_today
from tests.serving.batch.fixtures import store_env
from tests.serving.review.helpers import make_reviewer_key, unmasked_in
from tests.serving.serving_fixtures import make_key, settings_for


@pytest.fixture(scope="module")
def api(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('review-api') / 'audit.db'}"
    keys = {role: make_key(url, role) for role in ("officer", "risk", "admin")}
    keys |= {"county": make_reviewer_key(url, "县财政局"), "caiyuan": make_reviewer_key(url, "菜园镇")}
    with store_env(store), TestClient(create_app(settings_for(url, data_dir))) as client:
        submitted = client.post("/v1/review/batches", json={"until": "2024-06-30"}, headers=_h(keys["officer"]))
        assert submitted.status_code == 201, submitted.text
        yield client, keys, submitted.json()


def _h(key: str) -> dict:
    return {"X-API-Key": key}


def test_the_routes_sit_under_one_prefix_in_the_openapi(api):
    client, _, _ = api
    paths = [p for p in client.get("/openapi.json").json()["paths"] if "/review/" in p]
    assert paths and all(p.startswith("/v1/review/") for p in paths)
    assert {"/v1/review/batches", "/v1/review/entries/{entry_id}/actions", "/v1/review/final-list.xlsx",
            "/v1/review/supplements", "/v1/review/batches/{batch_no}/publish"} <= set(paths)


def test_keys_and_roles_are_checked_like_the_decision_routes(api):
    client, keys, _ = api
    assert client.get("/v1/review/batches").status_code == 401
    assert client.get("/v1/review/batches", headers=_h("kz_nope_nope")).status_code == 401
    assert client.get("/v1/review/batches", headers=_h(keys["risk"])).status_code == 403
    # a reviewer decides; the bank submits and resubmits; neither does the other's part
    assert client.post("/v1/review/batches", json={}, headers=_h(keys["county"])).status_code == 403
    entry = client.get("/v1/review/entries", headers=_h(keys["officer"])).json()[0]
    refused = client.post(f"/v1/review/entries/{entry['entry_id']}/actions", headers=_h(keys["officer"]),
                          json={"action": "confirm"})
    assert refused.status_code == 403 and refused.json()["field"] == "action"


def test_a_township_reviewer_sees_only_their_township_and_gets_403_elsewhere(api):
    client, keys, batches = api
    mine = client.get("/v1/review/entries", headers=_h(keys["caiyuan"])).json()
    every = client.get("/v1/review/entries", headers=_h(keys["county"])).json()
    assert mine and {e["township"] for e in mine} == {"菜园镇"} and len(every) > len(mine)
    assert {b["township"] for b in client.get("/v1/review/batches", headers=_h(keys["caiyuan"])).json()} == {"菜园镇"}
    other = next(e for e in every if e["township"] != "菜园镇")
    for method, path, body in (("get", f"/v1/review/entries/{other['entry_id']}", None),
                               ("post", f"/v1/review/entries/{other['entry_id']}/actions", {"action": "confirm"}),
                               ("get", f"/v1/review/entries?township={other['township']}", None),
                               ("post", f"/v1/review/batches/{other['batch_no']}/confirmation",
                                {"method": "短信通知", "confirmed_on": "2024-07-01", "result": "无异议"})):
        answer = client.request(method, path, json=body, headers=_h(keys["caiyuan"]))
        # the one error shape: error, field, detail
        assert answer.status_code == 403, (path, answer.text)
        assert set(answer.json()) == {"error", "field", "message_zh", "code", "detail"} and "菜园镇" in answer.json()["error"]


def test_bad_input_names_the_field(api):
    client, keys, _ = api
    entry = client.get("/v1/review/entries", headers=_h(keys["county"])).json()[1]
    cases = [({"action": "approve"}, "action"), ({"action": "not_confirm", "reason": ""}, "reason"),
             ({"action": "confirm", "extra": 1}, "extra")]
    for body, field in cases:
        answer = client.post(f"/v1/review/entries/{entry['entry_id']}/actions", json=body, headers=_h(keys["county"]))
        assert answer.status_code == 422 and field in answer.json()["error"], answer.text
    wrong_method = client.post(f"/v1/review/batches/{entry['batch_no']}/confirmation", headers=_h(keys["county"]),
                               json={"method": "广播", "confirmed_on": "2024-07-01", "result": "通过"})
    assert wrong_method.status_code == 422 and wrong_method.json()["field"] == "method"
    for day, field in (("2023-02-01", "confirmed_on"), ("1900-01-01", "confirmed_on")):  # before submission; no day
        early = client.post(f"/v1/review/batches/{entry['batch_no']}/confirmation", headers=_h(keys["county"]),
                            json={"method": "短信通知", "confirmed_on": day, "result": "通过"})
        assert early.status_code == 422 and early.json()["field"] == field, early.text
    conflict = client.post(f"/v1/review/entries/{entry['entry_id']}/actions", headers=_h(keys["officer"]),
                           json={"action": "resubmit", "reason": "补充"})
    assert conflict.status_code == 409 and conflict.json()["field"] == "action"
    assert client.get("/v1/review/entries/B20990101-01-01-0001", headers=_h(keys["county"])).status_code == 404


def test_lent_while_reviewing_then_not_confirmed_shows_on_the_review_page_with_its_subsidy(api, policy):
    client, keys, _ = api
    today = program_today().isoformat()
    # given households under review: a loan decided today for one of them passes ON_LIST as 边审核边放款
    entries = client.get("/v1/review/entries?status=under_review", headers=_h(keys["county"])).json()
    lent = None
    for entry in [e for e in entries if e["calibration"] == "符合"][:40]:
        made = client.post("/v1/decisions", headers=_h(keys["officer"]), json={
            "source": "household", "household_id": entry["household_id"], "application_date": today,
            "requested_amount": 50000, "purpose": "business"})
        assert made.status_code == 201, made.text
        decision = made.json()["decision"]
        if decision["lent_while_reviewing"]:
            lent = (entry, decision)
            break
    assert lent is not None, "no household under review got a loan offer while reviewing"
    entry, decision = lent
    on_list = next(r for r in decision["eligibility"]["rules"] if r["code"] == "ON_LIST")
    assert on_list["value"] == "under_review" and decision["list_version"] is not None
    assert decision["recommendation"] != "decline"
    # when the entry is later refused
    refused = client.post(f"/v1/review/entries/{entry['entry_id']}/actions", headers=_h(keys["county"]),
                          json={"action": "not_confirm", "reason": "走访核实收入超标"})
    assert refused.status_code == 201, refused.text
    # then the entry shows the loan made under review with its subsidy status, and so does the page's list
    loans = refused.json()["loans_under_review"]
    assert [x["loan_id"] for x in loans] == [decision["decision_id"]]
    stop = policy.list_review.not_confirmed_subsidy == "stop"
    assert loans[0]["subsidy_status"] == (f"贴息自{today}起停止" if stop else "不予确认，已签合同继续享受贴息")
    listed = client.get("/v1/review/lent-not-confirmed", headers=_h(keys["county"])).json()
    assert entry["entry_id"] in {e["entry_id"] for e in listed}
    # and once the batch is confirmed and published, the list marks the household as lent while reviewing
    batch = entry["batch_no"]
    assert client.post(f"/v1/review/batches/{batch}/confirmation", headers=_h(keys["county"]), json={
        "method": "短信通知", "confirmed_on": today, "result": "无异议"}).status_code == 201
    version = client.post(f"/v1/review/batches/{batch}/publish", headers=_h(keys["county"]))
    assert version.status_code == 201, version.text
    row = next(r for r in client.get("/v1/review/final-list", headers=_h(keys["county"])).json()
               if r["household_id"] == entry["household_id"])
    assert (row["list_status"], row["lent_while_reviewing"], row["list_version"]) == (
        "not_confirmed", True, version.json()["version"])
    # and a new decision for the household now reads the new version and is declined by ON_LIST
    again = client.post("/v1/decisions", headers=_h(keys["officer"]), json={
        "source": "household", "household_id": entry["household_id"], "application_date": today,
        "requested_amount": 50000, "purpose": "business"}).json()["decision"]
    assert again["list_version"] == str(version.json()["version"]) and "ON_LIST" in again["declined_by_rules"]


def test_a_supplement_over_http_enters_review(api, sources):
    client, keys, _ = api
    submitted = {e["household_id"] for e in client.get("/v1/review/entries", headers=_h(keys["county"])).json()}
    household = next(h for h, t in zip(sources.base_list["household_id"], sources.base_list["township"], strict=True)
                     if h not in submitted and t == "菜园镇")
    body = {"household_id": household, "township": "菜园镇", "reason": "省级底册遗漏"}
    made = client.post("/v1/review/supplements", json=body, headers=_h(keys["caiyuan"]))
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "supplement" and made.json()["status_counts"] == {"under_review": 1}
    assert client.post("/v1/review/supplements", json=body | {"township": "花鸟乡"},
                       headers=_h(keys["caiyuan"])).status_code == 403


def test_the_export_has_chinese_headers_and_the_list_as_it_stood(api):
    client, keys, _ = api
    answer = client.get("/v1/review/final-list.xlsx", headers=_h(keys["county"]))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(answer.content))["最终名单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("名单版本", "生效日期", "乡镇", "批次号")
    listed = client.get("/v1/review/final-list", headers=_h(keys["county"])).json()
    assert len(rows) - 1 == len(listed)
    assert {r[7] for r in rows[1:]} <= {"确认", "不予确认", "审核中"}
    # the effective date is a date cell a clerk can sort and filter on, the day the list gives
    assert sorted(r[1].date().isoformat() for r in rows[1:]) == sorted(x["effective_on"] for x in listed)
    assert all(c.number_format == "yyyy-mm-dd" for (c,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2))
    # and a township's export holds its own township only
    mine = load_workbook(io.BytesIO(client.get("/v1/review/final-list.xlsx?version=1",
                                               headers=_h(keys["caiyuan"])).content))["最终名单"]
    assert {r[2] for r in list(mine.iter_rows(values_only=True))[1:]} == {"菜园镇"}


def test_no_answer_page_or_export_carries_an_unmasked_id_name_or_phone(api, sources):
    client, keys, _ = api
    key = _h(keys["county"])
    texts = [client.get("/review").text]
    for path in ("/v1/review/me", "/v1/review/batches", "/v1/review/entries", "/v1/review/final-list",
                 "/v1/review/final-list/versions", "/v1/review/lent-not-confirmed"):
        texts.append(client.get(path, headers=key).text)
    entries = client.get("/v1/review/entries", headers=key).json()
    masked = []
    for entry in entries[:: max(1, len(entries) // 60)]:  # an even sample of about 60 entries
        detail = client.get(f"/v1/review/entries/{entry['entry_id']}", headers=key)
        texts.append(detail.text)
        shown = detail.json()["form"]["applicant"]["id_number"]
        # a supplement entry (a household added without a visit form) has no ID answer to mask
        assert shown.count("*") >= 8 or (not shown and entry["kind"] == "supplement")
        masked.append(bool(shown))
    assert sum(masked) >= 0.9 * len(masked)
    export = client.get("/v1/review/final-list.xlsx", headers=key).content
    with zipfile.ZipFile(io.BytesIO(export)) as book:
        texts += [book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml")]
    found = [hit for text in texts for hit in unmasked_in(text, sources)]
    assert found == []
    # and the masked forms are there to be seen (the check would find them unmasked)
    assert any("*" in e["id_number"] and len(e["id_number"]) == 18 for e in entries)
