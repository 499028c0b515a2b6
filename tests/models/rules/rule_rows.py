"""Hand-made rule-input rows: one applicant who passes every rule, changed one field at a time by the tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from features.ids import id_facts, make_id_number

APPLIED = dt.date(2024, 6, 15)


def id_born(born: dt.date, sequence: int = 123) -> str:
    """A valid ID number (region 330922) carrying the given birth date."""
    return make_id_number("330922", born, sequence)


def id_inputs(id_number: Any) -> dict[str, Any]:
    """The rule inputs the feature builder derives from an ID number (the number itself is not among them)."""
    facts = id_facts(id_number)
    return {"applicant_id_masked": facts.masked, "id_valid": facts.valid, "applicant_birth_date": facts.born}


def passing_row(**changes: Any) -> dict[str, Any]:
    """A row every rule of the 41号 policy passes; ``changes`` overrides fields (``id_number`` its derived inputs)."""
    if "id_number" in changes:
        changes = {**id_inputs(changes.pop("id_number")), **changes}
    row: dict[str, Any] = {
        **id_inputs(id_born(dt.date(1980, 3, 1))), "as_of": APPLIED, "applicant_age_on_form": None,
        "visit_age_days": 30.0, "fixed_residence": True, "residence_township": "枸杞乡", "civil_capacity": "full",
        "overdue_current": 0.0, "max_consecutive_overdue_24m": 0.0, "overdue_months_24m": 0.0,
        "bad_status_24m": 0.0, "worst_five_class": 0.0, "declared_income": 80_000.0, "household_size": 3.0,
        "on_list": True, "upward_mobility_flagged_on": None, "upward_mobility_evidence": None,
        "requested_amount": 100_000.0, "purpose": "business", "household_class": "农户类",
        "declaration_signed": True,
    }
    row.update(changes)
    return row
