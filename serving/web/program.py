"""The program staff's 数据大屏: the stage-4 report as of a day for a township, manager and product, and its exports.

Figures come from ``monitoring.stage4`` (the report the workbook and ``kuozhong monitor kpi`` print) on the served data
folder, re-read when its files change. The default day is the last day with data (T+1, never after yesterday), and
the page says up to which day the data runs (数据截至). Only household ids appear — never names, ID numbers or phones.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from features.county import TOWNSHIPS
from features.sources.load import RawSources, load_sources
from monitoring.kpi import Scope
from monitoring.stage4 import LIST_HEADERS, Stage4Report, stage4_report
from serving.api.deps import Caller, RuntimeDep, require
from serving.api.runtime import Runtime, with_forms
from serving.clock import program_today

router = APIRouter()
ProgramStaff = Annotated[Caller, Depends(require("program", "admin"))]
PROGRAM_START = dt.date(2023, 1, 1)  # the pilot began in 2023 (嵊政办发〔2023〕41号)
TableName = Literal["kpis", "by_township", "by_manager", "by_product", "过程考核", "存疑走访", "跃迁家庭", "资金用途预警",
                    "贷款违规使用", "应回访清单"]


@cache
def _env() -> Environment:
    return Environment(loader=PackageLoader("serving.web", "templates"), autoescape=select_autoescape(["html"]))


@router.get("/program", response_class=HTMLResponse, include_in_schema=False)
def program_page() -> HTMLResponse:
    """The dashboard page; its data comes from /v1/program/dashboard with a program key."""
    return HTMLResponse(_env().get_template("program.html").render(), headers={"Cache-Control": "no-store"})


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")[:16] if value != value.normalize() else value.date().isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def _signature(folder: Path) -> str:
    """The data folder's files, sizes and modification times: a new signature means new data."""
    if not folder.is_dir():
        return ""
    return "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(folder.iterdir())
                    if p.is_file())


def current_sources(runtime: Runtime) -> tuple[RawSources, str]:
    """The served sources, re-read when the data folder changed since they were read."""
    folder = Path(runtime.settings.data_dir)
    signature = _signature(folder)
    with runtime.dashboard_lock:
        held = runtime.program_sources
        if held and held[0] == signature:
            return held[1], signature
    sources = load_sources(folder) if signature else runtime.sources
    with runtime.dashboard_lock:
        runtime.program_sources = (signature, sources)
        runtime.dashboard_cache.clear()
    return sources, signature


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


def _series(report: Stage4Report) -> dict[str, Any]:
    m = report.kpi.monthly
    keys = [k for k in report.kpi.table["key"]]
    return {"dates": [d.date().isoformat() for d in m["date"]],
            "values": {k: [_plain(v) for v in m[k]] for k in keys},
            "targets": {k: [_plain(v) for v in m[f"target_{k}"]] for k in keys}}


def _subsidy(report: Stage4Report) -> dict[str, Any]:
    s = report.subsidy
    return {"year": s.year, "budget": s.budget, "claimed": s.claimed, "approved": s.approved, "paid": s.paid,
            "claimed_share": s.share(s.claimed), "approved_share": s.share(s.approved), "paid_share": s.share(s.paid),
            "months": _records(s.months)}


def tables(report: Stage4Report) -> dict[str, pd.DataFrame]:
    """Every table the page shows, by name, with Chinese headers (what the export writes)."""
    kpi = report.kpi.table.drop(columns=["key"])
    return {"kpis": kpi, "by_township": report.kpi.by_township, "by_manager": report.kpi.by_manager,
            "by_product": report.kpi.by_product, **report.sheets()}


def dashboard_data(runtime: Runtime, as_of: pd.Timestamp, scope: Scope) -> dict[str, Any]:
    """Everything the dashboard shows as of a day for a scope (computed once per day, scope, data and model)."""
    sources, signature = current_sources(runtime)
    # PAD visits count in the 过程考核 beside the imported ones: a new visit makes new figures
    visits = runtime.visit_store().count() if runtime.visits is not None else 0
    key = (f"{as_of.date()}|{scope.township}|{scope.manager}|{scope.product}|{signature}|{visits}",
           runtime.active.service.loaded.ref.version)
    with runtime.dashboard_lock:
        if key in runtime.dashboard_cache:
            return runtime.dashboard_cache[key]
    if visits:
        sources = with_forms(sources, runtime.visit_store().forms())
    report = stage4_report(sources, runtime.policy, as_of, scope)
    # 数据截至 on the page is T+1: records dated after yesterday (a loan's scheduled postings) are not data yet
    from monitoring.stage4 import data_until

    until = data_until(sources, pd.Timestamp(program_today() - dt.timedelta(days=1)))
    lists = {name: {"columns": LIST_HEADERS[name], "rows": _records(frame), "total": len(frame)}
             for name, frame in report.lists().items()}
    data = {
        "as_of": as_of.date().isoformat(),
        "data_until": None if until is None else until.date().isoformat(),
        "scope": scope.label(),
        "kpis": _records(report.kpi.table),
        "series": _series(report),
        "by_township": _records(report.kpi.by_township),
        "by_manager": _records(report.kpi.by_manager),
        "by_product": _records(report.kpi.by_product),
        "lists": lists,
        "subsidy": _subsidy(report),
        "drift": _drift_status(runtime),
        "report": report,
    }
    with runtime.dashboard_lock:
        runtime.dashboard_cache[key] = data
    return data


