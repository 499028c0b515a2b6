"""The raw sources as one object, read from a folder with every table's columns checked on read."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

# Required columns of each tabular source (the simulator writes more is fine; fewer is an error).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "base_list": ("household_id", "id_number", "household_size", "region_code", "is_kuozhong"),
    "account_flows": ("household_id", "month", "inflow", "outflow", "balance"),
    "loan_accounts": ("account_id", "household_id", "balance", "monthly_payment"),
    "repayment_history": ("account_id", "household_id", "month", "status", "five_class"),
    "credit_queries": ("household_id", "query_date"),
    "applications": ("application_id", "household_id", "application_date", "requested_amount"),
}


class SourceError(ValueError):
    """A raw source that cannot be used: missing file, unreadable, or missing a required column."""


@dataclass
class RawSources:
    """Everything the feature builders read: visit forms (as a frame of PAD records) and bank records."""

    visits: pd.DataFrame
    base_list: pd.DataFrame
    account_flows: pd.DataFrame
    loan_accounts: pd.DataFrame
    repayment_history: pd.DataFrame
    credit_queries: pd.DataFrame
    applications: pd.DataFrame

    def for_households(self, household_ids: list[str]) -> RawSources:
        """The subset of every source that belongs to the given households."""
        keep = set(household_ids)
        return RawSources(**{f.name: _rows_for(getattr(self, f.name), keep) for f in fields(self)})


def _rows_for(frame: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    return frame[frame["household_id"].isin(keep)]


def visits_frame(records: list[dict]) -> pd.DataFrame:
    """Visit forms as one row per visit, the latest visit of a household last, nested parts kept as dicts."""
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=["visit_id", "household_id", "visited_at"])
    frame["visited_at"] = pd.to_datetime(frame["visited_at"])
    return frame.sort_values(["household_id", "visited_at"], kind="stable").reset_index(drop=True)


def check_columns(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Raise SourceError naming the source and the columns it lacks."""
    missing = [c for c in REQUIRED_COLUMNS.get(name, ()) if c not in frame.columns]
    if missing:
        raise SourceError(f"source '{name}' lacks required column(s): {', '.join(missing)}")
    return frame


def load_sources(folder: Path) -> RawSources:
    """Read every raw source the simulator (or the bank's export) wrote into ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"data folder '{folder}' does not exist; run `kuozhong simulate --out {folder}` first")
    tables = {}
    for name in REQUIRED_COLUMNS:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise SourceError(f"source '{name}' is missing: expected {path}")
        tables[name] = check_columns(name, pd.read_parquet(path))
    visits_path = folder / "visits.json"
    if not visits_path.exists():
        raise SourceError(f"source 'visits' is missing: expected {visits_path}")
    try:
        records = json.loads(visits_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SourceError(f"source 'visits' is not valid JSON (line {err.lineno}): {visits_path}") from err
    return RawSources(visits=visits_frame(records), **tables)
