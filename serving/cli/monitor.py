"""The `kuozhong monitor` commands: the 成效监测表 (kpi), the 年底试点总结报告 (report) and model drift (drift)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

console = Console()
monitor_app = typer.Typer(help="Stage 4: the 成效监测表 KPI report, 跃迁 and process assessment, the year-end "
                               "report, model drift.",
                          no_args_is_help=True)

DataOpt = Annotated[Path, typer.Option("--data", help="Folder of raw sources (from `kuozhong simulate`).")]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")]


def _as_of(value: str) -> pd.Timestamp:
    import pandas as pd

    from features.errors import InputError

    try:
        return pd.Timestamp(dt.date.fromisoformat(value))
    except ValueError as err:
        raise InputError(f"field '--as-of': '{value}' is not a date in the form YYYY-MM-DD") from err


@monitor_app.command("kpi")
def kpi(
    as_of: Annotated[str, typer.Option("--as-of", help="Statistics date, YYYY-MM-DD.")],
    data: DataOpt = Path("output/data"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the XLSX and HTML report.")] = Path(
        "output/monitoring"),
    policy: PolicyOpt = None,
    update_data: Annotated[bool, typer.Option("--update-data", help="Also write the 跃迁 flags into the data folder "
                                                                    "(upward_mobility.parquet), where UPWARD_MOBILITY reads them.")] = False,
) -> None:
    """Every indicator of 附件1 as of a date against the year's target; 跃迁, doubtful visits, loan use, revisits."""
    import pandas as pd

    from features.files import atomic_path
    from features.sources.load import load_sources
    from models.policy import load_policy
    from monitoring.report import write_kpi_html
    from monitoring.stage4 import stage4_report
    from monitoring.workbook import write_kpi_xlsx

    day = _as_of(as_of)
    pol = load_policy(policy)
    with console.status("reading sources and computing indicators"):
        stage4 = stage4_report(load_sources(data), pol, day)
    stem = f"成效监测表-{day.date()}"
    xlsx = write_kpi_xlsx(stage4, out / f"{stem}.xlsx")
    page = write_kpi_html(stage4, out / f"{stem}.html")
    flags = stage4.upward_mobility
    flags_path = out / "upward_mobility.parquet"
    for path in (flags_path, data / "upward_mobility.parquet") if update_data else (flags_path,):
        with atomic_path(path) as tmp:
            flags.to_parquet(tmp, index=False)
    until = f" · 数据截至 {stage4.data_until.date()}" if stage4.data_until is not None else ""
    table = Table(title=f"成效监测表 · 统计截止日 {day.date()}{until}")
    for col in ("序号", "指标", "单位", "实际值", "年度目标", "完成率"):
        table.add_column(col, justify="right" if col in ("实际值", "年度目标", "完成率") else "left")
    for row in stage4.kpi.table.itertuples(index=False):
        table.add_row(row.序号, row.指标, row.单位, _number(row.实际值, row.单位), _number(row.年度目标, row.单位),
                      "—" if row.完成率 is None or pd.isna(row.完成率) else f"{row.完成率:.1%}")
    console.print(table)
    counts = " · ".join(f"{name} {len(frame)}" for name, frame in stage4.lists().items() if name != "过程考核")
    console.print(counts)
    fed = "fed to UPWARD_MOBILITY" if update_data else "use --update-data to feed UPWARD_MOBILITY"
    console.print(f"wrote {xlsx} · {page} · {flags_path} ({fed})")


def _number(value: float | None, unit: str) -> str:
    import pandas as pd

    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.2f}" if unit == "万元" else f"{value:,.1f}" if unit == "%" else f"{value:,.0f}"


@monitor_app.command("report")
def report(
    year: Annotated[int, typer.Option("--year", help="The pilot year to report on, e.g. 2024.")],
    data: DataOpt = Path("output/data"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the PDF and DOCX.")] = Path("output/monitoring"),
    policy: PolicyOpt = None,
) -> None:
    """The 年底试点总结报告 (PDF and DOCX): the year's indicators, breakdowns, 过程考核, 跃迁, misuse and 贴息."""
    from features.sources.load import load_sources
    from models.policy import load_policy
    from monitoring.year_report import write_year_report, year_report

    pol = load_policy(policy)
    with console.status("reading sources and laying out the report"):
        made = year_report(load_sources(data), pol, year)
        pdf, docx = write_year_report(made, out)
    state = "whole year" if made.complete else "year in progress"
    console.print(f"{made.title} · {made.subtitle} ({state})")
    console.print(f"wrote {pdf} · {docx}")


@monitor_app.command("drift")
def drift(
    as_of: Annotated[str, typer.Option("--as-of", help="Last application date to include, YYYY-MM-DD.")],
    recent_from: Annotated[str, typer.Option("--recent-from", help="First date of the recent period.")],
    data: DataOpt = Path("output/data"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the drift report.")] = Path("output/monitoring"),
    alias: Annotated[str, typer.Option("--alias", help="Registry alias of the model to monitor.")] = "champion",
    policy: PolicyOpt = None,
) -> None:
    """PSI of score and features, AUC/calibration where outcomes are known, approval shifts; logged to MLflow."""
    from features.build.table import training_table
    from features.errors import InputError
    from features.sources.load import load_sources
    from models.policy import load_policy
    from monitoring.drift import drift_report, log_to_run
    from monitoring.report import write_drift_html
    from training.registry import load_by_alias
    from training.tracking import configure

    day, start = _as_of(as_of), _as_of(recent_from)
    loaded = load_by_alias(alias)
    pol = load_policy(policy)
    with console.status("building features and scoring"):
        table = training_table(load_sources(data), pol)
        try:
            report = drift_report(table, loaded.model, pol, day, start)
        except ValueError as err:
            raise InputError(f"field '--recent-from': {err}") from err
    log_to_run(report, loaded.ref, configure())
    page = write_drift_html(report, out / f"drift-{day.date()}.html")
    console.print(f"score PSI {report.score_psi:.3f} · status {report.status} · "
                  f"{report.n_reference} reference / {report.n_recent} recent applications")
    console.print(f"wrote {page}; figures logged to run {loaded.ref.run_id}")
