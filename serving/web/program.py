"""The program staff's dashboard (项目监测看板): KPIs of 附件1, charts, doubtful visits, 跃迁 list, drift status.

Figures are computed from the served data as of the previous day (T+1) and cached per day; a date can be asked
for with ``?as_of=YYYY-MM-DD``. Only household ids appear — never names, ID numbers or phones.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from functools import cache
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from serving.api.deps import Caller, RuntimeDep, require
from serving.api.runtime import Runtime

router = APIRouter()
ProgramStaff = Annotated[Caller, Depends(require("program", "admin"))]
PROGRAM_START = dt.date(2023, 1, 1)  # the pilot began in 2023 (嵊政办发〔2023〕41号)


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("serving.web", "templates"), autoescape=select_autoescape(["html"]))


@router.get("/program", response_class=HTMLResponse, include_in_schema=False)
def program_page() -> HTMLResponse:
    """The dashboard page; its data comes from /v1/program/dashboard with a program key."""
    return HTMLResponse(_env().get_template("program.html").render(), headers={"Cache-Control": "no-store"})


def _records(frame: pd.DataFrame, limit: int = 200) -> list[dict[str, Any]]:
    out = []
    for rec in frame.head(limit).to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, pd.Timestamp):
                clean[str(k)] = v.date().isoformat()
            elif isinstance(v, float) and math.isnan(v):
                clean[str(k)] = None
            elif hasattr(v, "item"):
                clean[str(k)] = v.item()
            else:
                clean[str(k)] = v
        out.append(clean)
    return out


def _drift_status(runtime: Runtime) -> dict[str, Any]:
    from mlflow import MlflowClient

    from training.evaluate import psi_reading
    from training.tracking import configure

    ref = runtime.active.service.loaded.ref
    configure()
    history = MlflowClient().get_metric_history(ref.run_id, "monitor_psi_score")
    if not history:
        return {"status": "尚无监测记录", "score_psi": None, "checked": None, "model_version": ref.version}
    last = max(history, key=lambda m: m.step)
    return {"status": psi_reading(last.value), "score_psi": round(last.value, 4), "checked": str(last.step),
            "model_version": ref.version}


def dashboard_data(runtime: Runtime, as_of: pd.Timestamp) -> dict[str, Any]:
    """Everything the dashboard shows as of a day (computed once per day and model)."""
    from monitoring.report import kpi_charts
    from monitoring.stage4 import DOUBTFUL_COLUMNS, stage4_report

    # PAD visits count in the 过程考核 beside the imported ones: a new visit makes a new day's figures
    visits = runtime.visit_store().count() if runtime.visits is not None else 0
    key = (as_of.date().isoformat(), f"{runtime.active.service.loaded.ref.version}+{visits}")
    with runtime.dashboard_lock:
        if key in runtime.dashboard_cache:
            return runtime.dashboard_cache[key]
    sources = runtime.sources_with_visits() if runtime.visits is not None else runtime.sources
    stage4 = stage4_report(sources, runtime.policy, as_of)
    report, doubtful, flags = stage4.kpi, stage4.doubtful, stage4.upward_mobility
    charts = {name: base64.b64encode(png).decode() for name, png in kpi_charts(report).items()}
    data = {
        "as_of": key[0],
        "kpis": _records(report.table),
        "by_township": _records(report.by_township),
        "managers": _records(stage4.assessment),
        "doubtful_visits": _records(doubtful[list(DOUBTFUL_COLUMNS)]),
        "doubtful_total": len(doubtful),
        "upward_mobility": _records(flags),
        "upward_mobility_total": len(flags),
        "charts": charts,
        "drift": _drift_status(runtime),
    }
    with runtime.dashboard_lock:
        runtime.dashboard_cache[key] = data
    return data


@router.get("/v1/program/dashboard", tags=["program"])
def dashboard(runtime: RuntimeDep, caller: ProgramStaff,
              as_of: Annotated[dt.date | None, Query(description="Statistics day; default yesterday (T+1).")] = None
              ) -> dict[str, Any]:
    """The program dashboard's figures (role program or admin)."""
    day = as_of or (dt.date.today() - dt.timedelta(days=1))
    if not PROGRAM_START <= day <= dt.date.today():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"field 'as_of': {day} is outside {PROGRAM_START} to today; the dashboard shows the "
                            "program's complete days")
    return dashboard_data(runtime, pd.Timestamp(day))
