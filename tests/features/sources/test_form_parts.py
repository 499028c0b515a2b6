"""A form's parts are read as mappings whatever mapping type carries them, and anything else is refused by name."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from features.sources.forms import validate_forms


def _form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "visit_id": "V1", "household_id": "H1", "visited_at": "2024-05-01T10:00:00", "livelihood": "wage",
        "declared_income": {"total": 80_000.0, "wage": 80_000.0}, "declaration_signed": True,
        "applicant": {"id_number": "11010519491231002X"},
        "members": [{"age": 50, "civil_capacity": "full", "health": "good"}],
        "residence": {"township": "菜园镇", "years_at_address": None}, "expenses": {"living": 20_000.0}}
    return form | changes


def _frozen(value: Any) -> Any:
    """The same form with every JSON object held by a read-only mapping that is not a dict."""
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_frozen(v) for v in value]
    return value


def test_a_form_held_by_another_mapping_type_is_read_as_the_same_form():
    # given one valid form as JSON gives it (dicts) and the same form in read-only mappings
    plain, frozen = _form(), _frozen(_form())
    # when both are checked
    a, b = validate_forms("visits", [plain]), validate_forms("visits", [frozen])
    # then both are kept, with the same count of empty optional answers
    assert len(a.records) == len(b.records) == 1
    assert a.quarantine.empty and b.quarantine.empty
    assert a.missing_answers == b.missing_answers >= 1


def test_parts_that_are_not_mappings_are_quarantined_naming_the_field():
    # given forms whose parts were typed as text, lists or numbers instead of objects, and a record that is no form
    planted = [
        _form(visit_id="V-income", declared_income=["wage", 80_000.0]),
        _form(visit_id="V-applicant", applicant="11010519491231002X"),
        _form(visit_id="V-member", members=[50]),
        _form(visit_id="V-frozen-member", members=[MappingProxyType({"age": 200})]),
        ["not", "a", "form"],
        _form(visit_id="V-ok"),
    ]
    # when they are checked
    checked = validate_forms("visits", planted)
    reasons = {(r.record, r.field, r.rule) for r in checked.quarantine.itertuples()}
    # then each bad part is named with its rule, the good form alone is kept
    assert [r["visit_id"] for r in checked.records] == ["V-ok"]
    assert ("V-income", "declared_income", "declared income by source is required") in reasons
    assert ("V-applicant", "applicant.id_number", "a valid GB 11643 ID number") in reasons
    assert ("V-member", "members[0].age", "an age in completed years is required") in reasons
    assert ("V-frozen-member", "members[0].age", "0 ≤ age ≤ 120") in reasons
    assert ("4", "(record)", "a JSON object") in reasons
    # and a list's missing optional answers are not counted as a mapping's would be
    assert checked.missing_answers == validate_forms("visits", [_form(visit_id="V-ok")]).missing_answers
