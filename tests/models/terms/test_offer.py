"""Products, limits and pricing: hand-worked examples, caps, bands, and a sentence for every figure."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from models.policy import Policy, PolicyError, load_policy
from models.terms.check import offer_problem
from models.terms.offer import fitting_products, offer_terms


def test_hand_worked_limit_and_rate(policy: Policy) -> None:
    # given a 经营类 household of 3 earning 90,000 with 500 a month of existing debt service, grade B
    # living costs 3 × 12,000 = 36,000; room 0.6 × 54,000 − 6,000 = 26,400; capacity 4 × 26,400 = 105,600
    terms = offer_terms(policy, "business", "经营类", "B", 200_000, 90_000, household_size=3,
                        monthly_debt_service=500)
    # then the limit is capacity rounded down to a thousand, the rate a quarter up the 3.6–3.8% band
    assert terms is not None
    assert terms.product_code == "GF-JY"
    assert terms.capacity_limit == pytest.approx(105_600)
    assert terms.limit == 105_000
    assert terms.rate == pytest.approx(0.0365)
    assert terms.annual_subsidy_finance == pytest.approx(105_000 * 0.018)
    assert terms.bank_discount_below_cap == pytest.approx(0.0015)


def test_a_lower_grade_lowers_the_limit_and_raises_the_rate(policy: Policy) -> None:
    # given the same household at grade C: 0.8 × 105,600 = 84,480 → 84,000 at the middle of the band
    terms = offer_terms(policy, "business", "经营类", "C", 200_000, 90_000, household_size=3,
                        monthly_debt_service=500)
    assert terms is not None
    assert terms.limit == 84_000
    assert terms.rate == pytest.approx(0.037)


def test_the_request_and_the_program_cap_bound_the_limit(policy: Policy) -> None:
    small = offer_terms(policy, "housing", "就业类", "A", 30_000, 90_000, household_size=3)
    rich = offer_terms(policy, "business", "经营类", "A", 900_000, 2_000_000, household_size=2)
    assert small is not None and small.limit == 30_000
    assert rich is not None and rich.limit == 500_000


def test_no_room_for_repayment_means_no_loan_and_says_so(policy: Policy) -> None:
    # given income 40,000 for 3 with 1,000 a month already due: 0.6 × 4,000 − 12,000 < 0
    terms = offer_terms(policy, "medical", "托底类", "A", 50_000, 40_000, household_size=3,
                        monthly_debt_service=1_000)
    assert terms is not None
    assert terms.capacity_limit == 0
    assert terms.limit == 0
    assert "不予授信" in next(n.text_zh for n in terms.notes if n.figure == "limit")


def test_unknown_size_uses_the_base_household_of_three_and_says_so(policy: Policy) -> None:
    known = offer_terms(policy, "education", "就业类", "A", 500_000, 90_000, household_size=3)
    unknown = offer_terms(policy, "education", "就业类", "A", 500_000, 90_000)
    assert known is not None and unknown is not None
    assert unknown.limit == known.limit
    assert "人口未知" in next(n.text_zh for n in unknown.notes if n.figure == "capacity")


def test_unknown_income_is_flagged_for_a_person(policy: Policy) -> None:
    terms = offer_terms(policy, "education", "就业类", "A", 80_000, None)
    assert terms is not None and terms.capacity_limit is None and terms.limit == 80_000
    assert "人工核实" in next(n.text_zh for n in terms.notes if n.figure == "capacity")


def test_no_product_for_a_need_the_class_cannot_take_before_its_product_is_launched(policy: Policy) -> None:
    # given the catalogue: 共富经营贷 is for 经营类 and 农户类; 共富创业贷 (就业类, 托底类) launches on 2024-01-01
    before, after = dt.date(2023, 10, 1), dt.date(2024, 3, 1)
    assert offer_terms(policy, "business", "就业类", "A", 100_000, 90_000, on=before) is None
    assert [p.code for p in fitting_products(policy, "就业类", before)] == ["GF-YL", "GF-XX", "GF-AJ"]
    terms = offer_terms(policy, "business", "就业类", "A", 100_000, 90_000, on=after)
    assert terms is not None and terms.product_code == "GF-CY" and terms.subsidised
    assert [p.code for p in fitting_products(policy, "就业类", after)] == ["GF-YL", "GF-XX", "GF-AJ", "GF-CY"]


def test_a_risen_household_gets_the_ordinary_product_at_its_ordinary_price(policy: Policy) -> None:
    # given a 跃迁 household asking for a business loan
    terms = offer_terms(policy, "business", "经营类", "A", 100_000, 200_000, household_size=3,
                        on=dt.date(2025, 3, 1), subsidised=False)
    # then the offer is the bank's ordinary product, inside its own band, with no subsidy at all
    assert terms is not None and terms.product_code in {p.code for p in policy.ordinary_products}
    assert terms.product_code not in {p.code for p in policy.products}
    product = policy.product(terms.product_code)
    assert product is not None and product.rate_in_band(terms.rate) and terms.rate > policy.subsidy.rate_cap
    assert (terms.annual_subsidy_finance, terms.annual_concession_bank, terms.subsidised) == (0.0, 0.0, False)
    assert "跃迁" in terms.explanation_zh and "不计入共富贷统计" in terms.explanation_zh


def test_a_limit_below_the_product_minimum_is_no_offer_and_says_so(policy: Policy) -> None:
    # given capacity that allows a few thousand yuan only
    terms = offer_terms(policy, "medical", "托底类", "A", 50_000, 26_000, household_size=2)
    assert terms is not None and terms.limit == 0
    assert offer_problem(terms, policy, "托底类", None, True) is not None
    assert "低于最低额度" in next(n.text_zh for n in terms.notes if n.figure == "limit")


@pytest.mark.parametrize("grade", ["A", "B", "C", "D", "E"])
def test_every_rate_sits_in_the_band_and_every_figure_has_its_sentence(policy: Policy, grade: str) -> None:
    terms = offer_terms(policy, "medical", "农户类", grade, 60_000, 120_000, household_size=4)
    assert terms is not None
    product = next(p for p in policy.products if p.code == terms.product_code)
    assert product.rate_min <= terms.rate <= product.rate_max <= policy.subsidy.rate_cap
    assert [n.figure for n in terms.notes] == ["product", "capacity", "limit", "rate", "subsidy"]
    limit_note = next(n for n in terms.notes if n.figure == "limit")
    assert f"{terms.limit:,.0f}" in limit_note.text_zh and f"{terms.limit:,.0f}" in limit_note.text_en
    assert f"{terms.rate:.2%}" in next(n.text_zh for n in terms.notes if n.figure == "rate")
    assert terms.alternatives and terms.product_code not in terms.alternatives


def test_bad_terms_parameters_are_refused_naming_the_key(tmp_path: Path) -> None:
    # given the packaged policy with a grade share above 1
    text = resources.files("models.policy").joinpath("shengsi-2023-41.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("grade_limit_share: {A: 1.0,", "grade_limit_share: {A: 1.5,"), encoding="utf-8")
    # when loaded, then the error names the terms section
    with pytest.raises(PolicyError, match="terms"):
        load_policy(bad)


def test_a_credit_line_is_hand_worked_from_capacity_grade_and_the_caps(policy: Policy) -> None:
    # given households on the list with no request (整村授信), grade C: 80% of capacity
    # a 经营类 household of 3 earning 90,000 with 500 a month of debt service: capacity 105,600 (as above)
    line = offer_terms(policy, None, "经营类", "C", 0.0, 90_000, household_size=3, monthly_debt_service=500,
                       on=dt.date(2025, 7, 1), credit_line=True)
    # a 就业类 household of 2 earning 600,000: capacity far above the cap, so the product's maximum
    rich = offer_terms(policy, None, "就业类", "A", 0.0, 600_000, household_size=2, on=dt.date(2025, 7, 1),
                       credit_line=True)
    # a 托底类 household of 4 earning 50,000: 0.6 × (50,000 − 48,000) × 4 = 4,800, below the 10,000 minimum
    poor = offer_terms(policy, None, "托底类", "A", 0.0, 50_000, household_size=4, on=dt.date(2025, 7, 1),
                       credit_line=True)
    # then the line is 80% of capacity rounded down to a thousand, under the business product of the class
    assert line is not None and line.product_code == "GF-JY"
    assert line.limit == 84_000  # 0.8 × 105,600 = 84,480
    assert line.rate == pytest.approx(0.037)
    assert "授信额度" in line.explanation_zh and "申请金额" not in line.explanation_zh
    # and a 就业类 household's line is under 共富创业贷 (business, launched 2024), at the product's maximum
    assert rich is not None and (rich.product_code, rich.limit) == ("GF-CY", 500_000)
    # and a line below the product's minimum is none, which the offer check names
    assert poor is not None and poor.limit == 0
    problem = offer_problem(poor, policy, "托底类", dt.date(2025, 7, 1), True)
    assert problem is not None and "最低额度" in problem[0]


def test_before_its_business_product_a_class_takes_its_line_under_the_next_purpose(policy: Policy) -> None:
    # given a 就业类 household before 共富创业贷 was launched (2024-01-01)
    line = offer_terms(policy, None, "就业类", "A", 0.0, 90_000, household_size=3, on=dt.date(2023, 9, 1),
                       credit_line=True)
    # then the line is under the first purpose of terms.credit_line_purposes open to it then (housing)
    assert policy.terms.credit_line_purposes[:2] == ("business", "housing")
    assert line is not None and line.product_code == "GF-AJ"
