"""Eligibility rules of the program: pure functions of one applicant's features and the policy, each a trace.

Missing data gives ``cannot_decide`` (refer to a person), never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from models.policy import Policy

Outcome = Literal["pass", "fail", "cannot_decide"]
FIVE_CLASS_ORDER = ("正常", "关注", "次级", "可疑", "损失")


class RuleResult(BaseModel):
    """One rule's verdict, with what it compared and a message an officer can read to the applicant."""

    model_config = ConfigDict(frozen=True)

    code: str
    outcome: Outcome
    value: Any = None
    threshold: Any = None
    message_zh: str
    message_en: str


def _value(row: Mapping[str, Any], key: str) -> Any:
    return row.get(key)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def _cannot(code: str, field: str, zh: str) -> RuleResult:
    return RuleResult(code=code, outcome="cannot_decide", message_zh=f"缺少{zh}，需人工核实",
                      message_en=f"{field} is missing; a person must check it")


def rule_id_valid(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """ID_VALID: the applicant's ID number passes GB 11643-1999 (format, birth date, check digit)."""
    if _missing(_value(row, "id_number")):
        return _cannot("ID_VALID", "id_number", "身份证号码")
    ok = bool(_value(row, "id_valid"))
    return RuleResult(code="ID_VALID", outcome="pass" if ok else "fail", value=ok, threshold="GB 11643-1999",
                      message_zh="身份证号码有效" if ok else "身份证号码校验不通过",
                      message_en="ID number is valid" if ok else "ID number fails the GB 11643 checks")


def rule_age(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """AGE: completed years at the application date within [min_age, max_age] (年满18周岁、不大于65周岁)."""
    age = _value(row, "applicant_age_from_id")
    lo, hi = policy.eligibility.min_age, policy.eligibility.max_age
    if _missing(age):
        return _cannot("AGE", "applicant age (from the ID number)", "申请人年龄（身份证出生日期）")
    age = int(age)
    ok = lo <= age <= hi
    return RuleResult(code="AGE", outcome="pass" if ok else "fail", value=age, threshold=f"{lo}–{hi}",
                      message_zh=f"申请人年龄{age}周岁，{'符合' if ok else '不符合'}{lo}至{hi}周岁的要求",
                      message_en=f"Applicant is {age}; the program requires {lo} to {hi}")


def rule_residence(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """RESIDENCE: a fixed residence inside the county (the visit form's address, not the ID's region)."""
    fixed, township = _value(row, "fixed_residence"), _value(row, "residence_township")
    if _missing(fixed) or _missing(township):
        return _cannot("RESIDENCE", "fixed residence", "固定住所信息")
    ok = bool(fixed)
    return RuleResult(code="RESIDENCE", outcome="pass" if ok else "fail", value=f"{township}/{bool(fixed)}",
                      threshold=f"固定住所 in {policy.eligibility.residence_region}",
                      message_zh=f"在嵊泗{'有' if ok else '无'}固定住所",
                      message_en=f"{'Has' if ok else 'Has no'} fixed residence in Shengsi")


def rule_civil_capacity(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """CIVIL_CAPACITY: the applicant has full civil capacity (完全民事行为能力)."""
    cap = _value(row, "civil_capacity")
    if _missing(cap):
        return _cannot("CIVIL_CAPACITY", "civil capacity", "民事行为能力")
    ok = cap == "full"
    return RuleResult(code="CIVIL_CAPACITY", outcome="pass" if ok else "fail", value=cap, threshold="full",
                      message_zh="具有完全民事行为能力" if ok else "不具有完全民事行为能力",
                      message_en="Has full civil capacity" if ok else "Lacks full civil capacity")


def rule_credit(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """CREDIT: no current overdue, no 连三累六 in the window, no B/D/Z status, 五级分类 no worse than allowed."""
    rules = policy.eligibility.credit
    needed = ("overdue_current", "max_consecutive_overdue_24m", "overdue_months_24m", "bad_status_24m",
              "worst_five_class")
    if any(_missing(row.get(k)) for k in needed):
        return _cannot("CREDIT", "credit record", "征信记录")
    consecutive, cumulative = int(row["max_consecutive_overdue_24m"]), int(row["overdue_months_24m"])
    worst_allowed = FIVE_CLASS_ORDER.index(rules.worst_five_class_allowed)
    problems_zh, problems_en = [], []
    if row["overdue_current"] and not rules.allow_current_overdue:
        problems_zh.append("当前存在逾期")
        problems_en.append("currently overdue")
    if consecutive >= rules.consecutive_overdue_months:
        problems_zh.append(f"近{rules.window_months}个月最长连续逾期{consecutive}个月")
        problems_en.append(f"{consecutive} consecutive overdue months in {rules.window_months}")
    if cumulative >= rules.cumulative_overdue_months:
        problems_zh.append(f"近{rules.window_months}个月累计逾期{cumulative}个月")
        problems_en.append(f"{cumulative} overdue months in {rules.window_months}")
    if row["bad_status_24m"]:
        problems_zh.append("存在呆账/代偿/以资抵债记录")
        problems_en.append("a bad-debt, guarantor-repaid or repaid-with-assets status")
    if int(row["worst_five_class"]) > worst_allowed:
        problems_zh.append(f"贷款五级分类为{FIVE_CLASS_ORDER[int(row['worst_five_class'])]}")
        problems_en.append("a loan classified substandard or worse")
    ok = not problems_zh
    threshold = (f"无当前逾期；连{rules.consecutive_overdue_months}累{rules.cumulative_overdue_months}；"
                 f"无{'/'.join(rules.bad_statuses)}；五级分类不劣于{rules.worst_five_class_allowed}")
    return RuleResult(code="CREDIT", outcome="pass" if ok else "fail",
                      value={"consecutive": consecutive, "cumulative": cumulative}, threshold=threshold,
                      message_zh="信用状况良好" if ok else "信用状况不符合要求：" + "；".join(problems_zh),
                      message_en="Good credit record" if ok else "Credit record fails: " + "; ".join(problems_en))


def rule_income_cap(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """INCOME_CAP: household annual income at or under the cap for its size (100,000 for three, inclusive)."""
    income, size = _value(row, "declared_income"), _value(row, "household_size")
    if _missing(income) or _missing(size):
        return _cannot("INCOME_CAP", "household income or size", "家庭年收入或人口数")
    cap = round(policy.eligibility.household_income_cap(float(size)), 2)
    ok = float(income) <= cap
    return RuleResult(code="INCOME_CAP", outcome="pass" if ok else "fail", value=float(income), threshold=cap,
                      message_zh=f"家庭年收入{float(income):,.0f}元，{'未超过' if ok else '超过'}{int(size)}口之家上限{cap:,.0f}元",
                      message_en=f"Household income {float(income):,.0f} is {'within' if ok else 'above'} "
                                 f"the cap of {cap:,.0f} for {int(size)} persons")


def rule_on_list(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """ON_LIST: the household is on the confirmed 嵊泗县扩中家庭 list."""
    flag = _value(row, "on_list")
    if _missing(flag) or flag is type(None):
        return _cannot("ON_LIST", "list status", "扩中家庭名单状态")
    ok = bool(flag)
    return RuleResult(code="ON_LIST", outcome="pass" if ok else "fail", value=ok, threshold=True,
                      message_zh="在扩中家庭名单内" if ok else "不在扩中家庭名单内",
                      message_en="On the 扩中 household list" if ok else "Not on the 扩中 household list")


def rule_declaration(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """DECLARATION: the 扩中家庭身份承诺书 is signed."""
    signed = _value(row, "declaration_signed")
    if _missing(signed):
        return _cannot("DECLARATION", "self-declaration", "身份承诺书")
    ok = bool(signed)
    return RuleResult(code="DECLARATION", outcome="pass" if ok else "fail", value=ok, threshold=True,
                      message_zh="已签署扩中家庭身份承诺书" if ok else "未签署扩中家庭身份承诺书",
                      message_en="Self-declaration signed" if ok else "Self-declaration not signed")


def rule_amount_cap(row: Mapping[str, Any], policy: Policy) -> RuleResult:
    """AMOUNT_CAP: the requested amount is within the largest product limit."""
    amount = _value(row, "requested_amount")
    if _missing(amount):
        return _cannot("AMOUNT_CAP", "requested amount", "申请金额")
    cap = max(p.max_amount for p in policy.products)
    ok = 0 < float(amount) <= cap
    return RuleResult(code="AMOUNT_CAP", outcome="pass" if ok else "fail", value=float(amount), threshold=cap,
                      message_zh=f"申请金额{float(amount):,.0f}元，{'未超过' if ok else '超过'}上限{cap:,.0f}元",
                      message_en=f"Requested {float(amount):,.0f}, limit {cap:,.0f}")


RULES: dict[str, Callable[[Mapping[str, Any], Policy], RuleResult]] = {
    "ID_VALID": rule_id_valid,
    "AGE": rule_age,
    "RESIDENCE": rule_residence,
    "CIVIL_CAPACITY": rule_civil_capacity,
    "CREDIT": rule_credit,
    "INCOME_CAP": rule_income_cap,
    "ON_LIST": rule_on_list,
    "DECLARATION": rule_declaration,
    "AMOUNT_CAP": rule_amount_cap,
}


def evaluate_rules(row: Mapping[str, Any], policy: Policy) -> list[RuleResult]:
    """Every rule the policy lists, in its order."""
    unknown = [code for code in policy.rules if code not in RULES]
    if unknown:
        raise ValueError(f"policy lists unknown rule code(s): {', '.join(unknown)}")
    return [RULES[code](row, policy) for code in policy.rules]
