"""The Decision: one object for CLI, API, web page, batch and approval file, and the builder that makes it.

``decide_frame`` is the builder: it scores a whole feature frame with one TreeSHAP call (PD, score, points and
reasons all come from it), runs the policy's rules on every row and combines them. ``decide`` is the same code
on a one-row frame. Order of precedence: a knock-out rule declines (the failed rules are the reasons); missing
data or a rule that asks for a person refers the case; otherwise the model's grade recommends approve, refer or
decline. A condition precedent to disbursement (an unsigned 身份承诺书) does not hold the decision up: a decision
that is not a decline states it (``Decision.conditions``) and the loan is not paid out until it is met. A decline
that rests on the model alone is a recommendation a person must confirm (PIPL Art. 24).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from models.credit.model import CreditModel
from models.decision.fingerprint import FrameColumns, input_hashes
from models.decision.notes import DecidedBy, Recommendation, reduced_offer, review_note, with_conditions
from models.explain.counterfactual import Change, WhatWouldChange, what_would_change_frame
from models.explain.reasons import (
    SMALL_FRAME,
    ColumnsWhenRead,
    FactorGroup,
    PointsFrame,
    Reason,
    ReasonWriter,
    explain_frame,
    lead_with_side,
    object_columns,
    pick_reasons,
    plain_value,
    reason_points,
)
from models.policy import Policy
from models.policy.grading import grade_index
from models.rules import (
    RULE_FIELDS,
    Condition,
    RuleResult,
    Status,
    conditions_of,
    eligibility_status,
    evaluate_rules,
)
from models.rules.frame import RuleFrame, evaluate_frame
from models.rules.program import LIST_UNDER_REVIEW
from models.rules.result import day, number
from models.terms.check import CAPACITY_CAPS_ZH, capacity_caps, offer_problem
from models.terms.offer import LoanTerms, offer_terms


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
        """Every rule that failed (knock-outs, referrals, conditions precedent and the 跃迁 no-subsidy rules)."""
        return [r for r in self.rules if r.outcome == "fail"]

    @property
    def knocked_out(self) -> list[RuleResult]:
        """The rules whose failure declines the applicant."""
        return [r for r in self.rules if r.outcome == "fail" and r.effect == "decline"]

    @property
    def conditions(self) -> list[Condition]:
        """The conditions precedent to disbursement still open (an unsigned declaration), met before paying out."""
        return conditions_of(self.rules)

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
    other_factors: list[FactorGroup] = []  # the factors not shown as reasons, by feature group (the waterfall)
    what_would_change: WhatWouldChange | None = None
    model: ModelRef
    policy_version: str
    policy_hash: str
    input_hash: str
    decided_at: dt.datetime
    decided_by: DecidedBy = "model"  # rules: a knock-out; person: data to check; model: the grade
    declined_by_rules: list[str] = []  # the knock-out rule codes behind a rules decline
    grade_band_zh: str = ""  # the PD range the grade stands for ("违约概率 4.54%–8.15%", ``Policy.grade_bands``)
    list_version: str | None = None  # the 最终名单 version ON_LIST read (None: no final list on the date)
    lent_while_reviewing: bool = False  # 边审核边放款: ON_LIST passed on an entry still under review
    # 放款前提条件: what must be met before the loan is paid out (an unsigned 身份承诺书); none on a decline
    conditions: list[Condition] = []


def _rule_rows(features: pd.DataFrame, cells: dict[str, np.ndarray] | None = None) -> list[dict[str, Any]]:
    """The values the rules read, one dict per row (columns the frame lacks are absent: missing data)."""
    present = [name for name in RULE_FIELDS if name in features.columns]
    by_name = cells if cells is not None else object_columns(features, present)
    columns = [by_name[name] for name in present]
    return [dict(zip(present, values, strict=True)) for values in zip(*columns, strict=True)] if present \
        else [{} for _ in range(len(features))]


def eligibility_of(row: dict[str, Any], policy: Policy) -> Eligibility:
    """The rule layer's verdict on one row of rule inputs: every rule's trace, the status, the subsidy."""
    rules = evaluate_rules(row, policy)
    status, subsidised = eligibility_status(rules)
    return Eligibility.model_construct(eligible=status == "pass", status=status, rules=rules, subsidised=subsidised)


def rule_frame(features: pd.DataFrame, cells: dict[str, np.ndarray] | None, policy: Policy,
               credit_line: bool = False) -> RuleFrame:
    """Every row's rule traces and verdict: a small frame row by row, a large one by ``models.rules.frame``.

    ``cells``: a small frame's columns as object arrays, when already read. Both ways call the same rules and
    reach the same verdicts; the large frame's way calls each rule once per distinct combination of its inputs.
    """
    constants = {"credit_line": True} if credit_line else {}
    if len(features) > SMALL_FRAME:
        return evaluate_frame(features, policy, constants)
    return RuleFrame.of_traces([evaluate_rules({**row, **constants}, policy) for row in _rule_rows(features, cells)])


def eligibility_for(features: pd.DataFrame, policy: Policy) -> list[Eligibility]:
    """The rule layer's verdict on every row of a feature frame, exactly as the Decision builder reaches it."""
    verdicts = rule_frame(features, None, policy)
    return [Eligibility.model_construct(eligible=status == "pass", status=status, rules=rules, subsidised=subsidised)
            for rules, status, subsidised in zip(verdicts.rules, verdicts.status, verdicts.subsidised, strict=True)]


