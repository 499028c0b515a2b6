"""The `kuozhong match` command: private matching of the bank's customer list against the province's base list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()


def review_path(out: Path) -> Path:
    """Where the rows for manual review go: beside the initial list, ``<stem>_review<suffix>``."""
    return out.with_name(f"{out.stem}_review{out.suffix}")


def match(
    bank: Annotated[Path, typer.Option("--bank", help="The bank's customer list (Parquet or CSV: id_number, name, "
                                                      "customer_id).")],
    province: Annotated[Path, typer.Option("--province", help="The province's base list (Parquet or CSV).")],
    out: Annotated[Path, typer.Option("--out", help="Initial list to write (.parquet or .csv); rows needing a "
                                                    "person go to <stem>_review beside it.")],
    mode: Annotated[str, typer.Option("--mode", help="in-process, or socket (the province as its own process on a "
                                                     "loopback port).")] = "in-process",
) -> None:
    """Match by private set intersection on ID numbers: the bank learns only its matched households' labels."""
    from features.errors import InputError
    from features.matching import match_lists
    from features.matching.lists import read_bank_list, read_base_chunks, write_table
    from features.matching.wire import match_two_process

    if mode not in ("in-process", "socket"):
        raise InputError(f"option '--mode': '{mode}' is not one of in-process, socket")
    if out.suffix not in (".parquet", ".csv"):
        raise InputError(f"option '--out': '{out}' must end in .parquet or .csv")
    bank_list = read_bank_list(bank)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("匹配 matching (province households)", total=None)

        def advance(n: int) -> None:
            bar.advance(task, n)

        if mode == "socket":
            next(iter(read_base_chunks(province)), None)  # a bad base list fails here, with its own message
            result = match_two_process(bank_list, province, progress=advance)
        else:
            result = match_lists(bank_list, read_base_chunks(province), progress=advance)
    write_table(result.initial, out)
    review = write_table(result.review, review_path(out))
    flagged = int(result.initial["is_kuozhong"].sum())
    console.print(f"matched {result.matched:,} of {result.bank_ids:,} bank IDs against "
                  f"{result.province_households:,} base-list households · initial list {len(result.initial):,} "
                  f"({flagged:,} 扩中) → [bold]{out}[/] · {len(result.review):,} for manual review → [bold]{review}[/]")
