"""The web pages served by the API app, one router per page (the loan officer's page first)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def mount_web(app: FastAPI) -> None:
    """Add the pages and their static files to the app; another page adds its router here."""
    from serving.web import officer, program, review, visit

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(officer.router)
    app.include_router(program.router)
    app.include_router(visit.router)
    app.include_router(review.router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/officer")
