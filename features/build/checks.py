"""Impossible raw values, rejected with the source, field, value and rule named (never a silent feature).

Checks run once per record when the sources are indexed; a record's problem is raised only when a request reads
that record (it lies inside the request's window), so one bad row never blocks another household.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.sources.load import SourceError

# PBOC credit-report repayment grid: N on time, 1-7 overdue bands, C settled, G closed, D guarantor repaid,
# Z repaid with assets, B bad debt, * nothing due, # unknown, / no account.
PBOC_GRID_CODES = frozenset("N1234567CGDZB*#/")
FIVE_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
MAX_AGE = 120
MAX_HOUSEHOLD_SIZE = 20
MAX_YEARS_AT_ADDRESS = 120


class FeatureInputError(SourceError):
    """A raw value no household can have (negative income, age 140, an unknown grid code)."""


def problem(source: str, field: str, value: object, rule: str, household_id: object, where: str = "") -> str:
    """One line naming the source, field, value and rule (household ids are not personal data)."""
    at = f", {where}" if where else ""
    return f"{source}.{field} = {value!r} (household {household_id}{at}) breaks the rule: {rule}"


def raise_first(problems: np.ndarray, rows: np.ndarray) -> None:
    """Raise FeatureInputError with the first non-empty problem among the record positions read."""
    if rows.size == 0:
        return
    found = problems[rows]
    bad = np.flatnonzero(found != "")
    if bad.size:
        raise FeatureInputError(str(found[bad[0]]))


def number_problems(source: str, field: str, values: np.ndarray, households: np.ndarray, low: float,
                    high: float, rule: str, where: Callable[[int], str] | None = None) -> np.ndarray:
    """Problem text per record whose value lies outside ``[low, high]`` ('' where fine or missing)."""
    out = np.full(values.shape, "", dtype=object)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero((values < low) | (values > high))
    for i in bad:
        place = where(int(i)) if where is not None else ""
        out[i] = problem(source, field, _plain(values[i]), rule, households[i], place)
    return out


def code_problems(source: str, field: str, values: pd.Series | np.ndarray, allowed: frozenset[str] | tuple[str, ...],
                  households: pd.Series | np.ndarray, rule: str,
                  where: Callable[[int], str] | None = None) -> np.ndarray:
    """Problem text per record whose code is not in ``allowed`` (missing codes are allowed: NaN, not a crash).

    ``values`` and ``households`` are read by position; a column is factorised whole and only the records with
    an unknown code are read one by one.
    """
    out = np.full(len(values), "", dtype=object)
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series)  # missing codes get -1: allowed
    allowed_set = {str(a) for a in allowed}
    unknown = [k for k, u in enumerate(uniques) if str(u) not in allowed_set]
    for i in np.flatnonzero(np.isin(codes, unknown)) if unknown else ():
        place = where(int(i)) if where is not None else ""
        out[i] = problem(source, field, _cell(values, int(i)), rule, _cell(households, int(i)), place)
    return out


def _cell(values: pd.Series | np.ndarray, i: int) -> object:
    return values.iloc[i] if isinstance(values, pd.Series) else values[i]


def merge_problems(*problems: np.ndarray) -> np.ndarray:
    """The first problem of each record across several checks."""
    out = problems[0].copy()
    for more in problems[1:]:
        found = np.flatnonzero(more != "")  # problems are rare: only their records are looked at
        if found.size:
            first = found[out[found] == ""]
            out[first] = more[first]
    return out


def _plain(value: object) -> object:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return value.item() if isinstance(value, np.generic) else value
