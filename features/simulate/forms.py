"""Simulated PAD visit forms (扩中家庭信息采集表) and the revisit forms a year after a loan is signed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.simulate.households import Households
from features.simulate.world import (
    ACCOUNT_MANAGERS_PER_TOWNSHIP,
    BRANCH_OFFICE,
    BUSINESS_LIVELIHOODS,
    HURRIED_MANAGERS,
    TOWNSHIP_CENTRES,
    TOWNSHIPS,
)

LIVELIHOOD_LICENCES = {
    "fishing": ("fishing_capture", "捕捞证"),
    "mussel": ("fishing_aquaculture", "养殖证"),
    "bnb": ("business_bnb", "民宿经营许可证"),
    "shop": ("business_shop", "个体工商户营业执照"),
}


@dataclass
class Holdings:
    """What each household holds, as its visit form records it; the loans it pledges come from these."""

    boat: np.ndarray     # owns a fishing boat
    house: np.ndarray    # owns its house (a 住房抵押 can be registered on it)
    licence: np.ndarray  # holds its livelihood's licence (捕捞证, 养殖证, B&B permit, shop licence)


def draw_holdings(rng: np.random.Generator, hh: Households) -> Holdings:
    """Boats for 60% of fishing households, houses for 82% of all, the livelihood's licence for 85% of those."""
    boat = (hh.livelihood == "fishing") & (rng.random(hh.n) < 0.6)
    licence = np.isin(hh.livelihood, list(LIVELIHOOD_LICENCES)) & (rng.random(hh.n) < 0.85)
    house = rng.random(hh.n) < 0.82
    return Holdings(boat, house, licence)


@dataclass
class VisitPlan:
    """Who visits whom, when and how (per household; the form builder reads these arrays)."""

    visited: np.ndarray
    visited_at: pd.DatetimeIndex
    manager: np.ndarray
    hurried: np.ndarray
    home_lat: np.ndarray
    home_lon: np.ndarray


def account_managers() -> pd.DataFrame:
    """The bank's account managers (客户经理), four per township, and the township they cover."""
    rows = [{"account_manager_id": manager_id(t, k), "township": TOWNSHIPS[t], "branch": f"嵊泗农商银行{TOWNSHIPS[t]}网点"}
            for t in range(len(TOWNSHIPS)) for k in range(ACCOUNT_MANAGERS_PER_TOWNSHIP)]
    return pd.DataFrame(rows)


def manager_id(township: int, number: int) -> str:
    """Account manager id: AM, township index (2 digits), number within the township."""
    return f"AM{township:02d}{number}"


def plan_visits(rng: np.random.Generator, hh: Households, visited: np.ndarray) -> VisitPlan:
    """The visits of stage 2 on each household's visit day (the plan's pace), applicants 3-60 days before applying."""
    n = hh.n
    minutes = rng.integers(8 * 60, 18 * 60, n)
    visited_at = pd.DatetimeIndex(hh.visit_dates + pd.to_timedelta(minutes, unit="min"))
    number = rng.integers(0, ACCOUNT_MANAGERS_PER_TOWNSHIP, n)
    manager = np.array([manager_id(int(t), int(k)) for t, k in zip(hh.township, number, strict=True)])
    hurried_set = {manager_id(t, k) for t, k in HURRIED_MANAGERS}
    hurried = np.isin(manager, list(hurried_set))
    centre = TOWNSHIP_CENTRES[hh.township]
    home_lat = np.round(centre[:, 0] + rng.normal(0, 0.006, n), 6)
    home_lon = np.round(centre[:, 1] + rng.normal(0, 0.008, n), 6)
    return VisitPlan(visited, visited_at, manager, hurried, home_lat, home_lon)


