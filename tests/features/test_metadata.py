"""The feature catalogue: every feature labelled in Chinese and English, directions and actionability sane."""

from __future__ import annotations

import re

from features.build.table import OUTPUT_COLUMNS, RULE_INPUT_COLUMNS
from features.metadata import (
    CATEGORICAL_FEATURES,
    FEATURES,
    MODEL_FEATURES,
    MONOTONE,
    SENSITIVE_FEATURES,
    FeatureInfo,
    feature_catalogue,
    label_zh,
)

_CJK = re.compile(r"[\u4e00-\u9fff]")
OUTCOMES = ("default", "true_pd", "outcome")


def test_every_feature_has_chinese_and_english_labels_and_a_group():
    for info in FEATURES.values():
        assert _CJK.search(info.label_zh), info.name
        assert info.label_en and info.label_en[0].isupper(), info.name
        assert info.group, info.name
        assert info.monotone in (-1, 0, 1), info.name


def test_model_features_exclude_outcomes_and_visit_quality():
    assert not [n for n in MODEL_FEATURES if any(word in n for word in OUTCOMES)]
    assert not [n for n in MODEL_FEATURES if FEATURES[n].group == "visit"]
    # the categorical features are the township, livelihood and class: slices, not model features
    assert CATEGORICAL_FEATURES == ()
    assert {n for n, f in FEATURES.items() if f.categorical} == {"township", "livelihood", "household_class"}


def test_every_model_feature_has_a_risk_direction():
    # given the catalogue / then each feature the model reads has the direction its constraint enforces
    undirected = [n for n in MODEL_FEATURES if MONOTONE.get(n, 0) == 0]
    assert undirected == []
    assert len(MODEL_FEATURES) >= 40


def test_sensitive_attributes_are_never_model_features_and_stay_built_for_slices():
    # health, age, township, livelihood and household class are kept for fairness slices only
    assert set(SENSITIVE_FEATURES) == {"health_burden", "serious_illness_count", "applicant_age", "township",
                                       "livelihood", "household_class"}
    assert not set(SENSITIVE_FEATURES) & set(MODEL_FEATURES)
    assert set(SENSITIVE_FEATURES) <= set(OUTPUT_COLUMNS)
    # and the catalogue refuses a sensitive feature marked for the model
    try:
        FeatureInfo("x", "某", "X", sensitive=True)
    except ValueError as err:
        assert "sensitive" in str(err)
    else:
        raise AssertionError("a sensitive model feature was accepted")


def test_existing_names_stay_and_every_feature_is_built():
    skeleton = {"income_per_head", "income_to_cap", "observed_income_12m", "inflow_cv_12m",
                "months_below_half_mean_12m", "declared_observed_ratio", "balance_mean_6m", "balance_trend_6m",
                "debt_balance", "debt_service_ratio", "debt_to_income", "overdue_current", "overdue_months_24m",
                "max_consecutive_overdue_24m", "worst_status_24m", "months_since_overdue", "queries_3m",
                "queries_12m", "years_at_address", "has_fishing_boat", "has_house", "requested_to_income"}
    assert skeleton <= set(MODEL_FEATURES)
    assert set(FEATURES) <= set(OUTPUT_COLUMNS)
    assert set(RULE_INPUT_COLUMNS) <= set(OUTPUT_COLUMNS)


def test_directions_the_domain_fixes():
    # more overdue, more queries, more debt burden never lower risk; a bigger buffer never raises it
    for name in ("overdue_months_24m", "max_consecutive_overdue_24m", "lian3lei6", "queries_3m",
                 "debt_service_ratio", "debt_service_ratio_low_season", "worst_five_class", "bad_status_24m"):
        assert MONOTONE[name] == 1, name
    for name in ("balance_buffer_months", "months_since_overdue", "income_per_head"):
        assert MONOTONE[name] == -1, name
    # a rising balance, growing income, a longer stay, a house never raise risk; dependants and dips never lower it
    for name in ("balance_trend_6m", "inflow_growth_12m", "years_at_address", "has_house", "working_age_count"):
        assert MONOTONE[name] == -1, name
    for name in ("dependants_count", "moratorium_income_dip_12m", "inflow_top3_share_12m",
                 "debt_service_ratio_with_request", "debt_service_ratio_with_request_declared"):
        assert MONOTONE[name] == 1, name
    # what an applicant cannot change is never offered as advice
    for name in ("applicant_age", "township", "household_size", "health_burden", "livelihood"):
        assert not FEATURES[name].actionable, name


def test_catalogue_rows_and_labels():
    rows = feature_catalogue()
    assert [r["name"] for r in rows] == list(FEATURES)
    assert label_zh("lian3lei6") == "连三累六"
    assert label_zh("not_a_feature") == "not_a_feature"
