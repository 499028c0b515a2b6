"""Eligibility alone: the program's rules on an application, no model, nothing stored."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body

from models.decision import Eligibility
from models.rules import evaluate_rules
from serving.api.deps import RulesReader, RuntimeDep
from serving.api.forms import form_sources, pipeline_request
from serving.api.schemas.requests import DecisionCreate, FormApplication
from serving.api.schemas.responses import EligibilityPublic
from serving.pipeline import DecisionService

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


@router.post("", response_model=EligibilityPublic, responses={422: {"description": "a field is wrong"}})
def check_eligibility(application: Annotated[DecisionCreate, Body()], runtime: RuntimeDep,
                      caller: RulesReader) -> EligibilityPublic:
    """Every rule's verdict for the application, with values, thresholds and messages."""
    service = runtime.active.service
    if isinstance(application, FormApplication):
        service = DecisionService(service.loaded, runtime.policy, form_sources(application, runtime.sources))
    row = service.features_for(pipeline_request(application)).iloc[0]
    rules = evaluate_rules(row.to_dict(), runtime.policy)
    outcomes = {r.outcome for r in rules}
    state: Literal["pass", "fail", "cannot_decide"] = "fail" if "fail" in outcomes else "cannot_decide" if "cannot_decide" in outcomes else "pass"
    return EligibilityPublic(household_id=application.household_id, as_of=application.application_date,
                             eligibility=Eligibility(eligible=state == "pass", status=state, rules=rules),
                             policy_version=runtime.policy.version)