def income_by_source(rng: np.random.Generator, hh: Households, total: np.ndarray) -> list[dict[str, float]]:
    """Split each household's declared income over its sources: the main livelihood, pensions of the old, wages."""
    m = hh.members
    elderly = np.bincount(m.household, weights=(m.age >= 60) & (m.relation != "户主"), minlength=hh.n)
    adults = np.bincount(m.household, weights=(m.age >= 18) & (m.age < 60) & (m.relation != "户主"), minlength=hh.n)
    pension_part = np.where(hh.livelihood == "pension", 0.0, np.minimum(elderly * rng.uniform(3_600, 30_000, hh.n),
                                                                        0.4 * total))
    wage_part = np.where((adults > 0) & (hh.livelihood != "wage") & (rng.random(hh.n) < 0.45),
                         total * rng.uniform(0.1, 0.35, hh.n), 0.0)
    main_part = total - pension_part - wage_part
    out = []
    for i in range(hh.n):
        parts = {str(hh.livelihood[i]): main_part[i]}
        if pension_part[i] > 0:
            parts["pension"] = parts.get("pension", 0.0) + pension_part[i]
        if wage_part[i] > 0:
            parts["wage"] = parts.get("wage", 0.0) + wage_part[i]
        out.append({k: float(np.round(v, -2)) for k, v in parts.items()})
    return out


def member_records(hh: Households) -> list[list[dict]]:
    """Each household's members as the PAD lists them (head first)."""
    m = hh.members
    flat = [{"relation": r, "age": a, "sex": x, "civil_capacity": c, "health": h, "schooling": e}
            for r, a, x, c, h, e in zip(m.relation.tolist(), m.age.tolist(), m.sex.tolist(),
                                        m.civil_capacity.tolist(), m.health.tolist(), m.schooling.tolist(),
                                        strict=True)]
    bounds = np.append(m.start, len(flat)).tolist()
    return [flat[bounds[i]:bounds[i + 1]] for i in range(hh.n)]


def _quality(rng: np.random.Generator, plan: VisitPlan, rows: np.ndarray) -> dict[str, np.ndarray]:
    """GPS, photo count and duration: careful visits at the home, hurried ones short and from the branch."""
    k = rows.size
    hurried = plan.hurried[rows]
    from_branch = hurried & (rng.random(k) < 0.6)
    lat = np.where(from_branch, BRANCH_OFFICE[0] + rng.normal(0, 0.0003, k), plan.home_lat[rows] + rng.normal(0, 2e-4, k))
    lon = np.where(from_branch, BRANCH_OFFICE[1] + rng.normal(0, 0.0003, k), plan.home_lon[rows] + rng.normal(0, 2e-4, k))
    photos = np.where(hurried, rng.integers(0, 2, k), 1 + rng.poisson(3.0, k))
    duration = np.where(hurried, rng.uniform(5, 12, k), np.clip(rng.normal(35, 10, k), 12, 95))
    accuracy = np.where(rng.random(k) < 0.9, rng.uniform(3, 15, k), rng.uniform(15, 80, k))
    return {"lat": np.round(lat, 6), "lon": np.round(lon, 6), "photos": photos, "duration": np.round(duration, 1),
            "accuracy": np.round(accuracy, 1)}


