"""Through-the-cycle weights: which loans the policy's stress events reweigh, by how much, and what that changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.datasets import county_dataset
from models.policy import Policy
from models.policy.stress import Cycle, Occurrence, StressEvent
from training.cycle import cycle_weights, stressed_rows
from training.train import fit_model, fit_through_the_cycle

LOANS = pd.DataFrame({
    "as_of": pd.to_datetime(["2024-03-01", "2023-08-02", "2024-09-30", "2024-10-15", "2023-07-31", "2024-03-01",
                             "2024-03-01"]),
    "livelihood": ["fishing", "mussel", "fishing", "fishing", "mussel", "wage", "bnb"],
    "township": ["嵊山镇", "枸杞乡", "菜园镇", "菜园镇", "枸杞乡", "菜园镇", "嵊山镇"],
})


def test_loans_whose_year_met_the_typhoon_weigh_its_long_run_share(policy: Policy):
    # given the shipped policy's typhoon (Aug-Sep 2022 and 2024, fishing and mussel)
    event = policy.cycle.stress_events[0]
    # when
    exposed, stressed = stressed_rows(LOANS, "as_of", policy.cycle, event.name)
    weight, summary = cycle_weights(LOANS, "as_of", policy.cycle)
    # then: the year from 2023-08-02 reaches 2024-08-01; from 2023-07-31 it ends before the season; from 2024-10-15
    # it holds no typhoon season; wage and B&B loans are not exposed
    assert exposed.tolist() == [True, True, True, True, True, False, False]
    assert stressed.tolist() == [True, True, True, False, False, False, False]
    assert weight is not None
    target = 1 / event.once_in_years
    assert weight[stressed].sum() / weight[exposed].sum() == pytest.approx(target)
    assert weight[exposed].sum() == pytest.approx(exposed.sum())  # the group keeps its weight
    assert np.allclose(weight[stressed], target * 5 / 3) and np.allclose(weight[exposed & ~stressed], (1 - target) * 5 / 2)
    assert (weight[~exposed] == 1).all()
    record = summary["events"][0]  # type: ignore[index]
    assert record["stressed_rows"] == 3 and record["exposed_rows"] == 5 and record["reweighted"]
    assert summary["rows_reweighted"] == 5


def test_townships_narrow_an_event_and_a_group_all_stressed_is_left_as_it_is():
    # given an event hitting fishing in 菜园镇 only
    cycle = Cycle(stress_events=(StressEvent(name="风暴潮", livelihoods=("fishing",), townships=("菜园镇",),
                                             once_in_years=5, occurrences=(Occurrence(start="2024-09-01",
                                                                                      end="2024-09-30"),)),))
    only_stressed = LOANS.iloc[[0, 2]]
    # when
    exposed, stressed = stressed_rows(LOANS, "as_of", cycle, "风暴潮")
    weight, _ = cycle_weights(LOANS, "as_of", cycle)
    none, summary = cycle_weights(only_stressed, "as_of", cycle)
    # then
    assert exposed.tolist() == [False, False, True, True, False, False, False]
    assert stressed.tolist() == [False, False, True, False, False, False, False]
    assert weight is not None and weight[2] == pytest.approx(0.2 * 2) and weight[3] == pytest.approx(0.8 * 2)
    assert none is None and not summary["events"][0]["reweighted"]  # type: ignore[index]


def test_a_policy_without_stress_events_trains_exactly_as_before(table: pd.DataFrame, policy: Policy):
    # given every loan with an outcome (its exposed loans met the 2024 typhoon or not)
    data = county_dataset(table)
    quiet = policy.model_copy(update={"cycle": Cycle()})
    # when
    plain = fit_model(data, policy, data.frame, data.y, seed=0)
    without, summary = fit_through_the_cycle(data, quiet, data.frame, data.y, seed=0)
    weighted, found = fit_through_the_cycle(data, policy, data.frame, data.y, seed=0)
    # then
    assert without.model_hash() == plain.model_hash() and summary["rows_reweighted"] == 0
    assert found["rows_reweighted"] > 0 and weighted.model_hash() != plain.model_hash()


def _later_book(data, county) -> tuple[pd.DataFrame, np.ndarray]:
    truth = county.application_truth.set_index("application_id")
    later = data.unlabelled[truth.loc[data.unlabelled["request_id"].to_numpy(), "booked"].to_numpy()]
    return later, truth.loc[later["request_id"].to_numpy(), "true_pd"].to_numpy()


def test_through_the_cycle_narrows_the_fishing_wage_gap_on_the_later_book(table: pd.DataFrame, policy: Policy,
                                                                          county):
    # given a model fitted on every loan with an outcome, applied to the loans booked after (no typhoon in their year)
    data = county_dataset(table)
    later, true_pd = _later_book(data, county)
    livelihood = later["livelihood"].astype("string").fillna("").to_numpy()
    exposed, wage = np.isin(livelihood, ("fishing", "mussel")), livelihood == "wage"
    approving = [g.grade for g in policy.grades if g.recommendation == "approve"]
    # when
    before = fit_model(data, policy, data.frame, data.y, seed=0)
    after, _ = fit_through_the_cycle(data, policy, data.frame, data.y, seed=0)

    def gap(model) -> float:
        approved = np.isin(model.grade_of(model.credit_score(later)), approving)
        return float(approved[wage].mean() - approved[exposed].mean())

    def overstated(model) -> float:
        return float(model.predict_pd(later)[exposed].mean() / true_pd[exposed].mean())

    # then: wage earners' lead in the approving grades shrinks, and fishing and mussel PDs come nearer their truth
    assert exposed.sum() >= 50 and wage.sum() >= 50
    assert gap(after) < gap(before)
    assert overstated(after) < overstated(before)


def test_kuozhong_train_as_booked_records_the_weighting_off(tmp_path, capsys, monkeypatch):
    # given an empty store
    import mlflow

    from tests.cli_runner import run_kuozhong
    from training.tracking import TrackingConfig

    store = tmp_path / "mlruns"
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    # when the risk team trains on the book as it was
    code, err = run_kuozhong(capsys, monkeypatch, "train", "--dataset", "german-credit", "--as-booked")
    # then the run says the through-the-cycle weighting was off and nothing was reweighted
    assert code == 0, err
    uri = TrackingConfig(store=store).tracking_uri
    runs = mlflow.MlflowClient(uri).search_runs(
        [e.experiment_id for e in mlflow.MlflowClient(uri).search_experiments()])
    assert len(runs) == 1
    assert runs[0].data.params["through_the_cycle"] == "False"
    assert runs[0].data.params["cycle_rows_reweighted"] == "0"
