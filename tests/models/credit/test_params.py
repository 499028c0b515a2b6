"""LightGBM parameters from a file are checked before anything is fitted or logged."""

import pytest

from models.credit.model import ParamsError, check_params


@pytest.mark.parametrize(("params", "names"), [
    ({"num_leaves": -3}, ["num_leaves = -3", "num_leaves > 1"]),
    ({"learning_rate": 0.05, "subsample": 1.5}, ["subsample = 1.5", "bagging_fraction <= 1.0"]),
    ({"max_depth": 2.5}, ["max_depth = 2.5", "type int"]),
    ({"num_leves": 15}, ["'num_leves' is not a LightGBM parameter"]),
    ({"objective": "regression"}, ["objective = 'regression'", "set by the credit model"]),
    ({"application": "regression"}, ["application = 'regression'", "set by the credit model"]),
    ({"random_seed": 3}, ["random_seed = 3", "set by the credit model"]),
])
def test_a_refused_parameter_is_named_with_its_value_and_rule(params, names):
    # given parameters LightGBM or the credit model would refuse
    # when they are checked
    with pytest.raises(ParamsError) as refused:
        check_params(params, source="--params p.yaml")
    # then the message names the file, the parameter, its value and the rule
    message = str(refused.value)
    assert message.startswith("--params p.yaml: ")
    for part in names:
        assert part in message


def test_usable_parameters_pass_under_their_lightgbm_and_sklearn_names():
    # given the sklearn names the defaults use, native LightGBM names and aliases
    params = {"learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 30, "lambda_l2": 2.0,
              "feature_fraction": 0.7, "n_estimators": 500, "objective": "binary", "path_smooth": 1.0}
    # when / then
    check_params(params)
