import optuna
import pytest

from features.datasets import load_dataset
from training.tune import default_trial, study_storage, tune


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
    # the study started from the model's defaults, once: resuming did not queue them again
    trials = optuna.load_study(study_name=first.study_name, storage=study_storage()).trials
    assert trials[0].params == pytest.approx(default_trial())
    assert sum(t.params == default_trial() for t in trials) == 1


def test_the_rows_a_trial_is_scored_on_never_choose_when_its_trees_stop(policy):
    # given German Credit, one trial's settings, and a copy whose validation rows have their features shuffled
    import numpy as np
    import optuna
    from sklearn.model_selection import StratifiedKFold

    from models.credit.model import CreditModel
    from training.tune import make_objective

    data = load_dataset("german-credit")
    X, y = data.frame.reset_index(drop=True), data.y
    template = CreditModel(features=data.features, categorical=data.categorical, monotone=data.monotone)
    _, scored = next(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    shuffled = X.copy()
    shuffled.loc[scored, list(data.features)] = X.loc[np.random.default_rng(0).permutation(scored),
                                                       list(data.features)].to_numpy()
    settings = {"learning_rate": 0.1, "num_leaves": 7, "max_depth": 3, "min_child_samples": 20, "reg_lambda": 1.0,
                "reg_alpha": 0.01, "colsample_bytree": 0.8, "subsample": 0.8, "cat_smooth": 10.0, "cat_l2": 10.0,
                "min_data_per_group": 20}
    # when
    trials = []
    for frame in (X, shuffled):
        study = optuna.create_study(direction="maximize")
        study.enqueue_trial(settings)
        study.optimize(make_objective(template, frame, y, seed=0), n_trials=1)
        trials.append(study.trials[0])
    original, changed = trials
    # then the first fold stops where it stopped, and only its score moves
    assert original.user_attrs["best_iteration_fold0"] == changed.user_attrs["best_iteration_fold0"] > 0
    assert changed.value < original.value


@pytest.mark.parametrize(("best_folds", "keeps_defaults"), [
    ([0.81, 0.79, 0.79], False),  # gains 0.01, 0.01, 0.00: mean 0.0067 > standard error 0.0033
    ([0.80, 0.80, 0.78], True),   # gains 0.00, 0.02, -0.01: mean 0.0033 < standard error 0.0088
])
def test_the_best_trial_replaces_the_defaults_only_when_it_beats_them_by_a_standard_error(best_folds,
                                                                                         keeps_defaults):
    # given a study whose first trial is the defaults and whose second scores higher on the same three folds
    from training.tune import best_params, chosen_trial

    folds = {0: [0.80, 0.78, 0.79], 1: best_folds}
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(default_trial())
    study.enqueue_trial({**default_trial(), "num_leaves": 15})

    def objective(trial: optuna.Trial) -> float:
        from training.tune import search_space

        search_space(trial)
        trial.set_user_attr("fold_aucs", folds[trial.number])
        return sum(folds[trial.number]) / 3

    study.optimize(objective, n_trials=2)
    # when
    chosen, why = chosen_trial(study)
    # then
    assert study.best_trial.number == 1
    assert chosen.number == (0 if keeps_defaults else 1)
    assert best_params(study)["num_leaves"] == (7 if keeps_defaults else 15)
    assert why.startswith("defaults" if keeps_defaults else "best trial")