def _terms(policy: Policy, row: dict[str, Any], household_class: Any, grade: str, subsidised: bool,
           monthly_payment: Any = None) -> LoanTerms | None:
    """The offer, sized by repayment capacity after the household's existing monthly loan payments.

    A 跃迁 household (not subsidised) is offered the bank's ordinary product at its ordinary price. A row marked
    ``credit_line`` (整村授信) without a request gets the line its capacity, grade and the caps allow.
    """
    purpose = row.get("purpose")
    amount = number(row.get("requested_amount"))
    line = bool(row.get("credit_line")) and amount is None
    return offer_terms(policy, purpose if isinstance(purpose, str) else None, household_class, grade, amount or 0.0,
                       number(row.get("declared_income")), household_size=number(row.get("household_size")),
                       monthly_debt_service=number(monthly_payment), on=day(row.get("as_of")), subsidised=subsidised,
                       credit_line=line)


def _offer_checked(change: WhatWouldChange, row: dict[str, Any] | None, policy: Policy, household_class: Any,
                   subsidised: bool, monthly_payment: Any) -> WhatWouldChange:
    """A found change stands only if the changed applicant also gets an offer that can be signed.

    Raising the score does not raise repayment capacity: a change that reaches the bar while the offer (from the
    changed income, debts and request) still cannot be signed is no way to an approval, and the card says why.
    """
    if change.status != "found" or change.grade_after is None or row is None:
        return change
    terms = _changed_terms(policy, row, change.new_values, change.changes, change.grade_after, household_class,
                           subsidised, monthly_payment)
    problem = settle_offer("approve", "model", False, terms, policy, household_class, row.get("as_of"), subsidised)[3]
    if problem is None:
        return _capacity_said(change, terms, "按改变后的还款能力和评级")
    joined_zh = "；".join(c.text_zh for c in change.changes)
    joined_en = "; ".join(c.text_en for c in change.changes)
    return change.model_copy(update={
        "status": "none_within_reach",
        "text_zh": f"如{joined_zh}，评分可达批准线，但贷款方案仍无法签约（{problem[0]}）；须由信贷人员人工审核",
        "text_en": f"If the applicant would {joined_en}, the score would meet the bar, but the offer still could not "
                   f"be signed ({problem[1]}); an officer must review"})


def _changed_terms(policy: Policy, row: dict[str, Any], new_values: dict[str, float], changes: Sequence[Change],
                   grade: str, household_class: Any, subsidised: bool, monthly_payment: Any) -> LoanTerms | None:
    """The offer to the applicant changed as a what-would-change proposes, at the grade the change leads to."""
    changed = {**row, **new_values}
    payment = number(monthly_payment)
    for c in changes:  # debts repaid: their monthly service shrinks with the balance, as the lever scales it
        if c.lever == "debt_balance" and payment is not None and c.from_value > 0:
            payment *= c.to_value / c.from_value
    return _terms(policy, changed, household_class, grade, subsidised, payment)


