"""Decisions: make one (stored before it is returned), read it, download its approval file, review it."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import APIRouter, Body, Header, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from features.errors import KuozhongError, NotFoundError
from models.decision.builder import Decision
from serving.api.deps import Caller, Officer, Reader, RuntimeDep
from serving.api.errors import ErrorPublic
from serving.api.forms import (
    form_record,
    form_sources,
    masked_name,
    missing_held,
    missing_sources,
    pipeline_request,
)
from serving.api.plausibility import check_application
from serving.api.runtime import Runtime
from serving.api.schemas.requests import DecisionCreate, FormApplication, HouseholdApplication, ReviewCreate
from serving.api.schemas.responses import CardNote, DecisionPublic, ReviewPublic, RuleLine
from serving.api.visits import resolve_household
from serving.approval import render as approval
from serving.approval.rule_text import rule_lines
from serving.pipeline import DecisionService, InputError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
DecisionId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")]


class IdempotencyConflict(KuozhongError):
    """An Idempotency-Key sent again with a different application."""

    status = 409
    code = "idempotency_conflict"


MISSING_ZH = {"BASE_LIST": "本行的扩中家庭名单中没有该户：名单资格无法确认",
              "FLOWS": "本行没有该户的账户流水：收入无法与流水核对",
              "CREDIT": "本行没有该户的贷款和征信记录：信用状况无法判断"}


def decide(runtime: Runtime, application: HouseholdApplication | FormApplication) -> tuple[Decision, list[str]]:
    """The Decision through the shared pipeline (the same path as `kuozhong decide`) and the sources it lacked."""
    # A form is dumped once: the plausibility checks and the feature builder read the same record.
    dumped = application.visit.model_dump(mode="json") if isinstance(application, FormApplication) else None
    check_application(application, visit_record=dumped)
    active = runtime.active  # one read: a swap during this request does not change the model it uses
    request = pipeline_request(application)
    if isinstance(application, FormApplication):
        visit = application.visit
        resolve_household(runtime.households, runtime.visit_store(), application.household_id,
                          visit.applicant.id_number, [str(m.model_extra.get("id_number") or "")
                                                      for m in visit.members if m.model_extra], field_prefix="visit")
        if application.bank is None:  # the bank's own records: the service's indexed sources, the form beside them
            service = active.service
            return (service.decide_form(request, form_record(application, dumped)),
                    missing_held(service.feature_builder, application.household_id))
        sources = form_sources(application, runtime.sources)
        service = DecisionService(active.service.loaded, runtime.policy, sources)
        return service.decide(request), missing_sources(sources, application.household_id)
    merged = runtime.sources_for(application.household_id)
    if merged is not None:  # visits sent from the PAD: decided with them beside the imported records
        service = DecisionService(active.service.loaded, runtime.policy, merged)
        return service.decide(request), missing_sources(merged, application.household_id)
    return active.service.decide(request), missing_held(active.service.feature_builder, application.household_id)


def card_notes(runtime: Runtime, decision: Decision, missing: list[str],
               extra_days: list[dt.date]) -> list[dict[str, str]]:
    """What the card must say: each missing source and what that did; records older than the policy allows."""
    notes = []
    checked = {r.code: r.outcome for r in decision.eligibility.rules}
    for code in missing:
        rule = {"BASE_LIST": "ON_LIST", "CREDIT": "CREDIT"}.get(code)
        effect = ("，本次转人工审核（不按零值计算）" if rule and checked.get(rule) == "cannot_decide"
                  else "，评分只依据采集表和已有数据")
        notes.append({"kind": "missing_source", "message_zh": MISSING_ZH[code] + effect})
    dated = [runtime.households.newest(decision.household_id, decision.as_of), *extra_days]
    dated += runtime.visit_store().visit_days(decision.household_id)
    newest = max((d for d in dated if d is not None and d <= decision.as_of), default=None)
    limit = runtime.policy.records.stale_after_days
    if newest is not None and (decision.as_of - newest).days > limit:
        notes.append({"kind": "stale_records", "message_zh": (
            f"该户最新记录日期为{newest.isoformat()}，距申请日已{(decision.as_of - newest).days}天，超过规定的{limit}天："
            "请先走访或更新资料，再据此放款")})
    return notes


def public(runtime: Runtime, decision_id: str, replayed: bool = False) -> DecisionPublic:
    """A stored decision with its reviews, the card's rule sentences and notes; 404 when unknown."""
    found = runtime.store.get_decision(decision_id)
    if found is None:
        raise NotFoundError(f"no decision with id '{decision_id}'", field="decision_id",
                            message_zh=f"未找到编号为 {decision_id} 的决定")
    decision, name = found
    reviews = [ReviewPublic.model_validate(r, from_attributes=True) for r in runtime.store.reviews_of(decision_id)]
    last = reviews[-1] if reviews else None
    return DecisionPublic(decision=decision, applicant_name_masked=name, reviews=reviews,
                          final_recommendation=last.final_recommendation if last else decision.recommendation,
                          final_by="officer" if last else "model", replayed=replayed,
                          rules_zh=[RuleLine.model_validate(line) for line in rule_lines(decision.eligibility.rules, runtime.policy)],
                          notes=[CardNote.model_validate(n) for n in runtime.visit_store().notes_of(decision_id)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DecisionPublic,
             responses={200: {"description": "the Idempotency-Key was used before: the decision it made"},
                        409: {"model": ErrorPublic,
                              "description": "the Idempotency-Key was used for another application"}})
async def create_decision(application: Annotated[DecisionCreate, Body()], runtime: RuntimeDep, caller: Officer,
                          request: Request, response: Response,
                          idempotency_key: Annotated[str | None, Header(
                              alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$",
                              description="one per intent: sent again, the stored decision comes back")] = None,
                          ) -> DecisionPublic:
    """Decide an application (a household the bank holds, or a visit form with bank records) and store it."""
    # The decision and its storing run in one trip to the thread pool; the event loop keeps answering meanwhile.
    out = await run_in_threadpool(_decide_once, runtime, application, caller, idempotency_key)
    if out.replayed:
        response.status_code = status.HTTP_200_OK
        return out
    decision = out.decision
    request.app.state.metrics.decisions.labels(decision.recommendation).inc()
    log.info("decision %s for %s: %s (model v%s, key %s)", decision.decision_id, decision.applicant_id_masked,
             decision.recommendation, decision.model.version, caller.key_id)
    return out


def _decide_once(runtime: Runtime, application: HouseholdApplication | FormApplication, caller: Caller,
                 idempotency_key: str | None) -> DecisionPublic:
    """Decide and store, once per Idempotency-Key: a key seen before returns the decision it made."""
    if idempotency_key is None:
        return _decide_and_store(runtime, application, caller, None)
    visits = runtime.visit_store()
    request_hash = hashlib.sha256(application.model_dump_json().encode()).hexdigest()
    for _ in range(3):
        intent = visits.claim(caller.key_id, idempotency_key, request_hash)
        if intent.request_hash != request_hash:
            raise IdempotencyConflict(
                "header 'Idempotency-Key': already used for another application", field="Idempotency-Key",
                message_zh="这个请求编号已用于另一份申请；请重新点击“生成授信决策”")
        if intent.claimed:
            try:
                return _decide_and_store(runtime, application, caller, intent.decision_id)
            except BaseException:
                visits.release(caller.key_id, idempotency_key)
                raise
        held = visits.wait_for(caller.key_id, idempotency_key,
                               lambda decision_id: runtime.store.get_decision(decision_id) is not None)
        if held is not None and runtime.store.get_decision(held.decision_id) is not None:
            return public(runtime, held.decision_id, replayed=True)
    raise IdempotencyConflict("header 'Idempotency-Key': the first request with this key did not finish",
                              field="Idempotency-Key", message_zh="同一请求仍在处理或已失败，请稍后重试")


def _decide_and_store(runtime: Runtime, application: HouseholdApplication | FormApplication,
                      caller: Caller, decision_id: str | None) -> DecisionPublic:
    decision, missing = decide(runtime, application)
    if decision_id is not None:
        decision = decision.model_copy(update={"decision_id": decision_id})
    name = masked_name(application, runtime.active.service.applicant_names)
    extra = [application.visit.visited_at.date()] if isinstance(application, FormApplication) else []
    notes = card_notes(runtime, decision, missing, extra)
    runtime.visit_store().append_notes(decision.decision_id, notes)
    runtime.store.append_decision(decision, source=application.source, created_by=caller.key_id,
                                  applicant_name_masked=name)
    return DecisionPublic(decision=decision, applicant_name_masked=name, reviews=[],
                          final_recommendation=decision.recommendation, final_by="model",
                          rules_zh=[RuleLine.model_validate(line) for line in rule_lines(decision.eligibility.rules, runtime.policy)],
                          notes=[CardNote.model_validate(n) for n in notes])


@router.get("/{decision_id}", response_model=DecisionPublic)
def read_decision(decision_id: DecisionId, runtime: RuntimeDep, caller: Reader) -> DecisionPublic:
    """A stored decision with every review recorded beside it."""
    return public(runtime, decision_id)


@router.get("/{decision_id}/approval-file", responses={
    200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "the approval file"},
})
def approval_file(decision_id: DecisionId, runtime: RuntimeDep, caller: Reader) -> Response:
    """The approval file of a stored decision (PDF; HTML until the PDF renderer is available)."""
    decision = public(runtime, decision_id).decision
    reviews = runtime.store.reviews_of(decision_id)
    render_pdf = _pdf_renderer()
    if render_pdf is not None:
        return Response(render_pdf(decision, reviews, runtime.policy), media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="approval-{decision_id}.pdf"'})
    return Response(approval.render_html(decision, reviews, runtime.policy), media_type="text/html; charset=utf-8",
                    headers={
        "Content-Disposition": f'attachment; filename="approval-{decision_id}.html"'})


@router.post("/{decision_id}/reviews", status_code=status.HTTP_201_CREATED, response_model=DecisionPublic)
def review_decision(decision_id: DecisionId, review: ReviewCreate, runtime: RuntimeDep, caller: Officer,
                    request: Request) -> DecisionPublic:
    """Confirm or override a decision with a reason; the model's output stays as it was, the review beside it."""
    current = public(runtime, decision_id)
    model_said = current.decision.recommendation
    if review.action == "confirm":
        if review.final_recommendation not in (None, model_said):
            raise _unprocessable("final_recommendation",
                                 f"a confirmation keeps the model's '{model_said}'; use action 'override' to change it",
                                 "确认模型建议时不能另选最终结果；要改变结果请选择“改变结果”")
        final = model_said
    else:
        if review.final_recommendation is None:
            raise _unprocessable("final_recommendation", "an override must say the outcome the officer decides",
                                 "改变结果时请选择最终结果（批准、转人工或拒绝）")
        final = review.final_recommendation
    runtime.store.append_review(decision_id, action=review.action, final_recommendation=final,
                                reason=review.reason, reviewer=caller.key_id)
    request.app.state.metrics.reviews.labels(review.action).inc()
    log.info("review of %s: %s -> %s (key %s)", decision_id, review.action, final, caller.key_id)
    return public(runtime, decision_id)


def _pdf_renderer() -> Callable[..., bytes] | None:
    """The approval file's PDF renderer, where the installed version has one."""
    found = getattr(approval, "render_pdf", None)
    if found is None:
        try:
            from serving.approval.pdf import render_pdf as found
        except ImportError:
            return None
    return cast("Callable[..., bytes]", found)


def _unprocessable(field: str, message: str, message_zh: str) -> InputError:
    return InputError(f"field '{field}': {message}", message_zh=message_zh)
