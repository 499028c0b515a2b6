"""The policy file: the packaged 41号 policy loads; malformed files are refused with the key named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from models.policy import KNOWN_RULES, PolicyError, load_policy, parse_policy
from models.rules import RULES

PACKAGED = Path(__file__).resolve().parents[3] / "models" / "policy" / "shengsi-2023-41.yaml"


def _raw() -> dict:
    return yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))


def _refused(raw: dict) -> str:
    with pytest.raises(PolicyError) as err:
        parse_policy(yaml.safe_dump(raw, allow_unicode=True), "test.yaml")
    return str(err.value)


def test_packaged_policy_reads_the_document(policy):
    # the document's numbers, as the issue and the program summary give them
    e = policy.eligibility
    assert (e.min_age, e.max_age, e.income_cap, e.income_cap_base_size, e.residence_region) == (
        18, 65, 100_000, 3, "330922")
    assert [p.name for p in policy.products][:4] == ["共富经营贷", "共富助医贷", "共富助学贷", "共富安居贷"]
    assert all(p.max_amount == 500_000 and p.term_months == 12 for p in policy.products)
    assert all(p.rate_min == 0.036 and p.rate_max == 0.038 for p in policy.products)
    assert (policy.subsidy.finance_points, policy.subsidy.bank_points) == (0.018, 0.019)
    assert policy.targets is not None and policy.targets.for_year(2025).households_benefiting == 500
    assert set(policy.rules) == set(KNOWN_RULES) == set(RULES)


def test_content_hash_follows_the_text(policy):
    text = PACKAGED.read_text(encoding="utf-8")
    assert parse_policy(text).content_hash == policy.content_hash
    assert parse_policy(text + "\n# a comment\n").content_hash != policy.content_hash


@pytest.mark.parametrize(("path", "key"), [
    ((), "surprise"), (("eligibility",), "max_agee"), (("eligibility", "credit"), "window"),
    (("subsidy",), "ratio"), (("targets",), "bonus"),
])
def test_unknown_key_is_refused_with_its_name(path, key):
    # given the packaged policy with one unknown key added
    raw = _raw()
    where = raw
    for part in path:
        where = where[part]
    where[key] = 1
    # then loading names the key's full path
    message = _refused(raw)
    assert ".".join([*path, key]) in message and "unknown key" in message


def test_unknown_key_inside_a_product_names_its_position():
    raw = _raw()
    raw["products"][2]["colour"] = "red"
    assert "products[2].colour" in _refused(raw)


@pytest.mark.parametrize(("change", "key"), [
    (lambda r: r["eligibility"].update(min_age=70), "eligibility"),
    (lambda r: r["eligibility"].update(income_cap=-1), "eligibility.income_cap"),
    (lambda r: r["eligibility"].update(income_cap_scaling="per_household"), "eligibility.income_cap_scaling"),
    (lambda r: r["eligibility"]["credit"].update(window_months=12), "eligibility.credit.window_months"),
    (lambda r: r["eligibility"]["credit"].update(bad_statuses=["X"]), "eligibility.credit.bad_statuses"),
    (lambda r: r.update(rules=["AGE", "HEIGHT"]), "rules"),
    (lambda r: r["subsidy"].update(finance_points=0.02), "subsidy"),
    (lambda r: r["products"][0].update(classes=["富裕类"]), "products[0].classes"),
    (lambda r: r.update(grades=list(reversed(r["grades"]))), "grades"),
    (lambda r: r.pop("subsidy"), "subsidy"),
    (lambda r: r["targets"]["by_year"][1].update(households_signed=10), "targets.by_year"),
])
def test_malformed_policy_is_refused_naming_the_key(change, key):
    raw = _raw()
    change(raw)
    assert f"key '{key}" in _refused(raw)


def test_unreadable_files_are_refused_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("eligibility: [unclosed", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "absent.yaml")
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="mapping"):
        load_policy(bad)


def test_income_cap_readings():
    policy = load_policy()
    assert policy.eligibility.household_income_cap(6) == pytest.approx(200_000)
    flat = policy.eligibility.model_copy(update={"income_cap_scaling": "flat"})
    assert flat.household_income_cap(6) == 100_000


def test_the_catalogue_grows_as_the_targets_plan(policy):
    # 附件1: 4 products launched by the end of 2023, 5 by 2024, 6 by 2025
    assert policy.targets is not None
    for year in (2023, 2024, 2025):
        launched = [p for p in policy.products if p.launched_on is not None and p.launched_on.year <= year]
        assert len(launched) == policy.targets.for_year(year).products_launched, year


def test_every_household_class_has_a_product_for_every_need_by_2025(policy):
    # the 就业类 and 托底类 households' business need (创业) included
    for cls in ("经营类", "就业类", "农户类", "托底类"):
        needs = {p.purpose for p in policy.products_for(cls, dt.date(2025, 1, 1))}
        assert needs == {"business", "medical", "education", "housing"}, cls
        assert {p.purpose for p in policy.products_for(cls, subsidised=False)} == needs, cls


def test_ordinary_products_may_not_sit_inside_the_subsidised_band():
    text = PACKAGED.read_text(encoding="utf-8").replace("rate_min: 0.075", "rate_min: 0.036", 1)
    with pytest.raises(PolicyError, match="ordinary_products"):
        parse_policy(text)
