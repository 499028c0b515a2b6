"""The PAD's API: visits stored once per draft, sealed; identity tied to its household; one decision per key;
search scoped to the township; every error with a Chinese message."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from features.ids import make_id_number, mask_id_number
from serving.api.app import create_app
from serving.clock import program_today
from serving.store import AuditStore
from serving.store.crypto import FieldCipher
from serving.store.visits import VisitStore
from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import application_for, make_key, settings_for

CJK = re.compile(r"[\u4e00-\u9fff]")
PHOTO = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _h(key: str, **extra: str) -> dict:
    return {"X-API-Key": key, **extra}


@pytest.fixture(scope="module")
def pad(trained_store, data_dir, tmp_path_factory):
    store, _ = trained_store
    url = f"sqlite:///{tmp_path_factory.mktemp('pad') / 'audit.db'}"
    settings = settings_for(url, data_dir)
    keys = {role: make_key(url, role) for role in ("officer", "program", "admin")}
    keys["roaming"] = make_key(url, "officer")  # an officer with no township yet
    audit = AuditStore(url).create_all()
    visits = VisitStore(audit.engine, FieldCipher.from_settings(settings)).create_all()
    visits.set_township(keys["officer"].split("_")[1], "菜园镇")
    with store_env(store), TestClient(create_app(settings)) as client:
        yield client, keys, url
    audit.dispose()


def new_id(seed: int) -> str:
    """A valid ID number no simulated household holds (born in 1980 in a region code the simulator does not use)."""
    return make_id_number("110101", dt.date(1980, 1, 1) + dt.timedelta(days=seed), 100 + seed % 800)


def visit_body(id_number: str, **change) -> dict:
    now = dt.datetime.now(dt.UTC)
    form = {"started_at": (now - dt.timedelta(minutes=35)).isoformat(), "ended_at": now.isoformat(),
            "applicant": {"id_number": id_number, "name": "测试甲", "phone": "13800000000"},
            "livelihood": "fishing", "residence": {"township": "菜园镇", "fixed_residence": True, "years_at_address": 9},
            "members": [{"relation": "户主", "age": 2025 - int(id_number[6:10]), "civil_capacity": "full",
                         "health": "good"}, {"relation": "配偶", "age": 40}],
            "declared_income": {"fishing": 60000.0, "total": 60000.0}, "assets": {"fishing_boat": True, "house": True},
            "debts": [{"lender": "亲友", "balance": 10000.0}], "requested_amount": 50000.0, "purpose": "business",
            "declaration_signed": True, "gps": {"lat": 30.7247, "lon": 122.4530, "accuracy_m": 12.0}}
    body = {"draft_id": str(uuid.uuid4()), "household_id": None, "form": form, "photos": [PHOTO, PHOTO]}
    for path, value in change.items():
        *parents, last = path.split(".")
        target = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return body


def test_a_draft_sent_twice_is_stored_once_and_sealed(pad):
    client, keys, url = pad
    number = new_id(1)
    body = visit_body(number)
    # when the same draft arrives twice
    first = client.post("/v1/visits", json=body, headers=_h(keys["officer"]))
    again = client.post("/v1/visits", json=body, headers=_h(keys["officer"]))
    # then one visit is stored and the second answer is that visit
    assert first.status_code == 201 and again.status_code == 200, (first.text, again.text)
    assert first.json()["visit_id"] == again.json()["visit_id"] and again.json()["replayed"] is True
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT form_sealed, id_masked FROM pad_visits WHERE draft_id = :d"),
                                  {"d": body["draft_id"]}).all()
        photos = connection.execute(text("SELECT count(*) FROM pad_visit_photos WHERE visit_id = :v"),
                                    {"v": first.json()["visit_id"]}).scalar()
        # and the database refuses to change it
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("DELETE FROM pad_visits"))
    engine.dispose()
    assert len(rows) == 1 and photos == 2
    # and neither the ID number nor the name is readable at rest
    assert number.encode() not in rows[0][0] and "测试甲".encode() not in rows[0][0]
    assert rows[0][1] == mask_id_number(number)
    assert number not in first.text


def test_a_household_never_seen_is_decided_from_its_visit_and_the_card_says_what_was_missing(pad):
    client, keys, _ = pad
    stored = client.post("/v1/visits", json=visit_body(new_id(2)), headers=_h(keys["officer"])).json()
    # when the household the PAD just visited is decided
    body = {"source": "household", "household_id": stored["household_id"], "requested_amount": 50000,
            "purpose": "business", "application_date": program_today().isoformat()}
    made = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    # then it is decided (refer: the bank holds nothing to judge credit by), and the card says why
    assert made.status_code == 201, made.text
    out = made.json()
    rules = {r["code"]: r for r in out["rules_zh"]}
    assert rules["CREDIT"]["outcome"] == "cannot_decide" and out["decision"]["recommendation"] == "refer"
    kinds = [n["kind"] for n in out["notes"]]
    assert kinds.count("missing_source") == 3
    assert any("信用状况无法判断" in n["message_zh"] and "转人工" in n["message_zh"] for n in out["notes"])
    # and the household's size is its two listed members, not an invented three
    assert "本户上限66,667元" in rules["INCOME_CAP"]["threshold_zh"]
    # and reading it back shows the same notes
    again = client.get(f"/v1/decisions/{out['decision']['decision_id']}", headers=_h(keys["officer"])).json()
    assert again["notes"] == out["notes"] and again["rules_zh"] == out["rules_zh"]


def test_an_id_that_belongs_to_another_household_is_an_error_naming_it(pad, county):
    client, keys, _ = pad
    mine, theirs = county.visits[0], county.visits[1]
    body = visit_body(theirs["applicant"]["id_number"], household_id=mine["household_id"])
    refused = client.post("/v1/visits", json=body, headers=_h(keys["officer"]))
    assert refused.status_code == 422
    answer = refused.json()
    assert answer["field"] == "form.applicant.id_number" and answer["code"] == "identity_mismatch"
    assert theirs["household_id"] in answer["message_zh"] and mine["household_id"] in answer["message_zh"]
    assert theirs["applicant"]["id_number"] not in refused.text
    # the same through the officer's form decision
    form = {k: theirs[k] for k in ("applicant", "livelihood", "residence", "members", "declared_income")}
    form["visited_at"] = "2025-01-01T09:00:00"
    application = {"source": "form", "household_id": mine["household_id"], "application_date": "2025-01-02",
                   "requested_amount": 30000, "purpose": "business", "visit": form}
    decided = client.post("/v1/decisions", json=application, headers=_h(keys["officer"]))
    assert decided.status_code == 422 and theirs["household_id"] in decided.json()["message_zh"]


def test_one_decision_per_idempotency_key(pad, table):
    client, keys, url = pad
    body = application_for(table, 4)
    audit = AuditStore(url)
    before = audit.count_decisions()
    key = str(uuid.uuid4())
    first = client.post("/v1/decisions", json=body, headers=_h(keys["officer"], **{"Idempotency-Key": key}))
    second = client.post("/v1/decisions", json=body, headers=_h(keys["officer"], **{"Idempotency-Key": key}))
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["decision"]["decision_id"] == second.json()["decision"]["decision_id"]
    assert second.json()["replayed"] is True
    assert audit.count_decisions() == before + 1
    # the same key for another application is refused in Chinese
    other = client.post("/v1/decisions", json={**body, "requested_amount": body["requested_amount"] + 1000},
                        headers=_h(keys["officer"], **{"Idempotency-Key": key}))
    assert other.status_code == 409 and CJK.search(other.json()["message_zh"])
    assert audit.count_decisions() == before + 1
    audit.dispose()


def test_search_finds_by_name_masked_id_and_phone_within_the_township(pad, county):
    client, keys, _ = pad
    base = county.base_list
    visited = {v["household_id"] for v in county.visits}
    inside = base[(base["township"] == "菜园镇") & base["household_id"].isin(visited)].iloc[0]
    outside = base[base["township"] != "菜园镇"].iloc[0]
    number = str(inside["id_number"])
    phone = next(v["applicant"]["phone"] for v in county.visits if v["household_id"] == inside["household_id"])
    for query in (str(inside["name"]), number, f"{number[:6]}{number[-4:]}", mask_id_number(number), phone):
        found = client.get("/v1/households/search", params={"q": query}, headers=_h(keys["officer"]))
        assert found.status_code == 200, found.text
        assert inside["household_id"] in [h["household_id"] for h in found.json()], query
        assert number not in found.text and str(inside["name"]) not in found.text
    # another township's household is not shown to this officer, but an admin finds it
    query = str(outside["id_number"])
    assert client.get("/v1/households/search", params={"q": query}, headers=_h(keys["officer"])).json() == []
    assert client.get("/v1/households/search", params={"q": query}, headers=_h(keys["admin"])).json()
    # an officer without a township is told so in Chinese
    unscoped = client.get("/v1/households/search", params={"q": query}, headers=_h(keys["roaming"]))
    assert unscoped.status_code == 422 and "乡镇" in unscoped.json()["message_zh"]


BAD_VISITS = [
    ("form.applicant.id_number", lambda n: n[:17] + ("0" if n[17] != "0" else "1"), "校验码"),
    ("form.applicant.phone", lambda n: "138-ABC", "联系电话"),
    ("form.members.0.age", lambda n: 130, "不能大于120岁"),
    ("form.members.1.health", lambda n: "fine", "健康状况"),
    ("form.declared_income.fishing", lambda n: 8.6, "万元"),
    ("form.requested_amount", lambda n: 50, "万元"),
    ("form.residence.years_at_address", lambda n: 200, "不能大于120年"),
    ("form.livelihood", lambda n: "yacht", "主要生计"),
    ("photos.0", lambda n: "data:image/png;base64,!!!", "照片"),
]


@pytest.mark.parametrize(("field", "bad", "words"), BAD_VISITS)
def test_each_kind_of_bad_visit_gets_a_chinese_message_naming_the_field(pad, field, bad, words):
    client, keys, _ = pad
    number = new_id(3)
    body = visit_body(number, **{field: bad(number)})
    refused = client.post("/v1/visits", json=body, headers=_h(keys["officer"]))
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert words in answer["message_zh"], answer
    assert not re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}", answer["message_zh"]), answer["message_zh"]


def test_the_field_spec_says_what_the_service_answers(pad):
    client, keys, _ = pad
    spec = {f["field"]: f for f in client.get("/v1/visits/schema", headers=_h(keys["officer"])).json()["fields"]}
    number = new_id(4)
    cases = [("form.members.0.age", 130, "le"), ("form.applicant.phone", "138-ABC", "pattern"),
             ("form.declared_income.fishing", 8.6, "wan_yuan"), ("form.requested_amount", 50, "wan_yuan"),
             ("form.residence.years_at_address", 200, "le"),
             ("form.applicant.id_number", number[:17] + ("0" if number[17] != "0" else "1"), "check")]
    for field, value, check in cases:
        answer = client.post("/v1/visits", json=visit_body(number, **{field: value}), headers=_h(keys["officer"]))
        assert answer.json()["message_zh"] == spec[field]["messages"][check], field


def test_roles_and_sessions(pad):
    client, keys, _ = pad
    session = client.get("/v1/session", headers=_h(keys["program"])).json()
    assert session["role"] == "program" and session["may_decide"] is False
    assert client.get("/v1/session", headers=_h(keys["officer"])).json()["township"] == "菜园镇"
    assert client.post("/v1/visits", json=visit_body(new_id(5)), headers=_h(keys["program"])).status_code == 403
