"""Plain sentences for reasons: a feature's value in the applicant's own terms, in Chinese and English.

Each phrase says what the applicant's record shows ("近24个月累计逾期6个月") and what it is set against
("高于申请人中位数21%", "此类申请人违约率45%，高于全体30%"); the points clause and the advice are added by
``models.explain.reasons``. Categorical codes are shown by their labels (``livelihood`` 'mussel' → 贻贝养殖; a
dataset's codes by the labels its YAML gives). A feature is described by its ``FeatureInfo``: the household
catalogue's, or the one a dataset's YAML gives the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from features.metadata import FEATURES, FeatureInfo
from models.explain.reference import Reference

LIVELIHOOD_ZH = {"fishing": "海洋捕捞", "mussel": "贻贝养殖", "bnb": "民宿经营", "shop": "个体经营",
                 "port": "港口物流就业", "wage": "工资性就业", "pension": "养老金"}
LIVELIHOOD_EN = {"fishing": "capture fishing", "mussel": "mussel farming", "bnb": "running a B&B",
                 "shop": "a small business", "port": "port and logistics work", "wage": "wage work",
                 "pension": "a pension"}
HOUSEHOLD_CLASS_EN = {"经营类": "business", "就业类": "employment", "农户类": "fishery or farm",
                      "托底类": "safety-net"}
TOWNSHIP_EN = {"菜园镇": "Caiyuan", "嵊山镇": "Shengshan", "洋山镇": "Yangshan", "五龙乡": "Wulong",
               "黄龙乡": "Huanglong", "枸杞乡": "Gouqi", "花鸟乡": "Huaniao"}
# PBOC repayment-grid levels 1..7: overdue 1-30 days ... more than 180 days.
_STATUS_DAYS = {1: "1–30", 2: "31–60", 3: "61–90", 4: "91–120", 5: "121–150", 6: "151–180", 7: "180+"}
_FIVE_CLASS = ("正常", "关注", "次级", "可疑", "损失")
_FIVE_CLASS_EN = ("normal", "special mention", "substandard", "doubtful", "loss")

# What an applicant can do about an adverse actionable factor.
ADVICE: dict[str, tuple[str, str]] = {
    "overdue_current": ("尽快结清当前逾期款项", "Settle the amount currently overdue"),
    "debt_balance": ("偿还部分现有贷款，降低负债", "Pay down part of the existing loans"),
    "debt_to_income": ("偿还部分现有贷款，降低负债", "Pay down part of the existing loans"),
    "debt_service_ratio": ("降低月还款负担（提前偿还部分贷款）", "Lower the monthly repayments by paying down loans"),
    "debt_service_ratio_low_season": ("降低月还款负担（提前偿还部分贷款）",
                                      "Lower the monthly repayments by paying down loans"),
    "debt_service_ratio_with_request": ("适当降低申请金额或先偿还部分贷款",
                                        "Ask for a smaller amount or pay down existing loans first"),
    "requested_to_income": ("适当降低申请金额", "Ask for a smaller amount"),
    "loan_count": ("结清部分在贷贷款", "Close some of the open loans"),
    "queries_3m": ("近期避免频繁申请贷款或信用卡", "Avoid applying for new credit for a while"),
    "queries_6m": ("近期避免频繁申请贷款或信用卡", "Avoid applying for new credit for a while"),
    "queries_12m": ("近期避免频繁申请贷款或信用卡", "Avoid applying for new credit for a while"),
    "balance_mean_6m": ("保持账户存款余额", "Keep savings in the account"),
    "balance_min_6m": ("保持账户存款余额", "Keep savings in the account"),
    "balance_buffer_months": ("保持账户存款余额", "Keep savings in the account"),
    "savings_rate_12m": ("增加结余、控制支出", "Save more of what comes in"),
    "balance_yoy_growth_months_12m": ("保持存款逐年增长", "Let savings grow year on year"),
    "saving_plan_months_share_24m": ("坚持按月定期储蓄（零存整取）", "Keep up a monthly saving plan"),
    "returned_debits_12m": ("扣款日前确保账户余额充足，避免代扣失败",
                            "Keep enough in the account on the debit day so direct debits are paid"),
    "expense_to_income": ("控制家庭支出", "Keep household spending down"),
    "observed_income_12m": ("将经营收入存入本行账户，形成完整流水", "Pay business income into the bank account"),
    "observed_income_per_head": ("将经营收入存入本行账户，形成完整流水", "Pay business income into the bank account"),
    "low_season_inflow_3m": ("淡季保持稳定的账户收入", "Keep some income coming in during the low season"),
}
_HISTORY_ADVICE = ("保持按时还款，逾期记录会随时间移出统计期", "Keep repaying on time; old arrears age out of the window")
for _name in ("overdue_months_6m", "overdue_months_12m", "overdue_months_24m", "max_consecutive_overdue_24m",
              "worst_status_24m", "months_since_overdue", "lian3lei6", "bad_status_24m", "worst_five_class"):
    ADVICE[_name] = _HISTORY_ADVICE


def is_missing(value: Any) -> bool:
    """True for None and NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(v: float) -> str:
    v = float(v) + 0.0  # a negative zero reads as 0, not "-0"
    return f"{v:.0f}" if v.is_integer() else f"{v:.1f}"


