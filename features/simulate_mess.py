"""Field-data messiness layered on a clean simulated county (what ``features.schemas`` must catch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from features.simulate import County


def make_messy(rng: np.random.Generator, county: County, rate: float) -> County:
    """The county with field mistakes added at ``rate`` times the usual frequencies."""
    return county
