"""Schema checks of the PAD's visit and revisit forms: required answers, 万元 amounts, duplicate submissions.

Optional answers may be empty (``null``): they are counted as missing answers, not quarantined. A form missing a
required answer, carrying an amount that looks entered in 万元 instead of 元, or repeating an earlier submission
(same household, visit type and time) is quarantined with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import pandas as pd

from features.ids import is_valid_id_number
from features.sources.schemas import QUARANTINE_COLUMNS, empty_quarantine

# Below this an annual amount in 元 is implausible: it was typed in 万元 (8.6 for 86,000).
WAN_YUAN_BELOW = 100.0
LIVELIHOOD_NAMES = ("fishing", "mussel", "bnb", "port", "shop", "wage", "pension")
CIVIL_CAPACITIES = ("full", "limited", "none", "minor")
HEALTH = ("good", "chronic", "serious", "disabled")
MAX_AGE = 120
_TOTAL_KEYS = ("main", "total")
# Optional answers whose absence is counted (part, key); None = top level.
OPTIONAL_ANSWERS = (("residence", "years_at_address"), ("residence", "fixed_residence"), ("expenses", "living"),
                    ("expenses", "medical"), ("expenses", "education"), ("expenses", "production"),
                    ("needs", "business"), ("needs", "medical"), ("needs", "education"), ("needs", "housing"),
                    (None, "declaration_signed_at"), (None, "gps"), (None, "photo_count"), (None, "duration_min"))


@dataclass
class CheckedForms:
    """Valid forms, the quarantined ones with reasons, and how many optional answers were left empty."""

    records: list[dict]
    quarantine: pd.DataFrame
    missing_answers: int


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, with a JSON object (a dict) told at once, without the slower ABC check."""
    return type(value) is dict or isinstance(value, Mapping)


def _problems(form: Mapping[str, Any], kind: str) -> list[tuple[str, str, str]]:
    """(field, shown value, rule) for every rule the form breaks."""
    out: list[tuple[str, str, str]] = []
    for key in ("visit_id", "household_id", "visited_at"):
        if not form.get(key):
            out.append((key, "null", "a value is required"))
    if form.get("visited_at"):
        try:
            pd.Timestamp(form["visited_at"])
        except (TypeError, ValueError):
            out.append(("visited_at", repr(form["visited_at"]), "an ISO date-time"))
    if form.get("livelihood") not in LIVELIHOOD_NAMES:
        out.append(("livelihood", repr(form.get("livelihood")), f"one of {' '.join(LIVELIHOOD_NAMES)}"))
    income = form.get("declared_income")
    if not _is_mapping(income) or not income:
        out.append(("declared_income", "null", "declared income by source is required"))
    else:
        for source, amount in income.items():
            value = _number(amount)
            if value is None and amount is not None:
                out.append((f"declared_income.{source}", repr(amount), "a number in 元"))
            elif value is not None and value < 0:
                out.append((f"declared_income.{source}", f"{value:g}", "income ≥ 0"))
            elif value is not None and 0 < value < WAN_YUAN_BELOW and source not in _TOTAL_KEYS:
                out.append((f"declared_income.{source}", f"{value:g}",
                            f"an annual amount in 元 (below {WAN_YUAN_BELOW:g} it was typed in 万元)"))
    if kind == "revisit":
        return out
    raw_applicant = form.get("applicant")
    applicant: Mapping[str, Any] = raw_applicant if _is_mapping(raw_applicant) else {}
    if not is_valid_id_number(str(applicant.get("id_number") or "")):
        shown = "null" if not applicant.get("id_number") else "(masked)"
        out.append(("applicant.id_number", shown, "a valid GB 11643 ID number"))
    members = form.get("members")
    if not isinstance(members, list) or not members:
        out.append(("members", "null", "at least the head of household"))
    else:
        for k, person in enumerate(members):
            person = person if _is_mapping(person) else {}
            age = _number(person.get("age"))
            if age is None:
                out.append((f"members[{k}].age", repr(person.get("age")), "an age in completed years is required"))
            elif not 0 <= age <= MAX_AGE:
                out.append((f"members[{k}].age", f"{age:g}", f"0 ≤ age ≤ {MAX_AGE}"))
            if person.get("civil_capacity") not in (*CIVIL_CAPACITIES, None):
                out.append((f"members[{k}].civil_capacity", repr(person.get("civil_capacity")),
                            f"one of {' '.join(CIVIL_CAPACITIES)}"))
            if person.get("health") not in (*HEALTH, None):
                out.append((f"members[{k}].health", repr(person.get("health")), f"one of {' '.join(HEALTH)}"))
    requested = _number(form.get("requested_amount"))
    if requested is not None and 0 < requested < WAN_YUAN_BELOW * 10:
        out.append(("requested_amount", f"{requested:g}", "an amount in 元 (below 1000 it was typed in 万元)"))
    if not isinstance(form.get("declaration_signed"), bool):
        out.append(("declaration_signed", repr(form.get("declaration_signed")), "true or false"))
    return out


def _missing(form: Mapping[str, Any]) -> int:
    count = 0
    for part, key in OPTIONAL_ANSWERS:
        holder = form if part is None else form.get(part)
        if _is_mapping(holder) and holder.get(key) is None:
            count += 1
    return count


def validate_forms(name: str, records: list[dict], kind: str = "initial") -> CheckedForms:
    """Check every form of a source (``visits`` or ``revisits``); quarantine the bad ones with reasons."""
    keep: list[dict] = []
    rows: list[tuple] = []
    missing = 0
    seen: dict[tuple, str] = {}
    for index, form in enumerate(records):
        if not _is_mapping(form):
            rows.append((name, str(index), None, "(record)", type(form).__name__, "a JSON object"))
            continue
        found = _problems(form, kind)
        key = (form.get("household_id"), form.get("visit_type"), form.get("visited_at"))
        if not found and key in seen:
            found = [("visit_id", f"{form.get('visit_id')!r} repeats {seen[key]!r}",
                      "one submission per visit (an earlier form has the same household, type and time)")]
        if found:
            record = str(form.get("visit_id") or index)
            rows += [(name, record, form.get("household_id"), f, v, r) for f, v, r in found]
            continue
        seen[key] = str(form.get("visit_id"))
        missing += _missing(form)
        keep.append(dict(form))
    quarantine = pd.DataFrame(rows, columns=list(QUARANTINE_COLUMNS)) if rows else empty_quarantine()
    return CheckedForms(keep, quarantine, missing)
