"""跃迁 flags (households that rose out of the group) as rule inputs: each request's latest flag on or before its date.

The table (``household_id``, ``flagged_on``, ``evidence``) is written by monitoring's revisits and the yearly list
refresh; absent, it is empty and no household is flagged. The eligibility rule ``UPWARD_MOBILITY`` reads the two
columns made here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ("upward_mobility_flagged_on", "upward_mobility_evidence")


@dataclass
class UpwardMobilityIndex:
    """Flag days (sorted) and evidence per household."""

    by_household: dict[str, tuple[np.ndarray, list[str | None]]]

    @classmethod
    def from_table(cls, table: pd.DataFrame | None) -> UpwardMobilityIndex:
        """Index a flags table; None or an empty table flags nobody."""
        if table is None or table.empty or "household_id" not in table.columns:
            return cls({})
        days = pd.to_datetime(table["flagged_on"]).to_numpy().astype("datetime64[D]").astype(np.int64)
        evidence = (table["evidence"] if "evidence" in table.columns else pd.Series(None, index=table.index))
        frame = pd.DataFrame({"household_id": table["household_id"].astype(str).to_numpy(), "day": days,
                              "evidence": evidence.to_numpy(dtype=object)}).sort_values(["household_id", "day"],
                                                                                        kind="stable")
        out: dict[str, tuple[np.ndarray, list[str | None]]] = {}
        for household, part in frame.groupby("household_id", sort=False):
            out[str(household)] = (part["day"].to_numpy(), [None if pd.isna(e) else str(e) for e in part["evidence"]])
        return cls(out)

    def lookup(self, households: np.ndarray, as_of_day: np.ndarray) -> dict[str, np.ndarray]:
        """The latest flag on or before each request's as-of day (ISO date text and evidence; None when none)."""
        flagged = np.full(households.size, None, dtype=object)
        evidence = np.full(households.size, None, dtype=object)
        if self.by_household:
            for i, household in enumerate(households):
                found = self.by_household.get(household)
                if found is None:
                    continue
                k = int(np.searchsorted(found[0], as_of_day[i], side="right")) - 1
                if k >= 0:
                    flagged[i] = str(np.datetime64(int(found[0][k]), "D"))
                    evidence[i] = found[1][k]
        return {COLUMNS[0]: flagged, COLUMNS[1]: evidence}
