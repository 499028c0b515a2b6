"""Schemas of every raw tabular source, checked on every read: bad records are quarantined with their reasons.

A source that cannot be used at all (a required column missing, a column of the wrong type) raises
``SourceError``. A record that breaks a rule (an empty key, an unknown code, an invalid ID number, a duplicate, a
stale list entry) is moved to the quarantine frame with the source, record, field, (masked) value and rule, so
that nothing is dropped silently. Value-range rules that only a feature's window makes relevant (e.g. a negative
inflow) are left to the feature builders, which refuse the request that reads them.
Visit and revisit forms are checked in ``features.sources.forms``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.errors import SourceError
from features.ids import mask_id_number, mask_name, mask_phone, valid_id_numbers

QUARANTINE_COLUMNS = ("source", "record", "household_id", "field", "value", "rule")
PBOC_CODES = tuple("N1234567CGDZB*#/")
FIVE_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
TOWNSHIP_NAMES = ("菜园镇", "嵊山镇", "洋山镇", "五龙乡", "黄龙乡", "枸杞乡", "花鸟乡")
# The final list's statuses (最终名单): 确认, 不予确认, and still under review (边审核边放款 may lend then).
FINAL_LIST_STATUSES = ("confirmed", "not_confirmed", "under_review")
# What secures a 共富 credit line: unsecured (信用), a guarantor, or the plan's pledges and mortgages.
GUARANTEE_TYPES = ("信用", "保证", "住房抵押", "捕捞证质押", "养殖证抵押")
# A drawdown's renewal (续贷) decision at maturity; ``pending`` while the maturity is still ahead.
RENEWAL_DECISIONS = ("renewed", "refused_arrears", "refused_not_eligible", "not_requested", "pending")
_MASKS = {"id_number": mask_id_number, "name": mask_name, "phone": mask_phone}


@dataclass(frozen=True)
class Column:
    """One column: its kind, whether it may be empty, and the values it may take."""

    name: str
    kind: str  # str | int | float | bool | date
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    id_number: bool = False
    personal: bool = False


@dataclass(frozen=True)
class TableSchema:
    """A tabular source: its columns, its key (duplicates quarantined) and what a row means."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    row: str = ""


def _c(name: str, kind: str, **rules: object) -> Column:
    return Column(name, kind, **rules)  # type: ignore[arg-type]


SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (
    TableSchema("base_list", (
        _c("household_id", "str", pattern=r"^H\d{11}$"), _c("name", "str", personal=True),
        _c("id_number", "str", id_number=True, personal=True), _c("household_size", "int", minimum=1, maximum=20),
        _c("region_code", "str", pattern=r"^\d{6}$"), _c("township", "str", nullable=True, allowed=TOWNSHIP_NAMES),
        _c("is_kuozhong", "bool"), _c("non_kuozhong_reasons", "str", nullable=True),
        _c("listed_on", "date", nullable=True)), key=("household_id",), row="household on the provincial list"),
    TableSchema("bank_customers", (
        _c("customer_id", "str"), _c("household_id", "str"), _c("name", "str", personal=True),
        _c("id_number", "str", id_number=True, personal=True),
        _c("phone", "str", nullable=True, pattern=r"^1\d{10}$", personal=True),
        _c("accounts", "int", minimum=0)), key=("customer_id",), row="bank customer"),
    TableSchema("account_flows", (
        _c("household_id", "str"), _c("month", "date"), _c("inflow", "float"), _c("outflow", "float"),
        _c("balance", "float", nullable=True), _c("debits_scheduled", "int", nullable=True, minimum=0),
        _c("debits_returned", "int", nullable=True, minimum=0),
        _c("saving_plan_deposit", "float", nullable=True, minimum=0)), key=("household_id", "month"),
        row="household and month"),
    TableSchema("loan_accounts", (
        _c("account_id", "str"), _c("household_id", "str"), _c("balance", "float"),
        _c("monthly_payment", "float"), _c("opened", "date", nullable=True), _c("closed", "date", nullable=True)),
        key=("account_id",), row="existing loan account"),
    TableSchema("repayment_history", (
        _c("account_id", "str"), _c("household_id", "str"), _c("month", "date"),
        _c("status", "str", allowed=PBOC_CODES), _c("five_class", "str", allowed=FIVE_CLASSES)),
        key=("account_id", "month"), row="loan account and month"),
    TableSchema("credit_queries", (
        _c("household_id", "str"), _c("query_date", "date"), _c("reason", "str", nullable=True)),
        row="credit-report query"),
    TableSchema("credit_reports", (
        _c("household_id", "str"), _c("application_id", "str"), _c("report_date", "date"),
        *(_c(f"queries_{m}m", "int", minimum=0) for m in (3, 6, 12)), _c("loan_accounts", "int", minimum=0),
        _c("open_loan_accounts", "int", minimum=0), _c("overdue_months_24m", "int", minimum=0, maximum=24),
        _c("worst_five_class", "str", allowed=(*FIVE_CLASSES, "无贷款")), _c("current_overdue", "bool")),
        key=("application_id",), row="credit-report summary of an application"),
    TableSchema("applications", (
        _c("application_id", "str"), _c("household_id", "str"), _c("application_date", "date"),
        _c("requested_amount", "float", minimum=1_000), _c("purpose", "str", nullable=True),
        _c("default_12m", "int", nullable=True, minimum=0, maximum=1)), key=("application_id",), row="application"),
    TableSchema("loan_ledger", (
        _c("loan_id", "str"), _c("application_id", "str"), _c("household_id", "str"),
        _c("account_manager_id", "str"), _c("product_code", "str"), _c("amount", "float", minimum=1_000,
                                                                            maximum=500_000),
        _c("rate", "float", minimum=0.0, maximum=0.24), _c("normal_rate", "float", minimum=0.0, maximum=0.24),
        _c("signed_on", "date"), _c("disbursed_on", "date"), _c("maturity_on", "date"),
        _c("status", "str", allowed=("active", "settled", "defaulted")), _c("settled_on", "date", nullable=True),
        # the credit line a loan draws on, what secures it and its renewals (older ledgers may lack them)
        _c("line_id", "str", nullable=True), _c("credit_line", "float", nullable=True, minimum=1_000,
                                                maximum=500_000),
        _c("line_valid_until", "date", nullable=True), _c("guarantee", "str", nullable=True, allowed=GUARANTEE_TYPES),
        _c("renewal_of", "str", nullable=True), _c("renewal_no", "int", nullable=True, minimum=0),
        _c("renewal", "str", nullable=True, allowed=RENEWAL_DECISIONS)),
        key=("loan_id",), row="共富 loan"),
    TableSchema("loan_events", (
        _c("loan_id", "str"), _c("household_id", "str"), _c("event_date", "date"),
        _c("event", "str", allowed=("disburse", "interest", "prepay", "repay", "overdue", "dpd90")),
        _c("principal", "float"), _c("interest", "float", minimum=0.0), _c("balance_after", "float", minimum=0.0)),
        row="ledger posting"),
    TableSchema("loan_guarantors", (
        _c("line_id", "str"), _c("household_id", "str"), _c("guarantor_household_id", "str"),
        _c("guarantee_type", "str", nullable=True), _c("guaranteed_amount", "float", minimum=0.0),
        _c("signed_on", "date"), _c("valid_until", "date"),
        _c("guarantor_overdue_months_24m", "int", nullable=True, minimum=0, maximum=24),
        _c("guarantor_current_overdue", "bool", nullable=True), _c("guarantor_program_borrower", "bool", nullable=True)),
        key=("line_id", "guarantor_household_id"), row="guarantor of a credit line"),
    TableSchema("list_refresh", (
        _c("household_id", "str"), _c("refreshed_on", "date"), _c("change", "str", allowed=("kept", "dropped")),
        _c("on_list", "bool"), _c("reasons", "str", nullable=True)), key=("household_id", "refreshed_on"),
        row="listed household at a refresh"),
    TableSchema("final_list", (
        _c("household_id", "str"), _c("list_version", "int", minimum=1), _c("effective_on", "date"),
        _c("list_status", "str", allowed=FINAL_LIST_STATUSES), _c("batch_no", "str", nullable=True),
        _c("lent_while_reviewing", "bool", nullable=True)), key=("household_id", "list_version"),
        row="household in a version of the 最终名单"),
)}


@dataclass
class Checked:
    """Valid records of one source and the quarantined ones with reasons."""

    frame: pd.DataFrame
    quarantine: pd.DataFrame = field(default_factory=lambda: empty_quarantine())


def empty_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in QUARANTINE_COLUMNS})


