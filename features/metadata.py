"""What each household feature means: labels in Chinese and English, unit, risk direction, actionability.

``monotone`` is the direction of default risk as the feature grows: +1 never lowers risk (more overdue months),
-1 never raises it (a larger savings buffer). Every model feature has one, and the credit model enforces it as a
LightGBM monotone constraint, so a reason's sign can be read as a banking statement; a measure whose effect has no
defensible direction (the share of income from fishing, the number of licences) is catalogued but not fed to the
model. ``actionable`` says whether an applicant can change it (explanations never offer age or township as
advice). ``model`` is False for features kept for people, checks and fairness slices but not fed to the credit
model: visit quality measures the visit, not the household. ``sensitive`` marks what a lender may not score people
on — health (PIPL Art. 28 sensitive data), age, where they live, their livelihood and the program's household
class (the groups the program is written for): never a model feature, always available as a fairness slice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureInfo:
    """One household feature and what it means."""

    name: str
    label_zh: str
    label_en: str
    unit: str = ""
    monotone: int = 0
    actionable: bool = False
    categorical: bool = False
    group: str = ""
    model: bool = True
    sensitive: bool = False
    levels: tuple[tuple[str, str, str], ...] = ()  # (code, Chinese, English) of a categorical's values
    group_zh: str = ""  # the group's name, when the group is not one of the household catalogue's
    group_en: str = ""

    def group_names(self) -> tuple[str, str]:
        """The feature's group in Chinese and English ("其他" / "other" when it has none)."""
        if not self.group:
            return "其他", "other"
        return (self.group_zh or GROUP_ZH.get(self.group, self.group),
                self.group_en or GROUP_EN.get(self.group, self.group))

    def level_text(self, value: object) -> tuple[str, str]:
        """A categorical value in Chinese and English (the code itself when the catalogue does not name it)."""
        code = level_code(value)
        for known, zh, en in self.levels:
            if known == code:
                return zh or en or code, en or zh or code
        return code, code

    def __post_init__(self) -> None:
        if self.sensitive and self.model:
            raise ValueError(f"feature {self.name!r}: a sensitive attribute is never a model feature")


def _group(group: str, *features: FeatureInfo) -> tuple[FeatureInfo, ...]:
    return tuple(FeatureInfo(**{**f.__dict__, "group": group}) for f in features)