def _capacity_limit(policy: Policy, row: dict[str, Any] | None, household_class: Any, subsidised: bool,
                    monthly_payment: Any, new_values: dict[str, float], changes: Sequence[Change],
                    grade: str) -> float | None:
    """The limit a changed applicant would be lent where repayment capacity caps it below the changed request."""
    if row is None:
        return None
    terms = _changed_terms(policy, row, new_values, changes, grade, household_class, subsidised, monthly_payment)
    return terms.limit if terms is not None and capacity_caps(terms) else None


def _capacity_said(change: WhatWouldChange, terms: LoanTerms | None, basis_zh: str) -> WhatWouldChange:
    """The what-would-change, saying so when repayment capacity still caps the limit below the request.

    Neither a better score nor a smaller request lifts a limit that capacity caps: the officer and the applicant
    read the limit the change would lead to, not the request.
    """
    if not capacity_caps(terms) or terms is None:
        return change
    return change.model_copy(update={
        "text_zh": f"{change.text_zh}；{CAPACITY_CAPS_ZH}：{basis_zh}核定额度约{terms.limit:,.0f}元，低于申请金额"
                   f"{terms.requested_amount:,.0f}元",
        "text_en": f"{change.text_en}; repayment capacity caps the limit: at the {'changed ' if '改变' in basis_zh else ''}"
                   f"capacity and grade it is about {terms.limit:,.0f}, below the {terms.requested_amount:,.0f} asked"})


def settle_offer(recommendation: Recommendation, decided_by: DecidedBy, review: bool, terms: LoanTerms | None,
                 policy: Policy, household_class: Any, on: Any, subsidised: bool
                 ) -> tuple[Recommendation, DecidedBy, bool, tuple[str, str] | None]:
    """An approval stands only on an offer that can be signed; otherwise it becomes a referral with the reason."""
    if recommendation != "approve":
        return recommendation, decided_by, review, None
    cls = household_class if isinstance(household_class, str) else None
    problem = offer_problem(terms, policy, cls, day(on), subsidised)
    if problem is None:
        return recommendation, decided_by, review, None
    return "refer", decided_by, True, problem


