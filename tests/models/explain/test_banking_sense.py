"""Reasons an officer can trust: each sign agrees with the value against a stated reference, on any dataset."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.datasets import load_dataset
from features.metadata import FEATURES, SENSITIVE_FEATURES
from models.credit.model import CreditModel, ModelInputError
from models.decision.builder import DecisionRows, ModelRef, decide_rows
from models.explain.reference import contradicts
from training.train import fit_model, split_dataset

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
REF = ModelRef(name="kuozhong-credit", version="1", run_id="test")


def _count(rows: DecisionRows, direction_of) -> tuple[int, int, int]:
    """(reasons, reasons contradicting their value against the stated reference, rows without a reason)."""
    shown = wrong = bare = 0
    for i in range(len(rows)):
        reasons = rows.reasons(i)
        bare += not reasons
        for r in reasons:
            shown += 1
            wrong += contradicts(r.direction == "adverse", direction_of(r.feature), r.value, r.reference_kind,
                                 r.reference, r.compared)
    return shown, wrong, bare


def test_no_reason_of_the_county_contradicts_its_value_against_its_reference(trained_store, table, policy):
    # given the registered model and every application of the simulated county
    _, result = trained_store
    # when every application is decided with five reasons per card
    rows = decide_rows(table, result.model, REF, policy, now=NOW, top_reasons=5, with_what_would_change=False)
    # then no reason's sign goes against the feature's banking direction and the value's place against the
    # training median (or the category's bad rate): the count is 0 over the whole county
    shown, wrong, _ = _count(rows, lambda name: FEATURES[name].monotone)
    assert shown > 3 * len(table)
    assert wrong == 0
    # and every reason on a value states its reference in the sentence, with the reference's number
    for i in range(0, len(rows), 7):
        for r in rows.reasons(i):
            if r.value is None:
                assert r.text_zh.startswith("缺少"), r.text_zh
                continue
            assert r.reference_kind in ("median", "mean"), r
            if FEATURES[r.feature].unit == "0/1":  # a yes/no record is set against the share of applicants with it
                assert r.reference_kind == "mean" and f"申请人中{r.reference:.0%}为是" in r.text_zh, r.text_zh
                continue
            assert ("中位数" if r.reference_kind == "median" else "平均") in r.text_zh, r.text_zh
            assert ("median" if r.reference_kind == "median" else "average") in r.text_en, r.text_en
            assert r.compared == pytest.approx(float(r.value))


def test_a_high_debt_service_ratio_is_never_shown_as_favourable(trained_store, table, policy):
    # given the county decided with the registered model
    _, result = trained_store
    # every factor that moves the score is a reason here, not only a card's top five: the check does not depend on
    # how highly this county's model ranks debt service
    rows = decide_rows(table, result.model, REF, policy, now=NOW, with_what_would_change=False,
                       top_reasons=len(result.model.features))
    references = result.model.reference_
    # then a debt-service ratio above the applicants' median is only ever adverse, and the sentence says so
    seen = 0
    for i in range(len(rows)):
        for r in rows.reasons(i):
            if r.feature.startswith("debt_service_ratio") and r.value is not None \
                    and r.value > references[r.feature]["median"]:
                seen += 1
                assert r.direction == "adverse" and "高于申请人中位数" in r.text_zh, r.text_zh
    assert seen > 0
    # and the ratio with the request has a median a banker reads as low, not the 143% of twelve instalments
    assert 0 < references["debt_service_ratio_with_request"]["median"] < 0.5


def test_no_sensitive_attribute_is_a_feature_of_a_trained_model(trained_store):
    # given the registered model / then none of its features is one a lender may not score people on
    _, result = trained_store
    assert not set(result.model.features) & set(SENSITIVE_FEATURES)
    assert all(c != 0 for c in result.model.monotone_constraints())


def test_fitting_on_a_sensitive_attribute_is_refused(table):
    # given a model asked to read the township and the illness count
    model = CreditModel(features=("income_per_head", "township", "health_burden"), cv_folds=1)
    # when / then the refusal names both attributes and the rule
    with pytest.raises(ModelInputError, match="township, health_burden") as err:
        model.fit(table, table["default_12m"].to_numpy())
    assert err.value.field == "features" and "敏感" in str(err.value)


@pytest.fixture(scope="module")
def german():
    data = load_dataset("german-credit")
    tr, _ = split_dataset(data, "random", seed=0)
    from models.policy import load_policy

    policy = load_policy()
    return data, fit_model(data, policy, data.frame.iloc[tr], data.y[tr], seed=0), policy


def test_german_credit_gives_reasons_on_every_row_in_its_yamls_words(german):
    # given German Credit's model (sex, age and nationality left out as the YAML marks them)
    data, model, policy = german
    assert not {"personal_status_and_sex", "age_in_years", "foreign_worker"} & set(model.features)
    # when every row is decided
    rows = decide_rows(data.frame, model, REF, policy, now=NOW, with_what_would_change=False)
    shown, wrong, bare = _count(rows, lambda name: data.monotone.get(name, 0))
    # then every row has reasons, none contradicts its reference
    assert bare == 0 and shown >= 3 * len(data.frame)
    assert wrong == 0
    # and the sentences use the YAML's labels and value labels, never the raw codes
    labels = {c.name: c for c in data.config.columns}
    for i in range(0, len(rows), 13):
        for r in rows.reasons(i):
            spec = labels[r.feature]
            assert r.label_zh == spec.label_zh and r.text_zh.startswith(spec.label_zh), r.text_zh
            assert spec.label_en[1:] in r.text_en, r.text_en
            if spec.type == "categorical":
                assert str(r.value) not in r.text_zh and spec.levels[str(r.value)].zh in r.text_zh, r.text_zh
                assert r.reference_kind == "bad_rate" and "违约率" in r.text_zh
            elif spec.unit:
                assert spec.unit in r.text_zh, r.text_zh


def _write_bank_table(folder: Path, n: int = 900, seed: int = 3) -> Path:
    """A bank's own table: text and integer-coded categoricals, units, one column without a group."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.5, 0.5, n)
    housing = rng.integers(1, 4, n)  # 1 own, 2 rent, 3 family
    channel = rng.choice(["branch", "online", "agent"], n)
    arrears = rng.poisson(0.6, n)
    noise = rng.normal(0, 1, n)
    logit = -1.5 - 0.8 * (np.log(income) - 10.5) + 0.6 * (housing == 2) + 0.5 * arrears + 0.3 * (channel == "agent")
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    table = pd.DataFrame({"income": income.round(0), "housing": housing, "channel": channel, "arrears": arrears,
                          "tenure_score": noise.round(2), "outcome": np.where(bad == 1, "default", "paid")})
    table.to_csv(folder / "bank.csv", index=False)
    config = folder / "bank.yaml"
    config.write_text(
        "name: bank-table\nsource: {kind: table, path: bank.csv}\ntarget: {column: outcome, bad_values: [default]}\n"
        "columns:\n"
        "  - {name: income, monotone: -1, label_zh: 年收入, label_en: Annual income, unit: 元, group: money}\n"
        "  - {name: arrears, monotone: 1, label_zh: 逾期次数, label_en: Times in arrears, unit: 次, group: record}\n"
        "  - name: housing\n    type: categorical\n    label_zh: 住房情况\n    label_en: Housing\n    group: money\n"
        "    levels:\n      '1': {zh: 自有住房, en: owns a home}\n      '2': {zh: 租房, en: rents}\n"
        "      '3': {zh: 与家人同住, en: lives with family}\n"
        "  - name: channel\n    type: categorical\n    label_zh: 申请渠道\n    label_en: Channel\n"
        "    levels:\n      branch: {zh: 网点, en: a branch}\n      online: {zh: 网上, en: online}\n"
        "      agent: {zh: 代理人, en: an agent}\n"
        "  - {name: tenure_score, label_zh: 客户评分, label_en: Tenure score}\n"
        "groups:\n  money: {zh: 收入与住房, en: income and housing}\n  record: {zh: 还款记录, en: repayment record}\n",
        encoding="utf-8")
    return config


