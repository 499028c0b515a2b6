"""The `kuozhong subsidy` command: one month's subsidy ledger and the county's claim table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

console = Console()
LEDGER_SOURCES = ("loan_ledger", "loan_events", "base_list", "list_refresh")
MONEY_SOURCES = ("loan_ledger", "loan_events")  # a claim is refused, not trimmed, when one of their rows is bad


def read_ledger_sources(data: Path) -> dict[str, pd.DataFrame]:
    """The loan ledger, its events, the base list, the list refreshes and the revisits from a data folder.

    Every table is checked against its schema. A bad ledger or posting row refuses the claim (money is never
    claimed from a ledger with rows left out); bad list rows are set aside as when the sources are loaded.
    """
    from features.schemas import validate_table
    from features.sources import SourceError

    if not data.is_dir():
        raise SourceError(f"data folder '{data}' does not exist; run `kuozhong simulate --out {data}` first")
    frames = {}
    for name in LEDGER_SOURCES:
        path = data / f"{name}.parquet"
        if not path.exists():
            raise SourceError(f"source '{name}' is missing: expected {path}")
        checked = validate_table(name, pd.read_parquet(path))
        if name in MONEY_SOURCES and len(checked.quarantine):
            first = checked.quarantine.iloc[0]
            raise SourceError(f"source '{name}': {len(checked.quarantine)} row(s) break the schema, the first at field "
                              f"'{first['field']}' ({first['rule']}); fix the ledger, no claim was written")
        frames[name] = checked.frame
    revisits = data / "revisits.json"
    try:
        frames["revisits"] = pd.DataFrame.from_records(
            json.loads(revisits.read_text(encoding="utf-8")) if revisits.exists() else [])
    except json.JSONDecodeError as err:
        raise SourceError(f"source 'revisits' is not valid JSON (line {err.lineno}): {revisits}") from err
    return frames


def subsidy(
    month: Annotated[str, typer.Option("--month", help="Claim month, YYYY-MM.")],
    data: Annotated[Path, typer.Option("--data", help="Folder of raw sources with the loan ledger.")] = Path(
        "output/data"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the claim table and summary.")] = Path(
        "output/subsidy"),
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")] = None,
) -> None:
    """Write the county's subsidy claim table for a month (XLSX and CSV, Chinese headers) and a summary."""
    from models.policy import load_policy
    from monitoring.subsidy import SubsidyInputError, eligibility_at_signing, month_bounds, subsidy_ledger
    from monitoring.subsidy_claim import write_claim
    from serving.pipeline import InputError

    try:
        start, end = month_bounds(month)
    except SubsidyInputError as err:
        raise InputError(str(err)) from err
    pol = load_policy(policy)
    src = read_ledger_sources(data)
    with console.status(f"贴息台账 {month}"):
        eligibility = eligibility_at_signing(src["loan_ledger"], src["base_list"], src["list_refresh"],
                                             src["revisits"], pol)
        try:
            ledger = subsidy_ledger(src["loan_ledger"], src["loan_events"], eligibility, pol, start, end)
        except SubsidyInputError as err:
            raise InputError(str(err)) from err
        paths = write_claim(month, ledger, out)
    info = json.loads(paths["summary"].read_text(encoding="utf-8"))
    table = Table(title=f"贴息汇总 {month}")
    table.add_column("项目")
    table.add_column("金额(元)", justify="right")
    names = {"household_interest": "客户支付利息", "county_subsidy": "县财政贴息", "bank_concession": "银行让利",
             "bank_discount": "银行低于上限优惠", "reference_interest": "按基准利率计利息"}
    for key, label in names.items():
        table.add_row(label, info["totals_yuan"][key])
    console.print(table)
    excluded = ", ".join(f"{k} {v}" for k, v in info["loans_excluded"].items()) or "无"
    console.print(f"{info['loans_subsidised']} of {info['loans_accruing']} accruing loans subsidised (excluded: "
                  f"{excluded}); reconciles to the fen: {info['reconciles']} → [bold]{paths['xlsx']}[/], "
                  f"{paths['csv']}, {paths['summary']}")