@dataclass(frozen=True)
class DecisionRows:
    """The Decision builder's output for a frame, column by column, before any row becomes a ``Decision``.

    The API and the officer's page take ``decision(i)`` (one object with its full trace); the batch lays the same
    columns out flat without building a million objects. Both read what ``decide_rows`` computed once.
    """

    request_id: np.ndarray
    household_id: np.ndarray
    applicant_id_masked: list[str]
    as_of: np.ndarray
    rules: Sequence[list[RuleResult]]
    status: list[Status]
    subsidised: list[bool]
    pd: np.ndarray
    score: np.ndarray
    base_points: np.ndarray
    grade: list[str]
    recommendation: list[Recommendation]
    decided_by: list[DecidedBy]
    human_review_required: list[bool]
    review_notes: list[tuple[str, str]]
    terms: list[LoanTerms | None]
    explained: PointsFrame
    reason_columns: np.ndarray  # n × top: column index into explained.features of each reason
    reason_real: np.ndarray  # n × top: False where the slot holds no reason (a zero effect)
    values: Mapping[str, np.ndarray]  # the model's inputs as read, for the reasons' sentences
    writer: ReasonWriter  # the model's labels, directions and references, for the reasons' sentences
    input_hash: list[str]
    what_would_change: Sequence[WhatWouldChange | None]
    model: ModelRef
    policy_version: str
    policy_hash: str
    decided_at: dt.datetime
    list_version: np.ndarray | None = None  # the final list's version each row's ON_LIST read
    grade_bands_zh: dict[str, str] | None = None  # each grade's PD range in words (``Policy.grade_bands``)
    rule_frame: RuleFrame | None = None  # the rules' patterns of outcomes, for what reads a pattern, not a trace

    def rule_codes(self, outcome: str) -> list[str]:
        """Each row's codes of the rules with this outcome, joined by commas (the rule frame's, once a pattern)."""
        if self.rule_frame is not None:
            return self.rule_frame.codes(outcome)
        return [",".join(r.code for r in rules if r.outcome == outcome) for rules in self.rules]

    def __len__(self) -> int:
        return len(self.status)

    def eligibility(self, i: int) -> Eligibility:
        """Row i's rule-layer verdict with every rule's trace."""
        return Eligibility.model_construct(eligible=self.status[i] == "pass", status=self.status[i],
                                           rules=self.rules[i], subsidised=self.subsidised[i])

    def reason_slots(self, i: int) -> list[tuple[str, Any, float, float, int]]:
        """Row i's reasons as (feature, value, contribution, points, whole points), the largest first."""
        table = self.explained
        return [(table.features[j], plain_value(self.values[table.features[j]][i]), float(table.contributions[i, j]),
                 float(table.points[i, j]), int(table.points_int[i, j]))
                for j in self.reason_columns[i][self.reason_real[i]]]

    def reasons(self, i: int) -> list[Reason]:
        """Row i's reasons with their sentences."""
        return [self.writer.reason(*slot) for slot in self.reason_slots(i)]

    def other_factors(self, i: int) -> list[FactorGroup]:
        """Row i's factors not shown as reasons, one waterfall bar per feature group."""
        return self.writer.other_factors(self.explained.points_int[i], self.reason_columns[i][self.reason_real[i]])

    def decision(self, i: int, decision_id: str | None = None) -> Decision:
        """Row i as a Decision object (a fresh random id unless one is given)."""
        note_zh, note_en = self.review_notes[i]
        eligibility = self.eligibility(i)
        return Decision(
            decision_id=decision_id or str(uuid.uuid4()), request_id=str(self.request_id[i]),
            household_id=str(self.household_id[i]), applicant_id_masked=self.applicant_id_masked[i],
            as_of=self.as_of[i], eligibility=eligibility, pd=round(float(self.pd[i]), 6),
            score=round(float(self.score[i]), 2), base_points=round(float(self.base_points[i]), 2),
            grade=self.grade[i], recommendation=self.recommendation[i],
            human_review_required=self.human_review_required[i], review_note_zh=note_zh, review_note_en=note_en,
            terms=self.terms[i], reasons=self.reasons(i), other_factors=self.other_factors(i),
            what_would_change=self.what_would_change[i],
            model=self.model, policy_version=self.policy_version, policy_hash=self.policy_hash,
            input_hash=self.input_hash[i], decided_at=self.decided_at, decided_by=self.decided_by[i],
            declined_by_rules=[r.code for r in eligibility.knocked_out],
            grade_band_zh=(self.grade_bands_zh or {}).get(self.grade[i], ""),
            list_version=self.list_version_of(i), lent_while_reviewing=self.lent_while_reviewing(i),
            conditions=self.conditions(i))

    def conditions(self, i: int) -> list[Condition]:
        """Row i's conditions precedent to disbursement (none on a decline: there is nothing to pay out)."""
        if self.recommendation[i] == "decline":
            return []
        # read through the row's pattern of outcomes where there is one: the row's own trace is built only if asked
        frame = self.rule_frame
        return conditions_of(self.rules[i] if frame is None else frame.patterns[int(frame.pattern[i])])

    def list_version_of(self, i: int) -> str | None:
        """The final list's version row i's ON_LIST read, or None."""
        version = None if self.list_version is None else self.list_version[i]
        return str(version) if isinstance(version, str) and version else None

    def lent_while_reviewing(self, i: int) -> bool:
        """True when row i may get a loan only because the policy lends while its list entry is under review."""
        return self.recommendation[i] != "decline" and any(
            r.code == "ON_LIST" and r.outcome == "pass" and r.value == LIST_UNDER_REVIEW for r in self.rules[i])


