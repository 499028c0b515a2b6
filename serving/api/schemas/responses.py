"""What the service answers: decisions with their reviews, eligibility traces, the model in use."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from models.decision.builder import Decision, Eligibility


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReviewPublic(_Out):
    """A stored review."""

    review_id: str
    decision_id: str
    action: Literal["confirm", "override"]
    final_recommendation: Literal["approve", "refer", "decline"]
    reason: str
    reviewer: str
    created_at: dt.datetime


class CardNote(_Out):
    """What the card says beside the decision: a source that was missing and what that did, or a stale record."""

    kind: Literal["missing_source", "stale_records"]
    message_zh: str


class RuleLine(_Out):
    """One eligibility rule as the card prints it, in Chinese sentences."""

    code: str
    name_zh: str
    outcome: Literal["pass", "fail", "cannot_decide"]
    outcome_zh: str
    value_zh: str
    threshold_zh: str
    message_zh: str


class DecisionPublic(_Out):
    """The model's Decision as stored, the reviews beside it, and the outcome that stands."""

    decision: Decision
    applicant_name_masked: str
    reviews: list[ReviewPublic]
    final_recommendation: Literal["approve", "refer", "decline"]
    final_by: Literal["model", "officer"]
    rules_zh: list[RuleLine] = []
    notes: list[CardNote] = []
    replayed: bool = False  # True: the Idempotency-Key was used before and this is the decision it made


class EligibilityPublic(_Out):
    """The rule layer's verdict alone."""

    household_id: str
    as_of: dt.date
    eligibility: Eligibility
    policy_version: str


class ModelPublic(_Out):
    """The model answering requests now."""

    name: str
    version: str
    run_id: str
    alias: str
    policy_version: str
    policy_document: str
    loaded_at: dt.datetime


class Health(_Out):
    """Liveness and readiness."""

    status: Literal["ok"]
    model_version: str
    store: str


class ValidationProblem(_Out):
    """A 422 body: the first field at fault in ``error``, every problem in ``detail``."""

    error: str
    field: str
    detail: list[dict]
    message_zh: str
    code: str
