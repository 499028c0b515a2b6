"""Finding a household: by name, phone, full or masked ID number, within a township; whose ID is whose.

Built once from the sources the service holds (base list and visit forms), with the PAD visit store asked
beside it. Answers carry masked identity only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.ids import is_valid_id_number, mask_id_number, mask_name, mask_phone
from features.sources.load import RawSources
from serving.store.visits import VisitStore

_MASKED = re.compile(r"^(\d{6})\*{0,8}(\d{3}[\dX])$")
_PHONE = re.compile(r"^[0-9+\- ]{7,20}$")


def _normal(value: object) -> str:
    return "".join(str(value).split()).upper() if isinstance(value, str) else ""


@dataclass
class HouseholdIndex:
    """Who is in which household, as the bank's data says."""

    township: dict[str, str] = field(default_factory=dict)
    name_of: dict[str, str] = field(default_factory=dict)
    id_of: dict[str, str] = field(default_factory=dict)
    phone_of: dict[str, str] = field(default_factory=dict)
    dates: dict[str, np.ndarray] = field(default_factory=dict)  # each household's record days, sorted
    by_id: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_phone: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_masked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    ids_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def from_sources(cls, sources: RawSources) -> HouseholdIndex:
        """Index the base list and every visit form's applicant and members."""
        index = cls()
        base = sources.base_list
        for hh, name, number, township in zip(base["household_id"].astype(str), base.get("name", ""),
                                              base["id_number"], base.get("township", ""), strict=False):
            index._add(hh, name=name, number=number, township=township)
        visits = sources.visits
        if not visits.empty:
            for hh, applicant, residence, members in zip(
                    visits["household_id"].astype(str), visits["applicant"], visits["residence"],
                    visits["members"] if "members" in visits else [None] * len(visits), strict=True):
                applicant = applicant if isinstance(applicant, dict) else {}
                residence = residence if isinstance(residence, dict) else {}
                index._add(hh, name=applicant.get("name"), number=applicant.get("id_number"),
                           phone=applicant.get("phone"), township=residence.get("township"))
                for person in members if isinstance(members, list) else []:
                    if isinstance(person, dict) and person.get("id_number"):
                        index._add(hh, number=person["id_number"], applicant=False)
        index.dates = record_days(sources)
        return index

    def newest(self, hh: str, on_or_before: dt.date | None = None) -> dt.date | None:
        """The household's newest dated record (on or before a day), or None."""
        days = self.dates.get(hh)
        if days is None or not days.size:
            return None
        if on_or_before is None:
            return days[-1].astype("datetime64[D]").astype(dt.date)
        cut = int(np.searchsorted(days, np.datetime64(on_or_before, "D"), side="right"))
        return None if cut == 0 else days[cut - 1].astype("datetime64[D]").astype(dt.date)

    def _add(self, hh: str, *, name: Any = None, number: Any = None, phone: Any = None, township: Any = None,
             applicant: bool = True) -> None:
        if isinstance(township, str) and township:
            self.township[hh] = township
        number = _normal(number)
        if number:
            self.by_id[number].add(hh)
            self.ids_of[hh].add(number)
            self.by_masked[mask_id_number(number)].add(hh)
            if applicant:
                self.id_of[hh] = number
        if isinstance(name, str) and name.strip() and applicant:
            self.by_name[name.strip()].add(hh)
            self.name_of[hh] = name.strip()
        phone = _normal(phone)
        if phone:
            self.by_phone[phone].add(hh)
            self.phone_of[hh] = phone

    def search(self, query: str, visits: VisitStore | None) -> list[str]:
        """Households matching a name, a phone, a full ID number or a masked one (6 + 4 digits)."""
        text = _normal(query)
        found: list[str] = []
        if len(text) == 18 and is_valid_id_number(text):
            found += sorted(self.by_id.get(text, ()))
            found += visits.households_matching("id", text) if visits else []
        elif (masked := _MASKED.match(text)) is not None:
            shown = f"{masked.group(1)}********{masked.group(2)}"
            found += sorted(self.by_masked.get(shown, ()))
            found += visits.households_masked(shown) if visits else []
        elif _PHONE.match(text) and any(c.isdigit() for c in text):
            found += sorted(self.by_phone.get(text, ()))
            found += visits.households_matching("phone", text) if visits else []
        else:
            found += sorted(self.by_name.get(query.strip(), ()))
            found += visits.households_matching("name", query.strip()) if visits else []
        return list(dict.fromkeys(found))

    def summary(self, hh: str) -> dict[str, Any]:
        """What a search result shows: household, masked identity, township, newest record."""
        newest = self.newest(hh)
        return {"household_id": hh, "name_masked": mask_name(self.name_of.get(hh)),
                "id_masked": mask_id_number(self.id_of.get(hh)), "phone_masked": mask_phone(self.phone_of.get(hh)),
                "township": self.township.get(hh, ""),
                "newest_record": None if newest is None else newest.isoformat()}


def record_days(sources: RawSources) -> dict[str, np.ndarray]:
    """Each household's dated records (visits, account flows, the repayment grid, queries) as sorted days."""
    parts = []
    for frame, column in ((sources.visits, "visited_at"), (sources.account_flows, "month"),
                          (sources.repayment_history, "month"), (sources.credit_queries, "query_date")):
        if not frame.empty and column in frame:
            parts.append(pd.DataFrame({"household_id": frame["household_id"].astype(str),
                                       "day": pd.to_datetime(frame[column])}))
    if not parts:
        return {}
    frame = pd.concat(parts, ignore_index=True).sort_values(["household_id", "day"], kind="stable")
    days = frame["day"].to_numpy().astype("datetime64[D]")
    households = frame["household_id"].to_numpy()
    cuts = np.flatnonzero(households[1:] != households[:-1]) + 1
    starts, stops = np.r_[0, cuts], np.r_[cuts, len(frame)]
    return {str(households[a]): days[a:b] for a, b in zip(starts, stops, strict=True)} if len(frame) else {}
