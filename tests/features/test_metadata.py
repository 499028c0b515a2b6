"""The feature catalogue: every feature labelled in Chinese and English, directions and actionability sane."""

from __future__ import annotations

import re

from features.build.table import OUTPUT_COLUMNS, RULE_INPUT_COLUMNS
from features.metadata import (
    CATEGORICAL_FEATURES,
    FEATURES,
    MODEL_FEATURES,
    MONOTONE,
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
    assert set(CATEGORICAL_FEATURES) == {"township", "livelihood", "household_class"}


def test_existing_names_stay_and_every_feature_is_built():
    skeleton = {"income_per_head", "income_to_cap", "observed_income_12m", "inflow_cv_12m",
                "months_below_half_mean_12m", "declared_observed_ratio", "balance_mean_6m", "balance_trend_6m",
                "debt_balance", "debt_service_ratio", "debt_to_income", "overdue_current", "overdue_months_24m",
                "max_consecutive_overdue_24m", "worst_status_24m", "months_since_overdue", "queries_3m",
                "queries_12m", "household_size", "elderly_count", "children_count", "health_burden",
                "applicant_age", "years_at_address", "has_fishing_boat", "has_house", "requested_to_income",
                "township", "livelihood", "household_class"}
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
    # what an applicant cannot change is never offered as advice
    for name in ("applicant_age", "township", "household_size", "health_burden", "livelihood"):
        assert not FEATURES[name].actionable, name


def test_catalogue_rows_and_labels():
    rows = feature_catalogue()
    assert [r["name"] for r in rows] == list(FEATURES)
    assert label_zh("lian3lei6") == "连三累六"
    assert label_zh("not_a_feature") == "not_a_feature"
