"""Eligibility rules of the program: pure functions of one applicant's values and the policy, each a trace.

Every rule returns a ``RuleResult`` (code, pass / fail / cannot decide, the applicant's value, the threshold, a
message in Chinese and English). Missing data gives ``cannot_decide`` (refer to a person), never a pass. What a
fail does is the rule's ``effect``: ``decline`` knocks the applicant out, ``refer`` sends the case to a person
first, ``no_subsidy`` leaves a loan at the bank's normal terms without the program's subsidy, ``condition`` leaves
the credit decision to its merits and makes the rule a condition precedent to disbursement. The rules live in
``models.rules.person`` (the applicant) and ``models.rules.program`` (the household's place in the program).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from models.policy import Policy
from models.rules.person import (
    CREDIT_FIELDS,
    age_column,
    completed_years,
    id_valid_column,
    rule_age,
    rule_civil_capacity,
    rule_credit,
    rule_id_valid,
    rule_residence,
)
from models.rules.program import (
    CONDITIONS_PRECEDENT,
    income_observed_column,
    product_for,
    rule_amount_cap,
    rule_declaration,
    rule_income_cap,
    rule_income_consistent,
    rule_income_observed,
    rule_on_list,
    rule_upward_mobility,
)
from models.rules.result import Effect, Outcome, RuleColumn, RuleResult

CONDITION_LEAD_ZH = "放款前提条件："  # how a card, a note and a file introduce a condition precedent

Status = Literal["pass", "fail", "cannot_decide"]
Rule = Callable[[Mapping[str, Any], Policy], RuleResult]

RULES: dict[str, Rule] = {
    "ID_VALID": rule_id_valid,
    "AGE": rule_age,
    "RESIDENCE": rule_residence,
    "CIVIL_CAPACITY": rule_civil_capacity,
    "CREDIT": rule_credit,
    "INCOME_CAP": rule_income_cap,
    "INCOME_CONSISTENT": rule_income_consistent,
    "INCOME_OBSERVED": rule_income_observed,
    "ON_LIST": rule_on_list,
    "UPWARD_MOBILITY": rule_upward_mobility,
    "AMOUNT_CAP": rule_amount_cap,
    "DECLARATION": rule_declaration,
}
# The rules whose trace carries each row's own value, also written over whole columns (``name_column(columns,
# policy, n)``): the rule on one row is that function on one-cell columns, so both ways are the same code.
ColumnRule = Callable[[Mapping[str, Any], Policy, int], RuleColumn]
COLUMN_RULES: dict[str, ColumnRule] = {
    "ID_VALID": id_valid_column,
    "AGE": age_column,
    "INCOME_OBSERVED": income_observed_column,
}
# The inputs each rule reads (a rule is a pure function of these and the policy: rows that agree on them share its
# verdict, which is what lets ``models.rules.frame`` run a rule once per distinct combination over a whole frame).
RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "ID_VALID": ("applicant_id_masked", "id_valid"),
    "AGE": ("applicant_birth_date", "as_of", "applicant_age_on_form", "visit_age_days", "applicant_relation"),
    "RESIDENCE": ("fixed_residence", "residence_township"),
    "CIVIL_CAPACITY": ("civil_capacity", "applicant_relation"),
    "CREDIT": CREDIT_FIELDS,
    "INCOME_CAP": ("declared_income", "household_size"),
    "INCOME_CONSISTENT": ("declared_income_total", "declared_income_sources"),
    "INCOME_OBSERVED": ("declared_income", "observed_income_12m"),
    "ON_LIST": ("final_list_status", "final_list_version", "on_list", "list_status", "list_changed_on",
                "list_evidence"),
    "UPWARD_MOBILITY": ("upward_mobility_flagged_on", "as_of", "upward_mobility_evidence"),
    "AMOUNT_CAP": ("requested_amount", "purpose", "household_class", "as_of", "credit_line"),
    "DECLARATION": ("declaration_signed",),
}
# Every input any rule reads (the feature builder's rule-input columns plus a few of its features).
RULE_FIELDS = ("applicant_id_masked", "id_valid", "applicant_birth_date", "as_of", "applicant_age_on_form",
               "applicant_relation", "visit_age_days", "fixed_residence", "residence_township", "civil_capacity",
               *CREDIT_FIELDS, "declared_income", "declared_income_total", "declared_income_sources",
               "observed_income_12m", "household_size", "on_list", "list_status", "list_changed_on", "list_evidence",
               "final_list_status", "final_list_version", "upward_mobility_flagged_on", "upward_mobility_evidence",
               "requested_amount", "purpose", "household_class", "declaration_signed")


def evaluate_rules(row: Mapping[str, Any], policy: Policy) -> list[RuleResult]:
    """Every rule the policy lists, in its order, with a 跃迁 household's program-rule fails set to no subsidy."""
    results = [RULES[code](row, policy) for code in policy.rules]
    return settle_upward_mobility(results, policy)


