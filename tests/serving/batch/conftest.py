"""The batch tests' shared fixture: the champion of the session's trained store, loaded once per module."""

from __future__ import annotations

import pytest

from tests.serving.batch.fixtures import store_env
from training.registry import LoadedModel, load_by_alias


@pytest.fixture(scope="module")
def loaded(trained_store) -> LoadedModel:
    with store_env(trained_store[0]):
        return load_by_alias("champion")