def _count(zh_unit: str, en_unit: str, zh_tpl: str, en_tpl: str) -> Callable[[Any], tuple[str, str]]:
    def phrase(v: Any) -> tuple[str, str]:
        n = _num(float(v))
        return zh_tpl.format(v=n, u=zh_unit), en_tpl.format(v=n, u=en_unit)
    return phrase


def _flag(zh_yes: str, zh_no: str, en_yes: str, en_no: str) -> Callable[[Any], tuple[str, str]]:
    def phrase(v: Any) -> tuple[str, str]:
        return (zh_yes, en_yes) if float(v) >= 0.5 else (zh_no, en_no)
    return phrase


def _worst_status(v: Any) -> tuple[str, str]:
    level = int(round(float(v)))
    if level <= 0:
        return "近24个月还款记录均正常", "every repayment in the last 24 months was on time"
    days = _STATUS_DAYS.get(level, "180+")
    return f"近24个月最严重逾期达{days}天", f"the worst arrears in the last 24 months reached {days} days"


def _months_since(v: Any) -> tuple[str, str]:
    months = float(v)
    if months > 24:
        return "近24个月无逾期", "no overdue month in the last 24"
    return f"距上次逾期{_num(months)}个月", f"the last overdue month was {_num(months)} months ago"


def _five_class(v: Any) -> tuple[str, str]:
    level = min(max(int(round(float(v))), 0), 4)
    return f"现有贷款最差五级分类为{_FIVE_CLASS[level]}", f"worst loan classification is {_FIVE_CLASS_EN[level]}"


def _category(info: FeatureInfo, v: Any) -> tuple[str, str]:
    code = str(v)
    if info.levels:
        zh, en = info.level_text(v)
        return f"{info.label_zh}为“{zh}”", f"{_lower(info.label_en)} is '{en}'"
    if info.name == "livelihood":
        return f"主要生计为{LIVELIHOOD_ZH.get(code, code)}", f"main livelihood is {LIVELIHOOD_EN.get(code, code)}"
    if info.name == "township":
        return f"居住在{code}", f"lives in {TOWNSHIP_EN.get(code, code)}"
    if info.name == "household_class":
        return f"家庭类别为{code}", f"household class is {HOUSEHOLD_CLASS_EN.get(code, code)}"
    return f"{info.label_zh}为“{code}”", f"{_lower(info.label_en)} is '{code}'"


def _fall(v: float, digits: int = 0) -> tuple[str, str]:
    """The moratorium's change of inflows said as a fall, a level or a rise: the table cell under its label 降幅.

    ``moratorium_income_dip_12m`` is 1 − (mean May–Aug inflow ÷ mean inflow of the other months): 0.25 is a fall
    of 25%, 1 no inflow at all, and a negative value a rise (−2.5: the moratorium months bring 3.5 times the
    others), which reads as a rise ("不降反增"), never as a negative fall; from twice the other months on, as a
    multiple.
    """
    shown = round(abs(v) * 100, digits)
    if shown == 0:
        return "休渔期收入与其他月份持平", "inflows in the May–Aug moratorium level with the other months"
    if v >= 1:
        return "休渔期无收入入账", "no inflows in the May–Aug moratorium"
    pct = f"{shown:.{digits}f}%"
    if v > 0:
        return f"休渔期收入降幅为{pct}", f"inflows in the May–Aug moratorium {pct} below the other months"
    times = 1 - v
    if round(times, max(digits, 1)) >= 2:
        t = f"{times:.{max(digits, 1)}f}"
        return f"休渔期收入不降反增，为其他月份的{t}倍", f"inflows in the May–Aug moratorium {t} times the other months"
    return f"休渔期收入不降反增，高于其他月份{pct}", f"inflows in the May–Aug moratorium {pct} above the other months"


