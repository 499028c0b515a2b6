"""Every raw source indexed by household once, with impossible values found up front and raised when read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.build.bank import grid_codes
from features.build.checks import (
    FIVE_CLASSES,
    MAX_HOUSEHOLD_SIZE,
    PBOC_GRID_CODES,
    code_problems,
    merge_problems,
    number_problems,
    raise_first,
)
from features.build.index import Records, group_arrays, group_records, household_universe, month_codes
from features.build.visit import VISIT_NUMERIC, VISIT_OBJECTS
from features.build.visit_index import index_visits
from features.sources.load import RawSources


def _month_text(months: np.ndarray):
    return lambda i: f"month {np.datetime64(int(months[i]), 'M')}"


def _flows(frame: pd.DataFrame | None, households: pd.Index) -> Records:
    records = group_records(frame, households, {"month": "month", "inflow": "float", "outflow": "float",
                                                "balance": "float", "debits_returned": "float",
                                                "saving_plan_deposit": "float"})
    if not records.present:
        return records
    c = records.columns
    # inflow and outflow, then the optional columns (docs/raw-sources.md): each at least 0
    checked = [name for name in ("inflow", "outflow", "debits_returned", "saving_plan_deposit") if name in c]
    with np.errstate(invalid="ignore"):
        negative = any(bool((c[name] < 0.0).any()) for name in checked)
    if not negative:  # the usual case: no record to name
        c["problem"] = np.full(len(records), "", dtype=object)
        return records
    hh = households.to_numpy()[c["household_code"]]
    where = _month_text(c["month"])
    c["problem"] = merge_problems(*(number_problems("account_flows", name, c[name], hh, 0.0, np.inf, f"{name} ≥ 0",
                                                    where) for name in checked))
    return records


def _grid(frame: pd.DataFrame | None, households: pd.Index) -> Records:
    if frame is None or "household_id" not in frame.columns:
        return group_records(frame, households, {})
    frame = frame.reset_index(drop=True)
    # The codes are read once, in the table's own order, from each column's distinct values (a dozen codes over a
    # million months): depth, bad flag, 五级分类 rank and the problem text of a record with an unknown code.
    status = frame["status"]
    five = frame["five_class"] if "five_class" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    months = month_codes(frame["month"]) if "month" in frame.columns else None
    where = (lambda i: "") if months is None else _month_text(months)
    # each column factorised once: its few distinct codes checked here and read by ``grid_codes``
    codes = {name: pd.Series(pd.Categorical.from_codes(*pd.factorize(values)), index=frame.index)
             for name, values in (("status", status), ("five_class", five))}
    unknown = (any(str(u) not in PBOC_GRID_CODES for u in codes["status"].cat.categories)
               or any(str(u) not in FIVE_CLASSES for u in codes["five_class"].cat.categories))
    problems = merge_problems(
        code_problems("repayment_history", "status", status, PBOC_GRID_CODES, frame["household_id"],
                      "a PBOC repayment-grid code (N 1-7 C G D Z B * # /)", where),
        code_problems("repayment_history", "five_class", five, FIVE_CLASSES, frame["household_id"],
                      "one of 正常 关注 次级 可疑 损失", where)) if unknown else np.full(len(frame), "", dtype=object)
    arrays = {**grid_codes(codes["status"], codes["five_class"]), "problem": problems}
    if months is not None:
        arrays["month"] = months
    if "balance" in frame.columns:
        arrays["balance"] = pd.to_numeric(frame["balance"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return group_arrays(frame["household_id"], households, arrays)


def _loans(frame: pd.DataFrame | None, households: pd.Index) -> Records:
    records = group_records(frame, households, {"balance": "float", "monthly_payment": "float", "opened": "day",
                                                "closed": "day"})
    if not records.present:
        return records
    c = records.columns
    hh = households.to_numpy()[c["household_code"]]
    c["problem"] = merge_problems(
        number_problems("loan_accounts", "balance", c["balance"], hh, 0.0, np.inf, "balance ≥ 0"),
        number_problems("loan_accounts", "monthly_payment", c["monthly_payment"], hh, 0.0, np.inf,
                        "monthly_payment ≥ 0"))
    return records


def _closed_days(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """Loan accounts with a day-resolution ``closed`` column that keeps open accounts as NaN, not NaT."""
    if frame is None or "closed" not in frame.columns:
        return frame
    return frame.assign(closed=pd.to_datetime(frame["closed"]).fillna(pd.Timestamp.max.normalize()))


@dataclass
class SourceIndex:
    """The sources grouped by household code (see ``features.build.index``)."""

    households: pd.Index
    code_of: dict[str, int]
    visits: Records
    flows: Records
    grid: Records
    loans: Records
    queries: Records
    base: Records
    bank_customer: np.ndarray

    @classmethod
    def from_sources(cls, sources: RawSources) -> SourceIndex:
        """Index every source (a source frame without a ``household_id`` column counts as absent)."""
        frames = {name: getattr(sources, name, None) for name in (
            "visits", "base_list", "account_flows", "loan_accounts", "repayment_history", "credit_queries")}
        households = household_universe(frames.values())
        flows = _flows(frames["account_flows"], households)
        grid = _grid(frames["repayment_history"], households)
        loans = _loans(_closed_days(frames["loan_accounts"]), households)
        queries = group_records(frames["credit_queries"], households, {"query_date": "day"})
        base = group_records(frames["base_list"], households, {"household_size": "float", "is_kuozhong": "raw",
                                                               "id_number": "raw", "township": "raw",
                                                               "listed_on": "day"}, order_by="listed_on")
        if base.present:
            hh = households.to_numpy()[base.columns["household_code"]]
            base.columns["problem"] = number_problems("base_list", "household_size", base.columns["household_size"],
                                                      hh, 1.0, MAX_HOUSEHOLD_SIZE,
                                                      f"1 ≤ household_size ≤ {MAX_HOUSEHOLD_SIZE}")
        customer = np.zeros(len(households), dtype=bool)
        for records in (flows, grid, loans, queries):
            customer |= (records.stop - records.start) > 0
        return cls(households, {h: i for i, h in enumerate(households)}, index_visits(frames["visits"], households),
                   flows, grid, loans, queries, base, customer)

    def latest_visits(self, codes: np.ndarray, as_of_day: np.ndarray) -> dict[str, np.ndarray]:
        """Each request's latest visit on or before its as-of date (NaN / None where there is none)."""
        n = codes.size
        chosen = np.full(n, -1, dtype=np.int64)
        if self.visits.present:
            rows, pos = self.visits.gather(codes)
            keep = self.visits.columns["visited_at"][pos] <= as_of_day[rows]
            np.maximum.at(chosen, rows[keep], pos[keep])
            raise_first(self.visits.columns["problem"], chosen[chosen >= 0])
        has = chosen >= 0
        if not self.visits.present or not len(self.visits):
            return _take(self.visits, chosen, VISIT_NUMERIC, VISIT_OBJECTS)
        safe = np.where(has, chosen, 0)
        numbers = np.where(has[:, None], self.visits.columns["numeric_matrix"][safe], np.nan)
        objects = self.visits.columns["object_matrix"][safe]
        objects[~has] = None
        out = {name: numbers[:, k] for k, name in enumerate(VISIT_NUMERIC)}
        return out | {name: objects[:, k] for k, name in enumerate(VISIT_OBJECTS)}

    def base_rows(self, codes: np.ndarray, as_of_day: np.ndarray) -> dict[str, np.ndarray]:
        """Each request's latest base-list row listed on or before its as-of date.

        Rows are ordered by ``listed_on``; without that column, the household's last row counts.
        """
        chosen = np.full(codes.size, -1, dtype=np.int64)
        if self.base.present:
            rows, pos = self.base.gather(codes)
            if "listed_on" in self.base.columns:
                keep = self.base.columns["listed_on"][pos] <= as_of_day[rows]
                rows, pos = rows[keep], pos[keep]
            np.maximum.at(chosen, rows, pos)
            raise_first(self.base.columns["problem"], chosen[chosen >= 0])
        out = _take(self.base, chosen, ("household_size",), ("is_kuozhong", "id_number", "township"))
        out["on_list"] = out.pop("is_kuozhong")
        return out


def _take(records: Records, chosen: np.ndarray, numeric: tuple[str, ...],
          objects: tuple[str, ...]) -> dict[str, np.ndarray]:
    has = chosen >= 0
    safe = np.where(has, chosen, 0)
    out: dict[str, np.ndarray] = {}
    for name in numeric:
        values = records.columns.get(name)
        out[name] = (np.where(has, values[safe].astype(float), np.nan) if values is not None and values.size
                     else np.full(chosen.size, np.nan))
    for name in objects:
        values = records.columns.get(name)
        empty = np.full(chosen.size, None, dtype=object)
        out[name] = np.where(has, values[safe], empty) if values is not None and values.size else empty
    return out
