"""The government reviewers' page (名单审核): batches, entries with their 采集表, actions, confirmation, final list."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from features.county import TOWNSHIPS
from serving.review.trail import ACTION_ZH, STATUS_ZH

router = APIRouter(include_in_schema=False)


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("serving.web", "templates"), autoescape=select_autoescape(["html"]))


@router.get("/review", response_class=HTMLResponse)
def review_page() -> HTMLResponse:
    """The page itself; every datum it shows comes from /v1/review with the reviewer's key."""
    html = _env().get_template("review.html").render(townships=TOWNSHIPS, statuses=list(STATUS_ZH.items()),
                                                     actions=list(ACTION_ZH.items()))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
