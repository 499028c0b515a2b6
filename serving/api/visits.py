"""A visit sent from the PAD: checked with the visit schema (features.sources.forms), tied to its household, stored.

The same checks reach the page as a field spec (``field_spec``), so what the page says while the officer types
is what the service would answer; a draft sent again (the network came back twice) is stored once.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel

from features.county import TOWNSHIPS
from features.errors import InputError
from features.ids import ID_MESSAGES_ZH, mask_id_number
from features.sources.forms import (
    CIVIL_CAPACITIES,
    HEALTH,
    LIVELIHOOD_NAMES,
    MAX_AGE,
    WAN_YUAN_BELOW,
    validate_forms,
)
from serving.api.households import HouseholdIndex
from serving.api.schemas.requests import Applicant, Member, Residence
from serving.api.schemas.visits import Debt, PadVisitForm, VisitCreate
from serving.api.zh import CAPACITY_ZH, HEALTH_ZH, LIVELIHOOD_ZH, PURPOSE_ZH, field_zh, rule_zh
from serving.clock import local_wall_time
from serving.store.visits import Photo, StoredVisit, VisitStore

_DATA_URL = re.compile(r"^data:(image/(?:jpeg|png));base64,(.*)$", re.DOTALL)


class IdentityError(InputError):
    """An ID number that belongs to another household than the one named."""

    code = "identity_mismatch"


def new_household_id(visits: VisitStore, id_number: str) -> str:
    """A household code for a household the bank has never seen, fixed by the applicant's ID (a revisit finds it)."""
    return "HN" + visits.cipher.lookup("household", id_number)[:10].upper()


def resolve_household(index: HouseholdIndex, visits: VisitStore, household_id: str | None, applicant_id: str,
                      member_ids: list[str], field_prefix: str = "form") -> str:
    """The household the form belongs to; an ID number registered to another household is an error naming it."""
    found: dict[str, set[str]] = {}

    def holders(number: str) -> set[str]:  # one look-up per number (the applicant's is asked twice)
        if number not in found:
            found[number] = set(index.by_id.get(number, ())) | set(visits.households_matching("id", number))
        return found[number]

    owners = holders(applicant_id)
    if household_id is None:
        if len(owners) > 1:
            raise IdentityError(
                f"field '{field_prefix}.applicant.id_number': the ID number is registered to several households; "
                "give the household id", message_zh=f"身份证号{mask_id_number(applicant_id)}登记在多个家庭"
                f"（{'、'.join(sorted(owners))}），请填写家庭编号")
        household_id = next(iter(owners)) if owners else new_household_id(visits, applicant_id)
    known = set(index.ids_of.get(household_id, ()))
    given = [("applicant.id_number", applicant_id), *[(f"members[{k}].id_number", n) for k, n in enumerate(member_ids) if n]]
    if any(number not in known for _, number in given):  # the stored forms are opened only when the index lacks one
        for form in visits.forms(household_id):
            known |= {str(p.get("id_number")) for p in form.get("members", []) if isinstance(p, dict)}
            known.add(str((form.get("applicant") or {}).get("id_number")))
    for where, number in given:
        elsewhere = holders(number) - {household_id}
        if number in known or (not known and not elsewhere):
            continue
        label = field_zh(f"{field_prefix}.{where}")
        shown = mask_id_number(number)
        if elsewhere:
            other = "、".join(sorted(elsewhere))
            raise IdentityError(
                f"field '{field_prefix}.{where}': ID number {shown} belongs to household {other}, not {household_id}",
                message_zh=f"{label}{shown}登记在家庭{other}，不属于家庭{household_id}；请核对身份证号或家庭编号")
        raise IdentityError(
            f"field '{field_prefix}.{where}': ID number {shown} is not a member of household {household_id}",
            message_zh=f"{label}{shown}不是家庭{household_id}的登记成员；请核对身份证号，或按新家庭填写（不填家庭编号）")
    return household_id