def decide_rows(features: pd.DataFrame, model: CreditModel, model_ref: ModelRef, policy: Policy,
                now: dt.datetime | None = None, top_reasons: int = 5,
                with_what_would_change: bool = True,
                columns: FrameColumns | None = None, credit_line: bool = False,
                num_threads: int | None = None) -> DecisionRows:
    """Decide every row of a feature frame: one scoring call for the frame, the rules row by row.

    ``columns``: the frame's columns as the feature builder made them, so a small frame is not read again.
    ``credit_line``: the rows are households on the list with no request (整村授信): each eligible one is given
    the credit line it can be granted instead of an offer for a requested amount. ``num_threads``: LightGBM's
    threads for the frame's scoring call (``explain_frame``).
    """
    decided_at = now or dt.datetime.now(dt.UTC)
    # A small frame is read into plain cells once; the explanation, the rules, the what-would-change and the
    # fingerprint share them. A large frame is read column by column where needed.
    small = len(features) <= SMALL_FRAME
    if small:
        columns = FrameColumns.read(features) if columns is None else columns
        cells: dict[str, np.ndarray] | None = columns.objects()
    else:
        columns, cells = None, None
    table = explain_frame(model, features, cells, num_threads)
    raw = table.expected + table.contributions.sum(axis=1)
    pds = 1.0 / (1.0 + np.exp(-model.calibrated_logit(raw)))
    reason_columns, reason_real = pick_reasons(reason_points(table), top_reasons, table.points_int)
    n = len(features)
    def column(name: str) -> np.ndarray:
        if cells is not None and name in cells:
            return cells[name]
        return features[name].to_numpy(dtype=object) if name in features.columns else np.full(n, None, dtype=object)

    verdicts = rule_frame(features, cells, policy, credit_line)

    classes, masked_ids = column("household_class"), column("applicant_id_masked")
    # the grade of the score as the Decision states it (2 decimals): 556.996 is stored as 557.00, and graded so
    bands = [policy.grades[k] for k in grade_index(table.score, [g.min_score for g in policy.grades])]
    payments = column("monthly_payment")
    out: dict[str, list[Any]] = {k: [] for k in ("recommendation", "decided_by", "review", "notes", "terms",
                                                 "problems")}
    # a review note reads the rules only through their pattern of outcomes: written once for each distinct case
    notes: dict[tuple[Any, ...], tuple[str, str]] = {}
    patterns = verdicts.pattern.tolist()
    recommended = [_recommend(status, band.recommendation) for status, band in zip(verdicts.status, bands, strict=True)]
    # only the rows not declined get an offer: their rule inputs are read as plain cells, the others' never are
    offered = [i for i, (recommendation, _, _) in enumerate(recommended) if recommendation != "decline"]
    present = [name for name in RULE_FIELDS if name in features.columns]
    picked = ({name: features[name].take(offered).to_numpy(dtype=object) for name in present} if cells is None
              else {name: cells[name][offered] for name in present})
    offer_rows = dict(zip(offered, _rule_rows(features.take(offered), picked), strict=True))
    for i, subsidised in enumerate(verdicts.subsidised):
        recommendation, decided_by, review = recommended[i]
        row = offer_rows.get(i)
        if row is not None and credit_line:
            row["credit_line"] = True
        terms = (None if row is None
                 else _terms(policy, row, classes[i], bands[i].grade, subsidised, payments[i]))
        recommendation, decided_by, review, problem = settle_offer(recommendation, decided_by, review, terms, policy,
                                                                   classes[i], None if row is None else
                                                                   row.get("as_of"), subsidised)
        out["recommendation"].append(recommendation)
        out["decided_by"].append(decided_by)
        out["review"].append(review)
        # a grade that refers: an offer that cannot be signed either is a second thing the officer must settle
        grade_refers = decided_by == "model" and bands[i].recommendation == "refer"
        also = (offer_problem(terms, policy, classes[i] if isinstance(classes[i], str) else None,
                              day(row.get("as_of")), subsidised) if grade_refers and row is not None else None)
        case = (patterns[i], subsidised, recommendation, decided_by, problem or also, grade_refers,
                _reduced(terms) if recommendation == "approve" else ("", ""))
        note = notes.get(case)
        if note is None:
            # the conditions precedent come from the rules' codes and effects alone: one pattern, one set
            written = review_note(verdicts.patterns[patterns[i]], *case[1:])
            note = notes[case] = (written if recommendation == "decline"
                                  else with_conditions(written, conditions_of(verdicts.patterns[patterns[i]])))
        out["notes"].append(note)
        out["terms"].append(terms)
        out["problems"].append(problem)
    changes: Sequence[WhatWouldChange | None] = (
        [_capacity_said(change, out["terms"][i], "按还款能力和评级") if change.status == "already_approved"
         else _offer_checked(change, offer_rows.get(i), policy, classes[i], verdicts.subsidised[i], payments[i])
         for i, change in enumerate(what_would_change_frame(
             model, features, policy, list[str](verdicts.status), out["recommendation"],
             failed_rules=[[r.code for r in rules if r.outcome == "fail"] for rules in verdicts.rules],
             matrix=table.matrix, cells=cells, scores=table.score, offer_problems=out["problems"],
             lendable=lambda i, values, steps, grade: _capacity_limit(
                 policy, offer_rows.get(i), classes[i], verdicts.subsidised[i], payments[i], values, steps, grade)))]
        if with_what_would_change else [None] * n)
    # a decline or a referral leads with what lowered the score, an approval with what raised it
    reason_columns, reason_real = lead_with_side(
        reason_columns, reason_real, reason_points(table),
        np.array([r != "approve" for r in out["recommendation"]], dtype=bool))
    values = table.values if table.values is not None else ColumnsWhenRead(features, list(table.features))
    return DecisionRows(
        request_id=column("request_id"), household_id=column("household_id"),
        applicant_id_masked=[v if isinstance(v, str) else "" for v in masked_ids],
        as_of=_dates(column("as_of")), rules=verdicts.rules,
        status=verdicts.status, subsidised=verdicts.subsidised, pd=pds, score=table.score, base_points=table.base,
        grade=[band.grade for band in bands], recommendation=out["recommendation"], decided_by=out["decided_by"],
        human_review_required=out["review"], review_notes=out["notes"], terms=out["terms"], explained=table,
        reason_columns=reason_columns, reason_real=reason_real, values=values, writer=ReasonWriter(model),
        input_hash=input_hashes(features, columns),
        what_would_change=changes, model=model_ref, policy_version=policy.version, policy_hash=policy.content_hash,
        decided_at=decided_at, list_version=column("final_list_version"),
        grade_bands_zh={band.grade: band.pd_range_zh() for band in policy.grade_bands()}, rule_frame=verdicts)


