"""Risk sides of the input matrix: a reference that is itself missing gives side 0, quietly."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from models.explain.reference import risk_sides


@pytest.fixture(scope="module")
def model(trained_store):
    _, result = trained_store
    return result.model


def test_a_missing_reference_gives_no_side_and_no_cast_warning(model):
    # given a model whose reference for one directional feature is missing (a feature never seen in training)
    directions = dict(zip(model.features, model.monotone_constraints(), strict=True))
    name = next(f for f, d in directions.items() if d != 0 and model.reference_.get(f, {}).get("kind") != "bad_rate")
    j = model.features.index(name)
    odd = copy.copy(model)
    odd.reference_ = {**model.reference_, name: {**model.reference_[name], "median": float("nan"),
                                                  "mean": float("nan")}}
    matrix = np.zeros((4, len(model.features)))
    matrix[:, j] = [1.0, -1.0, np.nan, np.inf]
    # when the sides are taken
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sides, claimed = risk_sides(odd, matrix, {})
    # then the column has no side anywhere (it was 0 before too, through a NaN cast), the present cells are claimed
    assert sides[:, j].tolist() == [0, 0, 0, 0]
    assert claimed[:, j].tolist() == [True, True, False, True]
    # and the other features keep the sides the unchanged model gives
    ref_sides, _ = risk_sides(model, matrix, {})
    keep = [k for k in range(len(model.features)) if k != j]
    assert (sides[:, keep] == ref_sides[:, keep]).all()
