"""Each eligibility rule's value and standard as a Chinese sentence, for the officer's card and the approval file.

The rule layer keeps machine values (``{"overdue_current": false, "consecutive": 0, ...}``, ``"full"``, ``True``);
an officer reads "无当前逾期，近24个月最长连续逾期0个月". One home for those sentences, so the page and the PDF
cannot say different things.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from models.policy import Policy
from models.rules import RuleResult

RULE_NAMES_ZH = {"ID_VALID": "身份证号码", "AGE": "年龄", "RESIDENCE": "固定住所", "CIVIL_CAPACITY": "民事行为能力",
                 "CREDIT": "信用状况", "INCOME_CAP": "家庭年收入上限", "ON_LIST": "扩中家庭名单",
                 "UPWARD_MOBILITY": "跃迁家庭", "DECLARATION": "身份承诺书", "AMOUNT_CAP": "申请金额上限",
                 "INCOME_CONSISTENT": "申报收入一致性", "INCOME_OBSERVED": "申报收入与流水核对"}
OUTCOME_ZH = {"pass": "通过", "fail": "未通过", "cannot_decide": "待核实"}
CONDITION_OUTCOME_ZH = "放款前须满足"  # a failed condition precedent: the decision stands, disbursement waits
NO_SUBSIDY_OUTCOME_ZH = "未通过（不享受贴息）"  # a failed no_subsidy rule: normal terms remain, only the subsidy goes
CAPACITY_ZH = {"full": "完全民事行为能力", "limited": "限制民事行为能力", "none": "无民事行为能力", "minor": "未成年"}
MISSING_ZH = "缺少数据，需人工核实"


def _yuan(value: Any) -> str:
    return f"{float(value):,.0f}元" if isinstance(value, int | float) and not isinstance(value, bool) else "—"


def _credit(value: dict[str, Any], window: int) -> str:
    parts = ["当前有逾期" if value.get("overdue_current") else "无当前逾期",
             f"近{window}个月最长连续逾期{float(value.get('consecutive') or 0):.0f}个月",
             f"累计逾期{float(value.get('cumulative') or 0):.0f}个月",
             "有呆账、代偿或以资抵债记录" if value.get("bad_status") else "无呆账、代偿或以资抵债记录",
             f"贷款五级分类最差为{value.get('worst_five_class') or '—'}"]
    return "，".join(parts)


def value_zh(rule: RuleResult, policy: Policy) -> str:
    """What the applicant's value is, as a sentence."""
    v, code = rule.value, rule.code
    if v is None:
        if code == "UPWARD_MOBILITY" and rule.outcome == "pass":
            return "未被认定为跃迁家庭"
        return MISSING_ZH if rule.outcome == "cannot_decide" else "—"
    if code == "ID_VALID":
        return f"身份证号码{v}，校验通过" if rule.outcome == "pass" else "身份证号码校验不通过"
    if code == "AGE":
        if isinstance(v, dict):
            return f"身份证号码显示{v.get('from_id')}周岁，采集表登记为{float(v.get('on_form') or 0):.0f}岁"
        return f"{v}周岁"
    if code == "RESIDENCE" and isinstance(v, dict):
        fixed = "有固定住所" if v.get("fixed_residence") else "无固定住所"
        return f"居住在{v.get('township') or '—'}，{fixed}"
    if code == "CIVIL_CAPACITY":
        return CAPACITY_ZH.get(str(v), str(v))
    if code == "CREDIT" and isinstance(v, dict):
        return _credit(v, policy.eligibility.credit.window_months)
    if code == "INCOME_CAP":
        return f"家庭年收入{_yuan(v)}"
    if code == "ON_LIST":
        if rule.outcome == "pass":
            return "名单审核中，按边审核边放款办理" if v == "under_review" else "在扩中家庭名单内"
        return rule.message_zh  # off the list: the sentence names why (跃迁, moved, died, 低收入帮扶, not confirmed)
    if code in ("INCOME_CONSISTENT", "INCOME_OBSERVED"):
        return rule.message_zh  # both figures, in the rule's own sentence
    if code == "UPWARD_MOBILITY":
        return f"{v}被认定为跃迁家庭"
    if code == "DECLARATION":
        return "已签署" if v else "尚未签署"
    if code == "AMOUNT_CAP":
        return f"申请{_yuan(v)}"
    return rule.message_zh


