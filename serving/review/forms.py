"""The 采集表 as a reviewer sees it: masked identity, the visit's date, GPS and photos, and what bears on 扩中 status.

Health answers are left out (a reviewer judges income and residence, not illness) and identity is masked before
the snapshot leaves this module: ID first 6 + last 4, the surname only, the phone's first 3 and last 4 digits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from features.build.geo import gps_in_township
from features.ids import mask_id_number, mask_name, mask_phone
from models.policy import Policy

MEMBER_FIELDS = ("relation", "age", "sex", "civil_capacity")


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and NA to None, numpy scalars to Python, timestamps to ISO text."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def masked_form(visit: Mapping[str, Any], policy: Policy) -> dict[str, Any]:
    """The reviewer's read-only view of one visit form (a PAD record as ``load_sources`` reads it)."""
    applicant = visit.get("applicant") or {}
    residence = visit.get("residence") or {}
    gps = visit.get("gps") or {}
    township = residence.get("township")
    lat, lon = gps.get("lat"), gps.get("lon")
    in_township = gps_in_township(np.array([lat if lat is not None else np.nan], dtype=float),
                                  np.array([lon if lon is not None else np.nan], dtype=float),
                                  np.array([township], dtype=object))[0]
    members = [{k: m.get(k) for k in MEMBER_FIELDS} for m in (visit.get("members") or [])]
    size = len(members) or None
    income = visit.get("declared_income") or {}
    total = income.get("total")
    cap = round(policy.eligibility.household_income_cap(size), 2) if size else None
    visited_at = pd.Timestamp(visit["visited_at"])
    return _plain({
        "visit_id": visit.get("visit_id"),
        "visited_on": visited_at.date().isoformat(),
        "visited_at": visited_at.isoformat(),
        "account_manager_id": visit.get("account_manager_id"),
        "duration_min": visit.get("duration_min"),
        "gps": {"lat": lat, "lon": lon, "accuracy_m": gps.get("accuracy_m"),
                "in_township": None if np.isnan(in_township) else bool(in_township)},
        "photo_count": visit.get("photo_count"),
        "applicant": {"name": mask_name(applicant.get("name")), "id_number": mask_id_number(applicant.get("id_number")),
                      "phone": mask_phone(applicant.get("phone"))},
        "township": township,
        "fixed_residence": residence.get("fixed_residence"),
        "years_at_address": residence.get("years_at_address"),
        "household_size": size,
        "members": members,
        "livelihood": visit.get("livelihood"),
        "declared_income": {k: v for k, v in income.items() if k != "main"},
        "income_cap": cap,
        "income_within_cap": None if total is None or cap is None else bool(round(total * 100) <= round(cap * 100)),
        "expenses": visit.get("expenses") or {},
        "debt_balance": sum(float(d.get("balance") or 0.0) for d in (visit.get("debts") or [])),
        "assets": visit.get("assets") or {},
        "licences": [x.get("name") for x in (visit.get("licences") or [])],
        "declaration_signed": visit.get("declaration_signed"),
    })


def unvisited_form(township: str) -> dict[str, Any]:
    """The view of a 补充 household not visited yet: the bank visits it before it can be judged."""
    return {"visit_id": None, "visited_on": None, "township": township, "photo_count": None,
            "gps": {"lat": None, "lon": None, "accuracy_m": None, "in_township": None},
            "applicant": {"name": "", "id_number": "", "phone": ""}, "note": "尚未走访：待县农商银行入户走访后补充采集表"}
