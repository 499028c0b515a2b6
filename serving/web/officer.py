"""The loan officer's page (信贷员工作台): sign in with a key, find a household, decide, read the card, review."""

from __future__ import annotations

from functools import cache
from typing import get_args

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from features.county import TOWNSHIPS
from serving.api.schemas.requests import Livelihood, Purpose
from serving.api.zh import CAPACITY_ZH, HEALTH_ZH, LIVELIHOOD_ZH, PURPOSE_ZH

router = APIRouter(include_in_schema=False)
RELATIONS = ("户主", "配偶", "子女", "父母", "祖父母", "孙子女", "兄弟姐妹", "其他")


@cache
def env() -> Environment:
    """The pages' templates (shared by the officer's page and the PAD page)."""
    return Environment(loader=PackageLoader("serving.web", "templates"), autoescape=select_autoescape(["html"]))


def choices() -> dict[str, object]:
    """The form's choices in Chinese, the same lists the API accepts."""
    # the county's townships (the API takes any name, so a household outside the county is decided and declined)
    return {"townships": TOWNSHIPS, "livelihoods": [(k, LIVELIHOOD_ZH[k]) for k in get_args(Livelihood)],
            "purposes": [(k, PURPOSE_ZH[k]) for k in get_args(Purpose)], "relations": RELATIONS,
            "capacities": list(CAPACITY_ZH.items()), "health": list(HEALTH_ZH.items())}


@router.get("/officer", response_class=HTMLResponse)
def officer_page() -> HTMLResponse:
    """The page itself; every datum it shows comes from the API with the officer's key."""
    html = env().get_template("officer.html").render(**choices())
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
