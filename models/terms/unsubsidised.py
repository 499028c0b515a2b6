"""Terms without the program's subsidy, for a 跃迁 household borrowing at the bank's normal rate."""

from __future__ import annotations

from models.policy import Policy
from models.terms.offer import LoanTerms


def without_subsidy(terms: LoanTerms, policy: Policy) -> LoanTerms:
    """The same product and limit at the bank's normal (reference) rate, with no subsidy and no concession."""
    rate = policy.subsidy.reference_rate
    return terms.model_copy(update={
        "rate": rate, "finance_subsidy_rate": 0.0, "bank_concession_rate": 0.0, "annual_subsidy_finance": 0.0,
        "annual_concession_bank": 0.0,
        "explanation_zh": (f"{terms.product_name}：额度{terms.limit:,.0f}元；该户已认定为跃迁家庭，按本行正常年利率"
                           f"{rate:.2%}，不享受财政贴息和银行让利（已签合同在有效期内继续享受贴息）"),
        "explanation_en": (f"{terms.product_code}: limit {terms.limit:,.0f}; the household has risen out of the "
                           f"group, so the bank's normal rate of {rate:.2%} applies with no subsidy and no concession "
                           "(loans already signed keep their subsidy)"),
    })
