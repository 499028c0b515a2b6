"""Whether an offer can be signed: the product is open to the household on the date, the limit and rate in range.

An approval stands only on an executable offer. ``offer_problem`` names what is wrong (in Chinese and English), or
None when the offer can be signed as it is; the Decision builder refers the case when it is not.
"""

from __future__ import annotations

import datetime as dt

from models.policy import Policy
from models.terms.offer import LoanTerms

CAPACITY_CAPS_ZH = "额度受还款能力限制"  # the words a card uses when capacity caps the limit below the request


def capacity_caps(terms: LoanTerms | None) -> bool:
    """True when repayment capacity (scaled by grade), not the request or a cap, sets a limit below the request."""
    return (terms is not None and terms.capacity_limit is not None and not terms.request_capped
            and 0 < terms.limit < terms.requested_amount)


def offer_problem(terms: LoanTerms | None, policy: Policy, household_class: str | None, on: dt.date | None,
                  subsidised: bool) -> tuple[str, str] | None:
    """Why the offer cannot be signed as it stands, or None when it can."""
    if terms is None:
        names = "、".join(p.name for p in policy.products_for(household_class, on, subsidised=subsidised))
        if household_class is None:
            return "家庭类别未知，无法匹配产品，需人工确定", "The household class is unknown: no product can be matched"
        return (f"{household_class}家庭无适用于该用途的产品" + (f"（该类家庭可申请：{names}）" if names else ""),
                f"No product for this purpose is open to a {household_class} household"
                + (f" (it may take: {names})" if names else ""))
    product = policy.product(terms.product_code)
    catalogue = policy.products if subsidised else policy.ordinary_products
    if product is None or product not in catalogue:
        kind_zh, kind_en = ("共富", "共富") if subsidised else ("普通（跃迁家庭）", "ordinary (跃迁)")
        return (f"产品{terms.product_code}不属于{kind_zh}产品目录", f"{terms.product_code} is not in the {kind_en} catalogue")
    if not product.open_to(household_class, on):
        return (f"{product.name}在申请日不向{household_class}家庭开放", f"{product.code} is not open to a "
                f"{household_class} household on the application date")
    if terms.limit < product.min_amount:
        return (f"可申请额度{terms.limit:,.0f}元低于{product.name}最低额度{product.min_amount:,.0f}元",
                f"The limit {terms.limit:,.0f} is below {product.code}'s minimum of {product.min_amount:,.0f}")
    if terms.limit > product.max_amount:
        return (f"额度{terms.limit:,.0f}元超过{product.name}上限{product.max_amount:,.0f}元",
                f"The limit {terms.limit:,.0f} is above {product.code}'s maximum of {product.max_amount:,.0f}")
    if not product.rate_in_band(terms.rate):
        return (f"利率{terms.rate:.2%}不在{product.name}利率区间{product.rate_min:.2%}–{product.rate_max:.2%}内",
                f"The rate {terms.rate:.2%} is outside {product.code}'s band {product.rate_min:.2%}–"
                f"{product.rate_max:.2%}")
    return None
