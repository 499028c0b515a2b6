"""The rules over a whole frame: each rule runs once per distinct combination of the inputs it reads.

A rule is a pure function of a few inputs (``RULE_INPUTS``) and the policy, and a county's rows repeat those
combinations endlessly (a credit record's counts, a residence, the list status on the date, a signed declaration).
So over a frame each rule is called on one row of each distinct combination and its verdict, immutable, is shared
by every row that has it. The rules whose trace carries each row's own value (``COLUMN_RULES``: ID_VALID, AGE,
INCOME_OBSERVED) run once over the whole columns instead, giving every row's outcome at once and a row's verdict
only when its trace is read. A row's trace is put together only when asked for (``Traces``); its verdict
(``eligibility_status``), its failed codes and its review note are reached once per distinct pattern of outcomes.
The rules in ``models.rules.person`` and ``models.rules.program`` stay the only place any rule's logic lives (a
column rule on one row is the single applicant's rule): this module only decides which rows can share a call.

Two inputs share a call only when the rule cannot tell them apart: equal values of the same type, with a float's
sign of zero and a timestamp's time zone kept apart (they could read differently in a message).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import pandas as pd

from models.policy import Policy
from models.rules import (
    COLUMN_RULES,
    RULE_INPUTS,
    RULES,
    Outcome,
    RuleColumn,
    RuleResult,
    Status,
    eligibility_status,
    settle_upward_mobility,
)
from models.rules.cells import column_codes
from models.rules.result import Effect, row_index


class Traces(Sequence[list[RuleResult]]):
    """Every row's rule traces, kept as each rule's distinct verdicts and every row's index into them.

    A row's trace (a fresh list, in the policy's order) is put together only when it is asked for: the batch reads
    the rows' patterns of outcomes and never needs most traces whole. ``settled``: rows whose trace is not the plain
    pick from the verdicts (a 跃迁 household's program fails set to no subsidy), held whole.
    """

    def __init__(self, verdicts: list[Sequence[RuleResult]], codes: np.ndarray,
                 settled: dict[int, list[RuleResult]]):
        self.verdicts, self.codes, self.settled = verdicts, codes, settled

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, i: int) -> list[RuleResult]: ...

    @overload
    def __getitem__(self, i: slice) -> list[list[RuleResult]]: ...

    def __getitem__(self, i: int | slice) -> list[RuleResult] | list[list[RuleResult]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = row_index(i, len(self))
        settled = self.settled.get(i)
        if settled is not None:
            return list(settled)
        return [verdicts[k] for verdicts, k in zip(self.verdicts, self.codes[i].tolist(), strict=True)]


@dataclass(frozen=True)
class RuleFrame:
    """Every row's rule traces (in the policy's order), its verdict and whether a new loan may be subsidised.

    ``pattern``: each row's index into ``patterns``, the distinct patterns of (outcome, effect) over the rules, each
    given by the first row's trace that has it. Everything a decision reads from the rules besides a whole trace
    (the verdict, the failed codes, the review note) is a function of the pattern, so it is reached once a pattern.
    """

    rules: Sequence[list[RuleResult]]
    status: list[Status]
    subsidised: list[bool]
    pattern: np.ndarray
    patterns: list[list[RuleResult]]

    @classmethod
    def of_traces(cls, rules: list[list[RuleResult]]) -> RuleFrame:
        """A rule frame from every row's whole trace (a small frame, decided row by row)."""
        known: dict[tuple[tuple[str, str], ...], int] = {}
        pattern = np.empty(len(rules), dtype=np.int64)
        patterns: list[list[RuleResult]] = []
        for i, trace in enumerate(rules):
            key = tuple((r.outcome, r.effect) for r in trace)
            k = known.get(key)
            if k is None:
                k = known[key] = len(patterns)
                patterns.append(trace)
            pattern[i] = k
        return cls._with_verdicts(rules, pattern, patterns)

    @classmethod
    def _with_verdicts(cls, rules: Sequence[list[RuleResult]], pattern: np.ndarray,
                       patterns: list[list[RuleResult]]) -> RuleFrame:
        verdicts = [eligibility_status(trace) for trace in patterns]
        picked = pattern.tolist()
        return cls(rules, [verdicts[k][0] for k in picked], [verdicts[k][1] for k in picked], pattern, patterns)

    def codes(self, outcome: str, effect: str | None = None) -> list[str]:
        """Each row's codes of the rules with this outcome (and effect, when given), joined by commas."""
        joined = [",".join(r.code for r in trace if r.outcome == outcome and (effect is None or r.effect == effect))
                  for trace in self.patterns]
        return [joined[k] for k in self.pattern.tolist()]


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
    inputs = {name for code in policy.rules if code not in COLUMN_RULES for name in RULE_INPUTS[code]
              if name in features.columns and name not in constants}
    codes: dict[str, np.ndarray] = {}
    for name in sorted(inputs):
        series = features[name]
        # the plain cells (as ``to_numpy(dtype=object)`` gives them) only where needed: a date column's are costly
        cells = None if series.dtype.kind == "M" else series.to_numpy(dtype=object)
        codes[name] = column_codes(series, cells)
    per_rule: list[Sequence[RuleResult]] = []
    indices = np.zeros((n, len(policy.rules)), dtype=np.int64)
    for r, code in enumerate(policy.rules):
        if code in COLUMN_RULES:  # about one verdict a row: outcomes over the columns, each message when read
            columns = {name: features[name] if name in features.columns else None for name in RULE_INPUTS[code]}
            columns.update({name: pd.Series([value] * n, dtype=object) for name, value in constants.items()
                            if name in RULE_INPUTS[code]})
            per_rule.append(COLUMN_RULES[code](columns, policy, n))
            indices[:, r] = np.arange(n)
            continue
        fields = [name for name in RULE_INPUTS[code] if name in codes]
        combined = _combine([codes[name] for name in fields], n)
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        rule = RULES[code]
        taken = {name: features[name].take(first).to_numpy(dtype=object) for name in fields}
        per_rule.append([rule({**constants, **{name: taken[name][k] for name in fields}}, policy)
                         for k in range(len(first))])
        indices[:, r] = inverse.reshape(-1)
    traces = Traces(per_rule, indices, {})
    if "UPWARD_MOBILITY" in policy.rules:
        position = list(policy.rules).index("UPWARD_MOBILITY")
        risen = np.array([o == "fail" for o in _outcomes(per_rule[position])] + [False])[indices[:, position]]
        for i in np.flatnonzero(risen).tolist():
            traces.settled[i] = settle_upward_mobility(traces[i], policy)
    # each row's (outcome, effect) over the rules as small codes, one column a rule, then one code a pattern
    kinds: dict[tuple[str, str], int] = {}
    codes_of: list[np.ndarray] = []
    for r, verdicts in enumerate(per_rule):
        kind_of = np.array([kinds.setdefault(pair, len(kinds)) for pair in zip(_outcomes(verdicts), _effects(verdicts),
                                                                                strict=True)], dtype=np.int64)
        codes_of.append(kind_of[indices[:, r]])
    for i, trace in traces.settled.items():
        for r, v in enumerate(trace):
            codes_of[r][i] = kinds.setdefault((v.outcome, v.effect), len(kinds))
    _, first, pattern = np.unique(_combine(codes_of, n), return_index=True, return_inverse=True)
    return RuleFrame._with_verdicts(traces, pattern.reshape(-1), [traces[i] for i in first.tolist()])


def _outcomes(verdicts: Sequence[RuleResult]) -> list[Outcome]:
    return verdicts.outcomes if isinstance(verdicts, RuleColumn) else [v.outcome for v in verdicts]


def _effects(verdicts: Sequence[RuleResult]) -> list[Effect]:
    return verdicts.effects if isinstance(verdicts, RuleColumn) else [v.effect for v in verdicts]
