"""The raw sources as one object, read from a folder with every source checked against its schema on read.

``load_sources`` validates every table (``features.sources.schemas``) and the visit and revisit forms
(``features.sources.forms``); records that break a rule are moved to ``RawSources.quarantine`` with the reason.
Sources beyond the required ones (bank customers, credit reports, loan ledger, guarantors of its lines, revisits,
list refresh, the government's final list) are read
when present and are empty tables otherwise.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from features.errors import SourceError
from features.sources.forms import validate_forms
from features.sources.schemas import validate_table

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
# Sources that may be absent (an empty table then): 跃迁 flags written by monitoring's revisits and list refresh.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "upward_mobility": ("household_id", "flagged_on", "evidence"),
    # the county finance bureau's record of each month's 贴息 claim: amounts approved and paid (元)
    "subsidy_payments": ("month", "approved", "paid"),
}


def empty_upward_mobility() -> pd.DataFrame:
    """No household flagged as 跃迁 (the table when monitoring has written none)."""
    return pd.DataFrame({"household_id": pd.Series(dtype=object), "flagged_on": pd.Series(dtype="datetime64[ns]"),
                         "evidence": pd.Series(dtype=object)})


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
    upward_mobility: pd.DataFrame = field(default_factory=empty_upward_mobility)
    bank_customers: pd.DataFrame = field(default_factory=lambda: _empty("bank_customers"))
    credit_reports: pd.DataFrame = field(default_factory=lambda: _empty("credit_reports"))
    loan_ledger: pd.DataFrame = field(default_factory=lambda: _empty("loan_ledger"))
    loan_events: pd.DataFrame = field(default_factory=lambda: _empty("loan_events"))
    loan_guarantors: pd.DataFrame = field(default_factory=lambda: _empty("loan_guarantors"))
    list_refresh: pd.DataFrame = field(default_factory=lambda: _empty("list_refresh"))
    final_list: pd.DataFrame = field(default_factory=lambda: _empty("final_list"))
    revisits: pd.DataFrame = field(default_factory=lambda: _empty("revisits"))
    quarantine: pd.DataFrame = field(default_factory=lambda: _empty("quarantine"))
    subsidy_payments: pd.DataFrame = field(default_factory=lambda: _empty("subsidy_payments"))

    def for_households(self, household_ids: list[str]) -> RawSources:
        """The subset of every source that belongs to the given households."""
        keep = set(household_ids)
        return RawSources(**{f.name: _rows_for(getattr(self, f.name), keep) for f in fields(self)})


def _rows_for(frame: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    if "household_id" not in frame.columns:
        return frame
    rows = frame["household_id"].isin(keep)
    if "guarantor_household_id" in frame.columns:  # a guarantee belongs to the borrower and the guarantor
        rows |= frame["guarantor_household_id"].isin(keep)
    return frame[rows]


# Sources read when their file exists (an empty table with a household_id column otherwise).
EXTRA_TABLES = ("bank_customers", "credit_reports", "loan_ledger", "loan_events", "loan_guarantors", "list_refresh",
                "final_list")


def _empty(name: str) -> pd.DataFrame:
    columns = {"quarantine": ("source", "record", "household_id", "field", "value", "rule"),
               "revisits": ("visit_id", "household_id", "visited_at"),
               "loan_guarantors": ("line_id", "household_id", "guarantor_household_id"),
               "subsidy_payments": ("month", "approved", "paid")}.get(name, ("household_id",))
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def visits_frame(records: list[dict]) -> pd.DataFrame:
    """Visit forms as one row per visit, the latest visit of a household last, nested parts kept as dicts."""
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=["visit_id", "household_id", "visited_at"])
    frame["visited_at"] = pd.to_datetime(frame["visited_at"])
    return frame.sort_values(["household_id", "visited_at"], kind="stable").reset_index(drop=True)


def check_columns(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Raise SourceError naming the source and the columns it lacks."""
    required = REQUIRED_COLUMNS.get(name, OPTIONAL_COLUMNS.get(name, ()))
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceError(f"source '{name}' lacks required column(s): {', '.join(missing)}")
    return frame


