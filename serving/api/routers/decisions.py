"""Decisions: make one (stored before it is returned), read it, download its approval file, review it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import APIRouter, Body, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from features.errors import NotFoundError
from models.decision.builder import Decision
from serving.api.deps import Caller, Officer, Reader, RuntimeDep
from serving.api.forms import form_sources, masked_name, pipeline_request
from serving.api.plausibility import check_application
from serving.api.runtime import Runtime
from serving.api.schemas.requests import DecisionCreate, FormApplication, HouseholdApplication, ReviewCreate
from serving.api.schemas.responses import DecisionPublic, ReviewPublic
from serving.approval import render as approval
from serving.pipeline import DecisionService, InputError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
DecisionId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")]


def decide(runtime: Runtime, application: HouseholdApplication | FormApplication) -> Decision:
    """The Decision through the shared pipeline (the same path as `kuozhong decide`)."""
    check_application(application)
    active = runtime.active  # one read: a swap during this request does not change the model it uses
    request = pipeline_request(application)
    if isinstance(application, FormApplication):
        service = DecisionService(active.service.loaded, runtime.policy, form_sources(application, runtime.sources))
        return service.decide(request)
    return active.service.decide(request)


def public(runtime: Runtime, decision_id: str) -> DecisionPublic:
    """A stored decision with its reviews; 404 when unknown."""
    found = runtime.store.get_decision(decision_id)
    if found is None:
        raise NotFoundError(f"no decision with id '{decision_id}'", field="decision_id",
                            message_zh=f"未找到编号为 {decision_id} 的决定")
    decision, name = found
    reviews = [ReviewPublic.model_validate(r, from_attributes=True) for r in runtime.store.reviews_of(decision_id)]
    last = reviews[-1] if reviews else None
    return DecisionPublic(decision=decision, applicant_name_masked=name, reviews=reviews,
                          final_recommendation=last.final_recommendation if last else decision.recommendation,
                          final_by="officer" if last else "model")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DecisionPublic)
async def create_decision(application: Annotated[DecisionCreate, Body()], runtime: RuntimeDep, caller: Officer,
                          request: Request) -> DecisionPublic:
    """Decide an application (a household the bank holds, or a visit form with bank records) and store it."""
    # The decision and its storing run in one trip to the thread pool; the event loop keeps answering meanwhile.
    decision, name = await run_in_threadpool(_decide_and_store, runtime, application, caller)
    request.app.state.metrics.decisions.labels(decision.recommendation).inc()
    log.info("decision %s for %s: %s (model v%s, key %s)", decision.decision_id, decision.applicant_id_masked,
             decision.recommendation, decision.model.version, caller.key_id)
    return DecisionPublic(decision=decision, applicant_name_masked=name, reviews=[],
                          final_recommendation=decision.recommendation, final_by="model")


def _decide_and_store(runtime: Runtime, application: HouseholdApplication | FormApplication,
                      caller: Caller) -> tuple[Decision, str]:
    decision = decide(runtime, application)
    name = masked_name(application, runtime.active.service.applicant_names)
    runtime.store.append_decision(decision, source=application.source, created_by=caller.key_id,
                                  applicant_name_masked=name)
    return decision, name


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
    render_pdf = _pdf_renderer()
    if render_pdf is not None:
        return Response(render_pdf(decision), media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="approval-{decision_id}.pdf"'})
    return Response(approval.render_html(decision), media_type="text/html; charset=utf-8", headers={
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
                                 f"a confirmation keeps the model's '{model_said}'; use action 'override' to change it")
        final = model_said
    else:
        if review.final_recommendation is None:
            raise _unprocessable("final_recommendation", "an override must say the outcome the officer decides")
        final = review.final_recommendation
    runtime.store.append_review(decision_id, action=review.action, final_recommendation=final,
                                reason=review.reason, reviewer=caller.key_id)
    request.app.state.metrics.reviews.labels(review.action).inc()
    log.info("review of %s: %s -> %s (key %s)", decision_id, review.action, final, caller.key_id)
    return public(runtime, decision_id)


def _pdf_renderer() -> Callable[[Decision], bytes] | None:
    """The approval file's PDF renderer, where the installed version has one."""
    found = getattr(approval, "render_pdf", None)
    if found is None:
        try:
            from serving.approval.pdf import render_pdf as found
        except ImportError:
            return None
    return cast("Callable[[Decision], bytes]", found)


def _unprocessable(field: str, message: str) -> InputError:
    return InputError(f"field '{field}': {message}")