def settle_upward_mobility(results: list[RuleResult], policy: Policy) -> list[RuleResult]:
    """For a household flagged 跃迁, failing the program rules means no subsidy, not a decline.

    It has risen out of the group (income over the cap, dropped from the list, cannot sign the 扩中 declaration)
    and may still borrow at the bank's normal terms.
    """
    risen = any(r.code == "UPWARD_MOBILITY" and r.outcome == "fail" for r in results)
    if not risen:
        return results
    program = set(policy.upward_mobility.program_rules)
    return [r.model_copy(update={"effect": "no_subsidy"}) if r.code in program and r.outcome == "fail" else r
            for r in results]


def eligibility_status(results: list[RuleResult]) -> tuple[Status, bool]:
    """The rule layer's verdict and whether a new loan may carry the program's subsidy.

    ``fail`` when a knock-out rule fails; ``cannot_decide`` when data is missing or a rule sends the case to a
    person; otherwise ``pass``. A ``no_subsidy`` fail leaves the verdict at pass but takes the subsidy away; a
    ``condition`` fail leaves it at pass too (the loan waits for the condition at disbursement, ``conditions_of``).
    """
    effects: set[tuple[Outcome, Effect]] = {(r.outcome, r.effect) for r in results}
    if ("fail", "decline") in effects:
        status: Status = "fail"
    elif any(outcome == "cannot_decide" or effect == "refer" and outcome == "fail" for outcome, effect in effects):
        status = "cannot_decide"
    else:
        status = "pass"
    subsidised = status != "fail" and ("fail", "no_subsidy") not in effects
    return status, subsidised


class Condition(BaseModel):
    """A condition precedent to disbursement an approval carries (放款前提条件), from the rule that asks for it."""

    model_config = ConfigDict(frozen=True)

    code: str
    text_zh: str
    text_en: str


def conditions_of(results: list[RuleResult]) -> list[Condition]:
    """The conditions precedent still open: every failed rule whose effect is ``condition``, in the policy's order.

    A condition's words are its rule's, from ``CONDITIONS_PRECEDENT`` alone (never a row's own message), so rows with
    one pattern of outcomes share them: the batch reads them a pattern at a time.
    """
    out = []
    for r in results:
        if r.outcome == "fail" and r.effect == "condition":
            zh, en = CONDITIONS_PRECEDENT[r.code]
            out.append(Condition(code=r.code, text_zh=f"{CONDITION_LEAD_ZH}{zh}",
                                 text_en=f"Condition precedent to disbursement: {en}"))
    return out


__all__ = ["COLUMN_RULES", "CONDITION_LEAD_ZH", "RULES", "RULE_FIELDS", "RULE_INPUTS", "Condition", "Outcome",
           "RuleColumn", "RuleResult", "Status", "completed_years", "conditions_of", "eligibility_status",
           "evaluate_rules", "product_for", "settle_upward_mobility"]
