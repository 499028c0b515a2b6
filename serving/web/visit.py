"""The PAD page (/visit): the 扩中家庭信息采集表 filled at the door, kept on the device until it is sent once."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from serving.web.officer import choices, env

router = APIRouter(include_in_schema=False)


@router.get("/visit", response_class=HTMLResponse)
def visit_page() -> HTMLResponse:
    """The page; its field checks come from /v1/visits/schema, the same the service applies."""
    html = env().get_template("visit.html").render(**choices())
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