F = FeatureInfo
_FEATURES = (
    *_group(
        "income",
        F("income_per_head", "人均年收入", "Annual income per head", "元", -1, True),
        F("income_to_cap", "家庭收入占上限比例", "Household income relative to the program cap", "ratio", -1),
        F("observed_income_12m", "近12个月银行流水收入", "Bank inflows over 12 months", "元", -1, True),
        F("observed_income_per_head", "人均银行流水收入", "Bank inflows over 12 months per head", "元", -1, True),
        # Declaring more than the bank sees coming in is the warning sign; declaring less is not.
        F("declared_observed_ratio", "申报收入与流水收入之比", "Declared vs observed income", "ratio", 1),
        # Where the income comes from has no risk direction a lender could defend, and it stands in for the
        # livelihood the program is written for: the risk of a seasonal income is read from the flows instead.
        F("income_share_fishery", "渔业养殖收入占比", "Share of declared income from fishing and aquaculture",
          "ratio", model=False),
        F("income_share_business", "经营收入占比", "Share of declared income from a business", "ratio", model=False),
        F("income_share_wage", "工资收入占比", "Share of declared income from wages", "ratio", model=False),
        F("income_share_transfer", "养老金及转移收入占比", "Share of declared income from pensions and transfers",
          "ratio", model=False),
        F("income_source_count", "收入来源数", "Number of declared income sources", "个", -1),
        F("expense_to_income", "申报支出收入比", "Declared expenses to declared income", "ratio", 1, True),
    ),
    *_group(
        "seasonality",
        F("inflow_cv_12m", "月收入波动系数", "Coefficient of variation of monthly inflows", "ratio", 1),
        F("months_below_half_mean_12m", "低收入月份数", "Months with inflow below half the mean", "月", 1),
        F("inflow_top3_share_12m", "旺季三个月收入占比", "Share of 12-month inflows earned in the best 3 months",
          "ratio", 1),
        F("inflow_min_to_mean_12m", "最低月收入与月均之比", "Lowest monthly inflow relative to the mean", "ratio", -1),
        F("moratorium_income_dip_12m", "休渔期收入降幅", "Drop of inflows in the May-Aug fishing moratorium "
          "against other months", "ratio", 1),
        F("low_season_inflow_3m", "淡季月均流水收入", "Mean inflow of the 3 weakest months of 12", "元", -1, True),
        F("inflow_growth_12m", "流水收入同比增长", "Growth of inflows over the prior 12 months", "ratio", -1, True),
    ),
    *_group(
        "balances",
        F("balance_mean_6m", "近6个月平均余额", "Average balance over 6 months", "元", -1, True),
        F("balance_min_6m", "近6个月最低余额", "Lowest month-end balance over 6 months", "元", -1, True),
        F("balance_trend_6m", "近6个月余额趋势", "Balance trend over 6 months", "元/月", -1, True),
        F("balance_buffer_months", "余额可覆盖支出月数", "Latest balance in months of average outflow", "月", -1,
          True),
        F("savings_rate_12m", "近12个月结余率", "Inflows less outflows, as a share of inflows, over 12 months",
          "ratio", -1, True),
    ),
    *_group(
        "conduct",
        # What discipline leaves in a deposit account: debits that bounce, months that save, an even balance.
        F("returned_debits_12m", "近12个月代扣失败次数", "Direct debits returned unpaid in 12 months", "次", 1, True),
        F("returned_debits_24m", "近24个月代扣失败次数", "Direct debits returned unpaid in 24 months", "次", 1),
        # Set against the same month a year before, so that a season's dip does not count against a livelihood.
        F("balance_yoy_growth_months_12m", "近12个月余额同比增长月份占比", "Share of the last 12 month-end "
          "balances above the same month's a year before", "ratio", -1, True),
        F("saving_plan_months_share_24m", "近24个月零存整取缴存月份占比", "Share of the last 24 months with a "
          "payment into a 零存整取 saving plan", "ratio", -1, True),
    ),
    *_group(
        "debt",
        F("debt_balance", "现有贷款余额", "Outstanding loan balance", "元", 1, True),
        F("loan_count", "在贷笔数", "Loans open on the as-of date", "笔", 1, True),
        F("debt_service_ratio", "月还款收入比", "Monthly debt service to monthly income", "ratio", 1, True),
        F("debt_service_ratio_low_season", "淡季月还款收入比",
          "Monthly debt service to the mean inflow of the 3 weakest months (capped at 20)", "ratio", 1, True),
        F("debt_service_ratio_with_request", "含本次申请的月还款收入比",
          "Monthly debt service including the request (by its repayment method), to monthly bank inflows",
          "ratio", 1, True),
        F("debt_service_ratio_with_request_declared", "含本次申请的月还款占申报收入比",
          "Monthly debt service including the request (by its repayment method), to declared monthly income",
          "ratio", 1, True),
        F("debt_to_income", "负债收入比", "Debt to annual income", "ratio", 1, True),
        F("informal_debt_to_income", "民间借贷收入比", "Declared debts outside banks (亲友, 民间借贷) to declared "
          "income", "ratio", 1, True),
        F("declared_debt_service_ratio", "申报年还款收入比", "Declared yearly debt payments to declared income",
          "ratio", 1, True),
        F("requested_to_income", "申请金额收入比", "Requested amount to annual income", "ratio", 1, True),
    ),
    *_group(
        "repayment",
        F("overdue_current", "当前逾期", "Currently overdue", "0/1", 1, True),
        F("overdue_months_6m", "近6个月逾期月数", "Overdue months in the last 6", "月", 1, True),
        F("overdue_months_12m", "近12个月逾期月数", "Overdue months in the last 12", "月", 1, True),
        F("overdue_months_24m", "近24个月累计逾期月数", "Overdue months in the last 24", "月", 1, True),
        F("max_consecutive_overdue_24m", "近24个月最长连续逾期月数",
          "Longest run of overdue months in the last 24", "月", 1, True),
        F("worst_status_24m", "近24个月最差还款状态", "Worst repayment status in the last 24 months (0-7)",
          "级", 1, True),
        F("months_since_overdue", "距上次逾期月数", "Months since the last overdue month (25: none in 24)", "月",
          -1, True),
        F("lian3lei6", "连三累六", "Three consecutive or six cumulative overdue months in 24", "0/1", 1, True),
        F("bad_status_24m", "呆账/代偿/以资抵债记录", "Bad-debt, guarantor-repaid or repaid-with-assets status "
          "in 24 months", "0/1", 1, True),
        F("worst_five_class", "最差五级分类", "Worst current loan classification (0 正常 … 4 损失)", "级", 1, True),
        # A longer record is more loans as often as a thicker file: no direction, not a model feature.
        F("grid_months_24m", "近24个月征信记录月数", "Months with a repayment-grid record in the last 24", "月",
          model=False),
    ),
    *_group(
        "program",
        # The bank's own 共富 ledger, booked before the as-of date (features.build.ledger).
        F("program_line_utilisation", "共富授信使用率", "Balance drawn on the household's program credit lines in "
          "force, as a share of the lines", "ratio", 1, True),
        # A line's size says what the bank granted, not how risky the household is: catalogued, not scored.
        F("program_credit_line", "共富授信额度", "Program credit lines in force", "元", model=False),
        # Collateral and guarantors decide what the bank recovers after a default, not whether one happens.
        F("program_line_secured", "共富授信有担保或抵质押", "A program credit line in force is secured (guarantor, "
          "pledge or mortgage)", "0/1", model=False),
        # A renewal is only granted to a drawdown repaid in good standing at maturity.
        F("program_renewals", "共富贷已续贷次数", "Renewals of the household's program drawdowns", "次", -1),
        F("program_loans_in_arrears", "共富贷逾期笔数", "Program drawdowns that fell overdue", "笔", 1, True),
        # The guarantor's record says what the guarantee is worth after a default: catalogued, not scored.
        F("program_guarantor_overdue_months_24m", "担保人近24个月逾期月数", "Overdue months of the guarantor of the household's "
          "program line, in the 24 before signing", "月", model=False),
        # A guarantee given is a debt the household may have to pay (a contingent liability).
        F("guaranteed_for_others", "为他人担保金额", "Program credit lines of other households the household "
          "guarantees, in force", "元", 1, True),
    ),
    *_group(
        "queries",
        F("queries_3m", "近3个月征信查询次数", "Credit-report queries in 3 months", "次", 1, True),
        F("queries_6m", "近6个月征信查询次数", "Credit-report queries in 6 months", "次", 1, True),
        F("queries_12m", "近12个月征信查询次数", "Credit-report queries in 12 months", "次", 1, True),
        # The two years of query records a PBOC report lists: queries are rare, so the longer window says more
        # about a household's credit habits. Not actionable: advice moves the 12-month count.
        F("queries_24m", "近24个月征信查询次数", "Credit-report queries in 24 months", "次", 1),
    ),
    *_group(
        "household",
        # Size alone has no direction (more mouths, or more earners): the model reads earners and dependants.
        F("household_size", "家庭人口数", "Household size", "人", model=False),
        F("elderly_count", "60岁以上成员数", "Members aged 60+", "人", model=False),
        F("children_count", "未成年成员数", "Members under 18", "人", model=False),
        F("working_age_count", "劳动年龄成员数", "Members aged 18-59", "人", -1),
        F("dependants_count", "被抚养成员数", "Members under 18 or aged 60+", "人", 1),
        F("dependency_ratio", "抚养比", "Dependants as a share of the household", "ratio", 1),
        F("health_burden", "患病或残疾成员数", "Members with chronic or serious illness or a disability", "人",
          model=False, sensitive=True),
        F("serious_illness_count", "重病成员数", "Members with serious illness", "人", model=False, sensitive=True),
        F("applicant_age", "申请人年龄", "Applicant age", "岁", model=False, sensitive=True),
    ),
    *_group(
        "assets",
        # An asset or a licensed trade never makes a household riskier than the same household without it.
        F("has_fishing_boat", "拥有渔船", "Owns a fishing boat", "0/1", -1),
        F("has_house", "拥有住房", "Owns a house", "0/1", -1),
        F("has_fishing_licence", "持有捕捞证或养殖证", "Holds a fishing or aquaculture licence", "0/1", -1),
        F("has_business_licence", "持有营业执照或民宿许可", "Holds a business or B&B licence", "0/1", -1),
        F("licence_count", "持证数量", "Licences held", "个", model=False),
    ),
    *_group(
        "place",
        F("years_at_address", "现址居住年限", "Years at the address", "年", -1),
        F("township", "乡镇", "Township", categorical=True, model=False, sensitive=True),
        F("livelihood", "主要生计", "Main livelihood", categorical=True, model=False, sensitive=True),
        F("household_class", "家庭类别", "Household class (经营类/就业类/农户类/托底类)", categorical=True,
          model=False, sensitive=True),
    ),
    *_group(
        "visit",
        F("visit_gps_in_township", "走访定位在本乡镇", "Visit GPS fix inside the household's township", "0/1",
          model=False),
        F("visit_photo_count", "走访照片数", "Photos taken at the visit", "张", model=False),
        F("visit_duration_min", "走访时长", "Visit duration", "分钟", model=False),
        F("visit_quality_score", "走访质量得分", "Visit checks passed: GPS in township, ≥3 photos, ≥20 minutes",
          "项", model=False),
        F("visit_age_days", "走访距今天数", "Days from the latest visit to the as-of date", "天", model=False),
    ),
)