def visit_forms(rng: np.random.Generator, hh: Households, plan: VisitPlan, declared_total: np.ndarray,
                by_source: list[dict[str, float]], requested: np.ndarray, purpose: np.ndarray, debt_balance: np.ndarray,
                signed: np.ndarray, fixed_residence: np.ndarray, holds: Holdings) -> list[dict]:
    """One PAD record per visited household, nested as the PAD exports it (assets and licences from ``holds``)."""
    rows = np.flatnonzero(plan.visited)
    q = _quality(rng, plan, rows)
    living = np.round(12 * (1_500 + 800 * hh.size) * rng.lognormal(0, 0.25, hh.n), -2)
    m = hh.members
    sick = np.bincount(m.household, weights=np.isin(m.health, ["chronic", "serious"]), minlength=hh.n)
    pupils = np.bincount(m.household, weights=(m.age >= 6) & (m.age < 23), minlength=hh.n)
    medical = np.round(sick * rng.uniform(2_000, 15_000, hh.n), -2)
    education = np.round(pupils * rng.uniform(3_000, 12_000, hh.n), -2)
    business = np.isin(hh.livelihood, BUSINESS_LIVELIHOODS)
    production = np.round(np.where(business, hh.annual_income * rng.uniform(0.1, 0.35, hh.n), 0.0), -2)
    informal = np.where(rng.random(hh.n) < 0.12, np.round(rng.uniform(10_000, 80_000, hh.n), -3), 0.0)
    boat, house = holds.boat, holds.house
    years = rng.integers(1, 40, hh.n)
    need_draw = rng.random((hh.n, 4))
    members = member_records(hh)
    ids, managers, names = hh.ids.tolist(), plan.manager.tolist(), hh.names.tolist()
    id_numbers, phones, livelihoods = hh.id_numbers.tolist(), hh.phones.tolist(), hh.livelihood.tolist()
    townships = [TOWNSHIPS[t] for t in hh.township.tolist()]
    fixed, signed_l, years_l = fixed_residence.tolist(), signed.tolist(), years.tolist()
    declared_l, requested_l, purpose_l = declared_total.tolist(), requested.tolist(), purpose.tolist()
    debt_l, informal_l, boat_l, house_l = debt_balance.tolist(), informal.tolist(), boat.tolist(), house.tolist()
    living_l, medical_l, education_l, production_l = (living.tolist(), medical.tolist(), education.tolist(),
                                                      production.tolist())
    need_l, business_l, sick_l, pupils_l = need_draw.tolist(), business.tolist(), sick.tolist(), pupils.tolist()
    lat, lon, acc = q["lat"].tolist(), q["lon"].tolist(), q["accuracy"].tolist()
    photos, duration = q["photos"].tolist(), q["duration"].tolist()
    stamps = plan.visited_at[rows]
    starts = stamps.strftime("%Y-%m-%dT%H:%M:%S").tolist()
    ends = (stamps + pd.to_timedelta(q["duration"], unit="min")).floor("s").strftime("%Y-%m-%dT%H:%M:%S").tolist()
    days = stamps.strftime("%Y-%m-%d").tolist()
    licence_l = holds.licence.tolist()
    forms = []
    for k, i in enumerate(rows.tolist()):
        lv = livelihoods[i]
        licences = []
        if licence_l[i]:
            code, label = LIVELIHOOD_LICENCES[lv]
            licences.append({"type": code, "name": label, "number": f"{ids[i][-6:]}-{code[-3:].upper()}"})
        debts = []
        if debt_l[i] > 0:
            debts.append({"lender": "银行", "balance": debt_l[i], "monthly_payment": round(debt_l[i] / 12 * 1.05, -1)})
        if informal_l[i] > 0:
            debts.append({"lender": "亲友/民间借贷", "balance": informal_l[i], "monthly_payment": 0.0})
        p, need = purpose_l[i], need_l[i]
        forms.append({
            "visit_id": f"V{ids[i][1:]}",
            "visit_type": "initial",
            "household_id": ids[i],
            "account_manager_id": managers[i],
            "visited_at": starts[k],
            "ended_at": ends[k],
            "duration_min": duration[k],
            "gps": {"lat": lat[k], "lon": lon[k], "accuracy_m": acc[k]},
            "photo_count": photos[k],
            "applicant": {"name": names[i], "id_number": id_numbers[i], "phone": phones[i], "relation": "户主"},
            "residence": {"township": townships[i], "fixed_residence": fixed[i], "years_at_address": years_l[i]},
            "members": members[i],
            "livelihood": lv,
            "declared_income": {"main": declared_l[i], "total": declared_l[i], **by_source[i]},
            "expenses": {"living": living_l[i], "medical": medical_l[i], "education": education_l[i],
                         "production": production_l[i]},
            "debts": debts,
            "assets": {"fishing_boat": boat_l[i], "house": house_l[i],
                       "fishing_permit": any(x["type"] == "fishing_capture" for x in licences),
                       "aquaculture_permit": any(x["type"] == "fishing_aquaculture" for x in licences),
                       "bnb_licence": any(x["type"] == "business_bnb" for x in licences)},
            "licences": licences,
            "needs": {"business": p == "business" or (business_l[i] and need[0] < 0.5),
                      "medical": p == "medical" or (sick_l[i] > 0 and need[1] < 0.3),
                      "education": p == "education" or (pupils_l[i] > 0 and need[2] < 0.3),
                      "housing": p == "housing" or need[3] < 0.08},
            "requested_amount": requested_l[i],
            "purpose": p,
            "declaration_signed": signed_l[i],
            "declaration_signed_at": days[k] if signed_l[i] else None,
        })
    return forms


