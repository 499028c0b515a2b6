"""The PAD's routes: send a visit (stored once per draft), visits with the 过程考核's checks, photos, field checks.

Also the caller's session and finding a household within the officer's township.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from features.errors import InputError
from monitoring.process import visit_checks
from serving.api.deps import AnyRole, Caller, Officer, RuntimeDep
from serving.api.runtime import Runtime
from serving.api.schemas.visits import HouseholdFound, SessionPublic, VisitCreate, VisitPublic
from serving.api.visits import field_spec, receive_visit
from serving.clock import SHANGHAI
from serving.store.visits import StoredVisit

router = APIRouter(tags=["visits"])
DECIDING_ROLES = ("officer", "admin")


def _public(visit: StoredVisit, reasons: str = "") -> VisitPublic:
    """The visit as answered: its wall times (Asia/Shanghai, as forms record them) carry their zone."""
    values = {k: v for k, v in visit.__dict__.items() if k in VisitPublic.model_fields}
    values |= {"visited_at": visit.visited_at.replace(tzinfo=SHANGHAI), "ended_at": visit.ended_at.replace(tzinfo=SHANGHAI)}
    return VisitPublic(**values, doubtful_reasons=reasons)


@router.post("/v1/visits", status_code=status.HTTP_201_CREATED, response_model=VisitPublic,
             responses={200: {"description": "this draft was stored before: the visit as stored"}})
async def send_visit(visit: VisitCreate, runtime: RuntimeDep, caller: Officer, response: Response) -> VisitPublic:
    """Store a visit form sent from the PAD (a draft sent again is not stored twice)."""
    stored = await run_in_threadpool(receive_visit, runtime.households, runtime.visit_store(), visit, caller.key_id)
    if stored.replayed:
        response.status_code = status.HTTP_200_OK
    return _public(stored)


def _with_checks(runtime: Runtime, visits: list[StoredVisit]) -> list[VisitPublic]:
    """The visits with the 过程考核's reasons (monitoring.process.visit_checks on the same records)."""
    if not visits:
        return []
    frame = pd.DataFrame([{
        "visit_id": v.visit_id, "household_id": v.household_id, "account_manager_id": v.account_manager_id,
        "visited_at": v.visited_at, "duration_min": v.duration_min, "photo_count": v.photo_count,
        "gps": {"lat": v.lat, "lon": v.lon} if v.lat is not None else None,
        "residence": {"township": v.township}} for v in visits])
    reasons = dict(zip(*(visit_checks(frame)[c] for c in ("visit_id", "reasons")), strict=True))
    return [_public(v, reasons.get(v.visit_id, "")) for v in visits]


@router.get("/v1/visits", response_model=list[VisitPublic])
def list_visits(runtime: RuntimeDep, caller: Officer,
                household_id: Annotated[str | None, Query(max_length=64)] = None) -> list[VisitPublic]:
    """The caller's visits (an admin's: everyone's), newest first, with the 过程考核's checks."""
    mine = None if caller.role == "admin" else caller.key_id
    visits = runtime.visit_store().visits(household_id=household_id, account_manager_id=mine)
    return list(reversed(_with_checks(runtime, visits)))


@router.get("/v1/visits/{visit_id}/photos/{position}", responses={
    200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def visit_photo(visit_id: Annotated[str, Path(max_length=40)], position: Annotated[int, Path(ge=0, le=20)],
                runtime: RuntimeDep, caller: Officer) -> Response:
    """One photo of a visit (the caller's own visits; an admin's: any)."""
    store = runtime.visit_store()
    visit = next((v for v in store.visits(account_manager_id=None if caller.role == "admin" else caller.key_id)
                  if v.visit_id == visit_id), None)
    photo = store.photo(visit_id, position) if visit is not None else None
    if photo is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such photo")
    return Response(photo.content, media_type=photo.mime, headers={"Cache-Control": "private, no-store"})


@router.get("/v1/visits/schema")
def visit_schema(caller: AnyRole) -> dict[str, Any]:
    """The visit form's field checks, with the Chinese the service answers for each (the page checks as typed)."""
    return {"fields": field_spec()}


@router.get("/v1/session", response_model=SessionPublic)
def session(runtime: RuntimeDep, caller: AnyRole) -> SessionPublic:
    """Who the key is: role, township scope, and whether it may decide (the pages check this at sign-in)."""
    return SessionPublic(key_id=caller.key_id, role=caller.role,
                         township=runtime.visit_store().township_of(caller.key_id),
                         may_decide=caller.role in DECIDING_ROLES)


def _scope(runtime: Runtime, caller: Caller) -> str | None:
    if caller.role == "admin":
        return None
    township = runtime.visit_store().township_of(caller.key_id)
    if township is None:
        raise InputError("field 'q': this officer's key serves no township; an admin sets it with "
                         "`kuozhong keys scope KEY_ID TOWNSHIP`",
                         message_zh="该密钥尚未绑定服务乡镇，不能查找家庭；请联系管理员绑定")
    return township


@router.get("/v1/households/search", response_model=list[HouseholdFound])
def search_households(runtime: RuntimeDep, caller: Officer,
                      q: Annotated[str, Query(min_length=2, max_length=40)]) -> list[HouseholdFound]:
    """Households by name, phone, full ID number or masked ID number (first 6 + last 4), in the caller's township."""
    township = _scope(runtime, caller)
    found = runtime.households.search(q, runtime.visit_store())
    out = []
    for hh in found:
        summary = runtime.households.summary(hh)
        if not summary["township"]:
            summary["township"] = next((v.township for v in runtime.visit_store().visits(household_id=hh)), "")
            summary["id_masked"] = summary["id_masked"] or next(
                (v.id_masked for v in runtime.visit_store().visits(household_id=hh)), "")
        if township is None or summary["township"] == township:
            out.append(HouseholdFound(**summary))
    return out[:20]
