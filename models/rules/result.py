"""What every eligibility rule returns, and the lenient readers that let no input crash a rule.

A rule reads raw values as they come from the feature frame, the API or a hand-typed row: numbers as text, NaN,
pandas' NA, booleans as 是/否. Anything it cannot read counts as missing, and missing data means ``cannot_decide``
(refer to a person), never a pass.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

Outcome = Literal["pass", "fail", "cannot_decide"]
# What a failed rule does to the decision: knock the applicant out, send the case to a person first, leave the
# loan possible at the bank's normal terms without the program's subsidy, or let the credit decision stand on its
# merits with a condition precedent to disbursement (放款前提条件: nothing is paid out until it is met).
Effect = Literal["decline", "refer", "no_subsidy", "condition"]
_TRUE = {"true", "yes", "y", "1", "是", "已签", "已签署", "有"}
_FALSE = {"false", "no", "n", "0", "否", "未签", "未签署", "无"}


class RuleResult(BaseModel):
    """One rule's verdict, with what it compared and a message an officer can read to the applicant."""

    model_config = ConfigDict(frozen=True)

    code: str
    outcome: Outcome
    value: Any = None
    threshold: Any = None
    message_zh: str
    message_en: str
    effect: Effect = "decline"


def result(code: str, ok: bool, value: Any, threshold: Any, zh: str, en: str, effect: Effect = "decline") -> RuleResult:
    """A pass or fail verdict (verdicts are immutable, so equal ones with plain values are shared, not rebuilt)."""
    outcome: Outcome = "pass" if ok else "fail"
    if isinstance(value, dict | list) or isinstance(threshold, dict | list):
        return RuleResult(code=code, outcome=outcome, value=value, threshold=threshold, message_zh=zh,
                          message_en=en, effect=effect)
    return _shared(code, outcome, value, threshold, zh, en, effect)


@functools.lru_cache(maxsize=8192, typed=True)
def _shared(code: str, outcome: Outcome, value: Any, threshold: Any, zh: str, en: str, effect: Effect) -> RuleResult:
    return RuleResult(code=code, outcome=outcome, value=value, threshold=threshold, message_zh=zh, message_en=en,
                      effect=effect)


def row_index(i: int, n: int) -> int:
    """A row number read as a list reads one (negative counts from the end); outside the n rows an ``IndexError``."""
    i = operator.index(i)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise IndexError(f"row {i} of {n}")
    return i


class RuleColumn(Sequence[RuleResult]):
    """One rule's verdicts over many rows: each row's outcome and effect at once, its whole verdict when asked for.

    A rule whose trace carries each row's own value (an ID, an age, two incomes) has about one verdict a row; the
    decision reads only its outcome and effect, so a row's verdict (with its message) is built only when its trace
    is read, by the same code a single applicant's rule runs (``build``), and kept. ``kinds``: each row's reading
    as far as the outcome and effect go (rows of one kind share them); each kind's are those of its first row's
    verdict, so they come from ``build`` alone.
    """

    def __init__(self, kinds: list[Hashable], build: Callable[[int], RuleResult]):
        self._build = build
        self._built: dict[int, RuleResult] = {}
        self._n = len(kinds)
        first: dict[Hashable, int] = {}
        for i, kind in enumerate(kinds):
            first.setdefault(kind, i)
        shown = {kind: self[i] for kind, i in first.items()}
        self.outcomes: list[Outcome] = [shown[kind].outcome for kind in kinds]
        self.effects: list[Effect] = [shown[kind].effect for kind in kinds]

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> RuleResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[RuleResult]: ...

    def __getitem__(self, i: int | slice) -> RuleResult | list[RuleResult]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = row_index(i, len(self))
        found = self._built.get(i)
        if found is None:
            found = self._built[i] = self._build(i)
        return found


@functools.lru_cache(maxsize=1024, typed=True)
def cannot(code: str, field: str, zh: str, threshold: Any = None, why_en: str = "is missing",
           why_zh: str = "缺少") -> RuleResult:
    """A cannot-decide verdict naming what is missing or unreadable; a person must check it (shared when equal)."""
    text_zh = f"{why_zh}{zh}，需人工核实" if why_zh == "缺少" else f"{zh}{why_zh}，需人工核实"
    return RuleResult(code=code, outcome="cannot_decide", threshold=threshold, message_zh=text_zh,
                      message_en=f"{field} {why_en}; a person must check it", effect="refer")


_FLOATS = (float, np.floating)
_BOOLS = (bool, np.bool_)
_NUMBERS = (int, float, np.integer, np.floating)
_TEXTS = (str, np.str_)


def missing(value: Any) -> bool:
    """True for None, NaN, NaT, pandas' NA and empty text."""
    kind = type(value)
    if kind is float:  # the common cases first: plain floats and text
        return value != value
    if kind is str:
        return not value.strip()
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, _FLOATS):
        return bool(math.isnan(value))
    if isinstance(value, str):
        return not value.strip()
    return False


def number(value: Any) -> float | None:
    """A finite number, or None (booleans, text that is no number, NaN and infinities count as missing)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if missing(value) or isinstance(value, _BOOLS):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None


def flag(value: Any) -> bool | None:
    """A yes/no value (bool, 0/1, true/false, 是/否), or None when it is missing or means neither."""
    if type(value) is bool:
        return value
    if missing(value):
        return None
    if isinstance(value, _BOOLS):
        return bool(value)
    if isinstance(value, _NUMBERS):
        return {0.0: False, 1.0: True}.get(float(value))
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else None
    return None


def day(value: Any) -> dt.date | None:
    """A calendar date from a date, datetime, Timestamp, numpy datetime64 or ISO text; None when unreadable."""
    if missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64 | str):
        try:
            stamp = pd.Timestamp(value)
            return None if stamp is pd.NaT else stamp.date()
        except (ValueError, TypeError, OverflowError, NotImplementedError):  # NotImplementedError: beyond year 9999
            return None
    return None


def text(value: Any) -> str | None:
    """Stripped text, or None when missing or not text-like."""
    if type(value) is str:
        stripped = value.strip()
        return stripped or None
    if missing(value) or not isinstance(value, _TEXTS):
        return None
    return str(value).strip()
