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


def score(
    input_path: Annotated[Path, typer.Option("--input", help="Households: raw sources (a `kuozhong simulate` folder "
                                                              "or a folder of such shards) or built-feature Parquet.")],
    output: Annotated[Path, typer.Option("--output", help="Folder for the partitioned Parquet decisions.")],
    engine: Annotated[str, typer.Option("--engine", help="local (this process) or dask (dask.distributed).")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address; default a local "
                                                                      "cluster on the loopback interface.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Workers of the local Dask cluster.")] = 2,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Requests per partition.")] = 50_000,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Decide every household on the base list at this date "
                                                              "(YYYY-MM-DD) instead of the applications.")] = None,
    alias: Annotated[str, typer.Option("--alias", help="Registry alias of the model to use.")] = "champion",
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")] = None,
    restart: Annotated[bool, typer.Option("--restart", help="Discard an earlier run in --output and start over.")]
    = False,
) -> None:
    """Decide every household or application of a list in partitions; a killed run resumes where it stopped."""
    from models.policy import load_policy
    from serving.batch import BatchConfig, BatchInputError, run_batch
    from training.registry import load_by_alias

    if engine not in ("local", "dask"):
        raise BatchInputError(f"option '--engine': '{engine}' is not one of local, dask")
    if scheduler and engine != "dask":
        raise BatchInputError("option '--scheduler' needs '--engine dask'")
    try:
        as_of_date = None if as_of is None else dt.date.fromisoformat(as_of)
    except ValueError as err:
        raise BatchInputError(f"option '--as-of': '{as_of}' is not a date (YYYY-MM-DD)") from err
    pol = load_policy(policy)
    loaded = load_by_alias(alias)
    config = BatchConfig(input=input_path, output=output, engine=engine,  # type: ignore[arg-type]
                         scheduler=scheduler, workers=workers, chunk_size=chunk_size, as_of=as_of_date,
                         restart=restart)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        result = run_batch(config, loaded, pol, progress=_progress_bar(progress))  # type: ignore[arg-type]
    manifest = result.manifest
    table = Table(title=f"批量决策 {manifest.requests:,} · {loaded.ref.name} v{loaded.ref.version} · "
                        f"policy {pol.version}")
    for column in ("乡镇 township", "批准 approve", "复核 refer", "拒绝 decline"):
        table.add_column(column, justify="left" if column.startswith("乡镇") else "right")
    totals = [0, 0, 0]
    for township, counts in (manifest.summary or {}).items():
        row = [counts.get(k, 0) for k in ("approve", "refer", "decline")]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        table.add_row(township, *(f"{n:,}" for n in row))
    table.add_row("合计 total", *(f"{n:,}" for n in totals))
    console.print(table)
    console.print(f"{result.written} partition(s) written, {result.skipped} already done · [bold]{output}[/]")
