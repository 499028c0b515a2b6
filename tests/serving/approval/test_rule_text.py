"""The card's and the approval file's rule sentences: every rule has a Chinese name, and a sentence never says the
opposite of the rule's outcome (a household off the list is never shown as on it)."""

from __future__ import annotations

from models.decision.builder import eligibility_for
from models.policy import KNOWN_RULES
from serving.approval.rule_text import RULE_NAMES_ZH, rule_lines


def test_every_rule_of_the_policy_has_a_chinese_name() -> None:
    assert set(KNOWN_RULES) <= set(RULE_NAMES_ZH)


def test_no_sentence_contradicts_its_rule_over_the_whole_county(table, policy) -> None:
    # given every application of the simulated county, decided by the rules
    lines = [line for verdict in eligibility_for(table, policy) for line in rule_lines(verdict.rules, policy)]
    on_list = [line for line in lines if line["code"] == "ON_LIST"]
    failed = [line for line in on_list if line["outcome"] == "fail"]
    # then the county exercised the list rule both ways
    assert failed and len(failed) < len(on_list)
    # and no household that failed ON_LIST is described as on the list
    assert [line["value_zh"] for line in failed if line["value_zh"].startswith("在扩中家庭名单内")] == []
    # and no rule is shown by its code instead of its Chinese name
    assert all(line["name_zh"] != line["code"] for line in lines)
