"""Chinese for the API's error answers: each field's name as an officer knows it and what each rule asks.

The API's error body carries ``message_zh`` beside the English ``error``; the officer's page and the PAD page
show it as it is. Input values are never echoed (they may hold ID numbers or names), only the limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from features.county import TOWNSHIPS

LIVELIHOOD_ZH = {"fishing": "捕捞渔业", "mussel": "贻贝养殖", "bnb": "民宿经营", "port": "港口物流",
                 "shop": "个体商户", "wage": "工资性就业", "pension": "养老金/转移收入"}
PURPOSE_ZH = {"business": "经营（共富经营贷）", "medical": "医疗（共富助医贷）", "education": "助学（共富助学贷）",
              "housing": "安居（共富安居贷）"}
CAPACITY_ZH = {"full": "完全民事行为能力", "limited": "限制民事行为能力", "none": "无民事行为能力",
               "minor": "未成年"}
HEALTH_ZH = {"good": "健康", "chronic": "慢性病", "serious": "重病", "disabled": "残疾"}
INCOME_SOURCE_ZH = {**LIVELIHOOD_ZH, "main": "主要收入", "total": "家庭年收入合计", "other": "其他"}
RECOMMENDATION_ZH = {"approve": "批准", "refer": "转人工", "decline": "拒绝"}
ACTION_ZH = {"confirm": "确认", "override": "改变结果"}
# Choices of a field, in Chinese, by the field's last name.
OPTIONS_ZH: dict[str, Mapping[str, str]] = {
    "livelihood": LIVELIHOOD_ZH, "purpose": PURPOSE_ZH, "civil_capacity": CAPACITY_ZH, "health": HEALTH_ZH,
    "final_recommendation": RECOMMENDATION_ZH, "action": ACTION_ZH, "township": {t: t for t in TOWNSHIPS},
}
FIELD_ZH = {
    "body": "请求内容", "household_id": "家庭编号", "application_date": "申请日期", "requested_amount": "申请金额",
    "purpose": "贷款用途", "source": "申请来源", "visit": "采集表", "bank": "银行记录", "form": "采集表",
    "visited_at": "走访时间", "started_at": "走访开始时间", "ended_at": "走访结束时间", "applicant": "申请人",
    "applicant.id_number": "申请人身份证号", "applicant.name": "申请人姓名", "applicant.phone": "联系电话",
    "livelihood": "主要生计", "residence": "居住情况", "residence.fixed_residence": "县内固定住所",
    "residence.township": "居住乡镇", "residence.years_at_address": "现址居住年限", "members": "家庭成员",
    "declared_income": "申报收入", "assets": "资产", "assets.fishing_boat": "渔船", "assets.house": "住房",
    "debts": "负债", "declaration_signed": "扩中家庭身份承诺书", "account_manager_id": "客户经理编号",
    "gps": "定位", "gps.lat": "定位纬度", "gps.lon": "定位经度", "gps.accuracy_m": "定位精度",
    "photos": "现场照片", "draft_id": "草稿编号", "action": "复核操作", "final_recommendation": "最终结果",
    "reason": "复核理由", "q": "查询内容", "as_of": "统计日期", "idempotency_key": "请求编号", "alias": "模型别名",
    "needs": "融资需求", "expenses": "支出",
}
MEMBER_FIELD_ZH = {"age": "年龄", "relation": "与户主关系", "civil_capacity": "民事行为能力", "health": "健康状况",
                   "id_number": "身份证号", "sex": "性别", "name": "姓名"}
DEBT_FIELD_ZH = {"balance": "余额", "monthly_payment": "月还款额", "lender": "出借方"}
_INDEX = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?$")


def _parts(field: str | Sequence[Any]) -> list[str]:
    if isinstance(field, str):
        parts = [p for p in re.split(r"\.|\[(\d+)\]", field) if p]
    else:
        parts = [str(p) for p in field]
    if parts and parts[0] in ("visit", "form") and len(parts) > 1:
        parts = parts[1:]
    return parts


def field_zh(field: str | Sequence[Any]) -> str:
    """The field as an officer names it: ``visit.members.1.age`` -> 第2位家庭成员的年龄."""
    parts = _parts(field)
    if not parts:
        return FIELD_ZH["body"]
    if parts[0] == "members" and len(parts) >= 2 and parts[1].isdigit():
        rest = MEMBER_FIELD_ZH.get(parts[2], parts[2]) if len(parts) > 2 else "信息"
        return f"第{int(parts[1]) + 1}位家庭成员的{rest}"
    if parts[0] == "debts" and len(parts) >= 2 and parts[1].isdigit():
        rest = DEBT_FIELD_ZH.get(parts[2], parts[2]) if len(parts) > 2 else "信息"
        return f"第{int(parts[1]) + 1}笔负债的{rest}"
    if parts[0] == "photos" and len(parts) >= 2 and parts[1].isdigit():
        return f"第{int(parts[1]) + 1}张现场照片"
    if parts[0] == "declared_income" and len(parts) >= 2:
        source = parts[-1]
        return f"申报收入（{INCOME_SOURCE_ZH.get(source, source)}）"
    joined = ".".join(parts)
    if joined in FIELD_ZH:
        return FIELD_ZH[joined]
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in FIELD_ZH:
            return f"{FIELD_ZH[head]}（{'.'.join(parts[cut:])}）"
    return f"字段“{joined}”"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


def options_zh(field: str | Sequence[Any]) -> str:
    """The choices of a field in Chinese, or '' when it has no fixed list."""
    parts = _parts(field)
    choices = OPTIONS_ZH.get(parts[-1]) if parts else None
    return "、".join(choices.values()) if choices else ""


def rule_zh(kind: str, field: str | Sequence[Any], context: Mapping[str, Any] | None = None) -> str:
    """What a field must be, in Chinese, for a validation error of type ``kind`` (pydantic's error types)."""
    ctx = dict(context or {})
    label = field_zh(field)
    parts = _parts(field)
    last = parts[-1] if parts else ""
    if kind == "id_number" and ctx.get("message_zh"):
        return f"{label}有误：{ctx['message_zh']}"
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"请填写{label}"
    if kind in ("string_too_short", "string_too_long") and last == "id_number":
        return f"{label}应为18位（现在位数不对）"
    if kind == "string_too_short":
        return f"{label}至少需要{ctx.get('min_length')}个字符"
    if kind == "string_too_long":
        return f"{label}不能超过{ctx.get('max_length')}个字"
    if kind == "string_pattern_mismatch":
        if last == "phone":
            return f"{label}只能包含数字、加号、减号和空格"
        if last == "household_id":
            return f"{label}只能包含字母、数字、减号和下划线"
        return f"{label}格式不对"
    bounds = {"greater_than": "须大于", "greater_than_equal": "不能小于", "less_than": "须小于",
              "less_than_equal": "不能大于"}
    if kind in bounds:
        limit = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), "")
        unit = "元" if last in ("requested_amount", "balance", "monthly_payment") or parts[:1] == ["declared_income"] \
            else "岁" if last == "age" else "年" if last == "years_at_address" else ""
        return f"{label}{bounds[kind]}{_number(limit)}{unit}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label}须为整数"
    if kind in ("float_parsing", "float_type", "finite_number", "decimal_parsing"):
        return f"{label}须为数字"
    if kind in ("bool_parsing", "bool_type"):
        return f"{label}须选择是或否"
    if kind.startswith("date") and "time" not in kind:
        return f"{label}须为有效日期（年-月-日）"
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return f"{label}须为有效的日期和时间"
    if kind in ("literal_error", "enum"):
        choices = options_zh(field)
        return f"{label}须为以下之一：{choices}" if choices else f"{label}不在可选范围内"
    if kind == "too_short":
        return f"{label}至少需要{ctx.get('min_length')}项"
    if kind == "too_long":
        return f"{label}最多{ctx.get('max_length')}项"
    if kind == "extra_forbidden":
        return f"不认识的字段“{'.'.join(parts)}”，请删除"
    if kind == "json_invalid":
        return "请求内容不是有效的 JSON"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return "申请来源须为“按家庭编号”或“按采集表”"
    if kind in ("dict_type", "model_type", "model_attributes_type", "list_type", "string_type"):
        return f"{label}格式不对"
    return f"{label}取值有误，请核对"


def pydantic_zh(error: Mapping[str, Any], field: str) -> str:
    """The Chinese message of one pydantic error (``loc`` already turned into ``field``)."""
    kind = str(error.get("type", ""))
    if error.get("input") == "" and kind.startswith("string_"):  # an empty box is a missing answer
        kind = "missing"
    return rule_zh(kind, field, error.get("ctx"))
