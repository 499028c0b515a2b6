from features.datasets import load_dataset
from training.tune import study_storage, tune


def test_tuning_registers_the_best_trial_and_resumes(mlflow_store, policy):
    # given
    data = load_dataset("german-credit")
    # when
    first = tune(data, policy, trials=2, seed=2, plots=False)
    resumed = tune(data, policy, trials=3, seed=2, plots=False)
    # then
    assert first.n_trials == 2 and resumed.n_trials == 3
    assert resumed.study_name == first.study_name
    assert resumed.trained is not None and resumed.trained.alias == "challenger"
    assert 0.6 < resumed.best_value <= 1.0
    assert study_storage().endswith("optuna.db")
