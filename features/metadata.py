"""What each household feature means: labels in Chinese and English, unit, monotone direction, actionability.

``monotone`` is the direction of default risk as the feature grows: +1 never lowers risk (more overdue months),
-1 never raises it, 0 leaves the model free. ``actionable`` says whether an applicant can change it (used by
explanations: age or township are never offered as advice).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureInfo:
    """One model feature and what it means."""

    name: str
    label_zh: str
    label_en: str
    unit: str = ""
    monotone: int = 0
    actionable: bool = False
    categorical: bool = False


_FEATURES = (
    FeatureInfo("income_per_head", "人均年收入", "Annual income per head", "元", -1, True),
    FeatureInfo("income_to_cap", "家庭收入占上限比例", "Household income relative to the program cap", "ratio"),
    FeatureInfo("observed_income_12m", "近12个月银行流水收入", "Bank inflows over 12 months", "元", -1, True),
    FeatureInfo("inflow_cv_12m", "月收入波动系数", "Coefficient of variation of monthly inflows", "ratio", 1),
    FeatureInfo("months_below_half_mean_12m", "低收入月份数", "Months with inflow below half the mean", "月", 1),
    FeatureInfo("declared_observed_ratio", "申报收入与流水收入之比", "Declared vs observed income", "ratio", 0),
    FeatureInfo("balance_mean_6m", "近6个月平均余额", "Average balance over 6 months", "元", -1, True),
    FeatureInfo("balance_trend_6m", "近6个月余额趋势", "Balance trend over 6 months", "元/月", 0, True),
    FeatureInfo("debt_balance", "现有贷款余额", "Outstanding loan balance", "元", 1, True),
    FeatureInfo("debt_service_ratio", "月还款收入比", "Monthly debt service to monthly income", "ratio", 1, True),
    FeatureInfo("debt_to_income", "负债收入比", "Debt to annual income", "ratio", 1, True),
    FeatureInfo("overdue_current", "当前逾期", "Currently overdue", "0/1", 1, True),
    FeatureInfo("overdue_months_24m", "近24个月累计逾期月数", "Overdue months in the last 24", "月", 1, True),
    FeatureInfo("max_consecutive_overdue_24m", "近24个月最长连续逾期月数",
                "Longest run of overdue months in the last 24", "月", 1, True),
    FeatureInfo("worst_status_24m", "近24个月最差还款状态", "Worst repayment status in the last 24 months",
                "级", 1, True),
    FeatureInfo("months_since_overdue", "距上次逾期月数", "Months since the last overdue month", "月", 0, True),
    FeatureInfo("queries_3m", "近3个月征信查询次数", "Credit-report queries in 3 months", "次", 1, True),
    FeatureInfo("queries_12m", "近12个月征信查询次数", "Credit-report queries in 12 months", "次", 1, True),
    FeatureInfo("household_size", "家庭人口数", "Household size", "人"),
    FeatureInfo("elderly_count", "60岁以上成员数", "Members aged 60+", "人"),
    FeatureInfo("children_count", "未成年成员数", "Members under 18", "人"),
    FeatureInfo("health_burden", "患病成员数", "Members with chronic or serious illness", "人"),
    FeatureInfo("applicant_age", "申请人年龄", "Applicant age", "岁"),
    FeatureInfo("years_at_address", "现址居住年限", "Years at the address", "年"),
    FeatureInfo("has_fishing_boat", "拥有渔船", "Owns a fishing boat", "0/1"),
    FeatureInfo("has_house", "拥有住房", "Owns a house", "0/1"),
    FeatureInfo("requested_to_income", "申请金额收入比", "Requested amount to annual income", "ratio", 1, True),
    FeatureInfo("township", "乡镇", "Township", categorical=True),
    FeatureInfo("livelihood", "主要生计", "Main livelihood", categorical=True),
    FeatureInfo("household_class", "家庭类别", "Household class", categorical=True),
)

FEATURES: dict[str, FeatureInfo] = {f.name: f for f in _FEATURES}
MODEL_FEATURES: tuple[str, ...] = tuple(FEATURES)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in _FEATURES if f.categorical)


def label_zh(name: str) -> str:
    """Chinese label of a feature, or its name when unknown."""
    info = FEATURES.get(name)
    return info.label_zh if info else name