FEATURES: dict[str, FeatureInfo] = {f.name: f for f in _FEATURES}
MODEL_FEATURES: tuple[str, ...] = tuple(f.name for f in _FEATURES if f.model)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in _FEATURES if f.categorical and f.model)
MONOTONE: dict[str, int] = {f.name: f.monotone for f in _FEATURES if f.model and f.monotone}
SENSITIVE_FEATURES: tuple[str, ...] = tuple(f.name for f in _FEATURES if f.sensitive)
GROUP_ZH = {"income": "收入", "seasonality": "季节性", "balances": "存款余额", "conduct": "账户行为", "debt": "负债", "repayment": "还款记录",
            "program": "共富贷记录", "queries": "征信查询", "household": "家庭结构", "assets": "资产与证照", "place": "居住", "visit": "走访"}
GROUP_EN = {"income": "income", "seasonality": "seasonality", "balances": "balances",
            "conduct": "account conduct", "debt": "debt",
            "repayment": "repayment record", "program": "program loan record", "queries": "credit queries", "household": "household make-up",
            "assets": "assets and licences", "place": "residence", "visit": "visit"}


def level_code(value: object) -> str:
    """A categorical value as the text the model and the catalogue key it by (2, 2.0 and '2' are all '2')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def label_zh(name: str) -> str:
    """Chinese label of a feature, or its name when unknown."""
    info = FEATURES.get(name)
    return info.label_zh if info else name


def feature_catalogue() -> list[dict[str, object]]:
    """Every feature's metadata as plain rows (for the CLI, docs and MLflow)."""
    return [dict(f.__dict__) for f in _FEATURES]
