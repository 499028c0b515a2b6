"""Product, credit limit, rate and subsidy split for an applicant, each figure with the sentence that explains it.

Product: the catalogue's products open to the household's class on the application date (launched by then); the
one for the stated need is offered, the others are listed. A 跃迁 household (no subsidy) is offered the bank's
ordinary product for the need at its ordinary price, never a 共富 product. Limit: the least of the request, the product's and the program's caps, and repayment capacity
scaled by grade, rounded down to the policy's step; below the product's minimum amount the limit is 0 and the note
says so. Capacity: the policy's share of the income left after basic
living costs for every member, less the existing debt service, times the capacity multiple. Rate: a point inside
the product's band set by grade. Subsidy: the gap between the reference rate and the cap, split by the policy.
Every parameter lives in the policy file (``subsidy`` and ``terms`` sections).
"""

from __future__ import annotations

import datetime as dt
import math

from pydantic import BaseModel, ConfigDict, computed_field

from models.policy import Policy, Product

PURPOSE_ZH = {"business": "生产经营", "medical": "就医", "education": "就学", "housing": "安居"}


class FigureNote(BaseModel):
    """One figure of the offer and the sentence that explains it."""

    model_config = ConfigDict(frozen=True)

    figure: str  # product, capacity, limit, rate, subsidy
    value: float | str
    text_zh: str
    text_en: str


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
    alternatives: tuple[str, ...] = ()  # other products the household's class may take
    subsidised: bool = True  # False: the bank's ordinary product at its ordinary price (a 跃迁 household)
    min_amount: float = 0.0  # the product's minimum amount: a limit below it is no offer
    request_capped: bool = False  # True: the request was above the product's cap and the limit was set at the cap
    requested_amount: float = 0.0  # the amount asked for (0: a credit line, or no amount stated)
    capacity_limit: float | None = None  # the limit repayment capacity alone allows (None: income unknown)
    bank_discount_below_cap: float = 0.0  # the bank's further cut when the rate sits below the program cap
    notes: tuple[FigureNote, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def bank_concession_total_rate(self) -> float:
        """All the bank gives up below the reference rate: its share of the gap above the cap and the cut below it."""
        return round(self.bank_concession_rate + self.bank_discount_below_cap, 6)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def annual_concession_bank_total(self) -> float:
        """The bank's whole concession over a year on the full limit (its share and its cut below the cap)."""
        return round(self.limit * self.bank_concession_total_rate, 2)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pricing_zh(self) -> str:
        """The rate's make-up as the card states it, each part named once and adding up as shown."""
        return pricing_text(self)[0]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pricing_en(self) -> str:
        """The rate's make-up in English."""
        return pricing_text(self)[1]


NO_LOAN_ZH = "0 元（不予授信）"  # an offer of 0: nothing lent, so nothing priced


def _hundredths(rate: float) -> int:
    """A rate in hundredths of a percent, as a card shows it (3.70% -> 370)."""
    return round(rate * 10_000)


def _bank_hundredths(t: LoanTerms) -> int:
    """The bank's whole concession in hundredths of a percent, as the shown reference less the shown rate and subsidy."""
    return _hundredths(t.reference_rate) - _hundredths(t.rate) - _hundredths(t.finance_subsidy_rate)


def pricing_text(t: LoanTerms) -> tuple[str, str]:
    """The rate's make-up: rate + county subsidy + bank concession = reference rate, as figures that add up shown.

    The bank's part is one figure (its share of the gap above the cap and its cut below the cap together), stated
    as what the shown reference leaves after the shown rate and subsidy, so the sentence adds up as a reader sums it.
    """
    if not t.subsidised:
        return (f"执行利率{t.rate:.2%}（本行正常价格，无财政贴息和银行让利）",
                f"Rate {t.rate:.2%} (the bank's ordinary price, no subsidy or concession)")
    reference, rate, finance = _hundredths(t.reference_rate), _hundredths(t.rate), _hundredths(t.finance_subsidy_rate)
    bank = _bank_hundredths(t)
    return (f"执行利率{rate / 100:.2f}% + 财政贴息{finance / 100:.2f}% + 银行让利{bank / 100:.2f}% = 参考利率{reference / 100:.2f}%",
            f"rate {rate / 100:.2f}% + county subsidy {finance / 100:.2f}% + bank concession {bank / 100:.2f}% = "
            f"reference rate {reference / 100:.2f}%")


def bank_concession_text(t: LoanTerms) -> str:
    """The bank's concession as one figure with what it is made of and its yearly amount on the full limit."""
    bank = _bank_hundredths(t)
    share = _hundredths(t.bank_concession_rate)
    split = (f"（其中按分担比例{share / 100:.2f}%，执行利率低于项目上限另让{(bank - share) / 100:.2f}%）"
             if bank != share else "")
    return f"{bank / 100:.2f}%{split}，每年约 {t.annual_concession_bank_total:,.2f} 元"


def fitting_products(policy: Policy, household_class: str | None, on: dt.date | None = None,
                     subsidised: bool = True) -> list[Product]:
    """The catalogue's products open to a household class on a date, in catalogue order."""
    return policy.products_for(household_class, on, subsidised=subsidised)


def _known(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def repayment_capacity(policy: Policy, annual_income: float | None, household_size: float | None,
                       monthly_debt_service: float | None) -> tuple[float | None, FigureNote]:
    """The largest limit repayment capacity allows (None when income is unknown), with its sentence."""
    t = policy.terms
    if not _known(annual_income) or annual_income is None or annual_income <= 0:
        return None, FigureNote(figure="capacity", value="unknown",
                                text_zh="家庭年收入未知，无法测算还款能力，额度不以还款能力为限，须人工核实收入",
                                text_en="Household income unknown: capacity cannot be measured; an officer must "
                                        "check the income")
    size_known = _known(household_size) and household_size is not None and household_size >= 1
    size = float(household_size) if size_known and household_size is not None else float(t.default_household_size)
    service = float(monthly_debt_service) if _known(monthly_debt_service) and monthly_debt_service else 0.0
    living = t.living_cost_per_head * size
    yearly_room = t.debt_service_share * (annual_income - living) - 12 * service
    capacity = max(0.0, yearly_room * t.capacity_multiple)
    size_zh = f"{size:.0f}人" + ("" if size_known else "（人口未知，按三口之家计）")
    size_en = f"{size:.0f}" + ("" if size_known else " (size unknown: the base household of three)")
    return capacity, FigureNote(
        figure="capacity", value=round(capacity, 2),
        text_zh=(f"还款能力：家庭年收入{annual_income:,.0f}元，扣除{size_zh}基本生活支出{living:,.0f}元后的"
                 f"{t.debt_service_share:.0%}，再减现有年还款{12 * service:,.0f}元，得可用于新贷款的年还款额"
                 f"{max(yearly_room, 0):,.0f}元，乘以{t.capacity_multiple:g}倍，还款能力额度{capacity:,.0f}元"),
        text_en=(f"Capacity: {t.debt_service_share:.0%} of income {annual_income:,.0f} after basic living costs of "
                 f"{living:,.0f} for {size_en} members, less existing debt service of {12 * service:,.0f} a year, "
                 f"leaves {max(yearly_room, 0):,.0f} a year; × {t.capacity_multiple:g} gives {capacity:,.0f}"),
    )


def _limit_note(product: Product, policy: Policy, grade: str, requested: float, capacity: float | None,
                limit: float, credit_line: bool = False) -> FigureNote:
    t = policy.terms
    share = t.grade_limit_share.get(grade, 0.0)
    graded = "不设上限" if capacity is None else f"{capacity * share:,.0f}元"
    graded_en = "no bound" if capacity is None else f"{capacity * share:,.0f}"
    cap = min(product.max_amount, t.program_cap)
    if credit_line:
        return _line_note(product, policy, grade, share, capacity, graded, graded_en, cap, limit)
    below = (f"，低于{product.name}最低额度{product.min_amount:,.0f}元，可申请额度低于最低额度，不予授信"
             if limit == 0 and requested > 0 else "")
    capped = f"（申请金额超过上限，按上限{cap:,.0f}元测算）" if requested > cap else ""
    return FigureNote(
        figure="limit", value=limit,
        text_zh=(f"额度：取申请金额{requested:,.0f}元、产品及项目上限{cap:,.0f}元{capped}、还款能力额度按评级{grade}"
                 f"折算{share:.0%}后的{graded}三者最小值，按{t.amount_step:,.0f}元取整为{limit:,.0f}元{below}"),
        text_en=(f"Limit: the least of the request {requested:,.0f}, the product and program cap {cap:,.0f}"
                 + (" (the request is above the cap: assessed at the cap)" if capped else "")
                 + f" and capacity at {share:.0%} for grade {grade} ({graded_en}), rounded down to "
                 f"{t.amount_step:,.0f}: {limit:,.0f}"
                 + (f" — below the product's minimum of {product.min_amount:,.0f}, no loan" if below else "")),
    )


def _line_note(product: Product, policy: Policy, grade: str, share: float, capacity: float | None, graded: str,
               graded_en: str, cap: float, limit: float) -> FigureNote:
    """The sentence of a credit line (授信额度): no request, so the least of the cap and the graded capacity."""
    step = policy.terms.amount_step
    below = (f"，低于{product.name}最低额度{product.min_amount:,.0f}元，暂不授信" if limit == 0 else "")
    return FigureNote(
        figure="limit", value=limit,
        text_zh=(f"授信额度：取{product.name}及项目上限{cap:,.0f}元、还款能力额度按评级{grade}折算{share:.0%}后的"
                 f"{graded}两者较小值，按{step:,.0f}元取整为{limit:,.0f}元{below}"),
        text_en=(f"Credit line: the lesser of the product and program cap {cap:,.0f} and capacity at {share:.0%} for "
                 f"grade {grade} ({graded_en}), rounded down to {step:,.0f}: {limit:,.0f}"
                 + (f" — below {product.code}'s minimum of {product.min_amount:,.0f}, no line" if limit == 0 else "")),
    )


def offer_terms(policy: Policy, purpose: str | None, household_class: str | None, grade: str,
                requested_amount: float, annual_income: float | None, *, household_size: float | None = None,
                monthly_debt_service: float | None = None, on: dt.date | None = None,
                subsidised: bool = True, credit_line: bool = False) -> LoanTerms | None:
    """The fitting product and its terms, or None when the catalogue has no product for this need and class.

    ``on``: the application date (products not launched by then are not offered). ``subsidised=False``: the bank's
    ordinary product for the need at its ordinary price, with no subsidy (a 跃迁 household). ``credit_line``: a
    pre-approved line for a household on the list (整村授信) with no request: the product is its class's one for the
    first of the policy's ``terms.credit_line_purposes`` open to it (unless a purpose is given), and the limit is
    what capacity, grade and the caps allow.
    """
    open_to_class = fitting_products(policy, household_class, on, subsidised)
    if credit_line and purpose is None:
        purpose = next((want for want in policy.terms.credit_line_purposes
                        if any(p.purpose == want for p in open_to_class)), None)
    products = [p for p in open_to_class if p.purpose == purpose]
    if not products:
        return None
    product = products[0]
    if credit_line:
        requested_amount = 0.0
    if not subsidised:
        return _ordinary_terms(policy, product, household_class, grade, requested_amount, annual_income,
                               household_size, monthly_debt_service, credit_line)
    t, sub = policy.terms, policy.subsidy
    sized = _size(policy, product, grade, requested_amount, annual_income, household_size, monthly_debt_service)
    requested, capacity, capacity_note, limit, position, rate = sized
    below_cap = round(max(sub.rate_cap - rate, 0.0), 6)
    alternatives = tuple(p.code for p in open_to_class if p.code != product.code)
    notes = (
        FigureNote(figure="product", value=product.code,
                   text_zh=(f"产品：{household_class}家庭、用途为{PURPOSE_ZH.get(str(purpose), purpose)}，适用{product.name}（{product.code}）"
                            + (f"；该类家庭还可申请{'、'.join(alternatives)}" if alternatives else "")),
                   text_en=(f"Product: a {household_class} household borrowing for {purpose} takes {product.code}"
                            + (f"; its class may also take {', '.join(alternatives)}" if alternatives else ""))),
        capacity_note,
        _limit_note(product, policy, grade, requested, capacity, float(limit), credit_line),
        FigureNote(figure="rate", value=rate,
                   text_zh=(f"利率：{product.name}利率区间{product.rate_min:.2%}–{product.rate_max:.2%}，评级{grade}"
                            f"取区间{position:.0%}分位，年利率{rate:.2%}"),
                   text_en=(f"Rate: band {product.rate_min:.2%}–{product.rate_max:.2%}; grade {grade} sits at "
                            f"{position:.0%} of it: {rate:.2%}")),
        FigureNote(figure="subsidy", value=sub.finance_points,
                   text_zh=(f"贴息：参考利率{sub.reference_rate:.2%}高出项目上限{sub.rate_cap:.2%}的"
                            f"{sub.reference_rate - sub.rate_cap:.2%}，由县财政贴息{sub.finance_points:.2%}、银行分担"
                            f"{sub.bank_points:.2%}"
                            + (f"，执行利率低于上限的{below_cap:.2%}由银行另让，银行共让利{sub.bank_points + below_cap:.2%}"
                               if below_cap else "")
                            + f"；按额度全年计，财政贴息约{limit * sub.finance_points:,.2f}元"),
                   text_en=(f"Subsidy: the {sub.reference_rate - sub.rate_cap:.2%} between the reference rate "
                            f"{sub.reference_rate:.2%} and the {sub.rate_cap:.2%} cap is paid {sub.finance_points:.2%} "
                            f"by the county and {sub.bank_points:.2%} by the bank; about "
                            f"{limit * sub.finance_points:,.2f} a year on the full limit"
                            + (f"; the bank also forgoes the {below_cap:.2%} below the cap" if below_cap else ""))),
    )
    return LoanTerms(
        product_code=product.code, product_name=product.name, limit=float(limit), rate=rate,
        reference_rate=sub.reference_rate, finance_subsidy_rate=sub.finance_points,
        bank_concession_rate=sub.bank_points,
        annual_subsidy_finance=round(limit * sub.finance_points, 2),
        annual_concession_bank=round(limit * sub.bank_points, 2),
        explanation_zh="；".join(n.text_zh for n in notes[1:4]),
        explanation_en="; ".join(n.text_en for n in notes[1:4]),
        alternatives=alternatives, capacity_limit=None if capacity is None else round(capacity, 2),
        bank_discount_below_cap=below_cap, notes=notes, min_amount=product.min_amount,
        request_capped=requested > min(product.max_amount, t.program_cap), requested_amount=requested,
    )


def _size(policy: Policy, product: Product, grade: str, requested_amount: float, annual_income: float | None,
          household_size: float | None, monthly_debt_service: float | None,
          ) -> tuple[float, float | None, FigureNote, float, float, float]:
    """(request, repayment capacity, its note, limit, rate position, rate) of a product for a grade.

    The limit is the request (or the product's maximum), within the product's and the program's caps and the
    grade's share of the repayment capacity, rounded down to the policy's step; the rate sits at the grade's
    position in the product's band. Subsidised and ordinary offers are sized the same way.
    """
    t = policy.terms
    requested = float(requested_amount) if _known(requested_amount) and requested_amount > 0 else 0.0
    capacity, capacity_note = repayment_capacity(policy, annual_income, household_size, monthly_debt_service)
    share = t.grade_limit_share.get(grade, 0.0)
    bound = min(requested if requested > 0 else product.max_amount, product.max_amount, t.program_cap)
    if capacity is not None:
        bound = min(bound, capacity * share)
    position = t.grade_rate_position.get(grade, 1.0)
    return requested, capacity, capacity_note, _limit(policy, product, bound), position, _rate(product, position)


def _limit(policy: Policy, product: Product, bound: float) -> float:
    """The bound rounded down to the policy's step; 0 when that is below the product's minimum amount."""
    step = policy.terms.amount_step
    limit = math.floor(bound / step) * step
    return float(limit) if limit >= product.min_amount else 0.0


def _rate(product: Product, position: float) -> float:
    return round(product.rate_min + (product.rate_max - product.rate_min) * position, 6)


def _ordinary_terms(policy: Policy, product: Product, household_class: str | None, grade: str,
                    requested_amount: float, annual_income: float | None, household_size: float | None,
                    monthly_debt_service: float | None, credit_line: bool = False) -> LoanTerms:
    """The bank's ordinary product at its ordinary price: no subsidy, no concession, outside the 共富 figures."""
    t = policy.terms
    sized = _size(policy, product, grade, requested_amount, annual_income, household_size, monthly_debt_service)
    requested, capacity, capacity_note, limit, position, rate = sized
    notes = (
        FigureNote(figure="product", value=product.code,
                   text_zh=(f"产品：该户已认定为跃迁家庭，不再享受新的共富贷款贴息，适用本行普通产品{product.name}"
                            f"（{product.code}），不计入共富贷统计；已签共富贷合同在有效期内继续享受贴息"),
                   text_en=(f"Product: the household has risen out of the group (跃迁), so no new subsidised 共富 loan; "
                            f"the bank's ordinary {product.code} applies, outside the 共富 figures (loans already "
                            "signed keep their subsidy)")),
        capacity_note,
        _limit_note(product, policy, grade, requested, capacity, limit, credit_line),
        FigureNote(figure="rate", value=rate,
                   text_zh=(f"利率：{product.name}为本行正常价格，年利率{rate:.2%}，不享受财政贴息和银行让利"),
                   text_en=f"Rate: the bank's ordinary price for {product.code}, {rate:.2%}, no subsidy or concession"),
    )
    return LoanTerms(
        product_code=product.code, product_name=product.name, limit=limit, rate=rate, reference_rate=rate,
        finance_subsidy_rate=0.0, bank_concession_rate=0.0, annual_subsidy_finance=0.0, annual_concession_bank=0.0,
        explanation_zh="；".join(n.text_zh for n in notes),
        explanation_en="; ".join(n.text_en for n in notes),
        alternatives=(), capacity_limit=None if capacity is None else round(capacity, 2), notes=notes,
        subsidised=False, min_amount=product.min_amount,
        request_capped=requested > min(product.max_amount, t.program_cap), requested_amount=requested,
    )
