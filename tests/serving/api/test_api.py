"""The decision API: decide, store, read, review, eligibility, model info; bad input is 422 naming the field."""

from __future__ import annotations

import json
import logging

import pytest

from tests.serving.batch.fixtures import store_env
from tests.serving.serving_fixtures import application_for


def _h(key: str) -> dict:
    return {"X-API-Key": key}


@pytest.fixture(scope="module")
def made(api, table):
    client, keys, _ = api
    response = client.post("/v1/decisions", json=application_for(table, 3), headers=_h(keys["officer"]))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_household_application_gets_a_full_decision_that_is_stored(api, made, table):
    # given a decision made through the API
    client, keys, result = api
    decision = made["decision"]
    # then it carries rules, score, reasons and the model that made it
    assert decision["household_id"] == table.iloc[3]["household_id"]
    assert {r["code"] for r in decision["eligibility"]["rules"]} >= {"AGE", "RESIDENCE", "INCOME_CAP"}
    assert decision["reasons"] and decision["model"]["version"] == result.model_version
    assert made["final_by"] == "model" and made["final_recommendation"] == decision["recommendation"]
    # and reading it back gives the same decision
    again = client.get(f"/v1/decisions/{decision['decision_id']}", headers=_h(keys["auditor"])).json()
    assert again["decision"] == decision


def test_the_api_decides_as_the_shared_pipeline_does(made, table, sources, policy, trained_store):
    # given the same application decided in process through DecisionService (the CLI's path)
    from serving.pipeline import DecisionService, parse_application
    from training.registry import load_by_alias

    store, _ = trained_store
    body = {k: v for k, v in application_for(table, 3).items() if k != "source"}
    with store_env(store):
        service = DecisionService(load_by_alias("champion"), policy, sources)
    local = service.decide(parse_application(body))
    # then score, grade, recommendation and input hash agree
    api_decision = made["decision"]
    assert (local.score, local.grade, local.recommendation, local.input_hash) == (
        api_decision["score"], api_decision["grade"], api_decision["recommendation"], api_decision["input_hash"])


def test_reviews_sit_beside_the_model_output_never_over_it(api, table):
    # given a fresh decision
    client, keys, _ = api
    made = client.post("/v1/decisions", json=application_for(table, 5), headers=_h(keys["officer"])).json()
    decision_id, model_said = made["decision"]["decision_id"], made["decision"]["recommendation"]
    other = next(r for r in ("approve", "refer", "decline") if r != model_said)
    # when an officer confirms and then overrides it
    confirmed = client.post(f"/v1/decisions/{decision_id}/reviews", headers=_h(keys["officer"]),
                            json={"action": "confirm", "reason": "材料齐全，核实无误"})
    overridden = client.post(f"/v1/decisions/{decision_id}/reviews", headers=_h(keys["officer"]),
                             json={"action": "override", "final_recommendation": other, "reason": "走访发现新情况"})
    # then both reviews are kept in order, the final outcome is the officer's, the model's is untouched
    assert confirmed.status_code == 201 and overridden.status_code == 201
    body = overridden.json()
    assert [r["action"] for r in body["reviews"]] == ["confirm", "override"]
    assert body["final_recommendation"] == other and body["final_by"] == "officer"
    assert body["decision"]["recommendation"] == model_said


def test_an_override_without_an_outcome_is_422_naming_the_field(api, made):
    client, keys, _ = api
    response = client.post(f"/v1/decisions/{made['decision']['decision_id']}/reviews", headers=_h(keys["officer"]),
                           json={"action": "override", "reason": "理由"})
    assert response.status_code == 422
    assert response.json()["field"] == "final_recommendation"