def test_a_bank_table_with_text_and_coded_categories_gets_reasons_on_every_row(tmp_path, policy):
    # given a dataset YAML over a bank's own table
    data = load_dataset(_write_bank_table(tmp_path))
    model = fit_model(data, policy, data.frame, data.y, seed=0)
    # when every row is decided
    rows = decide_rows(data.frame, model, REF, policy, now=NOW, top_reasons=3, with_what_would_change=False)
    shown, wrong, bare = _count(rows, lambda name: data.monotone.get(name, 0))
    # then every row has reasons, none contradicts its reference
    assert bare == 0 and shown >= 2 * len(data.frame)
    assert wrong == 0
    # and they read in the YAML's words: integer codes and text codes by their labels, money in 元
    texts = [r.text_zh for i in range(len(rows)) for r in rows.reasons(i)]
    english = [r.text_en for i in range(len(rows)) for r in rows.reasons(i)]
    assert any(t.startswith("住房情况为“租房”") for t in texts)
    assert any(t.startswith("申请渠道为“代理人”") for t in texts)
    assert any(re.match(r"年收入为[\d,]+元", t) for t in texts)
    assert any(t.startswith("Housing is 'rents'") for t in english)
    assert not any("为“2”" in t or "agent" in t for t in texts)
    # and the waterfall's remainder is grouped by the YAML's groups; "其他" is never the largest bar
    for i in range(len(rows)):
        reasons, groups = rows.reasons(i), rows.other_factors(i)
        bars = [abs(r.points_int) for r in reasons] + [abs(g.points_int) for g in groups if g.group]
        for g in groups:
            assert g.group in ("", "money", "record", *model.features) and g.points_int != 0
            if g.group == "":
                assert abs(g.points_int) < max(bars), (reasons, groups)
        assert rows.explained.points_int[i].sum() == sum(r.points_int for r in reasons) + sum(
            g.points_int for g in groups)


def test_a_ratio_and_its_reference_are_written_in_the_same_unit() -> None:
    from features.metadata import FEATURES
    from models.explain.reference import Reference
    from models.explain.text import amount_text, comparison_clause

    info = FEATURES["debt_service_ratio_low_season"]
    # a low-season debt-service ratio of 14.7 against a median of 0: both as multiples, never "14.7倍 … 0%"
    value = amount_text(info.unit, 14.7)[0]
    clause = comparison_clause(info, Reference(kind="median", value=0.0, compared=14.7, side=1, directional=True))[0]
    assert value == "14.7倍" and clause == "，高于申请人中位数0.0倍"
    # and ordinary ratios stay percentages on both sides
    assert comparison_clause(info, Reference(kind="median", value=0.21, compared=0.38, side=1, directional=True))[0] == "，高于申请人中位数21%"


def test_a_monthly_change_that_rounds_to_nothing_reads_without_a_sign():
    from models.explain.text import amount_text

    # a balance trend under half a yuan a month, either way, reads 每月0元 (neither "+0" nor "-0")
    assert [amount_text("元/月", v)[0] for v in (0.3, -0.3, 0.0)] == ["每月0元"] * 3
    # and a real change keeps its sign
    assert [amount_text("元/月", v)[0] for v in (356.2, -258.0, 0.6)] == ["每月+356元", "每月-258元", "每月+1元"]
