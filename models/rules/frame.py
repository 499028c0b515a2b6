"""The rules over a whole frame: each rule runs once per distinct combination of the inputs it reads.

A rule is a pure function of a few inputs (``RULE_INPUTS``) and the policy, and a county's rows repeat those
combinations endlessly (a credit record's counts, a residence, the list status on the date, a signed declaration).
So over a frame each rule is called on one row of each distinct combination and its verdict, immutable, is shared
by every row that has it; the verdict of a row (``eligibility_status``) is likewise reached once per distinct
pattern of outcomes. The per-row rules in ``models.rules.person`` and ``models.rules.program`` stay the only
place any rule's logic lives: this module only decides which rows can share a call.

Two inputs share a call only when the rule cannot tell them apart: equal values of the same type, with a float's
sign of zero and a timestamp's time zone kept apart (they could read differently in a message).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.policy import Policy
from models.rules import RULE_INPUTS, RULES, RuleResult, Status, eligibility_status, settle_upward_mobility


@dataclass(frozen=True)
class RuleFrame:
    """Every row's rule traces (in the policy's order), its verdict and whether a new loan may be subsidised."""

    rules: list[list[RuleResult]]
    status: list[Status]
    subsidised: list[bool]


def distinct_key(value: Any) -> Any:
    """What tells two cells apart for a rule: the type and value, and the sign of a zero or NaN, the time zone."""
    kind = type(value)
    if isinstance(value, float) and (value != value or value == 0):
        return kind, repr(value)
    if isinstance(value, dt.datetime):
        return kind, value, value.tzinfo
    return kind, value


# Object columns holding only text (or only yes/no) besides None: equal cells are the same to every rule, so
# pandas factorises them whole.
_PLAIN_KINDS = ({str, type(None)}, {bool, type(None)})


def _object_codes(cells: np.ndarray) -> np.ndarray:
    """Integer codes of an object column: equal codes only for cells no rule can tell apart."""
    kinds = set(map(type, cells.tolist()))
    if any(kinds <= plain for plain in _PLAIN_KINDS):
        return pd.factorize(cells, use_na_sentinel=False)[0].astype(np.int64)
    seen: dict[Any, int] = {}
    out = np.empty(len(cells), dtype=np.int64)
    for i, value in enumerate(cells.tolist()):
        try:
            key = distinct_key(value)
            out[i] = seen.setdefault(key, len(seen))
        except TypeError:  # an unhashable cell (a list typed into a form): its own code, never shared
            out[i] = len(seen)
            seen[("unhashable", i)] = out[i]
    return out


def column_codes(series: pd.Series, cells: np.ndarray | None = None) -> np.ndarray:
    """Integer codes of one input column; a typed column is factorised whole, an object column cell by cell.

    ``cells``: the column as object cells, when already read.
    """
    dtype = series.dtype
    if cells is None and dtype.kind not in "iubM":
        cells = series.to_numpy(dtype=object)
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(series.cat.codes, dtype=np.int64) + 1  # a missing cell's -1 becomes a code of its own
    if dtype.kind == "f":
        values = series.to_numpy()
        if np.any((values == 0) & np.signbit(values)):  # -0.0 beside 0.0: told apart cell by cell
            return _object_codes(cells)  # type: ignore[arg-type]
    if dtype.kind in "fiubM" or isinstance(dtype, pd.StringDtype):
        return pd.factorize(series, use_na_sentinel=False)[0].astype(np.int64)
    return _object_codes(cells)  # type: ignore[arg-type]


def _combine(codes: list[np.ndarray], n: int) -> np.ndarray:
    """One code per row for a tuple of column codes (dense: 0 … distinct − 1)."""
    combined = np.zeros(n, dtype=np.int64)
    for column in codes:
        combined = combined * (int(column.max(initial=0)) + 1) + column
        combined = pd.factorize(combined)[0].astype(np.int64)
    return combined


def evaluate_frame(features: pd.DataFrame, policy: Policy, constants: Mapping[str, Any] | None = None) -> RuleFrame:
    """Every rule on every row of ``features``, each rule's inputs read as the row's plain cells.

    ``constants``: inputs that hold for every row (``credit_line`` for the list's households); a field the frame
    lacks is absent from the row, so the rules read it as missing, as on a single row.
    """
    n = len(features)
    constants = dict(constants or {})
    inputs = {name for code in policy.rules for name in RULE_INPUTS[code]
              if name in features.columns and name not in constants}
    codes: dict[str, np.ndarray] = {}
    for name in sorted(inputs):
        series = features[name]
        # the plain cells (as ``to_numpy(dtype=object)`` gives them) only where needed: a date column's are costly
        cells = None if series.dtype.kind == "M" else series.to_numpy(dtype=object)
        codes[name] = column_codes(series, cells)
    per_rule: list[list[RuleResult]] = []
    for code in policy.rules:
        fields = [name for name in RULE_INPUTS[code] if name in codes]
        combined = _combine([codes[name] for name in fields], n)
        distinct, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        rule = RULES[code]
        taken = {name: features[name].take(first).to_numpy(dtype=object) for name in fields}
        verdicts = [rule({**constants, **{name: taken[name][k] for name in fields}}, policy)
                    for k in range(len(first))]
        per_rule.append([verdicts[k] for k in inverse.tolist()] if len(distinct) > 1 else verdicts * n)
    rows = [list(trace) for trace in zip(*per_rule, strict=True)] if per_rule else [[] for _ in range(n)]
    if "UPWARD_MOBILITY" in policy.rules:
        position = list(policy.rules).index("UPWARD_MOBILITY")
        for i, trace in enumerate(rows):
            if trace[position].outcome == "fail":
                rows[i] = settle_upward_mobility(trace, policy)
    return _verdicts(rows)


def _verdicts(rows: list[list[RuleResult]]) -> RuleFrame:
    """Each row's verdict, reached once per distinct pattern of (outcome, effect) over its rules."""
    known: dict[tuple[tuple[str, str], ...], tuple[Status, bool]] = {}
    status: list[Status] = []
    subsidised: list[bool] = []
    for trace in rows:
        pattern = tuple((r.outcome, r.effect) for r in trace)
        verdict = known.get(pattern)
        if verdict is None:
            verdict = known[pattern] = eligibility_status(trace)
        status.append(verdict[0])
        subsidised.append(verdict[1])
    return RuleFrame(rows, status, subsidised)
