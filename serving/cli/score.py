"""The `kuozhong score` command: batch decisions for a whole list, with a progress bar and a summary by township."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

console = Console()


def _progress_bar(progress: Progress) -> object:
    def start(total: int, done: int):
        task = progress.add_task("决策 deciding", total=total, completed=done)
        return lambda n: progress.advance(task, n)

    return start


def _score_table(input_path: Path, output: Path, dataset: str | None, model: str | None, alias: str) -> None:
    """A bank's own table through its registered model: PD, score, grade and reasons per row, one file out."""
    from features.datasets import DatasetError, load_config
    from serving.batch.table import score_table
    from training.registry import load_by_alias
    from training.tracking import model_name_for

    if dataset and model:
        raise DatasetError("--model and --dataset both name the model; give one", field="--model", value=model,
                           rule="one of --model, --dataset")
    if dataset is None and model is None:
        raise DatasetError(f"--input = '{input_path}' is a table: name its model with --dataset (the dataset YAML it "
                           "was trained from) or --model NAME", field="--dataset", rule="a table needs its model")
    labels: dict[str, str] = {}
    if dataset is not None:
        config = load_config(dataset)[0]
        name = model_name_for(config.name)
        labels = {c.name: c.label_zh or c.name for c in config.columns}
    else:
        name, _, named_alias = str(model).partition("@")
        alias = named_alias or alias
    loaded = load_by_alias(alias, name)
    if not labels:
        labels = _run_labels(loaded.ref.run_id)
    with console.status(f"scoring {input_path.name} with {name}@{alias} (v{loaded.ref.version})"):
        result = score_table(loaded.model, input_path, output, labels)
    grades = " · ".join(f"{g or '—'} {n:,}" for g, n in result.grades.items())
    console.print(f"{result.rows:,} rows scored with {name} v{loaded.ref.version} (@{alias}) · {grades} · "
                  f"[bold]{output}[/]")


def _run_labels(run_id: str) -> dict[str, str]:
    import mlflow

    try:
        features = mlflow.artifacts.load_dict(f"runs:/{run_id}/features.json")
    except (mlflow.exceptions.MlflowException, OSError):
        return {}
    return {name: str(info.get("label_zh") or name) for name, info in features.items()}


def score(
    input_path: Annotated[Path, typer.Option("--input", help="Households: raw sources (a `kuozhong simulate` folder "
                                                              "or a folder of such shards) or built-feature Parquet; "
                                                              "or a bank's own CSV/Parquet table (with --dataset or "
                                                              "--model).")],
    output: Annotated[Path, typer.Option("--output", help="Folder for the partitioned Parquet decisions; for a table, "
                                                          "the .csv or .parquet file of scores.")],
    dataset: Annotated[str | None, typer.Option("--dataset", help="Score a table with this dataset's registered "
                                                                  "model (shipped name or config YAML).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Score a table with this registered model "
                                                              "(NAME or NAME@alias).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (this process) or dask (dask.distributed).")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address; default a local "
                                                                      "cluster on the loopback interface.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Workers of the local Dask cluster.")] = 2,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Requests per partition.")] = 5_000,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Decide every household on the base list at this date "
                                                              "(YYYY-MM-DD) instead of the applications.")] = None,
    alias: Annotated[str, typer.Option("--alias", help="Registry alias of the model to use.")] = "champion",
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")] = None,
    restart: Annotated[bool, typer.Option("--restart", help="Discard an earlier run in --output and start over.")]
    = False,
    connect_timeout: Annotated[float, typer.Option("--connect-timeout", min=0.1, help="Seconds to reach the Dask "
                                                                                     "scheduler.")] = 30.0,
    worker_grace: Annotated[float, typer.Option("--worker-grace", min=0.1, help="Seconds a Dask run waits with no "
                                                                               "worker left before it stops.")] = 60.0,
    log_every: Annotated[float, typer.Option("--log-every", min=0.1, help="Seconds between progress lines when "
                                                                         "the output is not a terminal.")] = 30.0,
) -> None:
    """Decide every household of a list in partitions (resumable), or score a bank's table row by row."""
    from serving.batch.table import is_table

    if dataset is not None or model is not None or is_table(input_path):
        _score_table(input_path, output, dataset, model, alias)
        return
    from models.policy import load_policy
    from serving.batch import BatchConfig, BatchInputError, run_batch
    from serving.batch.progress import progress_log
    from training.registry import load_by_alias

    if engine not in ("local", "dask"):
        raise BatchInputError(f"option '--engine': '{engine}' is not one of local, dask", field="--engine",
                              value=engine, rule="local or dask", message_zh=f"--engine 须为 local 或 dask，而非 '{engine}'")
    if scheduler and engine != "dask":
        raise BatchInputError("option '--scheduler' needs '--engine dask'", field="--scheduler", value=scheduler,
                              rule="with --engine dask", message_zh="--scheduler 须与 --engine dask 同用")
    try:
        as_of_date = None if as_of is None else dt.date.fromisoformat(as_of)
    except ValueError as err:
        raise BatchInputError(f"option '--as-of': '{as_of}' is not a date (YYYY-MM-DD)", field="--as-of",
                              value=as_of, rule="a date YYYY-MM-DD", message_zh=f"--as-of '{as_of}' 不是日期") from err
    pol = load_policy(policy)
    loaded = load_by_alias(alias)
    config = BatchConfig(input=input_path, output=output, engine=engine,  # type: ignore[arg-type]
                         scheduler=scheduler, workers=workers, chunk_size=chunk_size, as_of=as_of_date,
                         restart=restart, connect_timeout=connect_timeout, worker_grace=worker_grace)
    if console.is_terminal:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            result = run_batch(config, loaded, pol, progress=_progress_bar(progress))  # type: ignore[arg-type]
    else:  # cron, a scheduler, a file: periodic log lines with what is done, the rate and the time left
        result = run_batch(config, loaded, pol, progress=progress_log(log_every))
    manifest = result.manifest
    table = Table(title=f"批量决策 {manifest.requests:,} · {loaded.ref.name} v{loaded.ref.version} · "
                        f"policy {pol.version}")
    for column in ("乡镇 township", "批准 approve", "复核 refer", "拒绝 decline", "批准额度 approved (万元)"):
        table.add_column(column, justify="left" if column.startswith("乡镇") else "right")
    totals = [0, 0, 0, 0]
    for township, counts in (manifest.summary or {}).items():
        row = [counts.get(k, 0) for k in ("approve", "refer", "decline", "approved_limit_fen")]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        table.add_row(township, *(f"{n:,}" for n in row[:3]), f"{row[3] / 1_000_000:,.1f}")
    table.add_row("合计 total", *(f"{n:,}" for n in totals[:3]), f"{totals[3] / 1_000_000:,.1f}")
    console.print(table)
    console.print(f"{result.written} partition(s) written, {result.skipped} already done · [bold]{output}[/]")