SHARE_ZH, SHARE_EN = "休渔期收入", "inflows in the May–Aug moratorium are "


def _dip(v: float, digits: int = 0) -> tuple[str, str]:
    """The moratorium's inflows as a share of the other months' (1 − ``moratorium_income_dip_12m``).

    The reason sentence's one quantity, so that a value and its median are said alike and compared one way.
    0.25 (a fall of a quarter) reads "为其他月份的75%", −2.5 (a rise) "为其他月份的3.5倍" (a multiple from twice the
    other months on), 1 or more "无收入入账", a share that rounds to 100% "与其他月份持平"; never a negative number.
    """
    share = max(1.0 - v, 0.0)
    if share <= 0:
        return "休渔期无收入入账", "no inflows in the May–Aug moratorium"
    shown = round(share * 100, digits)
    if shown == 100:
        return SHARE_ZH + "与其他月份持平", SHARE_EN + "level with the other months"
    if round(share, max(digits, 1)) >= 2:
        t = f"{share:.{max(digits, 1)}f}"
        return SHARE_ZH + f"为其他月份的{t}倍", SHARE_EN + f"{t} times the other months'"
    pct = f"{shown:.{digits}f}%"
    return SHARE_ZH + f"为其他月份的{pct}", SHARE_EN + f"{pct} of the other months'"


def _dip_pair(a: float, b: float) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two dips written so that different values never read the same (one more digit if needed)."""
    for digits in range(4):
        first, second = _dip(a, digits), _dip(b, digits)
        if first[0] != second[0] or a == b:
            break
    return first, second


_PHRASES: dict[str, Callable[[Any], tuple[str, str]]] = {
    "overdue_months_24m": _count("个月", "months", "近24个月累计逾期{v}{u}", "{v} overdue {u} in the last 24"),
    "overdue_months_12m": _count("个月", "months", "近12个月累计逾期{v}{u}", "{v} overdue {u} in the last 12"),
    "overdue_months_6m": _count("个月", "months", "近6个月累计逾期{v}{u}", "{v} overdue {u} in the last 6"),
    "max_consecutive_overdue_24m": _count("个月", "months", "近24个月最长连续逾期{v}{u}",
                                          "longest overdue run in 24 months is {v} {u}"),
    "queries_3m": _count("次", "times", "近3个月征信被查询{v}{u}", "credit report queried {v} {u} in 3 months"),
    "queries_6m": _count("次", "times", "近6个月征信被查询{v}{u}", "credit report queried {v} {u} in 6 months"),
    "queries_12m": _count("次", "times", "近12个月征信被查询{v}{u}", "credit report queried {v} {u} in 12 months"),
    "overdue_current": _flag("当前有逾期未还", "当前无逾期", "an amount is overdue now", "nothing is overdue now"),
    "lian3lei6": _flag("近24个月出现连三累六", "近24个月无连三累六", "3-in-a-row or 6 overdue months in 24",
                       "no 3-in-a-row or 6 overdue months in 24"),
    "bad_status_24m": _flag("近24个月有呆账、代偿或以资抵债记录", "近24个月无呆账、代偿或以资抵债记录",
                            "a bad-debt, guarantor or asset-repaid status in 24 months",
                            "no bad-debt, guarantor or asset-repaid status in 24 months"),
    "has_house": _flag("家庭拥有自有住房", "家庭无自有住房", "the household owns a house", "the household owns no house"),
    "has_fishing_boat": _flag("家庭拥有渔船", "家庭无渔船", "the household owns a fishing boat",
                              "the household owns no fishing boat"),
    "has_fishing_licence": _flag("持有捕捞许可证", "未持有捕捞许可证", "holds a fishing licence",
                                 "holds no fishing licence"),
    "has_business_licence": _flag("持有营业执照", "未持有营业执照", "holds a business licence",
                                  "holds no business licence"),
    "worst_status_24m": _worst_status,
    "months_since_overdue": _months_since,
    "worst_five_class": _five_class,
    "moratorium_income_dip_12m": lambda v: _dip(float(v)),
}


def _lower(label: str) -> str:
    """An English label inside a sentence: its first letter lower-cased (month names and acronyms kept)."""
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) < 2 else label


def _info(name: str, info: FeatureInfo | None) -> FeatureInfo:
    if info is not None:
        return info
    if name in FEATURES:
        return FEATURES[name]
    label = name.replace("_", " ").capitalize()
    return FeatureInfo(name=name, label_zh=label, label_en=label)


def value_phrase(name: str, value: Any, info: FeatureInfo | None = None) -> tuple[str, str]:
    """What the applicant's record shows for one feature, as a Chinese phrase and its English twin."""
    info = _info(name, info)
    label_zh, label_en = info.label_zh, info.label_en
    if is_missing(value):
        return f"缺少{label_zh}数据", f"no data on {_lower(label_en)}"
    if info.categorical or isinstance(value, str):
        return _category(info, value)
    if name in _PHRASES and name in FEATURES:
        return _PHRASES[name](value)
    v = float(value)
    if info.unit == "0/1":
        return (f"{label_zh}：{'是' if v >= 0.5 else '否'}", f"{_lower(label_en)}: {'yes' if v >= 0.5 else 'no'}")
    zh, en = amount_text(info.unit, v)
    return f"{label_zh}为{zh}", f"{_lower(label_en)} is {en}"


