"""The `kuozhong features` command: build the feature table to Parquet, or print the feature catalogue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from features.build.table import build_features, training_table
from features.files import atomic_path
from features.metadata import feature_catalogue
from features.sources.load import load_sources

_DIRECTION = {1: "↑ 风险", -1: "↓ 风险", 0: ""}


def catalogue_table() -> Table:
    """Every feature with its Chinese and English label, unit, risk direction and actionability."""
    table = Table(title="特征目录 feature catalogue", show_lines=False)
    for column in ("group", "name", "中文", "English", "unit", "monotone", "actionable", "model"):
        table.add_column(column, no_wrap=column in ("group", "name"))
    for row in feature_catalogue():
        table.add_row(str(row["group"]), str(row["name"]), str(row["label_zh"]), str(row["label_en"]),
                      str(row["unit"]), _DIRECTION[int(row["monotone"])], "✓" if row["actionable"] else "",  # type: ignore[call-overload]
                      "✓" if row["model"] else "敏感 sensitive" if row["sensitive"] else "")
    return table


def _write_parquet(table: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        table.to_parquet(tmp, index=False)


def run_features(data: Path, out: Path, as_of: dt.date | None, catalogue: bool, console: Console,
                 policy: Path | None = None) -> None:
    """Print the catalogue, or build every application at its own date (every household at ``as_of``)."""
    if catalogue:
        console.print(catalogue_table())
        return
    from models.policy import load_policy

    sources, program = load_sources(data), load_policy(policy)
    with console.status("building features"):
        if as_of is None:
            table = training_table(sources, program)
            what = "applications"
        else:
            requests = pd.DataFrame({"household_id": sources.base_list["household_id"].drop_duplicates(),
                                     "as_of": pd.Timestamp(as_of)})
            table = build_features(sources, requests, program)
            what = f"households at {as_of:%Y-%m-%d}"
    _write_parquet(table, out)
    flagged = int((table["dq_flag_count"] > 0).sum())
    console.print(f"wrote features of {len(table):,} {what} ({table.shape[1]} columns) to [bold]{out}[/] · "
                  f"{flagged:,} with data-quality flags")
