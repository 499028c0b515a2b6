"""Holdout splits a risk analyst can state: out of time by a date cut, a separate test file, or stratified random.

Out of time, the holdout is every row at or after one cut on the time column, so rows tied at the cut (a yearly
column holds thousands per value) all fall on one side. Given ``test_from``, the cut is that date; given
``test_share``, it is the observed time whose holdout share comes closest to the share asked for. Either way the
split says what it did — the cut, the rows on each side and the share achieved beside the share asked — and the
training run prints and records that sentence.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.errors import KuozhongError

log = logging.getLogger(__name__)


class SplitError(KuozhongError):
    """A split that cannot be made, naming the setting, its value and the rule."""


@dataclass(frozen=True)
class HoldoutSplit:
    """Row positions of the training rows and the holdout, and how they were chosen."""

    train: np.ndarray
    test: np.ndarray
    kind: str  # out-of-time, random or test-file
    cut: pd.Timestamp | None = None
    asked_share: float | None = None

    @property
    def share(self) -> float:
        """The share of the rows in the holdout."""
        return len(self.test) / max(1, len(self.train) + len(self.test))

    def describe(self) -> str:
        """One sentence, Chinese then English, saying which rows are held out."""
        n, k = len(self.train) + len(self.test), len(self.test)
        asked = f"，要求 {self.asked_share:.1%}" if self.asked_share is not None else ""
        asked_en = f" (asked {self.asked_share:.1%})" if self.asked_share is not None else ""
        if self.kind == "out-of-time":
            cut = _shown(self.cut)
            return (f"跨时间验证：{cut} 及以后的 {k:,} 行为验证集，占 {self.share:.1%}{asked} · out of time: the {k:,} "
                    f"rows at or after {cut} are the holdout, {self.share:.1%} of {n:,}{asked_en}")
        if self.kind == "test-file":
            return (f"独立测试文件：{k:,} 行为验证集，占 {self.share:.1%} · separate test file: {k:,} rows, "
                    f"{self.share:.1%} of {n:,}")
        return (f"分层随机抽样：{k:,} 行为验证集，占 {self.share:.1%}{asked} · stratified random: {k:,} rows, "
                f"{self.share:.1%} of {n:,}{asked_en}")


def _shown(cut: pd.Timestamp | None) -> str:
    if cut is None:
        return "—"
    return cut.strftime("%Y-%m-%d") if cut == cut.normalize() else cut.isoformat(sep=" ")


def parse_times(values: pd.Series, column: str) -> pd.Series:
    """A time column as timestamps: dates or date text, or whole numbers read as YYYY, YYYYMM or YYYYMMDD.

    A number is never read as nanoseconds after 1970: a yearly column holding 2015 means the year 2015.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.to_datetime(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        raise SplitError(f"time_column '{column}': holds true/false, not dates · 时间列不是日期",
                         field="time_column", value=column, rule="a date, a date text or a whole-number year")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return _numeric_times(values, column)
    text = values.astype("string").str.strip()
    if text.dropna().str.fullmatch(r"\d{4}(\d{2}){0,2}(\.0)?").all():
        return _numeric_times(pd.to_numeric(text, errors="coerce"), column)
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    wrong = parsed.isna() & values.notna()
    if wrong.any():
        bad = values[wrong].iloc[0]
        raise SplitError(f"time_column '{column}' = {bad!r}: not a date · 不是日期", field="time_column", value=bad,
                         rule="a date, a date text or a whole-number year")
    return parsed


def _numeric_times(values: pd.Series, column: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    known = numbers.dropna()
    whole = known == np.floor(known)
    digits = known.abs().astype("int64").astype(str).str.len() if len(known) else pd.Series(dtype=int)
    formats = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d"}
    if not whole.all() or digits.nunique() > 1 or (len(digits) and int(digits.iloc[0]) not in formats):
        bad = _plain_number(known[~whole].iloc[0] if not whole.all() else known.iloc[0])
        raise SplitError(f"time_column '{column}' = {bad!r}: a number that is not a year (YYYY), a month (YYYYMM) "
                         "or a day (YYYYMMDD) · 数字不是年份、年月或日期", field="time_column", value=bad,
                         rule="whole-number years, months or days")
    fmt = formats[int(digits.iloc[0])] if len(digits) else "%Y"
    as_text = numbers.map(lambda v: f"{int(v)}" if pd.notna(v) else None)
    parsed = pd.to_datetime(as_text, format=fmt, errors="coerce")
    wrong = parsed.isna() & numbers.notna()
    if wrong.any():
        bad = _plain_number(numbers[wrong].iloc[0])
        raise SplitError(f"time_column '{column}' = {bad!r}: not a valid date as {fmt} · 不是有效日期",
                         field="time_column", value=bad, rule=f"whole numbers as {fmt}")
    return parsed


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def out_of_time(times: pd.Series, test_share: float | None = None, test_from: dt.date | None = None
                ) -> HoldoutSplit:
    """Holdout = every row at or after one cut, by ``test_from`` or by the share closest to ``test_share``."""
    stamps = pd.to_datetime(times).reset_index(drop=True)
    if stamps.isna().any():
        raise SplitError(f"time_column: {int(stamps.isna().sum())} row(s) without a time; an out-of-time split "
                         "needs a time on every row · 时间列有缺失", field="time_column", rule="a time on every row")
    if test_from is not None:
        cut = pd.Timestamp(test_from)
        asked = None
    else:
        share = 0.25 if test_share is None else test_share
        unique, counts = np.unique(stamps.to_numpy(), return_counts=True)
        if len(unique) < 2:
            raise SplitError(f"time_column: every row has the same time ({_shown(pd.Timestamp(unique[0]))}); an "
                             "out-of-time split needs at least two · 时间列只有一个取值", field="time_column",
                             rule="at least two distinct times")
        at_or_after = np.cumsum(counts[::-1])[::-1] / len(stamps)  # holdout share if the cut is unique[i]
        candidates = np.arange(1, len(unique))  # the first time would leave no training rows
        best = candidates[np.argmin(np.abs(at_or_after[candidates] - share))]
        cut, asked = pd.Timestamp(unique[best]), share
    test_mask = (stamps >= cut).to_numpy()
    if test_mask.all() or not test_mask.any():
        side = "no training rows" if test_mask.all() else "no holdout rows"
        raise SplitError(f"test_from = {_shown(cut)}: leaves {side} (times run from {_shown(stamps.min())} to "
                         f"{_shown(stamps.max())}) · 切分日期使一侧为空", field="test_from", value=str(cut.date()),
                         rule="a cut inside the time column's range")
    split = HoldoutSplit(np.flatnonzero(~test_mask), np.flatnonzero(test_mask), "out-of-time", cut, asked)
    log.info("%s", split.describe())
    return split


def stratified_random(y: np.ndarray, test_share: float, seed: int) -> HoldoutSplit:
    """A stratified random holdout of ``test_share`` of the rows."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(y)), test_size=test_share, stratify=y, random_state=seed)
    split = HoldoutSplit(np.sort(train), np.sort(test), "random", None, test_share)
    log.info("%s", split.describe())
    return split


def from_mask(holdout: np.ndarray) -> HoldoutSplit:
    """The rows read from the separate test file are the holdout."""
    mask = np.asarray(holdout, dtype=bool)
    split = HoldoutSplit(np.flatnonzero(~mask), np.flatnonzero(mask), "test-file")
    log.info("%s", split.describe())
    return split
