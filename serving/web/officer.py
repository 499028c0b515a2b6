"""The loan officer's page (信贷员工作台): sign in with a key, decide, read the card, download, review."""

from __future__ import annotations

from functools import cache
from typing import get_args

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from features.county import TOWNSHIPS
from serving.api.schemas.requests import Livelihood, Purpose

router = APIRouter(include_in_schema=False)

LIVELIHOOD_ZH = {"fishing": "捕捞渔业", "mussel": "贻贝养殖", "bnb": "民宿经营", "port": "港口物流",
                 "shop": "个体商户", "wage": "工资性就业", "pension": "养老金/转移收入"}
PURPOSE_ZH = {"business": "经营（共富经营贷）", "medical": "医疗（共富助医贷）", "education": "助学（共富助学贷）",
              "housing": "安居（共富安居贷）"}


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("serving.web", "templates"), autoescape=select_autoescape(["html"]))


@router.get("/officer", response_class=HTMLResponse)
def officer_page() -> HTMLResponse:
    """The page itself; every datum it shows comes from the API with the officer's key."""
    html = _env().get_template("officer.html").render(
        townships=TOWNSHIPS, livelihoods=[(k, LIVELIHOOD_ZH[k]) for k in get_args(Livelihood)],
        purposes=[(k, PURPOSE_ZH[k]) for k in get_args(Purpose)])
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
