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
# The plan's county books about 5% of its households' applications and they default at rural-bank rates (~2%), so a
# small county holds a handful of bad loans; the shared fixture is a busier, riskier county (every visited
# eligible household applies, half of the others, PD log-odds +2) so that its booked loans hold both outcomes in
# numbers a model can be trained and validated on. The plan's own county is tested in tests/features/simulate.
FIXTURE_COUNTY = {"households": 3000, "seed": SEED, "application_rate": 1.0, "ineligible_application_rate": 0.5,
                  "risk_shift": 2.0}
pytest_plugins = ["tests.serving.serving_fixtures"]  # PostgreSQL server and app fixtures


@pytest.fixture(scope="session")
def county() -> County:
    return simulate_county(SimulationConfig(**FIXTURE_COUNTY))


@pytest.fixture(scope="session")
def clean_county() -> County:
    """The same county without field-data mistakes (for tests of logic that runs after validation)."""
    return simulate_county(SimulationConfig(**FIXTURE_COUNTY, messiness=0.0))


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