def test_approval_file_is_served_for_a_stored_decision(api, made):
    client, keys, _ = api
    response = client.get(f"/v1/decisions/{made['decision']['decision_id']}/approval-file",
                          headers=_h(keys["officer"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF") and len(response.content) > 1000


def test_unknown_decision_is_404(api):
    client, keys, _ = api
    response = client.get("/v1/decisions/00000000-0000-0000-0000-000000000000", headers=_h(keys["officer"]))
    assert response.status_code == 404


def test_eligibility_gives_every_rule_and_stores_nothing(api, table):
    # given the store's size before
    client, keys, _ = api
    before = client.app.state.runtime.store.count_decisions()
    # when the rules alone are asked for
    response = client.post("/v1/eligibility", json=application_for(table, 7), headers=_h(keys["risk"]))
    # then every rule answers and nothing was stored
    assert response.status_code == 200, response.text
    rules = response.json()["eligibility"]["rules"]
    assert {r["code"] for r in rules} >= {"AGE", "CREDIT", "ON_LIST"}
    assert client.app.state.runtime.store.count_decisions() == before


def test_model_health_and_metrics(api, made):
    client, keys, result = api
    model = client.get("/v1/model", headers=_h(keys["program"])).json()
    assert model["version"] == result.model_version and model["alias"] == "champion"
    assert model["policy_version"]
    answer = client.get("/healthz")
    health = answer.json()
    assert health == {"status": "ok", "model_version": result.model_version, "store": "sqlite"}
    timing = answer.headers["server-timing"]
    assert timing.startswith("app;dur=") and float(timing.split("=")[1]) >= 0
    metrics = client.get("/metrics").text
    assert 'kuozhong_decisions_total{recommendation="' in metrics
    assert 'route="/v1/decisions"' in metrics


def test_a_visit_form_application_is_decided_with_the_banks_records(api, county, table):
    # given the visit form of a household typed in again, bank records left to the bank's data
    client, keys, _ = api
    row = table.iloc[11]
    visit = next(v for v in reversed(county.visits) if v["household_id"] == row["household_id"])
    form = {k: visit[k] for k in ("visited_at", "applicant", "livelihood", "residence", "members",
                                  "declared_income", "assets", "declaration_signed")}
    body = {**application_for(table, 11), "source": "form", "visit": json.loads(json.dumps(form, default=str))}
    # when it is decided
    response = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    # then the decision is made and identity comes back masked only
    assert response.status_code == 201, response.text
    out = response.json()
    assert visit["applicant"]["id_number"] not in response.text
    assert visit["applicant"]["name"] not in response.text
    assert out["decision"]["applicant_id_masked"].endswith(visit["applicant"]["id_number"][-4:])
    assert out["applicant_name_masked"].startswith(visit["applicant"]["name"][0])


def test_personal_data_never_reaches_the_logs(api, county, table, caplog):
    client, keys, _ = api
    row = table.iloc[13]
    base = county.base_list.set_index("household_id").loc[row["household_id"]]
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/decisions", json=application_for(table, 13), headers=_h(keys["officer"]))
    assert caplog.records, "the decision is logged"
    assert base["id_number"] not in caplog.text and base["name"] not in caplog.text


BAD = [
    ({"requested_amount": "lots"}, "requested_amount"),
    ({"requested_amount": -5}, "requested_amount"),
    ({"requested_amount": 1e12}, "requested_amount"),
    ({"purpose": "yacht"}, "purpose"),
    ({"application_date": "2024-13-45"}, "application_date"),
    ({"household_id": ""}, "household_id"),
    ({"household_id": "NOT-IN-THE-DATA"}, "household_id"),
    ({"extra_field": 1}, "extra_field"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_malformed_applications_are_422_naming_the_field(api, table, change, field):
    client, keys, _ = api
    body = {**application_for(table, 0), **change}
    response = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and field in response.json()["error"]


def test_missing_field_and_bad_id_check_digit_are_422(api, county, table):
    client, keys, _ = api
    body = application_for(table, 0)
    del body["purpose"]
    missing = client.post("/v1/decisions", json=body, headers=_h(keys["officer"]))
    assert missing.status_code == 422 and missing.json()["field"] == "purpose"
    visit = county.visits[0]
    number = visit["applicant"]["id_number"]
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    form = {"visited_at": "2025-01-01T00:00:00", "applicant": {"id_number": wrong, "name": "张三"},
            "livelihood": "shop", "residence": {"fixed_residence": True, "township": "菜园镇", "years_at_address": 3},
            "members": [{"age": 40, "relation": "户主"}], "declared_income": {"main": 50000}}
    response = client.post("/v1/decisions", headers=_h(keys["officer"]),
                           json={**application_for(table, 0), "source": "form", "visit": form})
    assert response.status_code == 422
    assert response.json()["field"] == "visit.applicant.id_number"
    assert "check digit" in response.json()["error"] and wrong not in response.text


def test_oversized_bodies_are_413_and_unparsable_ones_400_naming_line_and_column(api):
    client, keys, _ = api
    big = client.post("/v1/decisions", content=b"{" + b" " * 1_100_000 + b"}", headers={
        **_h(keys["officer"]), "Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["field"] == "body" and big.json()["code"] == "body_too_large"
    garbled = client.post("/v1/decisions", content=b'{\n  "source": "form",\n  not json', headers={
        **_h(keys["officer"]), "Content-Type": "application/json"})
    assert garbled.status_code == 400 and garbled.json()["code"] == "parse_error"
    assert "line 3, column 3" in garbled.json()["error"] and "第3行第3列" in garbled.json()["message_zh"]
