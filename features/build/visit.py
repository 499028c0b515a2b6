"""Visit forms (扩中家庭信息采集表) read once into flat arrays: household make-up, declared income, assets, visit quality.

Fields the PAD may leave out (income by source, licences, GPS, photos, duration) are optional: absent means NaN,
not an error. Impossible values are recorded as problems and raised when a request reads that visit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from features.build.checks import MAX_AGE, MAX_YEARS_AT_ADDRESS, FeatureInputError, problem
from features.build.index import day_codes
from features.ids import birth_date, is_valid_id_number

ELDERLY_AGE = 60
_EPOCH = dt.date(1970, 1, 1)
ADULT_AGE = 18
# Income sources on the form, grouped for the income-mix features and the household-class rule.
INCOME_GROUPS: dict[str, str] = {
    "fishing": "fishery", "capture_fishing": "fishery", "fishery": "fishery", "mussel": "fishery",
    "aquaculture": "fishery", "farming": "fishery", "agriculture": "fishery",
    "bnb": "business", "homestay": "business", "shop": "business", "business": "business",
    "boat_owner": "business", "self_employed": "business",
    "wage": "wage", "wages": "wage", "salary": "wage", "port": "wage", "employment": "wage",
    "pension": "transfer", "transfer": "transfer", "transfers": "transfer", "subsidy": "transfer",
    "social_security": "transfer", "allowance": "transfer",
}
INCOME_GROUP_NAMES = ("fishery", "business", "wage", "transfer", "other")
_TOTAL_KEYS = ("total", "main")
ILL_HEALTH = ("chronic", "serious", "disabled")
_BANK_WORDS = ("银行", "农商", "信用社", "bank")

# Array name -> how the visit frame's records are flattened (see ``_flatten``).
VISIT_ARRAYS = (
    "household_size", "elderly_count", "children_count", "working_age_count", "health_burden",
    "serious_illness_count", "declared_income", "income_fishery", "income_business", "income_wage",
    "income_transfer", "income_other", "income_source_count", "declared_expenses", "years_at_address",
    "has_fishing_boat", "has_house", "has_fishing_licence", "has_business_licence", "licence_count",
    "gps_lat", "gps_lon", "photo_count", "duration_min", "declared_debt_balance", "declared_debt_payment",
    "informal_debt_balance", "applicant_age_on_form", "declared_income_total", "declared_income_sources",
)
VISIT_NUMERIC = (*VISIT_ARRAYS, "visited_at")
VISIT_OBJECTS = ("fixed_residence", "residence_township", "id_number", "civil_capacity", "livelihood",
                 "declaration_signed", "visit_id", "applicant_relation")


def _dict(value: object) -> Mapping[str, Any]:
    if type(value) is dict:  # the common case, without the slower ABC check
        return value
    return value if isinstance(value, Mapping) else {}


def _float(value: object) -> float:
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return float(value)  # type: ignore[arg-type]
    if value is None:
        return np.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in mapping and mapping[key] is not None:
            return mapping[key]
    return None


def _sources(declared: Mapping[str, Any]) -> dict[str, float]:
    """The amounts declared by source (nested ``by_source``, else the top-level keys besides main and total)."""
    by_source = _dict(declared.get("by_source")) or {k: v for k, v in declared.items() if k not in _TOTAL_KEYS}
    return {k: v for k, v in ((k, _float(v)) for k, v in by_source.items()) if v == v}  # NaN is not itself


def income_by_group(declared: Mapping[str, Any], livelihood: object) -> dict[str, float]:
    """Declared annual income per group; a lone ``main`` amount counts for the main livelihood's group."""
    return _groups(_sources(declared), declared, livelihood)


def _groups(numeric: dict[str, float], declared: Mapping[str, Any], livelihood: object) -> dict[str, float]:
    """``income_by_group`` from the amounts by source already read (``_sources``)."""
    groups = dict.fromkeys(INCOME_GROUP_NAMES, 0.0)
    if numeric:
        for source, amount in numeric.items():
            groups[INCOME_GROUPS.get(source, "other")] += amount
        return groups
    total = _float(_first(declared, *_TOTAL_KEYS))
    if math.isnan(total):
        return {}
    groups[INCOME_GROUPS.get(str(livelihood), "other")] = total
    return groups


