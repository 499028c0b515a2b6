"""Rules about the applicant: ID number, age, residence, civil capacity and credit record (pure functions)."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from typing import Any

from models.policy import FIVE_CLASSES, CreditRules, Policy
from models.rules.cells import one_row, read_cells
from models.rules.result import RuleColumn, RuleResult, cannot, day, flag, number, result, text

CREDIT_FIELDS = ("overdue_current", "max_consecutive_overdue_24m", "overdue_months_24m", "bad_status_24m",
                 "worst_five_class")


ID_INPUTS = ("applicant_id_masked", "id_valid")
AGE_INPUTS = ("applicant_birth_date", "as_of", "applicant_age_on_form", "visit_age_days", "applicant_relation")


def rule_id_valid(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """ID_VALID: the applicant's ID number passes GB 11643-1999 (format, birth date, check digit).

    The rule reads what the feature builder derived from the number (``id_valid``, the masked form), never the
    number itself: a missing number has no masked form. One row of ``id_valid_column``.
    """
    return id_valid_column(one_row(row, ID_INPUTS), policy, 1)[0]


def id_valid_column(columns: Mapping[str, Any], policy: Policy, n: int) -> RuleColumn:
    """ID_VALID on every row of ``columns`` (its inputs as columns of ``n`` cells; an absent one is missing)."""
    masked = read_cells(columns.get("applicant_id_masked"), text, n)
    valid = read_cells(columns.get("id_valid"), flag, n)

    def build(i: int) -> RuleResult:
        if masked[i] is None or valid[i] is None:
            return cannot("ID_VALID", "id_number", "身份证号码")
        ok = valid[i]
        return result("ID_VALID", ok, masked[i] if ok else "invalid", "GB 11643-1999",
                      "身份证号码有效" if ok else "身份证号码校验不通过（格式、出生日期或校验码有误）",
                      "ID number is valid" if ok else "ID number fails the GB 11643 checks (format, birth date or "
                      "check digit)")

    return RuleColumn([None if m is None else v for m, v in zip(masked, valid, strict=True)], build)


def completed_years(born: dt.date, on: dt.date, counted_from: str = "birthday") -> int:
    """Completed years (周岁) on a date; a 29 February birthday falls on 1 March in common years.

    ``counted_from='day_after_birthday'`` follows the reading that a year is completed the day after the birthday.
    """
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if counted_from == "day_after_birthday" and (on.month, on.day) == (born.month, born.day):
        years -= 1
    return years


def rule_age(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """AGE: completed years at the application date, from the ID's birth date, within [min_age, max_age].

    The visit form's age is a cross-check: when it differs from the ID's age at the visit date by more than the
    policy's tolerance, the ID may not be the applicant's and a person must check (cannot decide). One row of
    ``age_column``.
    """
    return age_column(one_row(row, AGE_INPUTS), policy, 1)[0]


def age_column(columns: Mapping[str, Any], policy: Policy, n: int) -> RuleColumn:
    """AGE on every row of ``columns``: each row's reading (the age, or why there is none), one verdict a reading."""
    counted_from, tolerance = policy.eligibility.age_counted_from, policy.eligibility.form_age_tolerance_years
    born, on = read_cells(columns.get("applicant_birth_date"), day, n), read_cells(columns.get("as_of"), day, n)
    form_ages = read_cells(columns.get("applicant_age_on_form"), number, n)
    elapsed, who = read_cells(columns.get("visit_age_days"), number, n), read_cells(columns.get("applicant_relation"), text, n)
    readings: list[tuple[Any, ...]] = []
    for b, o, form_age, days, relation in zip(born, on, form_ages, elapsed, who, strict=True):
        if b is None or o is None or b > o:
            readings.append(("no birth date",) if b is None else ("no date",) if o is None else ("born after",))
            continue
        age = completed_years(b, o, counted_from)
        if form_age is not None:
            visited = o - dt.timedelta(days=int(days)) if days is not None and 0 <= days < 36_600 else o
            at_visit = completed_years(b, max(visited, b), counted_from)
            if abs(form_age - at_visit) > tolerance:  # the sign of a zero kept: it could read "-0" in the message
                readings.append(("form differs", age, form_age, math.copysign(1.0, form_age), at_visit, relation))
                continue
        readings.append(("age", age))
    verdicts: dict[tuple[Any, ...], RuleResult] = {}

    def build(i: int) -> RuleResult:
        reading = readings[i]
        found = verdicts.get(reading)
        if found is None:
            found = verdicts[reading] = _age_verdict(reading, policy)
        return found

    return RuleColumn(list(readings), build)


def _age_verdict(reading: tuple[Any, ...], policy: Policy) -> RuleResult:
    rules = policy.eligibility
    lo, hi = rules.min_age, rules.max_age
    threshold = f"{lo}–{hi}"
    if reading[0] == "no birth date":
        return cannot("AGE", "applicant age (no valid ID number to read the birth date from)",
                      "申请人年龄（无有效身份证号码，无法读取出生日期）", threshold)
    if reading[0] == "no date":
        return cannot("AGE", "application date", "申请日期", threshold)
    if reading[0] == "born after":
        return cannot("AGE", "birth date (after the application date)", "出生日期（晚于申请日期）", threshold,
                      why_en="is impossible", why_zh="有误")
    age = reading[1]
    if reading[0] == "form differs":
        _, _, form_age, _, at_visit, who = reading
        return RuleResult(
            code="AGE", outcome="cannot_decide", value={"from_id": age, "on_form": form_age}, threshold=threshold,
            message_zh=(f"身份证号码显示申请人{at_visit}周岁，采集表登记申请人"
                        f"{f'（{who}）' if who else ''}为{form_age:.0f}岁，两者不符，需人工核实"),
            message_en=(f"The ID number gives {at_visit} years but the visit form gives the applicant"
                        f"{f' ({who})' if who else ''} {form_age:.0f}; a person must check that the ID is the "
                        "applicant's"), effect="refer")
    ok = lo <= age <= hi
    return result("AGE", ok, age, threshold,
                  f"申请人{age}周岁，{'符合' if ok else '不符合'}年满{lo}周岁、不大于{hi}周岁的要求",
                  f"The applicant is {age}; the program requires {lo} to {hi} completed years")


