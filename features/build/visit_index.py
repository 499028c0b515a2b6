"""Visit forms indexed by household: every form flattened by whole columns in one pass, not a dict per form.

A form of the PAD's usual shape (its parts JSON objects, its answers plain numbers, texts or flags) is read column
by column. Any other form, and any form holding an impossible value, is flattened by ``visit._flatten`` itself:
every form gets exactly the values and the problem text that function gives it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.build.checks import MAX_AGE, MAX_YEARS_AT_ADDRESS
from features.build.index import Records, group_records
from features.build.visit import (
    _BANK_WORDS,
    ADULT_AGE,
    ELDERLY_AGE,
    ILL_HEALTH,
    INCOME_GROUP_NAMES,
    INCOME_GROUPS,
    VISIT_ARRAYS,
    VISIT_NUMERIC,
    VISIT_OBJECTS,
    _first,
    _flatten,
    applicant_member,
)

_NUMBER: frozenset[type] = frozenset({int, float, type(None)})  # read as ``float`` reads them (None: NaN)
_FLAG: frozenset[type] = _NUMBER | {bool}
_LICENCE: frozenset[type] = frozenset({str, dict})  # a licence named, or described by its type
_TOTAL_KEYS = ("total", "main")
_GROUP = {name: k for k, name in enumerate(INCOME_GROUP_NAMES)}


def _absent(value: object) -> bool:
    """None, or the NaN a frame holds where a form lacks a key other forms have."""
    return value is None or (type(value) is float and value != value)


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column's cells as ``visit.get(name)`` reads them (None where the column is absent)."""
    return frame[name].tolist() if name in frame.columns else [None] * len(frame)


def _numbers(values: list[Any], kinds: frozenset[type] = _NUMBER) -> tuple[np.ndarray, np.ndarray]:
    """Values as floats (None: NaN) and where a value is of another kind (its form is flattened on its own)."""
    if set(map(type, values)) <= kinds:  # the usual case, told without a Python step per value
        return np.array(values, dtype=float).reshape(len(values)), np.zeros(len(values), dtype=bool)
    odd = np.fromiter((type(v) not in kinds for v in values), bool, len(values))
    values = [None if o else v for v, o in zip(values, odd, strict=True)]
    return np.array(values, dtype=float).reshape(len(values)), odd


def _objects(values: list[Any]) -> tuple[list[dict], np.ndarray]:
    """JSON objects as dicts (anything else: an empty one) and where a value was not a dict."""
    odd = np.fromiter((type(v) is not dict for v in values), bool, len(values))
    return [v if type(v) is dict else {} for v in values], odd


def _per_form(owner: np.ndarray, flags: np.ndarray, n: int) -> np.ndarray:
    """True for each form with at least one flagged item (items listed with the form they belong to)."""
    return np.bincount(owner[flags], minlength=n) > 0 if owner.size else np.zeros(n, dtype=bool)