def applicant_member(visit: Mapping[str, Any], members: list[Any] | None) -> tuple[Mapping[str, Any], str | None]:
    """The member of the household who applies, and how the form names them (their relation to the head).

    The applicant may be any adult member, so the rules read that member's age and civil capacity, not the head's.
    Found by, in order: a member carrying the applicant's ID number; the applicant's stated relation to the head;
    otherwise every member. Among several candidates the one whose age on the form is closest to the ID's age at
    the visit is taken (the head first on a tie); without a readable ID, the head.
    """
    people = [_dict(p) for p in members or []]
    if not people:
        return {}, None
    applicant = _dict(visit.get("applicant"))
    number = applicant.get("id_number")
    relation = applicant.get("relation")
    candidates = [p for p in people if number and p.get("id_number") == number]
    if not candidates and relation:
        candidates = [p for p in people if p.get("relation") == relation]
    candidates = candidates or people
    heads_first = sorted(candidates, key=lambda p: p.get("relation") != "户主")
    if len(heads_first) == 1 or not (isinstance(number, str) and is_valid_id_number(number)):
        chosen = heads_first[0]
    else:
        try:
            visited = pd.Timestamp(visit.get("visited_at")).date()
        except (TypeError, ValueError):
            visited = None
        born = birth_date(number)
        if visited is None or born > visited:
            chosen = heads_first[0]
        else:
            age = visited.year - born.year - ((visited.month, visited.day) < (born.month, born.day))
            gap = [abs(_float(p.get("age")) - age) for p in heads_first]
            gap = [math.inf if math.isnan(g) else g for g in gap]
            chosen = heads_first[min(range(len(gap)), key=gap.__getitem__)]  # the first of the closest
    found = chosen.get("relation")
    return chosen, str(found) if found is not None else None


def _licences(visit: Mapping[str, Any], assets: Mapping[str, Any]) -> list[str]:
    raw = _first(assets, "licences", "licenses") or visit.get("licences") or visit.get("licenses") or []
    if isinstance(raw, Mapping):
        return [str(k) for k, v in raw.items() if v]
    return [str(x.get("type", x)) if isinstance(x, Mapping) else str(x) for x in raw] if isinstance(
        raw, list | tuple) else []


def _photo_count(visit: Mapping[str, Any]) -> float:
    photos = visit.get("photos")
    if isinstance(photos, list | tuple):
        return float(len(photos))
    return _float(_first(visit, "photo_count", "photos"))


def _duration(visit: Mapping[str, Any]) -> float:
    minutes = _float(_first(visit, "duration_min", "duration_minutes"))
    if math.isnan(minutes) and visit.get("started_at") and visit.get("ended_at"):
        span = pd.Timestamp(visit["ended_at"]) - pd.Timestamp(visit["started_at"])
        minutes = span.total_seconds() / 60.0
    return minutes


def _debts(visit: Mapping[str, Any], hh: object, where: str, found: str) -> tuple[dict[str, float], str]:
    """Declared debts: total balance and monthly payment, and the part owed outside banks (亲友, 民间借贷)."""
    raw = visit.get("debts")
    if not isinstance(raw, list):
        return {"declared_debt_balance": np.nan, "declared_debt_payment": np.nan,
                "informal_debt_balance": np.nan}, found
    balance = payment = informal = 0.0
    for k, debt in enumerate(raw):
        item = _dict(debt)
        owed, monthly = _float(item.get("balance")), _float(item.get("monthly_payment"))
        for field, value in (("balance", owed), ("monthly_payment", monthly)):
            if value < 0:
                found = found or problem("visits", f"debts[{k}].{field}", value, f"{field} ≥ 0", hh, where)
        owed, monthly = (0.0 if math.isnan(owed) else owed), (0.0 if math.isnan(monthly) else monthly)
        balance += owed
        payment += monthly
        lender = str(item.get("lender") or "")
        if not any(word in lender.lower() for word in _BANK_WORDS):
            informal += owed
    return {"declared_debt_balance": balance, "declared_debt_payment": payment,
            "informal_debt_balance": informal}, found


