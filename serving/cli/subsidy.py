"""The `kuozhong subsidy` command: one month's subsidy ledger and the county's claim table."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
def subsidy(
    month: Annotated[str, typer.Option("--month", help="Claim month, YYYY-MM.")],
    data: Annotated[Path, typer.Option("--data", help="Folder of raw sources with the loan ledger.")] = Path(
        "output/data"),
    out: Annotated[Path, typer.Option("--out", help="Folder for the claim table and summary.")] = Path(
        "output/subsidy"),
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")] = None,
) -> None:
    """Write the county's subsidy claim table for a month (XLSX and CSV, Chinese headers) and a summary."""
    from features.sources.load import load_ledger_sources
    from models.policy import load_policy
    from monitoring.postloan import confirmed_misuse
    from monitoring.subsidy import (
        clawbacks,
        eligibility_at_signing,
        month_bounds,
        not_confirmed_on,
        subsidy_ledger,
    )
    from monitoring.subsidy_claim import write_claim

    start, end = month_bounds(month)
    pol = load_policy(policy)
    src = load_ledger_sources(data)
    with console.status(f"贴息台账 {month}"):
        eligibility = eligibility_at_signing(src["loan_ledger"], src["base_list"], src["list_refresh"],
                                             src["revisits"], pol)
        found = confirmed_misuse(src["revisits"], end).set_index("loan_id")["found_on"]
        refused = not_confirmed_on(src["loan_ledger"], src.get("final_list"), pol)
        refused = refused[refused <= end]  # a refusal after the claimed month does not reach back into it
        ledger = subsidy_ledger(src["loan_ledger"], src["loan_events"], eligibility, pol, start, end, found, refused)
        earlier = subsidy_ledger(src["loan_ledger"], src["loan_events"], eligibility, pol, None, end, found, refused)
        paths = write_claim(month, ledger, out, clawbacks(earlier, found, month))
    info = json.loads(paths["summary"].read_text(encoding="utf-8"))
    table = Table(title=f"贴息汇总 {month}")
    table.add_column("项目")
    table.add_column("金额(元)", justify="right")
    names = {"household_interest": "客户支付利息", "county_subsidy": "县财政贴息", "bank_concession": "银行让利",
             "bank_discount": "银行低于上限优惠", "reference_interest": "按基准利率计利息"}
    for key, label in names.items():
        table.add_row(label, f"{Decimal(info['totals_yuan'][key]):,.2f}")
    console.print(table)
    excluded = ", ".join(f"{k} {v}" for k, v in info["loans_excluded"].items()) or "无"
    console.print(f"{info['loans_subsidised']} of {info['loans_accruing']} accruing loans subsidised (excluded: "
                  f"{excluded}); reconciles to the fen: {info['reconciles']} → [bold]{paths['xlsx']}[/], "
                  f"{paths['csv']}, {paths['summary']}")
    if info["clawback_loans"]:
        console.print(f"{info['clawback_loans']} misused loan(s): {Decimal(info['clawback_yuan']):,.2f} 元 clawed "
                      f"back; county pays {Decimal(info['net_county_subsidy_yuan']):,.2f} 元 net")