def _photos(data: list[str]) -> list[Photo]:
    out = []
    for k, url in enumerate(data):
        found = _DATA_URL.match(url)
        try:
            content = base64.b64decode(found.group(2), validate=True) if found else b""
        except (binascii.Error, ValueError):
            content = b""
        if not found or not content:
            raise InputError(f"field 'photos[{k}]': not a JPEG or PNG image", message_zh=f"第{k + 1}张现场照片无法读取，请重拍")
        out.append(Photo(found.group(1), content))
    return out


def form_record(visit: VisitCreate, household_id: str, account_manager_id: str) -> dict[str, Any]:
    """The visit as a record shaped like an imported visit form (the feature builder and 过程考核 read it)."""
    form = visit.form
    started, ended = local_wall_time(form.started_at), local_wall_time(form.ended_at)
    if ended < started:
        raise InputError("field 'form.ended_at': the visit ends before it starts",
                         message_zh="走访结束时间早于开始时间，请核对设备时间")
    record = form.model_dump(mode="json", exclude={"started_at", "ended_at", "visited_at"}, exclude_none=True)
    if not record["declared_income"].get("by_source"):  # sources travel flat, as the imported forms carry them
        record["declared_income"].pop("by_source", None)
    record.update(visit_id=f"PAD-{uuid.uuid4()}", visit_type="initial", household_id=household_id,
                  account_manager_id=account_manager_id, visited_at=started.isoformat(timespec="seconds"),
                  ended_at=ended.isoformat(timespec="seconds"),
                  duration_min=round((ended - started).total_seconds() / 60.0, 1), photo_count=len(visit.photos),
                  requested_amount=form.requested_amount)
    if form.gps is None:
        record["gps"] = None
    return record


def _form_problem(field: str, rule: str) -> str:
    """forms.py's rule as the Chinese the field spec gives for it."""
    label = field_zh(field)
    if "万元" in rule:
        whole = "金额" if field.endswith("requested_amount") else "全年金额"
        return f"{label}数额过小，像是按万元填写的；请按元填写{whole}"
    if "required" in rule or "at least" in rule:
        return rule_zh("missing", field)
    if "one of" in rule:
        return rule_zh("literal_error", field)
    if "ID number" in rule:
        return f"{label}有误：请核对18位号码"
    if "≥ 0" in rule:
        return rule_zh("greater_than_equal", field, {"ge": 0})
    if "a number" in rule:
        return rule_zh("float_parsing", field)
    if "≤" in rule and "age" in field:
        return rule_zh("less_than_equal", field, {"le": MAX_AGE})
    return rule_zh("value_error", field)


def receive_visit(index: HouseholdIndex, visits: VisitStore, visit: VisitCreate, account_manager_id: str) -> StoredVisit:
    """Check, tie to a household and store a visit; a draft already stored comes back as it was stored."""
    stored = visits.visit_of_draft(visit.draft_id)
    if stored is not None:
        return stored
    form = visit.form
    household_id = resolve_household(index, visits, visit.household_id, form.applicant.id_number,
                                     [m.id_number or "" for m in form.members])
    record = form_record(visit, household_id, account_manager_id)
    checked = validate_forms("visits", [record])
    if not checked.quarantine.empty:
        first = checked.quarantine.iloc[0]
        field = f"form.{first['field']}"
        raise InputError(f"field '{field}': {first['rule']}", message_zh=_form_problem(field, str(first["rule"])))
    return visits.append_visit(record, draft_id=visit.draft_id, photos=_photos(visit.photos))


def _limits(model: type[BaseModel], name: str) -> dict[str, Any]:
    """A field's bounds, lengths and pattern as the server's model declares them."""
    info = model.model_fields[name]
    out: dict[str, Any] = {}
    for item in info.metadata:
        for kind, key in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt"), (MinLen, "min_length"),
                          (MaxLen, "max_length")):
            if isinstance(item, kind):
                out[key] = getattr(item, key)
        pattern = getattr(item, "pattern", None)
        if pattern:
            out["pattern"] = pattern
    out["required"] = info.is_required()
    return out


