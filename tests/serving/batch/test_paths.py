"""A partition decided whole (rules over the frame) lays out exactly what its rows decided a few at a time do."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.build.table import FeatureBuilder
from models.decision.builder import decide
from models.explain.reasons import SMALL_FRAME
from serving.batch.chunk import decide_chunk

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def _in_small_frames(features: pd.DataFrame, loaded, policy, credit_line: bool) -> pd.DataFrame:
    """The same rows decided in frames small enough for the row-by-row rules."""
    step = SMALL_FRAME // 2
    parts = [decide_chunk(features.iloc[k:k + step].reset_index(drop=True), loaded, policy, NOW, credit_line)
             for k in range(0, len(features), step)]
    return pd.concat(parts, ignore_index=True)


def test_every_application_of_the_county_is_laid_out_alike_whole_and_in_small_frames(table, loaded, policy):
    # given every application of the simulated county as one partition (far above the small-frame size)
    features = table.drop(columns=["default_12m"]).reset_index(drop=True)
    assert len(features) > 2 * SMALL_FRAME
    # when it is decided whole and in small frames
    whole = decide_chunk(features, loaded, policy, NOW)
    small = _in_small_frames(features, loaded, policy, credit_line=False)
    # then every column of every row is the same: ids, verdicts, notes, terms, reasons and their sentences
    pd.testing.assert_frame_equal(whole, small)
    assert set(whole["recommendation"]) == {"approve", "refer", "decline"}


def test_every_listed_household_is_laid_out_alike_whole_and_in_small_frames(sources, loaded, policy):
    # given every base-list household as a credit line on one date (the overnight batch's list mode)
    ids = sources.base_list["household_id"].drop_duplicates(keep="last").astype(str)
    requests = pd.DataFrame({"request_id": ids + "@2025-07-01", "household_id": ids,
                             "as_of": pd.Timestamp("2025-07-01")})
    features = FeatureBuilder(sources, policy).build(requests.reset_index(drop=True))
    # when it is decided whole and in small frames
    whole = decide_chunk(features, loaded, policy, NOW, credit_line=True)
    small = _in_small_frames(features, loaded, policy, credit_line=True)
    # then the two agree column for column, and some households are granted a line
    pd.testing.assert_frame_equal(whole, small)
    assert (whole["limit_fen"].fillna(0) > 0).any()


def test_the_single_decision_is_the_batch_row_of_that_application(table, loaded, policy):
    # given the county's applications decided whole as one partition
    features = table.drop(columns=["default_12m"]).reset_index(drop=True)
    whole = decide_chunk(features, loaded, policy, NOW).set_index("request_id")
    # when every twentieth application is decided alone (the API's path)
    for i in range(0, len(features), 20):
        one = decide(features.iloc[[i]], loaded.model, loaded.ref, policy, now=NOW)
        row = whole.loc[one.request_id]
        # then the batch row carries that decision's verdict, note, terms and fingerprint
        assert (row["eligibility_status"], row["recommendation"], row["review_note_zh"], row["input_hash"]) == (
            one.eligibility.status, one.recommendation, one.review_note_zh, one.input_hash)
        assert row["failed_rules"] == ",".join(r.code for r in one.eligibility.failed)
        if one.terms is None:
            assert pd.isna(row["limit_fen"])
        else:
            assert row["limit_fen"] == round(one.terms.limit * 100)


def test_a_frame_without_any_offer_has_the_columns_of_one_with_offers(table, loaded, policy):
    # given the county's declined applications alone, a partition none of whose rows carries terms
    features = table.drop(columns=["default_12m"]).reset_index(drop=True)
    whole = decide_chunk(features, loaded, policy, NOW)
    declined = features[(whole["recommendation"] == "decline").to_numpy()].reset_index(drop=True)
    assert len(declined) > 0
    alone = decide_chunk(declined, loaded, policy, NOW)
    assert alone["product_code"].isna().all()
    # then every column has the type it has in a partition with offers (text stays text when all of it is empty)
    assert alone.dtypes.to_dict() == whole.dtypes.to_dict()