def _read_forms(path: Path, name: str) -> list[dict]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SourceError(f"source '{name}' is not valid JSON (line {err.lineno}): {path}") from err
    if not isinstance(records, list):
        raise SourceError(f"source '{name}' must be a JSON list of forms: {path}")
    return records


def _read_table(path: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:
        raise SourceError(f"source '{name}' is not readable Parquet ({type(err).__name__}): {path}") from err


def load_sources(folder: Path) -> RawSources:
    """Read every raw source in ``folder``, validated on read; bad records go to ``quarantine`` with reasons."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"data folder '{folder}' does not exist; run `kuozhong simulate --out {folder}` first")
    tables: dict[str, pd.DataFrame] = {}
    quarantined: list[pd.DataFrame] = []
    for name in REQUIRED_COLUMNS:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise SourceError(f"source '{name}' is missing: expected {path}")
        checked = validate_table(name, check_columns(name, _read_table(path, name)))
        tables[name] = checked.frame
        quarantined.append(checked.quarantine)
    for name in EXTRA_TABLES:
        path = folder / f"{name}.parquet"
        if path.exists():
            checked = validate_table(name, _read_table(path, name))
            tables[name] = checked.frame
            quarantined.append(checked.quarantine)
    visits_path = folder / "visits.json"
    if not visits_path.exists():
        raise SourceError(f"source 'visits' is missing: expected {visits_path}")
    visits = validate_forms("visits", _read_forms(visits_path, "visits"))
    quarantined.append(visits.quarantine)
    revisits_path = folder / "revisits.json"
    if revisits_path.exists():
        tables["revisits"], revisit_quarantine = _load_revisits(revisits_path)
        quarantined.append(revisit_quarantine)
    for name in OPTIONAL_COLUMNS:
        path = folder / f"{name}.parquet"
        if path.exists():
            tables[name] = check_columns(name, pd.read_parquet(path))
    found = [q for q in quarantined if not q.empty]
    if found:
        tables["quarantine"] = pd.concat(found, ignore_index=True)
        log.warning("quarantined %d record(s) of %s (reasons in RawSources.quarantine)",
                    tables["quarantine"]["record"].nunique(), folder)
    return RawSources(visits=visits_frame(visits.records), **tables)


def _load_revisits(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The revisit forms, checked like every form: (one row per revisit, the quarantined records)."""
    revisits = validate_forms("revisits", _read_forms(path, "revisits"), kind="revisit")
    return visits_frame(revisits.records), revisits.quarantine


LEDGER_SOURCES = ("loan_ledger", "loan_events", "base_list", "list_refresh")
MONEY_SOURCES = ("loan_ledger", "loan_events")  # a claim is refused, not trimmed, when one of their rows is bad


def load_ledger_sources(folder: Path) -> dict[str, pd.DataFrame]:
    """The loan ledger, its events, the base list, the list refreshes and the revisits from a data folder.

    Every table is checked against its schema and the revisit forms like every form. A bad ledger or posting
    row refuses the whole read (money is never claimed from a ledger with rows left out); bad list rows and
    revisit forms are set aside as ``load_sources`` does.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"data folder '{folder}' does not exist; run `kuozhong simulate --out {folder}` first")
    frames = {}
    for name in LEDGER_SOURCES:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise SourceError(f"source '{name}' is missing: expected {path}")
        checked = validate_table(name, _read_table(path, name))
        if name in MONEY_SOURCES and len(checked.quarantine):
            first = checked.quarantine.iloc[0]
            raise SourceError(f"source '{name}': {len(checked.quarantine)} row(s) break the schema, the first at field "
                              f"'{first['field']}' ({first['rule']}); fix the ledger, no claim was written")
        frames[name] = checked.frame
    revisits_path = folder / "revisits.json"
    frames["revisits"] = _load_revisits(revisits_path)[0] if revisits_path.exists() else _empty("revisits")
    final_path = folder / "final_list.parquet"  # the government's final list, where list review has published one
    if final_path.exists():
        frames["final_list"] = validate_table("final_list", _read_table(final_path, "final_list")).frame
    return frames
