"""The simulated list review over a whole county: replayed through the service, checked household by household."""

from __future__ import annotations

import datetime as dt

import pytest

from features.simulate.county import SimulationConfig, simulate_county
from features.simulate.review import review_events
from serving.review.replay import BANK, replay
from serving.review.service import ReviewService
from serving.store import AuditStore
from serving.store.review import ReviewStore
from tests.conftest import SEED


def test_the_events_are_the_same_for_the_same_seed_and_start_with_the_pilot(county):
    again = review_events(SEED, county.visits, county.base_list)  # the shared county's own seed
    assert again == county.review_events
    assert min(e["on"] for e in county.review_events) >= "2023-08-01"
    kinds = {e["event"] for e in county.review_events}
    assert kinds == {"submit", "action", "confirmation", "publish", "supplement"}
    assert {e["action"] for e in county.review_events if e["event"] == "action"} == {
        "confirm", "not_confirm", "return", "resubmit", "appeal"}


def test_a_different_seed_gives_other_events():
    other = simulate_county(SimulationConfig(households=600, seed=8))
    assert review_events(8, other.visits, other.base_list) != review_events(9, other.visits, other.base_list)


@pytest.fixture(scope="module")
def replayed(county, sources, policy, tmp_path_factory):
    audit = AuditStore(f"sqlite:///{tmp_path_factory.mktemp('replay') / 'audit.db'}").create_all()
    service = ReviewService(ReviewStore(audit.engine).create_all(), policy, sources)
    counts = replay(service, county.review_events)
    yield service, counts
    audit.dispose()


def test_every_household_ends_where_its_last_event_left_it(replayed, county):
    service, counts = replayed
    last: dict[str, str] = {}
    for event in county.review_events:
        if event["event"] == "action":
            last[event["household_id"]] = event["action"]
    final = {r["household_id"]: r for r in service.final_list(BANK)}
    entries = {e["household_id"]: e for e in service.entries(BANK)}
    assert len(entries) == len(service.store.entries())  # one entry per household
    wrong = [h for h, e in entries.items() if h in last and e["status"] != {
        "confirm": "confirmed", "not_confirm": "not_confirmed", "return": "returned", "resubmit": "under_review",
        "appeal": "appealed"}[last[h]]]
    assert wrong == []
    # and the final list agrees with every settled entry (each batch was confirmed and published after it)
    settled = {h: e["status"] for h, e in entries.items() if e["status"] in ("confirmed", "not_confirmed")}
    disagree = [h for h, s in settled.items() if final[h]["list_status"] != s]
    assert disagree == []


def test_the_county_has_refusals_appeals_supplements_and_loans_made_under_review(replayed):
    service, counts = replayed
    entries = service.entries(BANK)
    share_refused = sum(e["status"] == "not_confirmed" for e in entries) / len(entries)
    assert 0.05 < share_refused < 0.6
    trail = service.store.actions()
    assert sum(a.action == "appeal" for a in trail) > 0 and counts.get("supplement", 0) > 0
    versions = service.versions()
    # every version after a submission rests on a confirmation recorded on or before its day
    for v in versions:
        if v["note"] == "审核确认":
            records = service.store.confirmations(v["batch_no"])
            assert any(c.confirmed_on <= dt.date.fromisoformat(v["effective_on"]) for c in records)
    assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
    days = [v["effective_on"] for v in versions]
    assert days == sorted(days)
    frame = service.final_list_frame()
    assert frame["lent_while_reviewing"].any()
