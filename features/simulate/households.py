"""Simulated households: township, livelihood, members, income and its seasons, identities (step 1-2 of the story)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.ids import check_digit
from features.simulate.world import (
    FLOW_MONTHS,
    FLOW_START,
    GIVEN,
    INCOME_MEDIAN,
    INCOME_SIGMA,
    LIVELIHOOD_ODDS,
    LIVELIHOODS,
    LOANS_FROM,
    OTHER_REGIONS,
    PILOT_END,
    SEASON,
    SHENGSI_REGION,
    SURNAMES,
    TOWNSHIP_POPULATION,
    TYPHOON_YEARS,
    VISIT_PACE,
)


@dataclass
class Members:
    """Every household member flat (head first within a household), with ``start`` offsets per household."""

    household: np.ndarray
    relation: np.ndarray
    age: np.ndarray
    sex: np.ndarray
    civil_capacity: np.ndarray
    health: np.ndarray
    schooling: np.ndarray
    start: np.ndarray


@dataclass
class Households:
    """The latent and observed make-up of every simulated household (arrays of length n)."""

    ids: np.ndarray
    township: np.ndarray
    livelihood: np.ndarray
    size: np.ndarray
    head_age: np.ndarray
    annual_income: np.ndarray
    discipline: np.ndarray
    season: np.ndarray  # n x FLOW_MONTHS income share by month, shocks included
    exposed: np.ndarray  # n x FLOW_MONTHS typhoon-hit months
    visit_dates: pd.DatetimeIndex  # when the household would be visited (the plan's pace), if it is
    app_dates: pd.DatetimeIndex  # when it would apply after that visit, if it does
    native: np.ndarray
    id_numbers: np.ndarray
    names: np.ndarray
    phones: np.ndarray
    members: Members

    @property
    def n(self) -> int:
        """Number of households."""
        return int(self.ids.size)


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chinese names: a common surname and one or two given characters."""
    surnames = np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), n)]
    first = np.array(list(GIVEN))[rng.integers(0, len(GIVEN), n)]
    second = np.array(list(GIVEN))[rng.integers(0, len(GIVEN), n)]
    two_char = rng.random(n) < 0.6
    return np.char.add(np.char.add(surnames, first), np.where(two_char, second, ""))


def id_numbers_for(regions: np.ndarray, births: pd.DatetimeIndex, male: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Valid GB 11643 ID numbers: region, birth date, sequence (odd for men) and the MOD 11-2 check digit."""
    sequence = rng.integers(0, 500, regions.size) * 2 + male.astype(int)
    # Two people never share an ID number: redraw the sequence of any repeat (the registry guarantees this).
    stem = np.char.add(regions.astype(str), np.asarray(births.strftime("%Y%m%d"), dtype=str))
    for _ in range(20):
        taken = pd.Series(np.char.add(stem, sequence.astype(str))).duplicated().to_numpy()
        if not taken.any():
            break
        sequence[taken] = rng.integers(0, 500, int(taken.sum())) * 2 + male[taken].astype(int)
    first17 = np.char.add(np.char.add(regions.astype(str), np.asarray(births.strftime("%Y%m%d"), dtype=str)),
                          np.char.zfill(sequence.astype(str), 3))
    return np.array([f + check_digit(f) for f in first17.tolist()])


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mainland mobile numbers (13x, 15x, 18x)."""
    prefix = np.array(["13", "15", "18"])[rng.integers(0, 3, n)]
    return np.char.add(prefix, np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))


def _members(rng: np.random.Generator, size: np.ndarray, head_age: np.ndarray, head_male: np.ndarray) -> Members:
    n = size.size
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    hh = np.repeat(np.arange(n), size)
    k = np.arange(hh.size) - start[hh]
    h_age = head_age[hh]
    u = rng.random(hh.size)
    spouse = (k == 1) & (h_age >= 24) & (u < 0.85)
    older_head = h_age >= 55
    v = rng.random(hh.size)
    relation = np.where(k == 0, 0, np.where(spouse, 1, np.where(
        older_head, np.where(v < 0.5, 2, np.where(v < 0.8, 4, 3)), np.where(v < 0.8, 2, 3))))
    relation = np.where((relation == 3) & (h_age > 70), 2, relation)
    age = np.select(
        [relation == 0, relation == 1, relation == 2, relation == 3],
        [h_age, h_age + rng.normal(-2, 3, hh.size), h_age - rng.uniform(22, 34, hh.size),
         h_age + rng.uniform(22, 32, hh.size)],
        h_age - rng.uniform(48, 60, hh.size),
    )
    age = np.clip(np.round(age), 0, 98).astype(int)
    male = np.where(relation == 0, head_male[hh], np.where(relation == 1, ~head_male[hh], rng.random(hh.size) < 0.5))
    w = rng.random(hh.size)
    limited = np.where(age >= 80, 0.06, np.where(relation == 0, 0.01, 0.015))
    civil = np.where(age < 18, "minor", np.where(w < limited * 0.25, "none", np.where(w < limited, "limited", "full")))
    x = rng.random(hh.size)
    p_chronic = np.clip(0.04 + 0.006 * np.maximum(age - 30, 0), 0, 0.6)
    p_serious = np.clip(0.005 + 0.0012 * np.maximum(age - 40, 0), 0, 0.12)
    health = np.where(x < p_serious, "serious", np.where(x < p_serious + 0.01, "disabled",
                      np.where(x < p_serious + 0.01 + p_chronic, "chronic", "good")))
    birth_year = 2025 - age
    y = rng.random(hh.size)
    college = np.clip((birth_year - 1965) * 0.012, 0.0, 0.45)
    schooling = np.where(
        age < 7, "none",
        np.where(age < 13, "primary", np.where(age < 16, "junior", np.where(age < 19, "senior",
                 np.where(y < college, "college", np.where(y < college + 0.2, "senior",
                          np.where(y < college + 0.6, "junior", np.where(birth_year < 1955, "none", "primary"))))))))
    return Members(hh, np.array(["户主", "配偶", "子女", "父母", "孙子女"])[relation], age,
                   np.where(male, "M", "F"), civil, health, schooling, start)


