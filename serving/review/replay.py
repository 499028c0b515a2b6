"""Replay a list-review trail (the simulator's ``review_events.json``) through the review service, in date order.

The demo uses it so that the review page and the ON_LIST rule have a realistic history: batches from the visits,
actions by each township's reviewer, confirmation records and final-list versions. Every event goes through the
same checks as the API's requests.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from features.county import TOWNSHIPS
from features.errors import SourceError
from serving.review.service import Actor, ReviewService
from serving.review.trail import ReviewConflict

log = logging.getLogger(__name__)
BANK = Actor("bank-sim", "officer", "县农商银行", TOWNSHIPS)


def township_reviewer(township: str) -> Actor:
    """The reviewer acting for a township in a replayed trail."""
    return Actor(f"reviewer-{TOWNSHIPS.index(township) + 1:02d}", "reviewer", township, (township,))


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a ``review_events.json`` file."""
    try:
        events = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise SourceError(f"source 'review_events' cannot be read: {path}") from err
    if not isinstance(events, list):
        raise SourceError(f"source 'review_events' must be a JSON list of events: {path}")
    return events


def replay(service: ReviewService, events: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Apply every event; returns how many of each kind went in (a version with no change is skipped)."""
    batch_of: dict[str, str] = {}
    entry_of: dict[str, str] = {}
    township_of: dict[str, str] = {}
    counts: dict[str, int] = {}
    for event in events:
        on = dt.date.fromisoformat(event["on"])
        kind = event["event"]
        if kind == "submit":
            try:
                batches = service.submit(BANK, on, on, household_ids=event["household_ids"])
            except ReviewConflict:  # every form of the batch was quarantined when the sources were read
                continue
            for batch in batches:
                batch_of[event["batch"]] = batch["batch_no"]
                township_of[batch["batch_no"]] = batch["township"]
                for entry in service.store.entries(batch["batch_no"]):
                    entry_of[entry.household_id] = entry.entry_id
        elif kind == "supplement":
            batch = service.add_supplement(township_reviewer(event["township"]), event["household_id"],
                                           event["township"], event["reason"], on)
            batch_of[event["batch"]] = batch["batch_no"]
            township_of[batch["batch_no"]] = batch["township"]
            entry_of[event["household_id"]] = service.store.entries(batch["batch_no"])[0].entry_id
        elif kind == "action":
            entry_id = entry_of.get(event["household_id"])
            if entry_id is None:  # a household whose form was quarantined never entered a batch
                continue
            township = service.store.entry(entry_id).township  # type: ignore[union-attr]
            actor = BANK if event["action"] == "resubmit" else township_reviewer(township)
            service.record(actor, entry_id, event["action"], event["reason"], on)
        elif kind in ("confirmation", "publish"):
            batch_no = batch_of.get(event["batch"])
            if batch_no is None:
                continue
            actor = township_reviewer(township_of[batch_no])
            if kind == "confirmation":
                service.confirm_batch(actor, batch_no, event["method"], on, event["result"])
            else:
                try:
                    service.publish(actor, batch_no, on)
                except ReviewConflict:
                    log.debug("batch %s: nothing changed on %s", batch_no, on)
                    continue
        counts[kind] = counts.get(kind, 0) + 1
    return counts
