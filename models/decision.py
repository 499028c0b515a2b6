"""The Decision: one object for CLI, API, web page, batch and approval file, and the builder that makes it.

``decide_frame`` is the builder: it scores a whole feature frame with one TreeSHAP call (PD, score, points and
reasons all come from it), runs the policy's rules on every row and combines them. ``decide`` is the same code
on a one-row frame. Order of precedence: a knock-out rule declines (the failed rules are the reasons); missing
data or an open condition refers the case to a person; otherwise the model's grade recommends approve, refer or
decline. A decline that rests on the model alone is a recommendation a person must confirm (PIPL Art. 24).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from features.ids import mask_id_number
from models.counterfactual import WhatWouldChange, what_would_change_frame
from models.credit import CreditModel
from models.decision_notes import review_note
from models.explain import Reason, explain_frame, reasons_from_points
from models.policy import Policy
from models.rule_result import number
from models.rules import RULE_FIELDS, RuleResult, Status, eligibility_status, evaluate_rules
from models.terms import LoanTerms, offer_terms
from models.terms_unsubsidised import without_subsidy

Recommendation = Literal["approve", "refer", "decline"]
DecidedBy = Literal["rules", "person", "model"]


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
    status: Status
    rules: list[RuleResult]
    subsidised: bool = True  # False: a 跃迁 household, normal terms without the program's subsidy

    @property
    def failed(self) -> list[RuleResult]:
        """Every rule that failed (knock-outs, open conditions and the 跃迁 no-subsidy rules)."""
        return [r for r in self.rules if r.outcome == "fail"]

    @property
    def knocked_out(self) -> list[RuleResult]:
        """The rules whose failure declines the applicant."""
        return [r for r in self.rules if r.outcome == "fail" and r.effect == "decline"]

    @property
    def to_check(self) -> list[RuleResult]:
        """The rules a person must settle: missing data, or a condition still open."""
        return [r for r in self.rules if r.outcome == "cannot_decide" or (r.outcome == "fail" and r.effect == "refer")]


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
    decided_by: DecidedBy = "model"  # rules: a knock-out; person: data to check; model: the grade
    declined_by_rules: list[str] = []  # the knock-out rule codes behind a rules decline


def input_hash(row: pd.Series) -> str:
    """A fingerprint of one row's values (personal fields are hashed, never stored)."""
    payload = {k: (None if _is_missing(v) else str(v)) for k, v in row.items() if not isinstance(v, list | dict)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def input_hashes(features: pd.DataFrame) -> list[str]:
    """A fingerprint of each row of a feature frame (column names and values), computed for the frame at once."""
    try:
        values = _row_hashes(features)
    except TypeError:  # unhashable cells (lists, dicts): the row-by-row fingerprint
        return [input_hash(features.iloc[i]) for i in range(len(features))]
    names = hashlib.sha256("\x1f".join(sorted(map(str, features.columns))).encode()).hexdigest()
    return [hashlib.sha256(f"{names}:{v}".encode()).hexdigest()[:32] for v in values.tolist()]


def _row_hashes(features: pd.DataFrame) -> np.ndarray:
    """``pd.util.hash_pandas_object(features[sorted(columns)], index=False)``, the same values, computed faster.

    Numeric columns of one dtype are hashed in a single call (the hash of a number depends on that number only), and
    so are object columns holding only strings (a string's hash is the same with or without pandas' categorising);
    every other column on its own, as pandas does. The column hashes are then folded in sorted column order exactly
    as pandas folds them (CPython's tuple hash), so stored fingerprints stay comparable.
    """
    columns = sorted(features.columns)
    if features.columns.has_duplicates:
        return pd.util.hash_pandas_object(features[columns], index=False).to_numpy()
    n = len(features)
    hashed: dict[Any, np.ndarray] = {}
    groups: dict[np.dtype, list[Any]] = {}
    texts: dict[Any, np.ndarray] = {}
    for name, dtype in features.dtypes.items():
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            groups.setdefault(dtype, []).append(name)
            continue
        series = features[name]
        values = series.to_numpy() if isinstance(dtype, np.dtype) else series.array
        if isinstance(dtype, np.dtype) and dtype.kind == "O" and all(type(v) is str for v in values):
            texts[name] = values
        else:
            hashed[name] = pd.util.hash_array(values)
    for names in groups.values():
        block = pd.util.hash_array(features[names].to_numpy().T.ravel()).reshape(len(names), n)
        hashed.update(zip(names, block, strict=True))
    if texts:
        block = pd.util.hash_array(np.concatenate(list(texts.values())), categorize=False).reshape(len(texts), n)
        hashed.update(zip(texts, block, strict=True))
    out = np.full(n, 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    for i, name in enumerate(columns):
        inverse = len(columns) - i
        out ^= hashed[name]
        out *= mult
        mult += np.uint64(82520 + inverse + inverse)
    out += np.uint64(97531)
    return out


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _rule_rows(features: pd.DataFrame) -> list[dict[str, Any]]:
    """The values the rules read, one dict per row (columns the frame lacks are absent: missing data)."""
    present = [name for name in RULE_FIELDS if name in features.columns]
    columns = [features[name].to_numpy(dtype=object) for name in present]
    return [dict(zip(present, values, strict=True)) for values in zip(*columns, strict=True)] if present \
        else [{} for _ in range(len(features))]


def _terms(policy: Policy, row: dict[str, Any], household_class: Any, grade: str, subsidised: bool) -> LoanTerms | None:
    terms = offer_terms(policy, row.get("purpose"), household_class, grade, number(row.get("requested_amount")) or 0.0,
                        number(row.get("declared_income")), household_size=number(row.get("household_size")))
    return terms if terms is None or subsidised else without_subsidy(terms, policy)


def decide_frame(features: pd.DataFrame, model: CreditModel, model_ref: ModelRef, policy: Policy,
                 now: dt.datetime | None = None, top_reasons: int = 5,
                 with_what_would_change: bool = True) -> list[Decision]:
    """Decisions for every row of a feature frame: one scoring call for the frame, the rules row by row."""
    if features.empty:
        return []
    decided_at = now or dt.datetime.now(dt.UTC)
    table = explain_frame(model, features)
    raw = table.expected + table.contributions.sum(axis=1)
    pds = 1.0 / (1.0 + np.exp(-model.calibrated_logit(raw)))
    reasons = reasons_from_points(table, features, top=top_reasons)
    rows = _rule_rows(features)
    classes = features["household_class"].to_numpy(dtype=object) if "household_class" in features.columns \
        else np.full(len(features), None, dtype=object)
    ids = features["id_number"].to_numpy(dtype=object) if "id_number" in features.columns \
        else np.full(len(features), None, dtype=object)
    fingerprints = input_hashes(features)
    parts: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        rules = evaluate_rules(row, policy)
        status, subsidised = eligibility_status(rules)
        eligibility = Eligibility(eligible=status == "pass", status=status, rules=rules, subsidised=subsidised)
        score = float(table.score[i])
        grade = policy.grade_for(score)
        recommendation, decided_by, review = _recommend(status, grade.recommendation)
        note_zh, note_en = review_note(eligibility, recommendation, decided_by)
        terms = None if recommendation == "decline" else _terms(policy, row, classes[i], grade.grade, subsidised)
        parts.append({
            "eligibility": eligibility, "pd": round(float(pds[i]), 6), "score": round(score, 2),
            "base_points": round(float(table.base[i]), 2), "grade": grade.grade, "recommendation": recommendation,
            "human_review_required": review, "review_note_zh": note_zh, "review_note_en": note_en, "terms": terms,
            "decided_by": decided_by, "declined_by_rules": [r.code for r in eligibility.knocked_out]})
    changes: Sequence[WhatWouldChange | None] = (
        what_would_change_frame(model, features, policy, [p["eligibility"].status for p in parts],
                                [p["recommendation"] for p in parts])
        if with_what_would_change else [None] * len(parts))
    request_ids = features["request_id"].to_numpy(dtype=object)
    households = features["household_id"].to_numpy(dtype=object)
    as_of = pd.to_datetime(features["as_of"]).dt.date.to_numpy(dtype=object)
    return [Decision(
        decision_id=str(uuid.uuid4()), request_id=str(request_ids[i]), household_id=str(households[i]),
        applicant_id_masked=mask_id_number(ids[i] if isinstance(ids[i], str) else None), as_of=as_of[i],
        reasons=reasons[i], what_would_change=changes[i], model=model_ref, policy_version=policy.version,
        policy_hash=policy.content_hash, input_hash=fingerprints[i], decided_at=decided_at, **part,
    ) for i, part in enumerate(parts)]


def _recommend(status: Status, by_grade: Recommendation) -> tuple[Recommendation, DecidedBy, bool]:
    """Recommendation, what it rests on and whether a person must act before it stands."""
    if status == "fail":
        return "decline", "rules", False
    if status == "cannot_decide":
        return "refer", "person", True
    return by_grade, "model", by_grade != "approve"


def decide(features: pd.DataFrame, model: CreditModel, model_ref: ModelRef, policy: Policy,
           now: dt.datetime | None = None, top_reasons: int = 5) -> Decision:
    """The Decision for a single-row feature frame (the frame builder on one row)."""
    if len(features) != 1:
        raise ValueError(f"decide() takes one applicant; got {len(features)} rows")
    return decide_frame(features, model, model_ref, policy, now=now, top_reasons=top_reasons)[0]
