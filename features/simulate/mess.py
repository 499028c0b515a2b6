"""Field-data messiness layered on a clean simulated county (what ``features.sources.schemas`` must catch).

Rates below are per record at ``messiness = 1``; the config's ``messiness`` multiplies them (0 gives clean data).
- missing answers: an optional answer left empty (``null``), or (rarer) a required one: a member's age;
- amounts in 万元 instead of 元: one income source, or the requested amount, typed as 8.6 for 86,000;
- duplicate visits: the PAD submitted the same visit twice (same household and time, a new visit id);
- names one character apart between lists: the bank's customer list has a sound-alike character;
- stale list entries: an older base-list entry for the same person that was never removed;
- ID numbers typed wrong on the bank's customer list (the check digit no longer matches).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from features.simulate.world import LIST_DATE, SOUND_ALIKE

RATES = {
    "missing_optional": 0.04,
    "missing_age": 0.004,
    "wan_yuan_income": 0.01,
    "wan_yuan_requested": 0.005,
    "duplicate_visit": 0.015,
    "name_one_char": 0.02,
    "stale_entry": 0.01,
    "bad_check_digit": 0.003,
}
_OPTIONAL = (("residence", "years_at_address"), ("expenses", "medical"), ("expenses", "education"),
             ("needs", "housing"), (None, "declaration_signed_at"))


def _pick(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return np.flatnonzero(rng.random(n) < min(rate, 1.0))


def sound_alike(name: str, rng: np.random.Generator) -> str:
    """The name with one given-name character replaced by one that sounds the same (or a neighbour if none)."""
    chars = list(name)
    spots = [k for k in range(1, len(chars)) if chars[k] in SOUND_ALIKE] or [len(chars) - 1]
    k = spots[int(rng.integers(0, len(spots)))]
    chars[k] = SOUND_ALIKE.get(chars[k], "明" if chars[k] != "明" else "铭")
    return "".join(chars)


def _messy_visits(rng: np.random.Generator, visits: list[dict], rate: float) -> list[dict]:
    out = list(visits)
    n = len(out)
    for i in _pick(rng, n, RATES["missing_optional"] * rate):
        form = out[i] = copy.deepcopy(out[i])
        part, key = _OPTIONAL[int(rng.integers(0, len(_OPTIONAL)))]
        (form if part is None else form[part])[key] = None
    for i in _pick(rng, n, RATES["missing_age"] * rate):
        form = out[i] = copy.deepcopy(out[i])
        form["members"][int(rng.integers(0, len(form["members"])))]["age"] = None
    for i in _pick(rng, n, RATES["wan_yuan_income"] * rate):
        form = out[i] = copy.deepcopy(out[i])
        income = form["declared_income"]
        sources = [k for k in income if k not in ("main", "total") and income[k]]
        if sources:
            key = sources[int(rng.integers(0, len(sources)))]
            income[key] = round(income[key] / 10_000, 2)
            income["main"] = income["total"] = round(sum(v for k, v in income.items() if k not in ("main", "total")),
                                                     2)
    for i in _pick(rng, n, RATES["wan_yuan_requested"] * rate):
        form = out[i] = copy.deepcopy(out[i])
        form["requested_amount"] = round(form["requested_amount"] / 10_000, 1)
    duplicates = []
    for i in _pick(rng, n, RATES["duplicate_visit"] * rate):
        again = copy.deepcopy(out[i])
        again["visit_id"] = f"{again['visit_id']}-2"
        duplicates.append((i, again))
    for shift, (i, again) in enumerate(duplicates):
        out.insert(i + 1 + shift, again)
    return out


def _messy_customers(rng: np.random.Generator, customers: pd.DataFrame, rate: float) -> pd.DataFrame:
    out = customers.copy()
    names = out["name"].to_numpy(dtype=object).copy()
    for i in _pick(rng, len(out), RATES["name_one_char"] * rate):
        names[i] = sound_alike(str(names[i]), rng)
    ids = out["id_number"].to_numpy(dtype=object).copy()
    for i in _pick(rng, len(out), RATES["bad_check_digit"] * rate):
        wrong = "0123456789X".replace(ids[i][-1], "")
        ids[i] = ids[i][:-1] + wrong[int(rng.integers(0, len(wrong)))]
    return out.assign(name=names, id_number=ids)


def _messy_base(rng: np.random.Generator, base: pd.DataFrame, rate: float) -> pd.DataFrame:
    rows = _pick(rng, len(base), RATES["stale_entry"] * rate)
    if rows.size == 0:
        return base
    stale = base.iloc[rows].copy()
    stale["household_size"] = stale["household_size"] + 1  # a member who has since died or moved out
    stale["listed_on"] = LIST_DATE - pd.DateOffset(years=2)
    out = pd.concat([stale, base], ignore_index=False).sort_index(kind="stable")  # the stale entry first
    return out.reset_index(drop=True)


def make_messy(rng: np.random.Generator, visits: list[dict], bank_customers: pd.DataFrame,
               base_list: pd.DataFrame, rate: float) -> tuple[list[dict], pd.DataFrame, pd.DataFrame]:
    """Visits, bank customers and base list with field mistakes added at ``rate`` times the usual frequencies.

    A rate of 0 returns them unchanged.
    """
    if rate <= 0:
        return visits, bank_customers, base_list
    return (_messy_visits(rng, visits, rate), _messy_customers(rng, bank_customers, rate),
            _messy_base(rng, base_list, rate))