def revisit_forms(rng: np.random.Generator, hh: Households, plan: VisitPlan, ledger: pd.DataFrame,
                  apps: pd.DataFrame, by_source: list[dict[str, float]], growth: np.ndarray,
                  ) -> tuple[list[dict], np.ndarray]:
    """Revisits a year after signing (every borrower) or 90-160 days after applying (a fifth of other applicants).

    Returns the forms and, per household, the true income at the revisit (NaN when not revisited).
    """
    code = {h: i for i, h in enumerate(hh.ids.tolist())}
    loan_of = dict(zip(ledger["household_id"], ledger["loan_id"], strict=True))
    signed_of = dict(zip(ledger["household_id"], ledger["signed_on"], strict=True))
    purpose_of = dict(zip(apps["household_id"], apps["purpose"], strict=True))
    others = apps.loc[~apps["household_id"].isin(loan_of), ["household_id", "application_date"]]
    others = others[rng.random(len(others)) < 0.2]
    who = [(h, signed_of[h]) for h in ledger["household_id"]] + list(
        others.itertuples(index=False, name=None))
    rows = np.array([code[h] for h, _ in who], dtype=int)
    q = _quality(rng, plan, rows)
    delay = rng.integers(330, 401, rows.size)
    # borrowers: the yearly revisit; other applicants are followed up within months (贷后跟进 from 2023-10)
    delay = np.where(np.arange(rows.size) >= len(ledger), delay - 240, delay)
    noise = rng.normal(0, 0.08, rows.size)
    misused = rng.random(rows.size) < 0.03
    true_income = np.full(hh.n, np.nan)
    forms = []
    for k, ((h, since), i) in enumerate(zip(who, rows.tolist(), strict=True)):
        years = delay[k] / 365.25
        factor = float(np.exp(growth[i] * years))
        true_income[i] = hh.annual_income[i] * factor
        declared = {s: float(np.round(v * factor * np.exp(noise[k]), -2)) for s, v in by_source[i].items()}
        visited_at = pd.Timestamp(since) + pd.Timedelta(days=int(delay[k]), hours=10)
        loan = loan_of.get(h)
        purpose = str(purpose_of.get(h, ""))
        forms.append({
            "visit_id": f"R{h[1:]}",
            "visit_type": "revisit",
            "household_id": h,
            "loan_id": loan,
            "account_manager_id": str(plan.manager[i]),
            "visited_at": visited_at.isoformat(),
            "duration_min": float(q["duration"][k]),
            "gps": {"lat": float(q["lat"][k]), "lon": float(q["lon"][k]), "accuracy_m": float(q["accuracy"][k])},
            "photo_count": int(q["photos"][k]),
            "household_size": int(hh.size[i]),
            "residence": {"township": TOWNSHIPS[hh.township[i]], "fixed_residence": True},
            "livelihood": str(hh.livelihood[i]),
            "declared_income": {"main": float(sum(declared.values())), "total": float(sum(declared.values())),
                                **declared},
            "loan_use": None if loan is None else {
                "declared_purpose": purpose,
                "observed_use": ("consumption" if purpose != "housing" else "business") if misused[k] else purpose,
                "as_declared": not bool(misused[k])},
        })
    return forms, true_income