def threshold_zh(rule: RuleResult, policy: Policy) -> str:
    """The standard the rule applies, as a sentence."""
    rules, code = policy.eligibility, rule.code
    if code == "ID_VALID":
        return "符合公民身份号码国家标准（GB 11643-1999）"
    if code == "AGE":
        return f"年满{rules.min_age}周岁、不大于{rules.max_age}周岁"
    if code == "RESIDENCE":
        return f"在嵊泗县（行政区划{rules.residence_region}）内有固定住所"
    if code == "CIVIL_CAPACITY":
        return "具有完全民事行为能力"
    if code == "CREDIT":
        c = rules.credit
        return (f"{'' if c.allow_current_overdue else '无当前逾期，'}近{c.window_months}个月连续逾期少于"
                f"{c.consecutive_overdue_months}个月且累计逾期少于{c.cumulative_overdue_months}个月，"
                f"无呆账、代偿或以资抵债，五级分类不劣于{c.worst_five_class_allowed}")
    if code == "INCOME_CAP":
        base = f"以{rules.income_cap_base_size}口之家为基数" if rules.income_cap_scaling == "per_head" else "不分人口"
        cap = f"，本户上限{_yuan(rule.threshold)}" if isinstance(rule.threshold, int | float) else ""
        return f"家庭年收入不超过{rules.income_cap:,.0f}元（{base}）{cap}"
    if code == "ON_LIST":
        return "在嵊泗县扩中家庭名单内"
    if code == "UPWARD_MOBILITY":
        return "未被认定为跃迁家庭（跃迁家庭不再享受新的贴息贷款）"
    if code == "DECLARATION":
        return "放款前签署扩中家庭身份承诺书"
    if code == "AMOUNT_CAP":
        return f"不超过{_yuan(rule.threshold)}"
    if code == "INCOME_CONSISTENT":
        return f"申报家庭年收入合计与分项收入之和相差不超过{rules.income_checks.sources_tolerance:.0%}"
    if code == "INCOME_OBSERVED":
        return f"申报家庭年收入不低于近12个月账户流入的{rules.income_checks.declared_to_observed_min:.0%}"
    return "—"


def outcome_of(rule: RuleResult) -> str:
    """The outcome as a card colours it: a failed condition precedent reads as something to settle, not a fail."""
    return "cannot_decide" if rule.outcome == "fail" and rule.effect == "condition" else rule.outcome


def rule_lines(rules: list[RuleResult], policy: Policy) -> list[dict[str, str]]:
    """Every rule as the card and the approval file print it: name, outcome, value, standard, explanation."""
    return [{"code": r.code, "name_zh": RULE_NAMES_ZH.get(r.code, r.code), "outcome": outcome_of(r),
             "outcome_zh": (CONDITION_OUTCOME_ZH if r.outcome == "fail" and r.effect == "condition"
                            else NO_SUBSIDY_OUTCOME_ZH if r.outcome == "fail" and r.effect == "no_subsidy"
                            else OUTCOME_ZH.get(r.outcome, r.outcome)),
             "value_zh": value_zh(r, policy), "threshold_zh": threshold_zh(r, policy), "message_zh": r.message_zh}
            for r in rules]


def local_time(moment: dt.datetime) -> str:
    """A moment as Shengsi reads a clock (Asia/Shanghai), e.g. 2025-06-30 14:03:11（北京时间）."""
    from zoneinfo import ZoneInfo

    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S（北京时间）")
