"""The Decision: one object for CLI, API, web page, batch and approval file, and the builder that makes it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from features.ids import mask_id_number
from models.counterfactual import WhatWouldChange, what_would_change
from models.credit import CreditModel
from models.explain import Reason, points_table, reasons_for_row
from models.policy import Policy
from models.rules import RuleResult, evaluate_rules
from models.terms import LoanTerms, offer_terms

Recommendation = Literal["approve", "refer", "decline"]


class ModelRef(BaseModel):
    """Which registered model decided."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    run_id: str


class Eligibility(BaseModel):
    """The rule layer's verdict with every rule's trace."""

    model_config = ConfigDict(frozen=True)

    eligible: bool
    status: Literal["pass", "fail", "cannot_decide"]
    rules: list[RuleResult]

    @property
    def failed(self) -> list[RuleResult]:
        """The rules that knocked the applicant out."""
        return [r for r in self.rules if r.outcome == "fail"]


class Decision(BaseModel):
    """A credit decision with everything needed to explain and audit it."""

    model_config = ConfigDict(frozen=True)

    decision_id: str
    request_id: str
    household_id: str
    applicant_id_masked: str
    as_of: dt.date
    eligibility: Eligibility
    pd: float
    score: float
    base_points: float
    grade: str
    recommendation: Recommendation
    human_review_required: bool
    review_note_zh: str
    review_note_en: str
    terms: LoanTerms | None
    reasons: list[Reason]
    what_would_change: WhatWouldChange | None = None
    model: ModelRef
    policy_version: str
    policy_hash: str
    input_hash: str
    decided_at: dt.datetime


def input_hash(row: pd.Series) -> str:
    """A fingerprint of the features a decision read (personal fields are hashed, never stored)."""
    payload = {k: (None if pd.isna(v) else str(v)) for k, v in row.items() if not isinstance(v, (list, dict))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def decide(features: pd.DataFrame, model: CreditModel, model_ref: ModelRef, policy: Policy,
           now: dt.datetime | None = None, top_reasons: int = 5) -> Decision:
    """Combine rules, model, explanation and terms for a single-row feature frame."""
    if len(features) != 1:
        raise ValueError(f"decide() takes one applicant; got {len(features)} rows")
    row = features.iloc[0]
    rules = evaluate_rules(row.to_dict(), policy)
    outcomes = {r.outcome for r in rules}
    status: Literal["pass", "fail", "cannot_decide"] = (
        "fail" if "fail" in outcomes else "cannot_decide" if "cannot_decide" in outcomes else "pass")
    eligibility = Eligibility(eligible=status == "pass", status=status, rules=rules)

    pd_ = float(model.predict_pd(features)[0])
    score = float(model.credit_score(features)[0])
    base, _ = points_table(model, features)
    grade = policy.grade_for(score)
    reasons = reasons_for_row(model, features, top=top_reasons)

    recommendation: Recommendation
    if status == "fail":
        recommendation = "decline"
        codes = ", ".join(r.code for r in eligibility.failed)
        note_zh = f"不符合项目准入条件（{codes}），申请人可申请人工复核"
        note_en = f"Fails the program's criteria ({codes}); the applicant may ask for a human review"
        review = False
    elif status == "cannot_decide":
        recommendation = "refer"
        note_zh, note_en = "准入信息不全，需客户经理人工核实", "Eligibility data incomplete: a loan officer must check"
        review = True
    else:
        recommendation = grade.recommendation
        review = recommendation != "approve"
        if recommendation == "decline":
            note_zh = "模型建议拒绝：依据《个人信息保护法》第24条，须由信贷人员复核确认后方可作出决定"
            note_en = "Model recommends decline: under PIPL Art. 24 a person must review and confirm it"
        elif recommendation == "refer":
            note_zh, note_en = "评级处于人工审核区间，需信贷人员审核", "Grade falls in the referral band: an officer decides"
        else:
            note_zh, note_en = "符合条件，模型建议批准", "Eligible and recommended for approval"
    terms = None
    if recommendation != "decline":
        terms = offer_terms(policy, row.get("purpose"), row.get("household_class"), grade.grade,
                            float(row.get("requested_amount") or 0.0), row.get("declared_income"))
    return Decision(
        decision_id=str(uuid.uuid4()), request_id=str(row["request_id"]), household_id=str(row["household_id"]),
        applicant_id_masked=mask_id_number(row.get("id_number")),
        as_of=pd.Timestamp(row["as_of"]).date(), eligibility=eligibility, pd=round(pd_, 6), score=round(score, 2),
        base_points=round(float(base[0]), 2), grade=grade.grade, recommendation=recommendation,
        human_review_required=review, review_note_zh=note_zh, review_note_en=note_en, terms=terms,
        reasons=reasons, what_would_change=what_would_change(model, features, policy, status, recommendation),
        model=model_ref, policy_version=policy.version, policy_hash=policy.content_hash,
        input_hash=input_hash(row), decided_at=now or dt.datetime.now(dt.UTC),
    )