def shown(column: str, value: object) -> str:
    """A value as it may appear in a quarantine reason: personal data masked."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "null"
    if isinstance(value, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(value).date())
    mask = _MASKS.get(column)
    return mask(str(value)) if mask else repr(value.item() if isinstance(value, np.generic) else value)


def _kind_ok(series: pd.Series, kind: str) -> bool:
    if kind == "date":
        return bool(pd.api.types.is_datetime64_any_dtype(series)) or series.isna().all()
    if kind in ("int", "float"):
        return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)
    if kind == "bool":
        return bool(pd.api.types.is_bool_dtype(series)) or series.dropna().isin([True, False, 0, 1]).all()
    return True


def _broken(schema: TableSchema, col: Column, series: pd.Series) -> list[tuple[np.ndarray, str]]:
    """(row mask, rule) for every rule of the column that some rows break."""
    out = []
    empty = series.isna().to_numpy().copy()
    if col.kind == "str":
        empty |= series.eq("").fillna(False).to_numpy(dtype=bool)
    if not col.nullable:
        out.append((empty, "a value is required"))
    present = ~empty
    if col.minimum is not None:
        out.append((present & (series.to_numpy(dtype=float, na_value=np.nan) < col.minimum), f"≥ {col.minimum:g}"))
    if col.maximum is not None:
        out.append((present & (series.to_numpy(dtype=float, na_value=np.nan) > col.maximum), f"≤ {col.maximum:g}"))
    if col.allowed is not None:
        # a text column is matched as it was read (Arrow), not as a million Python strings
        cells = series if isinstance(series.dtype, pd.StringDtype) else series.astype(object)
        out.append((present & ~cells.isin(col.allowed).to_numpy(dtype=bool, na_value=False),
                    f"one of {' '.join(col.allowed)}"))
    if col.pattern is not None:
        out.append((present & ~series.astype(str).str.fullmatch(col.pattern).fillna(False).to_numpy(dtype=bool),
                    f"matches {col.pattern}"))
    if col.id_number:
        out.append((present & ~valid_id_numbers(series), "a valid GB 11643 ID number (format, birth date, check digit)"))
    return [(mask, rule) for mask, rule in out if mask.any()]


def _reasons(schema: TableSchema, frame: pd.DataFrame, masks: list[tuple[np.ndarray, str, str]]) -> pd.DataFrame:
    rows = []
    hh = frame["household_id"].to_numpy(dtype=object) if "household_id" in frame else np.full(len(frame), None)
    for mask, column, rule in masks:
        at = np.flatnonzero(mask)
        # the broken cells of the column read at once, each as ``Series.iat`` gives it
        values = frame[column].iloc[at].to_numpy(dtype=object) if column in frame else [None] * at.size
        for i, value in zip(at.tolist(), values, strict=True):
            rows.append((schema.name, str(frame.index[i]), hh[i], column, shown(column, value), rule))
    return pd.DataFrame(rows, columns=list(QUARANTINE_COLUMNS)) if rows else empty_quarantine()


def _stale(frame: pd.DataFrame) -> list[tuple[np.ndarray, str, str]]:
    """Base-list entries superseded by a later entry for the same person (same ID number)."""
    if "listed_on" not in frame or frame.empty:
        return []
    order = frame[["id_number", "listed_on"]].assign(_pos=np.arange(len(frame))).sort_values(
        ["id_number", "listed_on", "_pos"], kind="stable")
    later = order["id_number"].duplicated(keep="last").to_numpy()
    stale = np.zeros(len(frame), dtype=bool)
    stale[order["_pos"].to_numpy()[later]] = True
    return [(stale, "listed_on", "stale entry: a later entry for the same ID number supersedes it")] if stale.any() \
        else []


def _sorted_repeats(frame: pd.DataFrame, key: tuple[str, ...], rows: np.ndarray) -> np.ndarray | None:
    """``_repeated`` for rows that already stand in key order, or None when they do not (or a key is missing).

    Sorted rows hold equal keys side by side: each row whose key equals the one before repeats it. Each key column
    is compared with itself shifted by one row (Arrow for text, numpy for numbers and times).
    """
    picked = np.flatnonzero(rows)
    if picked.size < 2:
        return None
    equal = np.ones(picked.size - 1, dtype=bool)  # every key column so far equal to the row before's
    ordered = np.zeros(picked.size - 1, dtype=bool)  # the row before's key so far smaller
    for name in key:
        column = frame[name]
        if column.hasnans:
            return None
        if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
            text = pa.array(column.array)
            values = text if picked.size == len(column) else text.take(pa.array(picked))
            same = pc.equal(values[:-1], values[1:]).to_numpy(zero_copy_only=False)
            less = pc.less(values[:-1], values[1:]).to_numpy(zero_copy_only=False)
        elif column.dtype.kind in "iumM":
            numbers = column.to_numpy()
            numbers = numbers if picked.size == len(column) else numbers[picked]
            same, less = numbers[:-1] == numbers[1:], numbers[:-1] < numbers[1:]
        else:
            return None
        ordered |= equal & less
        equal &= same
    if not (ordered | equal).all():
        return None
    out = np.zeros(len(frame), dtype=bool)
    out[picked[1:]] = equal
    return out


def _repeated(frame: pd.DataFrame, key: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
    """Among ``rows``, those whose key an earlier one of them has (``DataFrame.duplicated`` on the key columns).

    Rows already in key order are compared with their neighbours (``_sorted_repeats``). Otherwise each key column
    is factorised whole and the codes combined into one number per row, so neither the rows nor the other columns
    are copied; missing key values count as equal, as ``duplicated`` counts them.
    """
    in_order = _sorted_repeats(frame, key, rows)
    if in_order is not None:
        return in_order
    codes, size = np.zeros(len(frame), dtype=np.int64), 1
    for name in key:
        column, uniques = pd.factorize(frame[name])
        if size * (len(uniques) + 1) >= 2**62:  # made dense again, so that the product cannot overflow
            codes, distinct = pd.factorize(codes)
            size = len(distinct)
        codes, size = codes * (len(uniques) + 1) + (column + 1), size * (len(uniques) + 1)
    # a stable sort keeps equal keys in row order: all but the first row of each run of equal keys repeat it
    picked = codes[rows]
    order = np.argsort(picked, kind="stable")
    ranked = picked[order]
    repeats = np.empty(picked.size, dtype=bool)
    repeats[order] = np.concatenate(([False], ranked[1:] == ranked[:-1])) if picked.size else ranked.astype(bool)
    out = np.zeros(len(frame), dtype=bool)
    out[rows] = repeats
    return out


def validate_table(name: str, frame: pd.DataFrame) -> Checked:
    """Check one tabular source; raise SourceError if it is unusable, quarantine the records that break a rule."""
    schema = SCHEMAS.get(name)
    if schema is None:
        return Checked(frame)
    required = [c for c in schema.columns if not c.nullable]
    missing = [c.name for c in required if c.name not in frame.columns]
    if missing:
        raise SourceError(f"source '{name}' lacks required column(s): {', '.join(missing)}")
    for col in schema.columns:
        if col.name in frame.columns and not _kind_ok(frame[col.name], col.kind):
            raise SourceError(f"source '{name}' column '{col.name}' has type {frame[col.name].dtype}; "
                              f"the schema wants {col.kind}")
    frame = frame.reset_index(drop=True)
    masks: list[tuple[np.ndarray, str, str]] = []
    for col in schema.columns:
        if col.name in frame.columns:
            masks += [(m, col.name, rule) for m, rule in _broken(schema, col, frame[col.name])]
    if name == "base_list":
        masks += _stale(frame)
    bad = np.zeros(len(frame), dtype=bool)
    for mask, _, _ in masks:
        bad |= mask
    if schema.key and all(k in frame.columns for k in schema.key):
        dup = _repeated(frame, schema.key, ~bad)
        if dup.any():
            masks.append((dup, schema.key[-1], f"duplicate {'+'.join(schema.key)}: an earlier record has the same key"))
            bad |= dup
    if not bad.any():
        return Checked(frame)
    return Checked(frame[~bad].reset_index(drop=True), _reasons(schema, frame, masks))


def one_character_apart(a: str, b: str) -> bool:
    """True when two names of the same length differ in exactly one character."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def name_mismatches(base_list: pd.DataFrame, bank_customers: pd.DataFrame) -> pd.DataFrame:
    """Persons on both lists (same ID number) whose names differ: one character apart or wholly (masked names)."""
    both = base_list[["household_id", "id_number", "name"]].merge(
        bank_customers[["customer_id", "id_number", "name"]], on="id_number", suffixes=("_base", "_bank"))
    differ = both[both["name_base"] != both["name_bank"]]
    one = [one_character_apart(str(a), str(b)) for a, b in zip(differ["name_base"], differ["name_bank"],
                                                                  strict=True)]
    return pd.DataFrame({
        "household_id": differ["household_id"].to_numpy(), "customer_id": differ["customer_id"].to_numpy(),
        "name_base": [mask_name(str(x)) for x in differ["name_base"]],
        "name_bank": [mask_name(str(x)) for x in differ["name_bank"]],
        "finding": np.where(one, "names one character apart: review before matching", "names differ"),
    })
