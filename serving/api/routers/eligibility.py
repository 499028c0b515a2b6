"""Eligibility alone: the program's rules on an application, no model, nothing stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from models.decision.builder import eligibility_for
from serving.api.deps import RulesReader, RuntimeDep
from serving.api.forms import form_sources, pipeline_request
from serving.api.plausibility import check_application
from serving.api.schemas.requests import DecisionCreate, FormApplication
from serving.api.schemas.responses import EligibilityPublic
from serving.pipeline import DecisionService

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


@router.post("", response_model=EligibilityPublic)
def check_eligibility(application: Annotated[DecisionCreate, Body()], runtime: RuntimeDep,
                      caller: RulesReader) -> EligibilityPublic:
    """Every rule's verdict for the application, with values, thresholds and messages."""
    check_application(application)
    service = runtime.active.service
    if isinstance(application, FormApplication):
        service = DecisionService(service.loaded, runtime.policy, form_sources(application, runtime.sources))
    # the same verdict the Decision builder reaches (one function for both, tested over the whole county)
    verdict = eligibility_for(service.features_for(pipeline_request(application)), runtime.policy)[0]
    return EligibilityPublic(household_id=application.household_id, as_of=application.application_date,
                             eligibility=verdict, policy_version=runtime.policy.version)
