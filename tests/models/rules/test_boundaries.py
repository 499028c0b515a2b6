"""Boundary tests of the rules: birthdays, the income cap for sizes 1-6, 连三累六, every missing field."""

from __future__ import annotations

import datetime as dt

import pytest

from models.rules import (
    RULE_FIELDS,
    RULES,
    completed_years,
    conditions_of,
    eligibility_status,
    evaluate_rules,
)
from tests.models.rules.rule_rows import APPLIED, id_born, passing_row


def _one(code: str, row: dict, policy):
    return RULES[code](row, policy)


def test_the_passing_row_passes_every_rule(policy):
    # given the hand-made applicant; when every rule runs; then each passes and the verdict is pass, subsidised
    results = evaluate_rules(passing_row(), policy)
    assert [r.code for r in results] == list(policy.rules)
    assert {r.outcome for r in results} == {"pass"}
    assert eligibility_status(results) == ("pass", True)


@pytest.mark.parametrize(("years", "offset_days", "outcome"), [
    (18, -1, "fail"), (18, 0, "pass"), (18, 1, "pass"),
    (66, -1, "pass"), (66, 0, "fail"), (66, 1, "fail"),
])
def test_age_around_the_18th_and_66th_birthday(policy, years, offset_days, outcome):
    # given an applicant born on 15 June, applying the day before / of / after a birthday
    born = dt.date(2000, 6, 15)
    applied = dt.date(born.year + years, 6, 15) + dt.timedelta(days=offset_days)
    row = passing_row(id_number=id_born(born), as_of=applied)
    # when AGE runs; then 18 ≤ completed years ≤ 65 decides
    result = _one("AGE", row, policy)
    assert result.outcome == outcome
    assert result.value == completed_years(born, applied)


def test_age_of_a_29_february_birthday_completes_on_1_march_in_a_common_year(policy):
    born = dt.date(2004, 2, 29)
    assert _one("AGE", passing_row(id_number=id_born(born), as_of=dt.date(2022, 2, 28)), policy).outcome == "fail"
    assert _one("AGE", passing_row(id_number=id_born(born), as_of=dt.date(2022, 3, 1)), policy).outcome == "pass"


def test_age_counted_from_the_day_after_the_birthday_is_a_policy_setting(policy):
    # given the reading that a year completes the day after the birthday
    strict = policy.model_copy(update={"eligibility": policy.eligibility.model_copy(
        update={"age_counted_from": "day_after_birthday"})})
    born = dt.date(2000, 6, 15)
    on_birthday = passing_row(id_number=id_born(born), as_of=dt.date(2018, 6, 15))
    # then on the 18th birthday itself the applicant is still 17
    assert _one("AGE", on_birthday, strict).outcome == "fail"
    assert _one("AGE", on_birthday, policy).outcome == "pass"


def test_visit_form_age_far_from_the_id_sends_the_case_to_a_person(policy):
    # given an ID saying 44 at the application, the form saying 44, 45 (tolerance 1) or 70 (another person's ID)
    born = dt.date(1980, 3, 1)
    ok = _one("AGE", passing_row(id_number=id_born(born), applicant_age_on_form=44.0), policy)
    near = _one("AGE", passing_row(id_number=id_born(born), applicant_age_on_form=45.0), policy)
    far = _one("AGE", passing_row(id_number=id_born(born), applicant_age_on_form=70.0), policy)
    assert (ok.outcome, near.outcome, far.outcome) == ("pass", "pass", "cannot_decide")
    assert "采集表" in far.message_zh


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_income_exactly_at_the_cap_passes_and_a_fen_more_fails(policy, size):
    # given the per-head reading: cap = 100,000 × size / 3, compared in whole fen
    cap = round(100_000 * size / 3, 2)
    at = _one("INCOME_CAP", passing_row(household_size=float(size), declared_income=cap), policy)
    exact = _one("INCOME_CAP", passing_row(household_size=float(size), declared_income=100_000 * size / 3), policy)
    over = _one("INCOME_CAP", passing_row(household_size=float(size), declared_income=cap + 0.01), policy)
    assert (at.outcome, exact.outcome, over.outcome) == ("pass", "pass", "fail")
    assert at.threshold == cap


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_flat_income_cap_is_the_same_for_every_size(policy, size):
    flat = policy.model_copy(update={"eligibility": policy.eligibility.model_copy(
        update={"income_cap_scaling": "flat"})})
    assert _one("INCOME_CAP", passing_row(household_size=float(size), declared_income=100_000.0), flat).outcome \
        == "pass"
    assert _one("INCOME_CAP", passing_row(household_size=float(size), declared_income=100_000.01), flat).outcome \
        == "fail"