def _spec(field: str, kind: str, limits: dict[str, Any], options: dict[str, str] | None = None,
          wan_yuan_below: float | None = None) -> dict[str, Any]:
    """One field's checks, each with the Chinese the service answers for it."""
    messages = {"required": rule_zh("missing", field)}
    for key, error in (("ge", "greater_than_equal"), ("gt", "greater_than"), ("le", "less_than_equal"),
                       ("lt", "less_than")):
        if key in limits:
            messages[key] = rule_zh(error, field, {key: limits[key]})
    if "max_length" in limits:
        messages["max_length"] = rule_zh("string_too_long", field, limits)
    if "min_length" in limits:
        messages["min_length"] = rule_zh("string_too_short", field, limits)
    if "pattern" in limits:
        messages["pattern"] = rule_zh("string_pattern_mismatch", field)
    if options is not None:
        messages["options"] = rule_zh("literal_error", field)
    if kind == "int":
        messages["type"] = rule_zh("int_parsing", field)
    if kind == "number":
        messages["type"] = rule_zh("float_parsing", field)
    if kind == "id":
        messages |= {k: f"{field_zh(field)}有误：{v}" for k, v in ID_MESSAGES_ZH.items()}
    if wan_yuan_below is not None:
        messages["wan_yuan"] = _form_problem(field, "万元")
    return {"field": field, "kind": kind, **limits, "options": options, "wan_yuan_below": wan_yuan_below,
            "messages": messages}


def field_spec() -> list[dict[str, Any]]:
    """The visit form's field checks for the page: the server's own limits (pydantic models, forms.py).

    Every member, debt and income source the page can show gets its own entry, so each message names its field
    exactly as the service's answer would.
    """
    member_age = {**_limits(Member, "age"), "le": MAX_AGE}
    max_members, max_debts = _limits(PadVisitForm, "members")["max_length"], _limits(PadVisitForm, "debts")["max_length"]
    specs = [
        _spec("form.applicant.id_number", "id", _limits(Applicant, "id_number")),
        _spec("form.applicant.name", "text", _limits(Applicant, "name")),
        _spec("form.applicant.phone", "text", _limits(Applicant, "phone")),
        _spec("form.livelihood", "choice", {"required": True}, {k: LIVELIHOOD_ZH[k] for k in LIVELIHOOD_NAMES}),
        _spec("form.residence.township", "choice", {"required": True}, {t: t for t in TOWNSHIPS}),
        _spec("form.residence.years_at_address", "int", _limits(Residence, "years_at_address")),
        _spec("form.requested_amount", "number", _limits(PadVisitForm, "requested_amount"),
              wan_yuan_below=WAN_YUAN_BELOW * 10),
        _spec("form.purpose", "choice", {"required": False}, PURPOSE_ZH),
        _spec("form.declared_income", "group", {"required": True}),  # at least one source (forms.py)
    ]
    for source in LIVELIHOOD_NAMES:
        specs.append(_spec(f"form.declared_income.{source}", "number", {"ge": 0.0, "required": False},
                           wan_yuan_below=WAN_YUAN_BELOW))
    for k in range(max_members):
        at = f"form.members.{k}"
        specs += [_spec(f"{at}.relation", "text", _limits(Member, "relation")),
                  _spec(f"{at}.age", "int", member_age),
                  _spec(f"{at}.civil_capacity", "choice", {"required": False},
                        {c: CAPACITY_ZH[c] for c in CIVIL_CAPACITIES}),
                  _spec(f"{at}.health", "choice", {"required": False}, {h: HEALTH_ZH[h] for h in HEALTH}),
                  _spec(f"{at}.id_number", "id", {"required": False})]
    for k in range(max_debts):
        specs += [_spec(f"form.debts.{k}.balance", "number", _limits(Debt, "balance")),
                  _spec(f"form.debts.{k}.monthly_payment", "number", {**_limits(Debt, "monthly_payment"),
                                                                       "required": False})]
    return specs
