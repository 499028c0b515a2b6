"""List review (名单审核) over HTTP: batches, entries with their 采集表, actions, confirmation, the final list.

Every route reads the caller's key (401 without one); a reviewer acts for one unit and sees the townships the
policy gives that unit (403 outside them). Answers carry masked identity only.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from features.county import TOWNSHIPS
from serving.api.deps import ReviewActor, RuntimeDep
from serving.api.errors import ErrorPublic
from serving.api.runtime import Runtime
from serving.clock import program_today
from serving.review.export import final_list_xlsx
from serving.review.service import ReviewService
from serving.review.trail import ACTIONS, ENTRY_STATUSES

router = APIRouter(prefix="/v1/review", tags=["list review"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorPublic, "description": "the role or the reviewer's townships do not allow it"},
    404: {"model": ErrorPublic, "description": "no such batch, entry or version"},
    409: {"model": ErrorPublic, "description": "the entry's status or the batch's record does not allow it now"},
    422: {"model": ErrorPublic, "description": "a field is wrong; `error` names it"},
}
BatchNo = Annotated[str, Path(min_length=3, max_length=32, pattern=r"^[BS]\d{8}-\d{2}-\d{2}$")]
EntryId = Annotated[str, Path(min_length=3, max_length=40, pattern=r"^[BS]\d{8}-\d{2}-\d{2}-\d{4}$")]
# the county's townships, from the one place they are written (a tuple subscript is the same Literal)
Township = Literal[TOWNSHIPS]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Days the program can speak of: from the year of its document to well past the pilot.
FIRST_DAY, LAST_DAY = dt.date(2023, 1, 1), dt.date(2100, 12, 31)


class BatchSubmit(_Body):
    """The bank submits the households visited on or before ``until`` (today by default) and not yet submitted."""

    until: dt.date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY)


class ActionCreate(_Body):
    """确认 / 不予确认 / 退回补充 / 申诉 (reviewer) or 补充后重新提交 (the bank), with the reason."""

    action: Literal["confirm", "not_confirm", "return", "resubmit", "appeal"]
    reason: str = Field("", max_length=500)


class ConfirmationCreate(_Body):
    """How the batch's list was confirmed locally (a method of the policy), when, and the result."""

    method: str = Field(min_length=1, max_length=20)
    confirmed_on: dt.date = Field(ge=FIRST_DAY, le=LAST_DAY)
    result: str = Field(min_length=1, max_length=500)


class SupplementCreate(_Body):
    """补充名单: a household the base list missed, its township and why it belongs on the list."""

    household_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    township: Township
    reason: str = Field(min_length=1, max_length=500)


def _svc(runtime: Runtime) -> ReviewService:
    """The runtime's review service (``get_review_actor`` answered 503 already when there is none)."""
    if runtime.review is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "list review is not running")
    return runtime.review


def _today() -> dt.date:
    return program_today()


async def _changed(runtime: Runtime, answer: Any) -> Any:
    """After a new version or batch, later decisions read the final list as it now stands."""
    await run_in_threadpool(runtime.refresh_final_list)
    return answer


@router.get("/me", responses=ERRORS)
async def who_am_i(runtime: RuntimeDep, actor: ReviewActor) -> dict[str, Any]:
    """The caller's role, unit and the townships it sees; the actions, statuses and confirmation methods."""
    return {"role": actor.role, "unit": actor.unit, "townships": list(actor.townships), "actions": list(ACTIONS),
            "statuses": list(ENTRY_STATUSES),
            "confirmation_methods": list(runtime.policy.list_review.confirmation_methods)}


@router.get("/batches", responses=ERRORS)
async def list_batches(runtime: RuntimeDep, actor: ReviewActor,
                       township: Annotated[Township | None, Query()] = None) -> list[dict[str, Any]]:
    """The batches in the caller's townships, newest first, with counts by status and confirmation records."""
    return await run_in_threadpool(_svc(runtime).batches, actor, township)


