"""Shared fixtures: a small simulated county made by the code itself, and an MLflow store under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.build.table import training_table
from features.simulate.county import County, SimulationConfig, simulate_county
from features.sources.load import RawSources, load_sources
from models.policy import Policy, load_policy

SEED = 7
# The shared county is SimulationConfig.trainable: the plan's county books too few bad loans at this size to train
# and validate a model on; the plan's own county is tested at full size in tests/features/simulate/test_program.py.
# Only loans booked a year before the end of the data carry an outcome (about half the booked ones), hence 7,500.
COUNTY_HOUSEHOLDS = 7500
pytest_plugins = ["tests.serving.serving_fixtures"]  # PostgreSQL server and app fixtures


@pytest.fixture(scope="session")
def county() -> County:
    return simulate_county(SimulationConfig.trainable(COUNTY_HOUSEHOLDS, SEED))


@pytest.fixture(scope="session")
def clean_county() -> County:
    """The same county without field-data mistakes (for tests of logic that runs after validation)."""
    return simulate_county(SimulationConfig.trainable(COUNTY_HOUSEHOLDS, SEED, messiness=0.0))


@pytest.fixture(scope="session")
def data_dir(county: County, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    county.write(folder)
    return folder


@pytest.fixture(scope="session")
def sources(data_dir: Path) -> RawSources:
    return load_sources(data_dir)


@pytest.fixture(scope="session")
def table(sources: RawSources, policy: Policy) -> pd.DataFrame:
    return training_table(sources, policy)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture()
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    store = tmp_path / "mlruns"
    monkeypatch.setenv("KUOZHONG_MLRUNS", str(store))
    return store


@pytest.fixture(scope="session")
def trained_store(table: pd.DataFrame, policy: Policy, tmp_path_factory: pytest.TempPathFactory):
    """A store with one model registered as @champion (session-wide: training is the slow part)."""
    import os

    from training.registry import set_alias
    from training.train import train_and_register

    store = tmp_path_factory.mktemp("mlruns-session")
    old = os.environ.get("KUOZHONG_MLRUNS")
    os.environ["KUOZHONG_MLRUNS"] = str(store)
    try:
        result = train_and_register(table, policy, seed=SEED, alias="challenger")
        set_alias("champion", result.model_version)
    finally:
        if old is None:
            os.environ.pop("KUOZHONG_MLRUNS", None)
        else:
            os.environ["KUOZHONG_MLRUNS"] = old
    return store, result