@pytest.mark.parametrize(("consecutive", "cumulative", "outcome"), [
    (2, 2, "pass"), (3, 3, "fail"), (2, 5, "pass"), (2, 6, "fail"), (0, 0, "pass"),
])
def test_lian3_lei6_exactly_three_consecutive_or_six_cumulative_fails(policy, consecutive, cumulative, outcome):
    row = passing_row(max_consecutive_overdue_24m=float(consecutive), overdue_months_24m=float(cumulative))
    assert _one("CREDIT", row, policy).outcome == outcome


@pytest.mark.parametrize(("field", "value"), [
    ("overdue_current", 1.0), ("bad_status_24m", 1.0), ("worst_five_class", 2.0),
])
def test_credit_fails_on_current_overdue_bad_status_and_substandard(policy, field, value):
    assert _one("CREDIT", passing_row(**{field: value}), policy).outcome == "fail"
    assert _one("CREDIT", passing_row(worst_five_class=1.0), policy).outcome == "pass"  # 关注 is allowed


def test_a_shared_credit_verdict_follows_the_policy_it_was_reached_under(policy):
    # given one record with three consecutive overdue months, judged under the default 连三 (3) first
    row = passing_row(max_consecutive_overdue_24m=3.0, overdue_months_24m=3.0)
    assert _one("CREDIT", row, policy).outcome == "fail"
    # when a policy that tolerates four consecutive months judges the same record after it
    lenient = policy.model_copy(update={"eligibility": policy.eligibility.model_copy(update={
        "credit": policy.eligibility.credit.model_copy(update={"consecutive_overdue_months": 4})})})
    verdict = _one("CREDIT", row, lenient)
    # then it passes there, says so in its own threshold, and the default policy still fails it
    assert verdict.outcome == "pass"
    assert "连续逾期<4个月" in verdict.threshold
    assert _one("CREDIT", row, policy).outcome == "fail"
    # and the record read as text or integers is the same verdict as read as floats
    as_text = passing_row(max_consecutive_overdue_24m="3", overdue_months_24m=3)
    assert _one("CREDIT", as_text, policy) == _one("CREDIT", row, policy)


# Each field a rule needs, and the rule that must then say cannot decide.
NEEDED = [("id_number", "ID_VALID"), ("id_number", "AGE"), ("as_of", "AGE"), ("fixed_residence", "RESIDENCE"),
          ("residence_township", "RESIDENCE"), ("civil_capacity", "CIVIL_CAPACITY"),
          ("overdue_current", "CREDIT"), ("max_consecutive_overdue_24m", "CREDIT"), ("overdue_months_24m", "CREDIT"),
          ("bad_status_24m", "CREDIT"), ("worst_five_class", "CREDIT"), ("declared_income", "INCOME_CAP"),
          ("household_size", "INCOME_CAP"), ("on_list", "ON_LIST"), ("requested_amount", "AMOUNT_CAP"),
          ("declaration_signed", "DECLARATION")]


# Free-text fields: any text is a reading (a wrong ID number fails ID_VALID), so "unreadable" is no test for them.
_TEXT_FIELDS = ("id_number", "residence_township", "civil_capacity")
CASES = [(field, code, empty) for field, code in NEEDED for empty in (None, float("nan"), "", "unreadable")
         if not (empty == "unreadable" and field in _TEXT_FIELDS)]