@router.post("/batches", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def submit_batches(runtime: RuntimeDep, actor: ReviewActor,
                         body: Annotated[BatchSubmit, Body()]) -> list[dict[str, Any]]:
    """The bank submits its 待审核名单: one numbered batch per township of the visited households."""
    answer = await run_in_threadpool(_svc(runtime).submit, actor, _today(), body.until)
    return await _changed(runtime, answer)


@router.get("/entries", responses=ERRORS)
async def list_entries(runtime: RuntimeDep, actor: ReviewActor,
                       batch_no: Annotated[str | None, Query(max_length=32)] = None,
                       township: Annotated[Township | None, Query()] = None,
                       entry_status: Annotated[Literal["under_review", "returned", "confirmed", "not_confirmed",
                                                       "appealed"] | None, Query(alias="status")] = None,
                       ) -> list[dict[str, Any]]:
    """Entries in the caller's townships, by batch, township and status (masked identity)."""
    return await run_in_threadpool(_svc(runtime).entries, actor, batch_no, township, entry_status)


@router.get("/entries/{entry_id}", responses=ERRORS)
async def get_entry(runtime: RuntimeDep, actor: ReviewActor, entry_id: EntryId) -> dict[str, Any]:
    """One entry: its 采集表 (read-only, masked), its whole trail, the confirmation record and loans made under review."""
    return await run_in_threadpool(_svc(runtime).entry, actor, entry_id)


@router.post("/entries/{entry_id}/actions", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def act_on_entry(runtime: RuntimeDep, actor: ReviewActor, entry_id: EntryId,
                       body: Annotated[ActionCreate, Body()]) -> dict[str, Any]:
    """Append an action to the entry's trail (never over an earlier one)."""
    return await run_in_threadpool(_svc(runtime).act, actor, entry_id, body.action, body.reason, _today())


@router.post("/batches/{batch_no}/confirmation", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def confirm_batch(runtime: RuntimeDep, actor: ReviewActor, batch_no: BatchNo,
                        body: Annotated[ConfirmationCreate, Body()]) -> dict[str, Any]:
    """Record the batch's confirmation method (短信通知, 村小组评议, ...), its date and its result."""
    return await run_in_threadpool(_svc(runtime).confirm_batch, actor, batch_no, body.method, body.confirmed_on,
                                   body.result)


@router.post("/batches/{batch_no}/publish", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def publish_batch(runtime: RuntimeDep, actor: ReviewActor, batch_no: BatchNo) -> dict[str, Any]:
    """A new version of the 最终名单 from the batch's reviewed entries (after its confirmation record)."""
    answer = await run_in_threadpool(_svc(runtime).publish, actor, batch_no, _today())
    return await _changed(runtime, answer)


@router.post("/supplements", status_code=status.HTTP_201_CREATED, responses=ERRORS)
async def add_supplement(runtime: RuntimeDep, actor: ReviewActor,
                         body: Annotated[SupplementCreate, Body()]) -> dict[str, Any]:
    """补充名单: add a household the base list missed, with the reason; it enters review like any other."""
    answer = await run_in_threadpool(_svc(runtime).add_supplement, actor, body.household_id, body.township,
                                     body.reason, _today())
    return await _changed(runtime, answer)


@router.get("/lent-not-confirmed", responses=ERRORS)
async def lent_not_confirmed(runtime: RuntimeDep, actor: ReviewActor) -> list[dict[str, Any]]:
    """边审核边放款 then 不予确认: the entries, their loans made under review and the loans' subsidy status."""
    return await run_in_threadpool(_svc(runtime).lent_not_confirmed, actor)


@router.get("/final-list/versions", responses=ERRORS)
async def list_versions(runtime: RuntimeDep, actor: ReviewActor) -> list[dict[str, Any]]:
    """Every version of the final list: its day, batch, and the actions that produced it."""
    return await run_in_threadpool(_svc(runtime).versions)


@router.get("/final-list", responses=ERRORS)
async def final_list(runtime: RuntimeDep, actor: ReviewActor,
                     version: Annotated[int | None, Query(ge=1)] = None) -> list[dict[str, Any]]:
    """The final list as it stood at a version (the latest by default), in the caller's townships."""
    return await run_in_threadpool(_svc(runtime).final_list, actor, version)


@router.get("/final-list.xlsx", responses=ERRORS | {200: {"content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
async def final_list_export(runtime: RuntimeDep, actor: ReviewActor,
                            version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """The final list as an XLSX file with Chinese headers (masked identity)."""
    rows = await run_in_threadpool(_svc(runtime).final_list, actor, version)
    buffer = io.BytesIO(final_list_xlsx(rows, version))
    name = f"final-list-v{version or 'latest'}.xlsx"
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
