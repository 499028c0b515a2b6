"""Training learns from booked loans only: applications without an observed outcome never reach the model."""

from __future__ import annotations

from mlflow import MlflowClient

from features.datasets import county_dataset
from training.tracking import TrackingConfig


def test_the_dataset_drops_applications_whose_outcome_was_never_observed(table):
    # given a training table where declined applications carry no outcome
    unbooked = table["default_12m"].isna()
    assert unbooked.any() and (~unbooked).any()
    # when it becomes a dataset
    dataset = county_dataset(table)
    # then only the booked rows remain, with both outcomes
    assert len(dataset.frame) == int((~unbooked).sum())
    assert set(dataset.frame["request_id"]) == set(table.loc[~unbooked, "request_id"])
    assert set(dataset.y) == {0, 1}


def test_a_training_run_fits_and_holds_out_booked_rows_only(trained_store, table):
    # given the session's registered model
    store, result = trained_store
    uri = TrackingConfig(store=store).tracking_uri
    # when its run's row counts are read
    params = MlflowClient(uri, uri).get_run(result.run_id).data.params
    # then train and holdout together are exactly the booked applications
    assert int(params["n_train"]) + int(params["n_test"]) == int(table["default_12m"].notna().sum())
    assert int(params["n_train"]) + int(params["n_test"]) < len(table)