@pytest.mark.parametrize(("field", "code", "empty"), CASES)
def test_each_missing_field_means_cannot_decide_never_pass(policy, field, code, empty):
    # given a passing row with one needed field missing (or unreadable)
    row = passing_row(**{field: empty})
    # when the rule runs; then it cannot decide and the case goes to a person
    result = _one(code, row, policy)
    assert result.outcome == "cannot_decide", (field, code, result)
    assert eligibility_status(evaluate_rules(row, policy))[0] == "cannot_decide"


def test_every_field_a_rule_reads_is_listed(policy):
    # the rule-input list is what the Decision builder hands the rules: a field outside it would read as missing
    assert set(passing_row()) <= set(RULE_FIELDS)


def test_upward_mobility_means_no_subsidy_not_a_decline(policy):
    # given a household flagged 跃迁 before applying, now over the cap and off the list
    row = passing_row(upward_mobility_flagged_on="2024-03-01", upward_mobility_evidence="revisit income",
                      declared_income=150_000.0, on_list=False, declaration_signed=False)
    results = {r.code: r for r in evaluate_rules(row, policy)}
    # then the program rules fail with no subsidy as their effect, and the verdict is pass without subsidy
    assert results["UPWARD_MOBILITY"].outcome == "fail"
    assert {results[c].effect for c in ("INCOME_CAP", "ON_LIST", "DECLARATION")} == {"no_subsidy"}
    assert eligibility_status(list(results.values())) == ("pass", False)


def test_a_flag_after_the_application_date_does_not_count(policy):
    row = passing_row(upward_mobility_flagged_on=APPLIED + dt.timedelta(days=1))
    assert _one("UPWARD_MOBILITY", row, policy).outcome == "pass"


def test_the_same_over_cap_household_without_a_flag_is_declined(policy):
    results = evaluate_rules(passing_row(declared_income=150_000.0), policy)
    assert eligibility_status(results) == ("fail", False)


def test_unsigned_declaration_is_a_condition_precedent_not_a_referral(policy):
    # PROGRAM.md rule 7: signed before disbursement; the credit decision is taken on its merits meanwhile
    results = evaluate_rules(passing_row(declaration_signed=False), policy)
    declaration = next(r for r in results if r.code == "DECLARATION")
    assert (declaration.outcome, declaration.effect) == ("fail", "condition")
    assert eligibility_status(results) == ("pass", True)
    assert [c.text_zh for c in conditions_of(results)] == ["放款前提条件：签署扩中家庭身份承诺书"]
    # signed: no condition; unknown: a person checks
    assert conditions_of(evaluate_rules(passing_row(declaration_signed=True), policy)) == []
    assert eligibility_status(evaluate_rules(passing_row(declaration_signed=None), policy))[0] == "cannot_decide"


def test_residence_outside_the_county_fails(policy):
    assert _one("RESIDENCE", passing_row(residence_township="定海区"), policy).outcome == "fail"
    assert _one("RESIDENCE", passing_row(fixed_residence=False), policy).outcome == "fail"


def test_amount_cap_reads_the_product_limit(policy):
    within = _one("AMOUNT_CAP", passing_row(requested_amount=500_000.0), policy)
    above = _one("AMOUNT_CAP", passing_row(requested_amount=500_000.01), policy)
    assert within.outcome == "pass" and "按上限" not in within.message_zh
    # docs/rules.md: a request above the cap is assessed at the cap (the offer says so), not declined
    assert above.outcome == "pass" and "按上限500,000元测算额度" in above.message_zh
    assert _one("AMOUNT_CAP", passing_row(requested_amount=0.0), policy).outcome == "fail"


def test_messages_never_show_the_id_number(policy):
    number = id_born(dt.date(1980, 3, 1))
    row = passing_row(id_number=number)
    for result in evaluate_rules(row, policy):
        text = f"{result.message_zh} {result.message_en} {result.value} {result.threshold}"
        assert number not in text
        assert "id_number" not in row