_UNIT_ZH = {"月": "个月"}  # a count of months reads "3个月"
_UNIT_EN = {"月": "months", "次": "times", "人": "people", "岁": "years", "年": "years", "笔": "loans", "个": "",
            "级": "", "分钟": "minutes", "张": "photos", "天": "days", "项": "", "马克": "DM"}


def amount_text(unit: str, v: float, digits: int = 0, multiple: bool | None = None) -> tuple[str, str]:
    """A number in its unit, in Chinese and English ("21%", "1,200元", "每月+280元", "3个月").

    A ratio above 10 reads as a multiple ("14.7倍"); ``multiple`` fixes that choice, so two ratios set side by side
    are written alike.
    """
    if minus_zero(unit, v, digits, multiple):  # "-0%" tells a reader nothing: a value that rounds to 0 reads 0
        v = 0.0
    if unit == "元":
        figure = f"{v:,.{digits}f}"
        return f"{figure}元", f"{figure} yuan"
    if unit == "元/月":  # a change carries its sign, unless it is written as nothing ("每月0元", not "+0")
        sign = "+" if round(v, digits) != 0 else ""
        figure = f"{v:{sign},.{digits}f}"
        return f"每月{figure}元", f"{figure} yuan a month"
    if unit == "ratio":
        if abs(v) > 10 if multiple is None else multiple:
            figure = f"{v:.1f}"
            return f"{figure}倍", f"{figure}x"
        share = f"{v:.{digits}%}"
        return share, share
    shown = f"{v:.{max(digits, 1)}f}" if digits or not float(v).is_integer() else f"{v:.0f}"
    english = _UNIT_EN.get(unit, unit)
    return f"{shown}{_UNIT_ZH.get(unit, unit)}", f"{shown} {english}".strip()


def minus_zero(unit: str, v: float, digits: int, multiple: bool | None = None) -> bool:
    """Whether a negative number written at ``digits`` would read as "-0" ("-0%", "每月-0元"), a negative zero too."""
    if not (v < 0 or (v == 0 and math.copysign(1.0, v) < 0)):
        return False
    if unit == "ratio":
        as_multiple = abs(v) > 10 if multiple is None else multiple
        return round(v, 1) == 0 if as_multiple else round(v * 100, digits) == 0
    return round(v, digits if unit in ("元", "元/月") or digits else 0) == 0


