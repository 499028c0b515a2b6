"""Product, credit limit, rate and subsidy split for an applicant, each with the sentence that explains it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from models.policy import Policy

# Rate inside the product band by grade: the best grade gets the bottom of the band.
_GRADE_POSITION = {"A": 0.0, "B": 0.5, "C": 1.0, "D": 1.0, "E": 1.0}


class LoanTerms(BaseModel):
    """What the bank would offer."""

    model_config = ConfigDict(frozen=True)

    product_code: str
    product_name: str
    limit: float
    rate: float
    reference_rate: float
    finance_subsidy_rate: float
    bank_concession_rate: float
    annual_subsidy_finance: float
    annual_concession_bank: float
    explanation_zh: str
    explanation_en: str


def offer_terms(policy: Policy, purpose: str | None, household_class: str | None, grade: str,
                requested_amount: float, annual_income: float | None) -> LoanTerms | None:
    """The fitting product and its terms, or None when the catalogue has no product for this need and class."""
    products = [p for p in policy.products if p.purpose == purpose and (household_class in p.classes)]
    if not products:
        return None
    product = products[0]
    capacity = 2.0 * annual_income if annual_income and annual_income > 0 else product.max_amount
    limit = float(min(requested_amount, product.max_amount, capacity))
    limit = float(int(limit // 1000) * 1000)
    position = _GRADE_POSITION.get(grade, 1.0)
    rate = round(product.rate_min + (product.rate_max - product.rate_min) * position, 4)
    sub = policy.subsidy
    return LoanTerms(
        product_code=product.code, product_name=product.name, limit=limit, rate=rate,
        reference_rate=sub.reference_rate, finance_subsidy_rate=sub.finance_points,
        bank_concession_rate=sub.bank_points,
        annual_subsidy_finance=round(limit * sub.finance_points, 2),
        annual_concession_bank=round(limit * sub.bank_points, 2),
        explanation_zh=(f"{product.name}：额度取申请金额、产品上限{product.max_amount:,.0f}元与两倍家庭年收入中的最小值"
                        f"，为{limit:,.0f}元；评级{grade}，年利率{rate:.2%}；参考利率{sub.reference_rate:.2%}高出"
                        f"{sub.rate_cap:.1%}的部分由县财政贴息{sub.finance_points:.1%}、银行让利{sub.bank_points:.1%}"),
        explanation_en=(f"{product.code}: limit is the least of the request, the product cap and twice the annual "
                        f"income ({limit:,.0f}); grade {grade} gives {rate:.2%}; above the {sub.rate_cap:.1%} cap the "
                        f"county pays {sub.finance_points:.1%} and the bank concedes {sub.bank_points:.1%}"),
    )