def visit_days(rng: np.random.Generator, n: int) -> pd.DatetimeIndex:
    """A visit day per household at the plan's pace: each period's share of the visits, uniform within it."""
    weights = np.array([count for _, _, count in VISIT_PACE], dtype=float)
    period = rng.choice(len(VISIT_PACE), n, p=weights / weights.sum())
    first = pd.DatetimeIndex([VISIT_PACE[p][0] for p in period])
    length = np.array([(VISIT_PACE[p][1] - VISIT_PACE[p][0]).days + 1 for p in period])
    return first + pd.to_timedelta(np.floor(rng.random(n) * length).astype(int), unit="D")


def draw_households(rng: np.random.Generator, n: int, id_prefix: str, id_offset: int = 0) -> Households:
    """Step 1-2 of the generative story: who lives where, on what, with how much income by month."""
    ids = np.char.add(id_prefix, np.char.zfill((np.arange(n) + id_offset).astype(str), 7))
    township = rng.choice(len(TOWNSHIP_POPULATION), n, p=TOWNSHIP_POPULATION / TOWNSHIP_POPULATION.sum())
    odds = LIVELIHOOD_ODDS[township]
    cum = np.cumsum(odds / odds.sum(axis=1, keepdims=True), axis=1)
    livelihood_idx = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(LIVELIHOODS) - 1)
    livelihood = np.array(LIVELIHOODS)[livelihood_idx]
    size = np.clip(1 + rng.poisson(1.05, n), 1, 6)
    pension = livelihood == "pension"
    head_age = np.where(pension, rng.normal(70, 6, n), rng.normal(49, 11, n)).clip(19, 92).round().astype(int)

    median = np.array([INCOME_MEDIAN[lv] for lv in livelihood]) * (size / 3.0) ** 0.6
    sigma = np.array([INCOME_SIGMA[lv] for lv in livelihood])
    annual_income = np.round(median * np.exp(rng.normal(0, sigma)), -2)
    discipline = rng.normal(0, 1, n)

    months = pd.date_range(FLOW_START, periods=FLOW_MONTHS, freq="MS")
    season = np.array([SEASON[lv] for lv in LIVELIHOODS])[livelihood_idx][:, months.month - 1]
    typhoon = np.isin(months.year, TYPHOON_YEARS) & np.isin(months.month, [8, 9])
    exposed = np.isin(livelihood, ["mussel", "fishing"])[:, None] & typhoon[None, :]
    shock = np.where(exposed, rng.uniform(0.1, 0.6, (n, 1)), 1.0)

    visit_dates = visit_days(rng, n)
    # Applications follow the visit by 3-60 days; those visited in August wait for the first loans (2023-09-01).
    after_visit = visit_dates + pd.to_timedelta(rng.integers(3, 61, n), unit="D")
    first_loans = LOANS_FROM + pd.to_timedelta(rng.integers(0, 21, n), unit="D")
    last_day = (PILOT_END - pd.Timedelta(days=21)).to_datetime64()  # signed (2-21 days on) within the pilot
    app_dates = pd.DatetimeIndex(np.minimum(np.maximum(after_visit.to_numpy(), first_loans.to_numpy()), last_day))
    births = pd.DatetimeIndex(app_dates.to_numpy() - pd.to_timedelta(
        head_age * 365.25 + rng.integers(1, 360, n), unit="D").to_numpy()).normalize()
    native = rng.random(n) < 0.9
    regions = np.where(native, SHENGSI_REGION, np.array(OTHER_REGIONS)[rng.integers(0, len(OTHER_REGIONS), n)])
    head_male = rng.random(n) < 0.62
    id_numbers = id_numbers_for(regions, births, head_male, rng)
    names = person_names(rng, n)
    phones = phone_numbers(rng, n)
    members = _members(rng, size, head_age, head_male)
    return Households(ids, township, livelihood, size, head_age, annual_income, discipline, season * shock,
                      exposed, visit_dates, app_dates, native, id_numbers, names, phones, members)
