"""One error shape for every refusal, in the OpenAPI of every route; nesting, parse errors and implausible input."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from serving.api.body import MAX_DEPTH
from serving.api.errors import ERROR_RESPONSES
from serving.clock import program_today
from tests.serving.serving_fixtures import application_for

SHAPE = {"error", "field", "message_zh", "code", "detail"}


def _h(key: str) -> dict:
    return {"X-API-Key": key}


def _shaped(response, status: int, field: str | None = None, code: str | None = None) -> dict:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == SHAPE, body
    assert any("\u4e00" <= c <= "\u9fff" for c in body["message_zh"]), body  # Chinese beside the English
    if field is not None:
        assert body["field"] == field, body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture(scope="module")
def form_body(county, table):
    """A visit-form application of a simulated household, with bank records of its own."""
    row = table.iloc[11]
    visit = next(v for v in reversed(county.visits) if v["household_id"] == row["household_id"])
    form = {k: visit[k] for k in ("visited_at", "applicant", "livelihood", "residence", "members",
                                  "declared_income", "assets", "declaration_signed")}
    bank = {"account_flows": [{"month": f"2024-{m:02d}-01", "inflow": 8000.0, "outflow": 6000.0, "balance": 20000.0}
                              for m in range(1, 13)],
            "loan_accounts": [{"account_id": "L1", "opened": "2023-01-05", "closed": None, "balance": 10000.0,
                               "monthly_payment": 900.0}],
            "repayment_history": [{"account_id": "L1", "month": "2024-11-01", "status": "N"}],
            "credit_queries": [{"query_date": "2024-10-02", "reason": "loan"}]}
    return json.loads(json.dumps({**application_for(table, 11), "source": "form", "application_date": "2025-01-10",
                                  "visit": form, "bank": bank}, default=str))


def test_every_route_declares_the_error_shape_for_every_4xx(api):
    client, _, _ = api
    spec = client.get("/openapi.json").json()
    assert "ErrorPublic" in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ERROR_RESPONSES:
                response = operation["responses"].get(str(status))
                assert response is not None, (method, path, status)
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorPublic"), (method, path, status)
    household = spec["components"]["schemas"]["HouseholdApplication"]
    assert "source" in household["required"]


def test_401_403_404_and_405_use_the_one_shape(api, made):
    client, keys, _ = api
    _shaped(client.get("/v1/model"), 401, "header.X-API-Key", "unauthorized")
    _shaped(client.get("/v1/model", headers=_h("kz_nope_nope")), 401, code="unauthorized")
    _shaped(client.post("/v1/admin/model", json={"alias": "champion"}, headers=_h(keys["officer"])), 403,
            code="forbidden")
    _shaped(client.get("/v1/decisions/00000000-0000-0000-0000-000000000000", headers=_h(keys["auditor"])), 404,
            "decision_id", "not_found")
    _shaped(client.delete("/v1/model", headers=_h(keys["admin"])), 405, code="method_not_allowed")


@pytest.fixture(scope="module")
def made(api, table):
    client, keys, _ = api
    response = client.post("/v1/decisions", json=application_for(table, 3), headers=_h(keys["officer"]))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 255, 5000])
def test_deep_nesting_in_a_free_form_field_is_422_never_500(api, form_body, depth):
    client, keys, _ = api
    body = copy.deepcopy(form_body)
    raw = json.dumps(body)[:-1] + ', "notes": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/v1/decisions", content=raw.encode(), headers={**_h(keys["officer"]),
                                                                         "Content-Type": "application/json"})
    found = _shaped(response, 422, code="too_deep")
    assert found["field"].startswith("notes") or found["field"] == "body"


def test_a_form_just_under_the_depth_limit_is_decided(api, form_body):
    client, keys, _ = api
    body = copy.deepcopy(form_body)
    nested: object = 1
    for _ in range(MAX_DEPTH - 4):  # the extra field sits under visit.members[0]
        nested = {"x": nested}
    body["visit"]["members"][0]["notes"] = nested
    response = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    assert response.status_code == 201, response.text[:500]


@pytest.mark.parametrize(("raw", "line", "column"), [
    (b'{"source": "household",\n "household_id": "H1",\n "purpose": }', 3, 13),
    (b'{"source": "household", "household_id"', 1, 39),
    (b'{"source": "\xff\xfe"}', 1, 13),
])
def test_unparsable_bodies_are_400_naming_line_and_column(api, raw, line, column):
    client, keys, _ = api
    response = client.post("/v1/decisions", content=raw, headers={**_h(keys["officer"]),
                                                                "Content-Type": "application/json"})
    found = _shaped(response, 400, "body", "parse_error")
    assert f"line {line}, column {column}" in found["error"], found


def test_a_body_that_is_not_json_is_415(api):
    client, keys, _ = api
    response = client.post("/v1/decisions", content=b"household_id=H1", headers={
        **_h(keys["officer"]), "Content-Type": "application/x-www-form-urlencoded"})
    _shaped(response, 415, "header.Content-Type", "unsupported_media_type")


def _set(body: dict, path: str, value: object) -> dict:
    out = copy.deepcopy(body)
    holder = out
    parts = path.split(".")
    for part in parts[:-1]:
        holder = holder[int(part)] if isinstance(holder, list) else holder[part]
    if isinstance(holder, list):
        holder[int(parts[-1])] = value
    else:
        holder[parts[-1]] = value
    return out


FUTURE = (program_today() + dt.timedelta(days=30)).isoformat()
IMPLAUSIBLE = [
    ("visit.visited_at", "2025-03-01T10:00:00", "visit.visited_at", "implausible_value"),
    ("visit.visited_at", "2099-03-01T10:00:00", "visit.visited_at", "implausible_value"),
    ("application_date", FUTURE, "application_date", "implausible_value"),
    ("bank.loan_accounts.0.opened", "2030-01-01", "bank.loan_accounts[0].opened", "implausible_value"),
    ("bank.loan_accounts.0.closed", "2022-01-01", "bank.loan_accounts[0].closed", "implausible_value"),
    ("bank.account_flows.1.month", "2024-01-01", "bank.account_flows[1].month", "implausible_value"),
    ("bank.account_flows.1.month", "2024-02-15", "bank.account_flows[1].month", "implausible_value"),
    ("bank.repayment_history.0.month", "2025-06-01", "bank.repayment_history[0].month", "implausible_value"),
    ("bank.credit_queries.0.query_date", "2025-02-01", "bank.credit_queries[0].query_date", "implausible_value"),
    ("requested_amount", "50000", "requested_amount", "invalid_field"),
    ("visit.members.0.age", "40", "visit.members[0].age", "invalid_field"),
    ("visit.residence.fixed_residence", "true", "visit.residence.fixed_residence", "invalid_field"),
    ("visit.applicant.name", "\u202e三张", "visit.applicant.name", "invalid_field"),
    ("visit.applicant.name", "张\x07三", "visit.applicant.name", "invalid_field"),
    ("visit.members.1.income", {"wage": -1000.0, "bonus": 1e300}, "visit.members[1].income.bonus", "absurd_number"),
    ("visit.members.1.income", {"wage": -1000.0}, "visit.members[1].income.wage", "implausible_value"),
    ("visit.members.0.debts", {"bank": 2000.0, "relatives": -1.0}, "visit.members[0].debts.relatives",
     "implausible_value"),
]


@pytest.mark.parametrize(("path", "value", "field", "code"), IMPLAUSIBLE)
def test_implausible_input_is_refused_naming_the_json_path(api, form_body, path, value, field, code):
    client, keys, _ = api
    body = _set(form_body, path, value)
    response = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    _shaped(response, 422, field, code)
    # the same check stands in front of the rules endpoint
    again = client.post("/v1/eligibility", json=body, headers=_h(keys["officer"]))
    assert again.status_code == 422 and again.json()["field"] == field


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "NaN"])
def test_non_finite_numbers_in_free_form_fields_are_named(api, form_body, token):
    client, keys, _ = api
    raw = json.dumps(_set(form_body, "visit.members.0.debts", {"bank": 1.5})).replace("1.5", token)
    response = client.post("/v1/decisions", content=raw.encode(), headers={**_h(keys["officer"]),
                                                                         "Content-Type": "application/json"})
    _shaped(response, 422, "visit.members[0].debts.bank", "non_finite_number")


def test_the_unchanged_form_is_decided(api, form_body):
    client, keys, _ = api
    response = client.post("/v1/decisions", json=form_body, headers=_h(keys["officer"]))
    assert response.status_code == 201, response.text[:500]


def test_a_household_outside_the_county_is_declined_by_residence_and_stored(api, form_body, trained_store):
    client, keys, _ = api
    body = _set(form_body, "visit.residence.township", "定海区")
    response = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    assert response.status_code == 201, response.text[:500]
    decision = response.json()["decision"]
    residence = next(r for r in decision["eligibility"]["rules"] if r["code"] == "RESIDENCE")
    assert residence["outcome"] == "fail" and decision["recommendation"] == "decline"
    stored = client.get(f"/v1/decisions/{decision['decision_id']}", headers=_h(keys["auditor"]))
    assert stored.status_code == 200 and stored.json()["decision"]["recommendation"] == "decline"


def test_no_refusal_echoes_the_id_number(api, form_body):
    client, keys, _ = api
    number = form_body["visit"]["applicant"]["id_number"]
    for path, value, _, _ in IMPLAUSIBLE:
        response = client.post("/v1/decisions", json=_set(form_body, path, value), headers=_h(keys["officer"]))
        assert number not in response.text


def test_an_id_born_after_the_application_is_refused(api, form_body):
    from features.ids import make_id_number

    client, keys, _ = api
    later = make_id_number("330922", dt.date(2030, 5, 1), 123)
    response = client.post("/v1/decisions", json=_set(form_body, "visit.applicant.id_number", later),
                           headers=_h(keys["officer"]))
    found = _shaped(response, 422, "visit.applicant.id_number", "implausible_value")
    assert later not in response.text and "2030" in found["error"]


