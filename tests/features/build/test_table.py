"""Feature builders on hand-made households (values worked out on paper) and on the simulated county."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build.table import (
    HOUSEHOLD_CLASSES,
    RULE_INPUT_COLUMNS,
    FeatureBuilder,
    build_features,
    classify_households,
)
from features.metadata import CATEGORICAL_FEATURES, FEATURES, MODEL_FEATURES
from models.policy import load_policy
from tests.features import hand_made as hm

PROGRAM = load_policy()  # the policy the features' ratios are taken against


def _one(sources, **request) -> pd.Series:
    return build_features(sources, hm.request(**request), PROGRAM).iloc[0]


# -- repayment grid ----------------------------------------------------------------------------------------------
def test_three_consecutive_overdue_months_set_lian3lei6_and_the_counts():
    # given a grid (oldest first) with a 1-2-3 run, then single overdue months 6 months ago and last month
    grid = "N" * 10 + "123" + "N" * 5 + "1" + "N" * 4 + "1"
    # when
    row = _one(hm.sources(statuses=grid))
    # then
    assert row["max_consecutive_overdue_24m"] == 3
    assert row["overdue_months_24m"] == 5
    assert row["overdue_months_12m"] == 3
    assert row["overdue_months_6m"] == 2
    assert row["overdue_current"] == 1
    assert row["months_since_overdue"] == 1
    assert row["worst_status_24m"] == 3
    assert row["lian3lei6"] == 1
    assert row["bad_status_24m"] == 0


def test_six_scattered_overdue_months_are_lei6_without_a_run():
    # given six single overdue months in the oldest year
    row = _one(hm.sources(statuses="1N" * 6 + "N" * 12))
    # then
    assert row["max_consecutive_overdue_24m"] == 1
    assert row["overdue_months_24m"] == 6
    assert row["lian3lei6"] == 1
    assert row["overdue_current"] == 0
    assert row["months_since_overdue"] == 14


def test_clean_grid_with_settled_and_nothing_due_codes():
    row = _one(hm.sources(statuses="*" * 4 + "N" * 18 + "CC"))
    assert row[["overdue_months_24m", "max_consecutive_overdue_24m", "lian3lei6", "overdue_current"]].sum() == 0
    assert row["months_since_overdue"] == 25
    assert row["grid_months_24m"] == 24


def test_bad_debt_status_is_flagged_and_worst():
    row = _one(hm.sources(statuses="N" * 20 + "B" + "NNN"))
    assert row["bad_status_24m"] == 1
    assert row["worst_status_24m"] == 7


# -- flows, debt and queries ----------------------------------------------------------------------------------
def test_steady_inflows_give_flat_seasonality_and_paper_debt_ratios():
    row = _one(hm.sources())
    assert row["observed_income_12m"] == pytest.approx(120_000)
    assert row["inflow_cv_12m"] == pytest.approx(0)
    assert row["inflow_top3_share_12m"] == pytest.approx(0.25)
    assert row["moratorium_income_dip_12m"] == pytest.approx(0)
    assert row["inflow_growth_12m"] == pytest.approx(0)
    assert row["declared_observed_ratio"] == pytest.approx(1.0)
    assert row["debt_service_ratio"] == pytest.approx(5_250 / 10_000)
    # the request's product (共富 business loan, 按月付息到期还本) costs interest only each month: 48,000 × 3.8% / 12
    assert row["debt_service_ratio_with_request"] == pytest.approx((5_250 + 48_000 * 0.038 / 12) / 10_000)
    assert row["debt_to_income"] == pytest.approx(0.5)
    assert row["requested_to_income"] == pytest.approx(0.4)
    assert row["balance_trend_6m"] == pytest.approx(100)
    assert row["balance_mean_6m"] == pytest.approx(22_050)
    assert row["balance_min_6m"] == pytest.approx(21_800)
    assert row["savings_rate_12m"] == pytest.approx(0.1)


def test_fishing_moratorium_shows_as_a_dip_and_a_heavy_low_season_burden():
    # given inflows of 2,000 in May-Aug and 12,000 in the other months
    inflows = [2_000.0 if m.month in (5, 6, 7, 8) else 12_000.0 for m in hm.MONTHS]
    # when
    row = _one(hm.sources(inflows=inflows))
    # then
    assert row["moratorium_income_dip_12m"] == pytest.approx(1 - 2_000 / 12_000)
    assert row["low_season_inflow_3m"] == pytest.approx(2_000)
    assert row["debt_service_ratio_low_season"] == pytest.approx(5_250 / 2_000)
    assert row["months_below_half_mean_12m"] == 4
    assert row["inflow_min_to_mean_12m"] == pytest.approx(2_000 / (104_000 / 12))


def test_queries_count_by_window_and_never_after_the_as_of_date():
    dates = ["2025-01-15", "2024-11-01", "2024-08-01", "2024-03-01", "2023-12-01", "2023-02-01", "2023-01-01",
             "2025-01-16"]
    row = _one(hm.sources(queries=dates))
    assert (row["queries_3m"], row["queries_6m"], row["queries_12m"], row["queries_24m"]) == (2, 3, 4, 6)


def test_loans_opened_after_the_as_of_date_are_not_debt_yet():
    loans = [{"account_id": "L1", "household_id": hm.HH, "opened": pd.Timestamp("2022-06-01"), "balance": 60_000.0,
              "monthly_payment": 5_250.0},
             {"account_id": "L2", "household_id": hm.HH, "opened": pd.Timestamp("2025-02-01"), "balance": 90_000.0,
              "monthly_payment": 8_000.0}]
    row = _one(hm.sources(loans=loans))
    assert row["debt_balance"] == 60_000
    assert row["loan_count"] == 1


# -- visit form -----------------------------------------------------------------------------------------------
def test_household_make_up_and_class_from_the_visit_form():
    row = _one(hm.sources())
    assert (row["household_size"], row["elderly_count"], row["children_count"]) == (4, 1, 1)
    assert (row["working_age_count"], row["dependants_count"], row["dependency_ratio"]) == (2, 2, 0.5)
    assert (row["health_burden"], row["serious_illness_count"]) == (2, 1)
    assert row["income_per_head"] == 30_000
    assert row["income_to_cap"] == pytest.approx(120_000 / (100_000 * 4 / 3))
    assert row["income_share_fishery"] == 1.0
    assert row["household_class"] == "经营类"  # a boat owner runs a business
    assert row["years_at_address"] == 10
    assert row["visit_age_days"] == 26
    assert row["applicant_age_from_id"] == 44
    assert row["dq_flags"] == ""


def test_income_by_source_sets_the_shares_and_the_class():
    form = hm.visit(declared_income={"by_source": {"wage": 60_000, "pension": 20_000, "mussel": 40_000}},
                    assets={"house": True})
    row = _one(hm.sources(visits=[form]))
    assert row["declared_income"] == 120_000
    assert row["income_share_wage"] == pytest.approx(0.5)
    assert row["income_share_transfer"] == pytest.approx(1 / 6)
    assert row["income_source_count"] == 3
    assert row["household_class"] == "就业类"


def test_visit_gps_photos_and_duration_score_the_visit():
    good = hm.visit(gps={"lat": 30.727, "lon": 122.815}, photos=["a", "b", "c"], duration_min=35)
    far = hm.visit(gps={"lat": 30.7251, "lon": 122.4512}, photo_count=1, duration_min=8)
    good_row, far_row = (_one(hm.sources(visits=[v])) for v in (good, far))
    assert (good_row["visit_gps_in_township"], good_row["visit_quality_score"]) == (1, 3)
    assert (far_row["visit_gps_in_township"], far_row["visit_quality_score"]) == (0, 0)
    assert np.isnan(_one(hm.sources())["visit_quality_score"])


@pytest.mark.parametrize(
    ("groups", "livelihood", "per_head", "boat", "expected"),
    [
        ({"fishery": 90_000.0}, "fishing", 30_000.0, 0.0, "农户类"),
        ({"fishery": 90_000.0}, "fishing", 30_000.0, 1.0, "经营类"),
        ({"business": 50_000.0, "wage": 20_000.0}, "shop", 25_000.0, 0.0, "经营类"),
        ({"wage": 70_000.0}, "port", 35_000.0, 0.0, "就业类"),
        ({"transfer": 50_000.0, "wage": 10_000.0}, "pension", 30_000.0, 0.0, "托底类"),
        ({"wage": 30_000.0}, "wage", 15_000.0, 0.0, "托底类"),
        ({}, "bnb", 40_000.0, 0.0, "经营类"),
    ],
)
def test_household_class_rule(groups, livelihood, per_head, boat, expected):
    all_groups = {g: np.array([groups.get(g, 0.0 if groups else np.nan)])
                  for g in ("fishery", "business", "wage", "transfer", "other")}
    cls = classify_households(all_groups, np.array([livelihood], dtype=object), np.array([per_head]),
                              np.array([boat]), np.array([0.0]))
    assert cls[0] == expected
    assert expected in HOUSEHOLD_CLASSES


# -- missing sources ------------------------------------------------------------------------------------------
def test_no_visit_gives_nan_visit_features_and_a_flag():
    row = _one(hm.sources(visits=[]))
    assert np.isnan(row["declared_income"]) and np.isnan(row["income_per_head"])
    assert row["household_size"] == 4  # the base list still knows the size
    assert "NO_VISIT" in row["dq_flags"].split(";")
    assert row["overdue_months_24m"] == 0  # bank records are unaffected


def test_absent_flow_table_gives_nan_flow_features_and_a_flag():
    src = hm.sources()
    src.account_flows = pd.DataFrame()
    row = _one(src)
    assert np.isnan(row["observed_income_12m"]) and np.isnan(row["balance_mean_6m"])
    assert "NO_FLOWS" in row["dq_flags"]
    assert row["debt_balance"] == 60_000


def test_short_flow_history_is_flagged_and_annualised():
    src = hm.sources()
    src.account_flows = src.account_flows.iloc[-6:]
    row = _one(src)
    assert row["observed_income_12m"] == pytest.approx(120_000)
    assert "SHORT_FLOWS" in row["dq_flags"]
    assert np.isnan(row["inflow_growth_12m"])


def test_unknown_household_gives_a_row_of_nan_and_flags_not_a_crash():
    row = _one(hm.sources(), household_id="H-NOBODY")
    flags = set(row["dq_flags"].split(";"))
    assert {"NO_VISIT", "NO_BANK_RECORD", "NOT_ON_BASE_LIST", "INVALID_ID"} <= flags
    assert row[[c for c in MODEL_FEATURES if c not in CATEGORICAL_FEATURES]].isna().all()


# -- the simulated county -------------------------------------------------------------------------------------
def test_batch_has_every_catalogued_column_with_the_right_types(table):
    for name in (*RULE_INPUT_COLUMNS, *FEATURES):
        assert name in table.columns, name
    for name in MODEL_FEATURES:
        kind = "category" if name in CATEGORICAL_FEATURES else "float64"
        assert str(table[name].dtype) == kind, name
    assert table["request_id"].is_unique
    assert table["income_per_head"].notna().mean() > 0.95


def test_single_application_path_equals_the_batch(sources, table):
    # given the batch table of every application and a builder made once (as the API does at startup)
    builder = FeatureBuilder(sources, PROGRAM)
    apps = sources.applications.iloc[:250]
    # when each application is built on its own
    rows = [builder.build_one(a.household_id, a.application_date, a.requested_amount, a.purpose, a.application_id)
            for a in apps.itertuples()]
    # then every row equals the batch row, column for column
    single = pd.concat(rows, ignore_index=True)
    pd.testing.assert_frame_equal(single, table.drop(columns="default_12m").iloc[:250].reset_index(drop=True))


def test_single_application_arrays_are_the_frames_own_columns(sources):
    # given a builder and a few applications
    from models.decision.fingerprint import FrameColumns, input_hashes

    builder = FeatureBuilder(sources, PROGRAM)
    for a in sources.applications.iloc[:40].itertuples():
        # when one is built with its column arrays
        frame, arrays = builder.build_one_with_arrays(a.household_id, a.application_date, a.requested_amount,
                                                      a.purpose, a.application_id)
        read = list(FrameColumns.read(frame).items())
        # then the arrays are the frame's columns in order, with the frame's dtypes and values
        assert [name for name, _ in arrays] == [name for name, _ in read] == frame.columns.tolist()
        for (name, given), (_, stored) in zip(arrays, read, strict=True):
            assert given.dtype == stored.dtype, name
            pd.testing.assert_series_equal(pd.Series(given, name=name), pd.Series(stored, name=name))
        # and the fingerprint from the arrays equals the one read from the frame
        assert input_hashes(frame, FrameColumns.from_pairs(arrays)) == input_hashes(frame)


def test_outcomes_never_reach_the_features(sources, table):
    # given the same sources with every outcome scrambled
    apps = sources.applications.copy()
    apps["default_12m"] = 1 - apps["default_12m"]
    apps["true_pd"] = np.random.default_rng(0).random(len(apps))
    scrambled = type(sources)(**{**sources.__dict__, "applications": apps})
    # when
    from features.build.table import training_table

    rebuilt = training_table(scrambled, PROGRAM)
    # then only the outcome column differs
    pd.testing.assert_frame_equal(rebuilt.drop(columns="default_12m"), table.drop(columns="default_12m"))


def test_declared_debts_permits_and_total_income_from_the_new_form_fields():
    # given a form in the simulator's layout: total and sources, debts by lender, permits as asset flags
    form = hm.visit(declared_income={"main": 120_000, "total": 120_000, "fishing": 90_000, "wage": 30_000},
                    debts=[{"lender": "嵊泗农商银行", "balance": 20_000, "monthly_payment": 1_000},
                           {"lender": "亲友", "balance": 30_000, "monthly_payment": 500}],
                    assets={"fishing_boat": False, "house": True, "fishing_permit": True, "bnb_licence": True},
                    licences=[])
    # when
    row = _one(hm.sources(visits=[form]))
    # then
    assert row["declared_income"] == 120_000
    assert row["income_share_fishery"] == pytest.approx(0.75)
    assert row["informal_debt_to_income"] == pytest.approx(30_000 / 120_000)
    assert row["declared_debt_service_ratio"] == pytest.approx(12 * 1_500 / 120_000)
    assert (row["has_fishing_licence"], row["has_business_licence"], row["licence_count"]) == (1, 1, 2)
    assert row["household_class"] == "经营类"  # a business licence holder runs a business


def test_negative_declared_debt_is_rejected():
    form = hm.visit(debts=[{"lender": "亲友", "balance": -10, "monthly_payment": 0}])
    with pytest.raises(ValueError, match=r"debts\[0\]\.balance = -10"):
        build_features(hm.sources(visits=[form]), hm.request(), PROGRAM)