def _flatten(visit: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """One visit form as flat values, and the first impossible value found ('' when none)."""
    hh = visit.get("household_id")
    where = f"visit {visit.get('visit_id')}"
    members = visit.get("members") if isinstance(visit.get("members"), list) else None
    residence, assets = _dict(visit.get("residence")), _dict(visit.get("assets"))
    declared = _dict(visit.get("declared_income"))
    found = ""
    # One pass over the members: counts by age band and health.
    elderly = children = working = ill = serious = 0
    for k, person in enumerate(members or []):
        item = _dict(person)
        age, health = _float(item.get("age")), item.get("health")
        if age == age:  # not NaN
            if not 0 <= age <= MAX_AGE:
                found = found or problem("visits", f"members[{k}].age", int(age), f"0 ≤ age ≤ {MAX_AGE}", hh,
                                         where)
            elderly += age >= ELDERLY_AGE
            children += age < ADULT_AGE
            working += ADULT_AGE <= age < ELDERLY_AGE
        ill += health in ILL_HEALTH
        serious += health == "serious"
    numeric = _sources(declared)
    groups = _groups(numeric, declared, visit.get("livelihood"))
    for part in (declared, _dict(declared.get("by_source"))):
        for source, value in part.items():
            amount = _float(value) if source != "by_source" else np.nan
            if amount < 0:
                found = found or problem("visits", f"declared_income.{source}", amount, "income ≥ 0", hh, where)
    total = _float(_first(declared, *_TOTAL_KEYS))
    total = sum(groups.values()) if math.isnan(total) and groups else total
    years = _float(residence.get("years_at_address"))
    if not math.isnan(years) and not 0 <= years <= MAX_YEARS_AT_ADDRESS:
        found = found or problem("visits", "residence.years_at_address", years,
                                 f"0 ≤ years ≤ {MAX_YEARS_AT_ADDRESS}", hh, where)
    expenses = visit.get("expenses", visit.get("declared_expenses"))
    expense_total = (sum(v for v in (_float(x) for x in expenses.values()) if not math.isnan(v))
                     if isinstance(expenses, Mapping) else _float(expenses))
    if expense_total < 0:
        found = found or problem("visits", "expenses", expense_total, "expenses ≥ 0", hh, where)
    gps = _dict(_first(visit, "gps", "location"))
    photos, minutes = _photo_count(visit), _duration(visit)
    for field, value in (("photos", photos), ("duration_min", minutes)):
        if value < 0:
            found = found or problem("visits", field, value, f"{field} ≥ 0", hh, where)
    licences = _licences(visit, assets)
    fishing_permit = any(x.startswith("fishing") or "渔" in x or "捕捞" in x or "养殖" in x for x in licences) or any(
        bool(assets.get(k)) for k in ("fishing_permit", "aquaculture_permit"))
    business_permit = any("business" in x or "营业" in x or "经营" in x for x in licences) or bool(
        assets.get("bnb_licence"))
    permits = sum(bool(assets.get(k)) for k in ("fishing_permit", "aquaculture_permit", "bnb_licence"))
    debts, found = _debts(visit, hh, where, found)
    applicant, relation = applicant_member(visit, members)
    sources_sum = sum(numeric.values()) if numeric else np.nan
    n = float(len(members)) if members is not None else np.nan
    listed = members is not None
    flat = {
        "household_size": n if n else np.nan,
        "elderly_count": float(elderly) if listed else np.nan,
        "children_count": float(children) if listed else np.nan,
        "working_age_count": float(working) if listed else np.nan,
        "health_burden": float(ill) if listed else np.nan,
        "serious_illness_count": float(serious) if listed else np.nan,
        "declared_income": total,
        "declared_income_total": _float(_first(declared, *_TOTAL_KEYS)),
        "declared_income_sources": sources_sum,
        **{f"income_{g}": groups.get(g, np.nan) for g in INCOME_GROUP_NAMES},
        "income_source_count": float(sum(v > 0 for v in groups.values())) if groups else np.nan,
        "declared_expenses": expense_total,
        "years_at_address": years,
        "has_fishing_boat": _float(_first(assets, "fishing_boat", "boat")),
        "has_house": _float(_first(assets, "house")),
        "has_fishing_licence": float(fishing_permit),
        "has_business_licence": float(business_permit),
        "licence_count": float(max(len(licences), permits)),
        **debts,
        "gps_lat": _float(_first(gps, "lat", "latitude")),
        "gps_lon": _float(_first(gps, "lon", "lng", "longitude")),
        "photo_count": photos,
        "duration_min": minutes,
        "fixed_residence": residence.get("fixed_residence"),
        "residence_township": residence.get("township"),
        "id_number": _dict(visit.get("applicant")).get("id_number"),
        "civil_capacity": applicant.get("civil_capacity"),
        "applicant_age_on_form": _float(applicant.get("age")),
        "applicant_relation": relation,
        "livelihood": visit.get("livelihood"),
        "declaration_signed": visit.get("declaration_signed"),
        "visit_id": visit.get("visit_id"),
    }
    return flat, found


def _day_code(value: object) -> int:
    """``day_codes`` of one value: an ISO text or datetime is read without pandas (a zoned time counts in UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return int(day_codes([value])[0])
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return (value.date() - _EPOCH).days
    return int(day_codes([value])[0])


def form_visit(visit: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """One visit form as the one-request arrays ``SourceIndex.latest_visits`` gives for a visit on file.

    The form is flattened by the same ``_flatten`` as indexed visits; an impossible value is raised at once, as
    reading an indexed visit raises it.
    """
    flat, found = _flatten(visit)
    if found:
        raise FeatureInputError(found)
    flat["visited_at"] = float(_day_code(visit["visited_at"]))
    numbers = {name: np.array([flat[name]], dtype=float) for name in VISIT_NUMERIC}
    return numbers | {name: np.array([flat[name]], dtype=object) for name in VISIT_OBJECTS}