def _bad(field: str, value: object, rule: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"field '{field}': {value!r} {rule}")


def _request(runtime: Runtime, as_of: dt.date | None, township: str | None, manager: str | None,
             product: str | None) -> tuple[pd.Timestamp, Scope]:
    sources, _ = current_sources(runtime)
    yesterday = program_today() - dt.timedelta(days=1)
    if as_of is None:
        from monitoring.stage4 import data_until

        until = data_until(sources, pd.Timestamp(yesterday))
        as_of = until.date() if until is not None else yesterday
    if not PROGRAM_START <= as_of <= program_today():
        raise _bad("as_of", str(as_of), f"is outside {PROGRAM_START} to today / 统计日须在{PROGRAM_START}至今天之间")
    if township and township not in TOWNSHIPS:
        raise _bad("township", township, f"is not a township of the county / 不是本县乡镇（{'、'.join(TOWNSHIPS)}）")
    codes = [p.code for p in runtime.policy.products]
    if product and product not in codes:
        raise _bad("product", product, f"is not a product of the policy / 不是政策产品（{'、'.join(codes)}）")
    managers = set(sources.loan_ledger.get("account_manager_id", [])) | set(
        sources.visits.get("account_manager_id", []))
    if manager and manager not in managers:
        raise _bad("manager", manager, "is not an account manager in the data / 数据中没有该客户经理")
    return pd.Timestamp(as_of), Scope(township or None, manager or None, product or None)


AsOf = Annotated[dt.date | None, Query(description="Statistics day; default the last day with data (T+1).")]
Township = Annotated[str | None, Query(description="One township (乡镇), e.g. 菜园镇.")]
Manager = Annotated[str | None, Query(description="One account manager id.")]
Product = Annotated[str | None, Query(description="One product code of the policy, e.g. GF-JY.")]


@router.get("/v1/program/dashboard", tags=["program"])
def dashboard(runtime: RuntimeDep, caller: ProgramStaff, as_of: AsOf = None, township: Township = None,
              manager: Manager = None, product: Product = None) -> dict[str, Any]:
    """The dashboard's figures (role program or admin) for a day and the filters."""
    day, scope = _request(runtime, as_of, township, manager, product)
    data = dict(dashboard_data(runtime, day, scope))
    data.pop("report")
    sources, _ = current_sources(runtime)
    data["filters"] = {
        "townships": list(TOWNSHIPS), "products": [{"code": p.code, "name": p.name} for p in runtime.policy.products],
        "managers": sorted(set(sources.loan_ledger.get("account_manager_id", []))
                           | set(sources.visits.get("account_manager_id", [])))}
    return data


_EXPORT_TYPES = {"text/csv": {"schema": {"type": "string"}},
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                     "schema": {"type": "string", "format": "binary"}}}


@router.get("/v1/program/export", tags=["program"], response_class=Response,
            responses={200: {"description": "the table as CSV or XLSX", "content": _EXPORT_TYPES}})
def export(runtime: RuntimeDep, caller: ProgramStaff,
           table: Annotated[TableName, Query(description="The table on screen.")],
           fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
           sort: Annotated[str | None, Query(description="Column the list is sorted by.")] = None,
           descending: bool = False, as_of: AsOf = None, township: Township = None, manager: Manager = None,
           product: Product = None) -> Response:
    """One table of the dashboard, filtered and sorted as on screen, as CSV or XLSX."""
    day, scope = _request(runtime, as_of, township, manager, product)
    report = dashboard_data(runtime, day, scope)["report"]
    frame = tables(report)[table]
    if table in LIST_HEADERS and sort:
        column = LIST_HEADERS[table].get(sort, sort)
        if column not in frame:
            raise _bad("sort", sort, f"is not a column of {table} / 不是该表的列")
        frame = frame.sort_values(column, ascending=not descending, kind="stable", na_position="last")
    name = f"{table}-{day.date()}"
    if fmt == "csv":
        body = frame.to_csv(index=False).encode("utf-8-sig")
        media = "text/csv; charset=utf-8"
    else:
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name=table[:31], index=False, startrow=1)
            sheet = writer.sheets[table[:31]]
            sheet["A1"] = f"{table} · 统计日 {day.date()} · {scope.label()}"
            for cells in sheet.iter_rows(min_row=3):
                for cell in cells:
                    if isinstance(cell.value, dt.datetime):
                        cell.number_format = "yyyy-mm-dd"
        body = buf.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    from urllib.parse import quote

    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}.{fmt}", "Cache-Control": "no-store"})