def _apart(unit: str, a: float, b: float) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two numbers formatted alike, and so that different numbers never read the same (one more digit if needed).

    A ratio is written as a multiple for both when the first (the applicant's value) is one.
    """
    multiple = abs(a) > 10 if unit == "ratio" else None
    tiny_loss = minus_zero(unit, a, 0, multiple) and not minus_zero(unit, a, 2, multiple)
    for digits in range(7):  # a median of real values can sit within 0.001 of a value
        first, second = amount_text(unit, a, digits, multiple), amount_text(unit, b, digits, multiple)
        if tiny_loss and minus_zero(unit, a, digits, multiple):  # -0.3% reads as -0.3%, not as -0% or 0%
            continue
        if first[0] != second[0] or a == b:
            return first, second
    return first, second


def comparison_clause(info: FeatureInfo, reference: Reference | None,
                      apart: tuple[tuple[str, str], tuple[str, str]] | None = None) -> tuple[str, str]:
    """What the value is set against, as a clause following the value's phrase ("" without a reference).

    ``apart``: the value and its reference already written alike (``_apart`` in ``info``'s unit, ``_dip_pair`` for
    the moratorium's change), when known.
    """
    if reference is None:
        return "", ""
    if reference.kind == "bad_rate":
        mine, every = _apart("ratio", reference.compared, reference.value)
        word_zh, word_en = ("高于", "above") if reference.compared > reference.value else (
            ("低于", "below") if reference.compared < reference.value else ("等于", "the same as"))
        return (f"，此类申请人违约率{mine[0]}，{word_zh}全体{every[0]}",
                f"; {mine[1]} of such applicants defaulted, {word_en} {every[1]} of all")
    kind_zh, kind_en = ("中位数", "median") if reference.kind == "median" else ("平均", "average")
    if info.name == "moratorium_income_dip_12m":  # a signed change: the reference is said the same way
        # both as the moratorium's share of the other months' inflows: a larger fall is a smaller share
        _, (ref_zh, ref_en) = apart or _dip_pair(reference.compared, reference.value)
        ref_zh = ref_zh.removeprefix(SHARE_ZH).removeprefix("为")
        ref_en = ref_en.removeprefix(SHARE_EN).removeprefix("no inflows in the May–Aug moratorium") or "no inflows"
        if ref_zh == "休渔期无收入入账":
            ref_zh = "无收入入账"
        if reference.compared == reference.value:
            return f"，与申请人{kind_zh}持平（{ref_zh}）", f", level with the applicants' {kind_en} ({ref_en})"
        lower = reference.compared > reference.value  # a larger fall: a smaller share of the other months
        return (f"，{'低于' if lower else '高于'}申请人{kind_zh}（{ref_zh}）",
                f", {'below' if lower else 'above'} the applicants' {kind_en} ({ref_en})")
    if info.unit == "0/1":
        share = reference.value
        return f"（申请人中{share:.0%}为是）", f" ({share:.0%} of applicants: yes)"
    _, ref = apart or _apart(info.unit, reference.compared, reference.value)
    if reference.compared == reference.value:
        return f"，与申请人{kind_zh}持平", f", level with the applicants' {kind_en}"
    above = reference.compared > reference.value
    return (f"，{'高于' if above else '低于'}申请人{kind_zh}{ref[0]}",
            f", {'above' if above else 'below'} the applicants' {kind_en} of {ref[1]}")


def value_and_comparison(name: str, value: Any, info: FeatureInfo | None, reference: Reference | None,
                         clause_info: FeatureInfo | None = None) -> tuple[tuple[str, str], tuple[str, str]]:
    """The value's phrase and the clause setting it against its reference, the two numbers written alike.

    A plain number and its median are written with the same digits, as many as it takes for different numbers to
    read differently: "0.655, below the median 0.660", never "0.7, below the median 0.66".
    """
    full = _info(name, info)
    against = clause_info or full
    if (reference is not None and reference.kind in ("median", "mean") and not is_missing(value)
            and not (full.categorical or isinstance(value, str)) and not (name in _PHRASES and name in FEATURES)
            and full.unit != "0/1"):
        # the value and its reference written alike once, for the phrase and (same unit) the clause
        both = _apart(full.unit, reference.compared, reference.value)
        mine = both[0]
        clause = comparison_clause(against, reference, both if against.unit == full.unit else None)
        return (f"{full.label_zh}为{mine[0]}", f"{_lower(full.label_en)} is {mine[1]}"), clause
    if reference is not None and name == "moratorium_income_dip_12m" and not is_missing(value):
        pair = _dip_pair(float(value), reference.value)
        # the clause writes the same two numbers when it sets the value (as a number) against its median or mean
        same = reference.kind in ("median", "mean") and reference.compared == float(value) and against.name == name
        return pair[0], comparison_clause(against, reference, pair if same else None)
    return value_phrase(name, value, info), comparison_clause(against, reference)


def value_text_zh(name: str, value: Any, info: FeatureInfo | None = None) -> str:
    """A feature value as shown in a table cell (categorical codes by their labels, money with separators)."""
    if is_missing(value):
        return "缺失"
    info = _info(name, info)
    if name == "livelihood" and not info.levels:
        return LIVELIHOOD_ZH.get(str(value), str(value))
    if info.categorical or isinstance(value, str):
        return info.level_text(value)[0]
    v = float(value)
    if info.unit == "0/1":
        return "是" if v >= 0.5 else "否"
    if name == "moratorium_income_dip_12m" and name in FEATURES:  # a rise is said as one, as in the sentence
        return _fall(v)[0].removeprefix("休渔期收入")
    return amount_text(info.unit, v)[0]