def rule_residence(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """RESIDENCE: a fixed residence (固定住所) in one of the county's townships, as the visit form records it.

    The ID number's region is where the person was first registered, not where they live, so it is not read.
    """
    rules = policy.eligibility
    threshold = f"固定住所 in {rules.residence_region}"
    fixed, township = flag(row.get("fixed_residence")), text(row.get("residence_township"))
    if fixed is None or township is None:
        return cannot("RESIDENCE", "fixed residence (visit form)", "固定住所信息（采集表）", threshold)
    in_county = township in rules.residence_townships
    ok = fixed and in_county
    if ok:
        zh, en = f"在嵊泗县{township}有固定住所", "Has a fixed residence in Shengsi"
    elif not in_county:
        zh, en = "住所不在嵊泗县内", "The residence is outside Shengsi county"
    else:
        zh, en = "在嵊泗县无固定住所", "Has no fixed residence in Shengsi"
    return result("RESIDENCE", ok, {"township": township, "fixed_residence": fixed}, threshold, zh, en)


def rule_civil_capacity(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """CIVIL_CAPACITY: the applicant (the member who applies, not necessarily the head) has full civil capacity."""
    capacity = text(row.get("civil_capacity"))
    if capacity is None:
        return cannot("CIVIL_CAPACITY", "civil capacity", "民事行为能力")
    ok = capacity.lower() in ("full", "完全")
    who = text(row.get("applicant_relation"))
    zh_who, en_who = (f"申请人（{who}）", f"The applicant ({who})") if who else ("申请人", "The applicant")
    return result("CIVIL_CAPACITY", ok, capacity, "full",
                  f"{zh_who}{'具有' if ok else '不具有'}完全民事行为能力",
                  f"{en_who} {'has' if ok else 'does not have'} full civil capacity")


def rule_credit(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """CREDIT: no current overdue, no 连三累六 in the window, no B/D/Z status, 五级分类 no worse than allowed.

    连三累六: three consecutive overdue months, or six overdue months in all, within the window, each fails.
    """
    rules = policy.eligibility.credit
    current, bad = flag(row.get("overdue_current")), flag(row.get("bad_status_24m"))
    consecutive, cumulative = number(row.get("max_consecutive_overdue_24m")), number(row.get("overdue_months_24m"))
    five = number(row.get("worst_five_class"))
    readable = five is not None and five == int(five) and 0 <= five < len(FIVE_CLASSES)
    if (current is None or bad is None or consecutive is None or cumulative is None or not readable
            or consecutive < 0 or cumulative < 0):
        return cannot("CREDIT", "credit record", "征信记录", _credit_threshold(rules))
    return _credit_verdict(rules, current, bad, consecutive, cumulative, int(five))  # type: ignore[arg-type]


def _credit_threshold(rules: CreditRules) -> str:
    return (f"无当前逾期；近{rules.window_months}个月连续逾期<{rules.consecutive_overdue_months}个月且累计逾期"
            f"<{rules.cumulative_overdue_months}个月；无{'/'.join(rules.bad_statuses)}；五级分类不劣于"
            f"{rules.worst_five_class_allowed}")


# A credit record is a handful of small counts and flags, so a county's records fall into few distinct verdicts:
# each is reached once and shared (a verdict is immutable and nothing changes its value).
@functools.lru_cache(maxsize=4096, typed=True)
def _credit_verdict(rules: CreditRules, current: bool, bad: bool, consecutive: float, cumulative: float,
                    five: int) -> RuleResult:
    threshold = _credit_threshold(rules)
    worst = FIVE_CLASSES[five]
    problems: list[tuple[str, str]] = []
    if current and not rules.allow_current_overdue:
        problems.append(("当前存在逾期", "an amount is overdue now"))
    if consecutive >= rules.consecutive_overdue_months:
        problems.append((f"近{rules.window_months}个月最长连续逾期{consecutive:.0f}个月",
                         f"{consecutive:.0f} consecutive overdue months in the last {rules.window_months}"))
    if cumulative >= rules.cumulative_overdue_months:
        problems.append((f"近{rules.window_months}个月累计逾期{cumulative:.0f}个月",
                         f"{cumulative:.0f} overdue months in all in the last {rules.window_months}"))
    if bad:
        problems.append(("存在呆账、代偿或以资抵债记录", "a bad-debt, guarantor-repaid or repaid-with-assets status"))
    if FIVE_CLASSES.index(worst) > FIVE_CLASSES.index(rules.worst_five_class_allowed):
        problems.append((f"贷款五级分类为{worst}", f"a loan classified {worst} (substandard or worse)"))
    value = {"overdue_current": current, "consecutive": consecutive, "cumulative": cumulative, "bad_status": bad,
             "worst_five_class": worst}
    ok = not problems
    return result("CREDIT", ok, value, threshold,
                  "信用状况良好" if ok else "信用状况不符合要求：" + "；".join(p[0] for p in problems),
                  "Good credit record" if ok else "The credit record fails: " + "; ".join(p[1] for p in problems))