def _in_order_sum(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Each form's items added from 0.0 one by one in their order, as a Python loop adds them."""
    total = np.zeros(n)
    np.add.at(total, owner, values)
    return total


def _lists(values: list[Any], n: int) -> tuple[list[list], np.ndarray, np.ndarray, np.ndarray]:
    """Lists (anything else: empty), whether each was a list, item counts and where a list is of another type."""
    listed = np.fromiter((type(v) is list for v in values), bool, n)
    odd = np.fromiter((type(v) is not list and isinstance(v, list) for v in values), bool, n)
    lists = [v if type(v) is list else [] for v in values]
    return lists, listed, np.fromiter(map(len, lists), np.int64, n), odd


def _odd_text(values: list[Any]) -> np.ndarray:
    """Where a text answer is of another kind than text (missing is not odd)."""
    return np.fromiter((v is not None and type(v) is not str for v in values), bool, len(values))


class _Columns:
    """The flattened forms' columns under construction, with the forms to flatten one by one."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: dict[str, Any] = {}
        self.odd = np.zeros(n, dtype=bool)

    def flag(self, odd: np.ndarray) -> None:
        self.odd |= odd

    def items(self, frame: pd.DataFrame, name: str) -> tuple[list[list], np.ndarray, np.ndarray, np.ndarray,
                                                              list[dict], np.ndarray]:
        """A list answer's items over every form, its forms flagged where the answer is a list of another type.

        Returns the lists, whether each was a list, item counts, each item's form, the items as objects and where an
        item is not one.
        """
        lists, listed, counts, odd = _lists(_column(frame, name), self.n)
        self.flag(odd)
        objects, odd_objects = _objects([item for group in lists for item in group])
        return lists, listed, counts, np.repeat(np.arange(self.n), counts), objects, odd_objects


def _members(frame: pd.DataFrame, out: _Columns) -> tuple[list[list | None], list[dict], np.ndarray]:
    n = out.n
    lists, listed, counts, owner, people, odd_people = out.items(frame, "members")
    ages, odd_age = _numbers([p.get("age") for p in people])
    health = [p.get("health") for p in people]
    odd_health = _odd_text(health)
    out.flag(_per_form(owner, odd_people | odd_age | odd_health, n))
    aged = ~np.isnan(ages)
    with np.errstate(invalid="ignore"):
        out.flag(_per_form(owner, aged & ~((ages >= 0) & (ages <= MAX_AGE)), n))
        bands = {"elderly_count": aged & (ages >= ELDERLY_AGE), "children_count": aged & (ages < ADULT_AGE),
                 "working_age_count": aged & (ages >= ADULT_AGE) & (ages < ELDERLY_AGE)}
    bands["health_burden"] = np.fromiter((h in ILL_HEALTH for h in health), bool, len(health))
    bands["serious_illness_count"] = np.fromiter((h == "serious" for h in health), bool, len(health))
    for name, mask in bands.items():
        out.values[name] = np.where(listed, np.bincount(owner[mask], minlength=n).astype(float), np.nan)
    out.values["household_size"] = np.where(listed & (counts > 0), counts.astype(float), np.nan)
    return [v if listed[i] else None for i, v in enumerate(lists)], people, owner


def _income(frame: pd.DataFrame, out: _Columns) -> None:
    n = out.n
    declared, odd = _objects(_column(frame, "declared_income"))
    out.flag(odd | np.fromiter(("by_source" in d for d in declared), bool, n))
    counts = np.fromiter(map(len, declared), np.int64, n)
    owner = np.repeat(np.arange(n), counts)
    keys = [k for d in declared for k in d]
    amounts, odd_amount = _numbers([v for d in declared for v in d.values()])
    with np.errstate(invalid="ignore"):
        out.flag(_per_form(owner, odd_amount | (amounts < 0), n))
    source = np.fromiter((k not in _TOTAL_KEYS for k in keys), bool, len(keys)) & ~np.isnan(amounts)
    group = np.fromiter((_GROUP[INCOME_GROUPS.get(k, "other")] for k in keys), np.int64, len(keys))
    groups = np.zeros((n, len(INCOME_GROUP_NAMES)))
    np.add.at(groups, (owner[source], group[source]), amounts[source])
    numeric = np.bincount(owner[source], minlength=n) > 0
    stated, odd_total = _numbers([_first(d, *_TOTAL_KEYS) for d in declared])
    out.flag(odd_total)
    lone = ~numeric & ~np.isnan(stated)  # a lone total counts for the main livelihood's group
    livelihood = _column(frame, "livelihood")
    for i in np.flatnonzero(lone):
        groups[i, _GROUP[INCOME_GROUPS.get(str(livelihood[i]), "other")]] = stated[i]
    present = numeric | lone
    summed = groups[:, 0].copy()
    for k in range(1, groups.shape[1]):
        summed += groups[:, k]
    for k, name in enumerate(INCOME_GROUP_NAMES):
        out.values[f"income_{name}"] = np.where(present, groups[:, k], np.nan)
    out.values["income_source_count"] = np.where(present, (groups > 0).sum(axis=1).astype(float), np.nan)
    out.values["declared_income"] = np.where(np.isnan(stated) & present, summed, stated)
    out.values["declared_income_total"] = stated
    out.values["declared_income_sources"] = np.where(
        numeric, _in_order_sum(owner[source], amounts[source], n), np.nan)


def _expenses(frame: pd.DataFrame, out: _Columns) -> None:
    n = out.n
    name = "expenses" if "expenses" in frame.columns else "declared_expenses"
    raw = _column(frame, name)
    parts, odd = _objects(raw)
    out.flag(odd & np.fromiter((v is not None for v in raw), bool, n))
    owner = np.repeat(np.arange(n), np.fromiter(map(len, parts), np.int64, n))
    amounts, odd_amount = _numbers([v for d in parts for v in d.values()])
    out.flag(_per_form(owner, odd_amount, n))
    known = ~np.isnan(amounts)
    total = np.where(~odd, _in_order_sum(owner[known], amounts[known], n), np.nan)
    with np.errstate(invalid="ignore"):
        out.flag(total < 0)
    out.values["declared_expenses"] = total


def _residence_and_assets(frame: pd.DataFrame, out: _Columns) -> list[dict]:
    n = out.n
    residence, odd = _objects(_column(frame, "residence"))
    out.flag(odd)
    years, odd_years = _numbers([r.get("years_at_address") for r in residence])
    with np.errstate(invalid="ignore"):
        out.flag(odd_years | (years < 0) | (years > MAX_YEARS_AT_ADDRESS))
    out.values["years_at_address"] = years
    out.values["fixed_residence"] = [r.get("fixed_residence") for r in residence]
    out.values["residence_township"] = [r.get("township") for r in residence]
    assets, odd = _objects(_column(frame, "assets"))
    out.flag(odd | np.fromiter(("licences" in a or "licenses" in a for a in assets), bool, n))
    for name, keys in (("has_fishing_boat", ("fishing_boat", "boat")), ("has_house", ("house",))):
        out.values[name], odd_flag = _numbers([_first(a, *keys) for a in assets], _FLAG)
        out.flag(odd_flag)
    return assets


def _licences(frame: pd.DataFrame, assets: list[dict], out: _Columns) -> None:
    n = out.n
    held, other = _column(frame, "licences"), _column(frame, "licenses")
    odd = np.fromiter(((v is not None and (type(v) is not list or not all(type(x) in _LICENCE for x in v)))
                       or (not v and not _absent(w)) for v, w in zip(held, other, strict=True)), bool, n)
    out.flag(odd)
    lists = [v if type(v) is list else [] for v in held]
    fishing, business, permits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), np.zeros(n)
    for key in ("fishing_permit", "aquaculture_permit", "bnb_licence"):
        has = np.fromiter((a.get(key) for a in assets), object, n).astype(bool)  # each value's truth, as ``bool``
        permits += has
        if key == "bnb_licence":
            business |= has
        else:
            fishing |= has
    for i in (i for i, v in enumerate(lists) if v):
        names = [str(x.get("type", x)) if type(x) is dict else str(x) for x in lists[i]]
        fishing[i] |= any(x.startswith("fishing") or "渔" in x or "捕捞" in x or "养殖" in x for x in names)
        business[i] |= any("business" in x or "营业" in x or "经营" in x for x in names)
    out.values["has_fishing_licence"] = fishing.astype(float)
    out.values["has_business_licence"] = business.astype(float)
    out.values["licence_count"] = np.maximum(np.fromiter(map(len, lists), np.int64, n), permits).astype(float)


def _debts(frame: pd.DataFrame, out: _Columns) -> None:
    n = out.n
    _, listed, _, owner, debts, odd_debt = out.items(frame, "debts")
    owed, odd_owed = _numbers([d.get("balance") for d in debts])
    monthly, odd_monthly = _numbers([d.get("monthly_payment") for d in debts])
    lenders = [d.get("lender") for d in debts]
    odd_lender = _odd_text(lenders)
    with np.errstate(invalid="ignore"):
        bad = odd_debt | odd_owed | odd_monthly | odd_lender | (owed < 0) | (monthly < 0)
    out.flag(_per_form(owner, bad, n))
    owed, monthly = np.nan_to_num(owed, nan=0.0), np.nan_to_num(monthly, nan=0.0)
    lenders = [x if type(x) is str else None for x in lenders]  # another kind: its form is flattened on its own
    bank: dict[str | None, bool] = {}
    for lender in lenders:
        if lender not in bank:
            text = str(lender or "")
            bank[lender] = any(word in text.lower() for word in _BANK_WORDS)
    informal = np.fromiter((not bank[x] for x in lenders), bool, len(lenders))
    for name, values in (("declared_debt_balance", owed), ("declared_debt_payment", monthly),
                         ("informal_debt_balance", np.where(informal, owed, 0.0))):
        out.values[name] = np.where(listed, _in_order_sum(owner, values, n), np.nan)


def _visit_answers(frame: pd.DataFrame, out: _Columns) -> None:
    gps, odd = _objects(_column(frame, "gps"))
    out.flag(odd)
    for name, keys in (("gps_lat", ("lat", "latitude")), ("gps_lon", ("lon", "lng", "longitude"))):
        out.values[name], odd_value = _numbers([_first(g, *keys) for g in gps])
        out.flag(odd_value)
    out.flag(np.fromiter((not _absent(v) for v in _column(frame, "photos")), bool, out.n))
    photos, odd_photos = _numbers(_column(frame, "photo_count"))
    minutes, odd_minutes = _numbers(_column(frame, "duration_min"))
    with np.errstate(invalid="ignore"):
        out.flag(odd_photos | odd_minutes | np.isnan(minutes) | (photos < 0) | (minutes < 0))
    out.values["photo_count"], out.values["duration_min"] = photos, minutes
    for name in ("livelihood", "declaration_signed", "visit_id"):
        out.values[name] = _column(frame, name)


def _matches(owner: np.ndarray, people: list[dict], key: str, wanted: list[Any], n: int) -> np.ndarray:
    """Each form's one member whose ``key`` equals the form's wanted value (-1: none, -2: several)."""
    targets = np.fromiter(wanted, object, n)
    cells = np.fromiter((p.get(key) for p in people), object, len(people))
    found = (targets.astype(bool)[owner] & (cells == targets[owner]).astype(bool)) if len(people) else np.zeros(
        0, dtype=bool)
    counts = np.bincount(owner[found], minlength=n)
    first = np.full(n, -1, dtype=np.int64)
    first[owner[found]] = np.flatnonzero(found)
    return np.where(counts > 1, -2, first)


def _applicants(frame: pd.DataFrame, members: tuple[list[list | None], list[dict], np.ndarray],
                out: _Columns) -> None:
    """The applying member of each form (``visit.applicant_member``).

    Read at once where one member carries the applicant's ID number, or none does and one member has the
    applicant's relation; otherwise chosen form by form.
    """
    lists, people, owner = members
    applicants = _column(frame, "applicant")
    out.flag(np.fromiter((a is not None and type(a) is not dict for a in applicants), bool, out.n))
    parts = [a if type(a) is dict else {} for a in applicants]
    by_number = _matches(owner, people, "id_number", [a.get("id_number") for a in parts], out.n)
    by_relation = _matches(owner, people, "relation", [a.get("relation") for a in parts], out.n)
    pick = np.where(by_number >= 0, by_number, np.where(by_number == -1, by_relation, -1))
    visited = _column(frame, "visited_at")
    chosen: list[tuple[Any, Any]] = []
    for i, k in enumerate(pick.tolist()):
        if k >= 0:
            relation = people[k].get("relation")
            chosen.append((people[k], str(relation) if relation is not None else None))
        else:
            chosen.append(applicant_member({"applicant": applicants[i], "visited_at": visited[i]}, lists[i]))
    out.values["id_number"] = [a.get("id_number") for a in parts]
    out.values["civil_capacity"] = [c.get("civil_capacity") for c, _ in chosen]
    out.values["applicant_age_on_form"], odd = _numbers([c.get("age") for c, _ in chosen])
    out.flag(odd)
    out.values["applicant_relation"] = [r for _, r in chosen]


def flatten_visits(frame: pd.DataFrame) -> pd.DataFrame:
    """Every visit form of ``frame`` flattened (``visit._flatten``'s values) with its first impossible value."""
    n = len(frame)
    out = _Columns(n)
    members = _members(frame, out)
    _income(frame, out)
    _expenses(frame, out)
    assets = _residence_and_assets(frame, out)
    _licences(frame, assets, out)
    _debts(frame, out)
    _visit_answers(frame, out)
    _applicants(frame, members, out)
    problems = [""] * n
    numbers = {name: out.values[name] for name in VISIT_ARRAYS}
    objects = {name: list(out.values[name]) for name in VISIT_OBJECTS}
    odd = np.flatnonzero(out.odd)
    if odd.size:  # the forms of another shape, or holding an impossible value: flattened one by one
        names = list(frame.columns)
        for i, row in zip(odd, frame.iloc[odd].itertuples(index=False, name=None), strict=True):
            flat, problems[i] = _flatten(dict(zip(names, row, strict=True)))
            for name, values in numbers.items():
                values[i] = flat[name]
            for name, cells in objects.items():
                cells[i] = flat[name]
    return pd.DataFrame(numbers | objects, columns=[*VISIT_ARRAYS, *VISIT_OBJECTS]).assign(problem=problems)


def index_visits(visits: pd.DataFrame | None, households: pd.Index) -> Records:
    """Every visit flattened, grouped by household in date order (the latest visit of a household last)."""
    if visits is None or "household_id" not in visits.columns or "visited_at" not in visits.columns:
        return group_records(None, households, {})
    frame = visits.reset_index(drop=True)
    flat_frame = flatten_visits(frame)
    flat_frame["household_id"] = frame["household_id"].astype(str)
    flat_frame["visited_at"] = frame["visited_at"]
    spec = {name: "float" for name in VISIT_ARRAYS} | {name: "raw" for name in VISIT_OBJECTS}
    spec |= {"visited_at": "day", "problem": "raw"}
    records = group_records(flat_frame, households, spec, order_by="visited_at")
    # One float and one object matrix, so picking a request's visit is two fancy-indexing steps.
    records.columns["numeric_matrix"] = np.column_stack(
        [records.columns[name].astype(float) for name in VISIT_NUMERIC]) if len(records) else np.empty((0, 0))
    records.columns["object_matrix"] = np.column_stack(
        [records.columns[name] for name in VISIT_OBJECTS]) if len(records) else np.empty((0, 0), dtype=object)
    return records
