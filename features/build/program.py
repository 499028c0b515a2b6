"""What the feature builders read from the program's policy: the income cap and a requested loan's monthly service.

The builders sit below the policy (``models.policy``) and never copy its numbers: they take any object with
these members, which ``models.policy.Policy`` has, so ``income_to_cap`` and the INCOME_CAP rule move together
when a policy changes.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class ProgramTerms(Protocol):
    """The policy values features are computed against."""

    @property
    def program_rate(self) -> float:
        """The highest customer rate of a subsidised 共富 loan (the policy's rate cap)."""
        ...

    def monthly_service(self, amount: np.ndarray, purpose: np.ndarray) -> np.ndarray:
        """Monthly debt service of each requested loan at the program rate, by its product's repayment method."""
        ...

    def household_income_caps(self, household_size: np.ndarray) -> np.ndarray:
        """The income cap of each household size under the policy's reading (NaN where the size is unknown)."""
        ...
