"""The government's 最终名单 as rule inputs: each household's status on the list as it stood on the decision date.

The final list (source ``final_list``: ``household_id``, ``list_version``, ``effective_on``, ``list_status``) is
versioned; a version lists the households whose status it set. The list as it stood on a date is, for each
household, its row in the latest version in force on or before that date. The ``ON_LIST`` rule reads the two
columns made here (``final_list_status``, ``final_list_version``) before the base list's status, and the Decision records the list version it consulted. Absent,
the table is empty and every household has no final-list status (the policy says whether the base list's flag
stands then).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ("final_list_status", "final_list_version")  # beside the base list's own list_status


@dataclass
class FinalListIndex:
    """Per household: days in force (sorted), statuses; and every version's first day in force."""

    by_household: dict[str, tuple[np.ndarray, list[str]]]
    version_days: np.ndarray  # day each version came into force, sorted by version
    versions: np.ndarray

    @classmethod
    def from_table(cls, table: pd.DataFrame | None) -> FinalListIndex:
        """Index a final-list table; None or an empty table gives no status to anyone."""
        if table is None or table.empty or "list_version" not in table.columns:
            return cls({}, np.array([], dtype=np.int64), np.array([], dtype=np.int64))
        frame = pd.DataFrame({
            "household_id": table["household_id"].astype(str).to_numpy(),
            "version": table["list_version"].astype(np.int64).to_numpy(),
            "day": pd.to_datetime(table["effective_on"]).to_numpy().astype("datetime64[D]").astype(np.int64),
            "status": table["list_status"].astype(str).to_numpy()}).sort_values(["household_id", "day", "version"],
                                                                                kind="stable")
        out: dict[str, tuple[np.ndarray, list[str]]] = {}
        for household, part in frame.groupby("household_id", sort=False):
            out[str(household)] = (part["day"].to_numpy(), part["status"].tolist())
        first = frame.groupby("version")["day"].min().sort_index()
        return cls(out, first.to_numpy(), first.index.to_numpy())

    def version_on(self, day: int) -> int | None:
        """The latest version in force on a day (days since 1970-01-01), or None before the first."""
        valid = self.versions[self.version_days <= day]
        return int(valid.max()) if valid.size else None

    def lookup(self, households: np.ndarray, as_of_day: np.ndarray) -> dict[str, np.ndarray]:
        """Each request's status on the list as it stood on its as-of day, and that list's version (None: none)."""
        status = np.full(households.size, None, dtype=object)
        version = np.full(households.size, None, dtype=object)
        if not self.versions.size:
            return {COLUMNS[0]: status, COLUMNS[1]: version}
        for i, household in enumerate(households):
            found_version = self.version_on(int(as_of_day[i]))
            if found_version is None:
                continue
            version[i] = str(found_version)
            found = self.by_household.get(household)
            if found is None:
                continue
            k = int(np.searchsorted(found[0], as_of_day[i], side="right")) - 1
            if k >= 0:
                status[i] = found[1][k]
        return {COLUMNS[0]: status, COLUMNS[1]: version}