def decide_frame(features: pd.DataFrame, model: CreditModel, model_ref: ModelRef, policy: Policy,
                 now: dt.datetime | None = None, top_reasons: int = 5,
                 with_what_would_change: bool = True,
                 columns: FrameColumns | None = None) -> list[Decision]:
    """Decisions for every row of a feature frame (``decide_rows``, each row as a Decision object)."""
    if features.empty:
        return []
    rows = decide_rows(features, model, model_ref, policy, now, top_reasons, with_what_would_change, columns)
    return [rows.decision(i) for i in range(len(rows))]


def _reduced(terms: LoanTerms | None) -> tuple[str, str]:
    """The note's words when an offer lends less than was asked for ("" when it lends the request)."""
    if terms is None or not 0 < terms.limit < terms.requested_amount:
        return "", ""
    why = (("申请金额超过产品及项目上限", "the request is above the product and program cap") if terms.request_capped
           else ("按还款能力和评级核定", "set by repayment capacity and grade") if terms.capacity_limit is not None
           else ("按额度取整", "rounded down to the amount step"))
    return reduced_offer(terms.limit, terms.requested_amount, why)


def _dates(values: np.ndarray) -> np.ndarray:
    """Calendar dates of an as-of column (dates, timestamps or text)."""
    out = np.empty(len(values), dtype=object)
    out[:] = [v.date() if isinstance(v, dt.datetime) else v if isinstance(v, dt.date) else pd.Timestamp(v).date()
              for v in values]
    return out


def _recommend(status: Status, by_grade: Recommendation) -> tuple[Recommendation, DecidedBy, bool]:
    """Recommendation, what it rests on and whether a person must act before it stands."""
    if status == "fail":
        return "decline", "rules", False
    if status == "cannot_decide":
        return "refer", "person", True
    return by_grade, "model", by_grade != "approve"


def decide(features: pd.DataFrame, model: CreditModel, model_ref: ModelRef, policy: Policy,
           now: dt.datetime | None = None, top_reasons: int = 5,
           columns: FrameColumns | None = None) -> Decision:
    """The Decision for a single-row feature frame (the frame builder on one row; ``columns`` its columns)."""
    if len(features) != 1:
        raise ValueError(f"decide() takes one applicant; got {len(features)} rows")
    return decide_frame(features, model, model_ref, policy, now=now, top_reasons=top_reasons, columns=columns)[0]
