"""Why a decision came out as it did: TreeSHAP contributions turned into scorecard points and reason texts.

The contributions are LightGBM's exact TreeSHAP values (``pred_contrib``) in raw log-odds of default. The model's
calibration is a Platt map (linear in the raw log-odds) and the score is linear in the calibrated log-odds, so each
contribution times ``-factor × slope`` is that feature's share of the score in points and
base points + Σ points = score. Integer points are rounded by largest remainders so that the displayed base plus
the displayed points of every feature equals the displayed score. Everything here works on a whole frame at once;
the single-row helpers are the same code on a one-row frame.

A card's reasons are the factors that move its score most as the card states it (whole points, then exact points),
whichever side they are on; a decision lists them with the side its recommendation rests on first, each side
largest first (``lead_with_side``); a factor that rounds to 0 points is never a reason. A contribution is
shown as a reason only when its sign agrees with the applicant's value against the reference the
sentence states (``models.explain.reference``): "月还款收入比为38%，高于申请人中位数21%，评分减少12分". The rest of
the factors are grouped by feature group for the waterfall (``other_factors``), and "其他" is never its largest bar.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from features.metadata import FEATURES, FeatureInfo
from models.credit.model import CreditModel
from models.decision.fingerprint import missing_cell, object_arrays
from models.explain.reference import Reference, reference_of, references_of, risk_sides, showable
from models.explain.text import ADVICE, is_missing, value_and_comparison, value_text_zh
from models.policy.grading import stated_score
from models.rules.cells import column_codes

Direction = Literal["favourable", "adverse"]


class Reason(BaseModel):
    """One feature's part in a decision."""

    model_config = ConfigDict(frozen=True)

    feature: str
    label_zh: str
    label_en: str
    value: Any
    contribution: float  # raw log-odds of default
    points: float        # score points (positive raises the score)
    direction: Direction
    actionable: bool
    text_zh: str
    text_en: str
    points_int: int = 0  # the displayed points: base + Σ over every feature equals the displayed score
    value_zh: str = ""   # the value as shown in a table (categorical codes in Chinese)
    advice_zh: str | None = None  # what the applicant can do; only for actionable adverse factors
    advice_en: str | None = None
    monotone: int = 0  # the feature's risk direction in the model (+1 more risk as it grows, -1 less, 0 none)
    reference_kind: str = ""  # "median" / "mean" of the training rows, "bad_rate" of a category; "" none
    reference: float | None = None  # the reference the sentence states
    compared: float | None = None  # the applicant's number set against it (the value, or its category's bad rate)


class FactorGroup(BaseModel):
    """The factors not shown as reasons, together: one waterfall bar per feature group."""

    model_config = ConfigDict(frozen=True)

    group: str
    label_zh: str
    label_en: str
    points_int: int
    features: tuple[str, ...]


def display_points(x: np.ndarray | float) -> np.ndarray:
    """Points as displayed: the stored value (2 decimals) cut to its whole point.

    Cut, not rounded: a score of 556.6 under a bar of 557 shows as 556, so the number on the card is never at a
    grade's bound the score has not reached (the grade is given on the stored value).
    """
    return np.floor(stated_score(x)).astype(np.int64)


SMALL_FRAME = 256  # below this many rows, read the frame in one call and predict on one thread


def model_matrix(model: CreditModel, X: pd.DataFrame,
                 columns_by_name: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The model's input as a float matrix, categories as the trees' codes (NaN when unseen or missing).

    The same encoding LightGBM applies to a pandas frame, without pandas' per-column cost, so one decision's
    explanation takes about a millisecond. Frames the fast path cannot read (a column missing, text in a numeric
    column) go through the model's own checks, which name the column.
    """
    features, levels, codes_of, complete = _encoding(model)
    small = len(X) <= SMALL_FRAME
    present = columns_by_name if columns_by_name is not None and small else set(X.columns)
    if not complete or any(c not in present for c in features):
        return _checked_matrix(model, X)
    if small:
        block = columns_by_name if columns_by_name is not None else object_columns(X, features)
        columns: list[Any] = [block[name] for name in features]
    else:
        columns = [X[name].to_numpy(dtype=object) if name in levels else X[name] for name in features]
    if len(X) == 1:  # one applicant (the API): one pass over the row's cells
        try:
            return np.array([[np.nan if missing_cell(v := column[0]) else
                              codes_of[name].get(str(v), np.nan) if name in codes_of else float(v)
                              for name, column in zip(features, columns, strict=True)]], dtype=float)
        except (TypeError, ValueError):
            return _checked_matrix(model, X)
    out = np.empty((len(X), len(features)), dtype=float)
    for j, name in enumerate(features):
        if name in levels:
            codes = codes_of[name]
            out[:, j] = [np.nan if missing_cell(v) else codes.get(str(v), np.nan) for v in columns[j]]
            continue
        try:
            out[:, j] = pd.to_numeric(columns[j], errors="raise") if isinstance(columns[j], pd.Series) \
                else np.asarray([np.nan if missing_cell(v) else float(v) for v in columns[j]], dtype=float)
        except (TypeError, ValueError):
            return _checked_matrix(model, X)
    return out


_ENCODINGS: weakref.WeakKeyDictionary[Any, tuple[list[str], dict[str, Any], dict[str, dict[str, float]], bool]] = (
    weakref.WeakKeyDictionary())


def _encoding(model: CreditModel) -> tuple[list[str], dict[str, Any], dict[str, dict[str, float]], bool]:
    """The model's input encoding, worked out once per fitted booster.

    Features, category levels, each level's code, and whether every categorical feature has its levels.
    """
    booster = model.booster_.booster_
    found = _ENCODINGS.get(booster)
    if found is None or found[0] != list(model.features):
        features = list(model.features)
        declared = set(_categorical(model))
        categorical = [c for c in features if c in declared]
        levels = dict(zip(categorical, booster.pandas_categorical or [], strict=False))
        codes = {name: {str(level): float(k) for k, level in enumerate(values)} for name, values in levels.items()}
        found = (features, levels, codes, len(levels) == len(categorical))
        _ENCODINGS[booster] = found
    return found


def object_columns(X: pd.DataFrame, names: list[str]) -> dict[str, np.ndarray]:
    """Columns as object arrays; a small frame is read in one call (pandas' per-column cost dominates there)."""
    if len(X) <= SMALL_FRAME:
        return object_arrays(X, names)
    return {name: X[name].to_numpy(dtype=object) for name in names}


class ColumnsWhenRead(Mapping[str, np.ndarray]):
    """A large frame's named columns as object arrays (as ``object_columns`` reads them), each read when first asked.

    A decision's reasons read a few of the model's inputs; the rest are never turned into objects.
    """

    def __init__(self, X: pd.DataFrame, names: list[str]) -> None:
        self._frame, self._names = X, list(names)
        self._read: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        found = self._read.get(name)
        if found is None:
            if name not in self._names:
                raise KeyError(name)
            found = self._read[name] = self._frame[name].to_numpy(dtype=object)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _checked_matrix(model: CreditModel, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(model._matrix(X).to_numpy(dtype=float, na_value=np.nan))


def _categorical(model: CreditModel) -> list[str]:
    finder = getattr(model, "categorical_features", None)
    if callable(finder):
        return list(finder())
    return [c for c in model.features if FEATURES.get(c) is not None and FEATURES[c].categorical]


def contributions(model: CreditModel, X: pd.DataFrame, columns_by_name: dict[str, np.ndarray] | None = None,
                  matrix: np.ndarray | None = None, num_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact TreeSHAP contributions in raw log-odds (n × features) and the expected value per row.

    ``num_threads``: LightGBM's threads (default: one for a small frame, all the cores for a large one).
    """
    threads: dict[str, Any] = ({"num_threads": num_threads} if num_threads is not None
                               else {"num_threads": 1} if len(X) <= SMALL_FRAME else {})
    matrix = model_matrix(model, X, columns_by_name) if matrix is None else matrix
    raw = model.booster_.booster_.predict(matrix, pred_contrib=True, **threads)
    contrib = np.asarray(raw, dtype=float)
    return contrib[:, :-1], contrib[:, -1]


def points_table(model: CreditModel, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-row base points and per-feature points, so that base + Σ points equals the model's score."""
    contrib, expected = contributions(model, X)
    return _points_from_contrib(model, contrib, expected)


def _points_from_contrib(model: CreditModel, contrib: np.ndarray,
                         expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    factor, slope = model.points_factor, model.calibration_slope_
    base = model.points_offset - factor * (slope * expected + model.calibration_intercept_)
    return base, -factor * slope * contrib


def integer_points(base: np.ndarray, points: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Whole points per feature that add up, with the displayed base, to the displayed score (largest remainders).

    Every feature gets its points rounded down; the shortfall to the displayed score is handed out one point at a
    time to the features with the largest fractional parts, so no feature is off by a whole point or more.
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    target = display_points(score) - display_points(base)
    floor = np.floor(points)
    short = np.clip(target - floor.sum(axis=1).astype(np.int64), 0, points.shape[1])
    frac = points - floor
    order = np.argsort(-frac, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(points.shape[1])[None, :].repeat(len(points), axis=0), axis=1)
    return (floor + (ranks < short[:, None])).astype(np.int64)


class PointsFrame(BaseModel):
    """Contributions and points of a frame (arrays n × features, and per-row base and score)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    features: tuple[str, ...]
    contributions: np.ndarray
    expected: np.ndarray
    base: np.ndarray
    points: np.ndarray
    points_int: np.ndarray
    score: np.ndarray
    values: dict[str, np.ndarray] | None = None  # the model's input columns as read (small frames only)
    matrix: np.ndarray | None = None  # the model's input matrix the contributions came from
    showable: np.ndarray | None = None  # n × features: the contribution agrees with its value's reference


def explain_frame(model: CreditModel, X: pd.DataFrame, cells: dict[str, np.ndarray] | None = None,
                  num_threads: int | None = None) -> PointsFrame:
    """TreeSHAP contributions, points and whole points for every row of a feature frame (one LightGBM call).

    ``cells``: the frame's columns already read as object arrays (small frames), so they are not read again.
    ``num_threads``: LightGBM's threads for the call (``contributions``).
    """
    names = list(model.features)
    values = None
    read = cells if cells is not None else set(X.columns)
    if len(X) <= SMALL_FRAME and all(c in read for c in names):
        values = {c: cells[c] for c in names} if cells is not None else object_columns(X, names)
    matrix = model_matrix(model, X, values)
    contrib, expected = contributions(model, X, matrix=matrix, num_threads=num_threads)
    base, points = _points_from_contrib(model, contrib, expected)
    score = model.score_from_logit(model.calibrated_logit(expected + contrib.sum(axis=1)))
    sides, claimed = risk_sides(model, matrix, _encoding(model)[1])
    return PointsFrame(features=tuple(model.features), contributions=contrib, expected=expected, base=base,
                       points=points, points_int=integer_points(base, points, score), score=score, values=values,
                       matrix=matrix, showable=showable(points, sides, claimed))


def reason_points(table: PointsFrame) -> np.ndarray:
    """The points that may become reasons: a contribution that disagrees with its reference counts as zero."""
    return table.points if table.showable is None else np.where(table.showable, table.points, 0.0)


def pick_reasons(points: np.ndarray, top: int, whole: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of each row's reasons (n × top), largest first, and which of them are real.

    ``whole``: the points as displayed (``PointsFrame.points_int``; rounded ``points`` when not given). A reason is
    one of the ``top`` factors that move the score most as the card states it: ranked by displayed whole points,
    then by exact points, whichever side they are on. A factor under the display resolution — one that rounds to 0
    points, or is displayed as 0 — is never a reason ("评分减少0分" tells a reader nothing); nor is one whose
    ``points`` are 0 (``reason_points`` zeroes a contribution that disagrees with its reference). One pass over
    the whole frame.
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    whole = np.rint(points) if whole is None else np.atleast_2d(np.asarray(whole))
    k = min(top, points.shape[1])
    shown = (whole != 0) & (np.abs(points) >= 0.5)
    # the last key sorts first: showable factors, then the larger displayed points, then the larger exact points
    order = np.lexsort((-np.abs(points), -np.abs(whole), ~shown), axis=1)[:, :k]
    return order, np.take_along_axis(shown, order, axis=1)


def lead_with_side(order: np.ndarray, real: np.ndarray, points: np.ndarray,
                   adverse_first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chosen reasons of each row (``pick_reasons``) listed with the side its recommendation rests on first.

    A decline or a referral leads with what lowered the score, an approval with what raised it, each side largest
    first as ``pick_reasons`` chose them: a declined card never opens with "评分增加" while a smaller "评分减少"
    waits below it. Which factors are reasons does not change, only their order.
    """
    chosen = np.take_along_axis(np.atleast_2d(points), order, axis=1)
    lead = np.where(np.asarray(adverse_first, dtype=bool)[:, None], chosen < 0, chosen > 0)
    # real reasons first, the leading side before the other, and within that the order pick_reasons gave (stable)
    rank = np.argsort(2 * ~real + ~lead, axis=1, kind="stable")
    return np.take_along_axis(order, rank, axis=1), np.take_along_axis(real, rank, axis=1)


def plain_value(value: Any) -> Any:
    """A cell as a plain Python value (numpy scalars unwrapped, every kind of missing as None)."""
    if is_missing(value) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def reason_sentences(name: str, value: Any, points: float, points_int: int, info: FeatureInfo | None = None,
                     reference: Reference | None = None) -> tuple[str, str]:
    """The sentence of one reason in Chinese and English: the value, its reference, and its whole points."""
    adverse, size = bool(points < 0), abs(int(points_int))
    try:
        return _sentences(name, value, adverse, size, info, reference)
    except TypeError:  # an unhashable value: built afresh
        return _sentences.__wrapped__(name, value, adverse, size, info, reference)


@functools.lru_cache(maxsize=1 << 16, typed=True)
def _sentences(name: str, value: Any, adverse: bool, size: int, info: FeatureInfo | None,
               reference: Reference | None) -> tuple[str, str]:
    (phrase_zh, phrase_en), (versus_zh, versus_en) = value_and_comparison(name, value, info, reference,
                                                                           info or _household_info(name))
    clause_zh, clause_en = points_clause(adverse, size)
    return (f"{phrase_zh}{versus_zh}，{clause_zh}",
            f"{phrase_en[:1].upper()}{phrase_en[1:]}{versus_en}: {clause_en}")


@functools.lru_cache(maxsize=4096)
def points_clause(adverse: bool, size: int) -> tuple[str, str]:
    """What a reason does to the score, in whole points, in Chinese and English (the end of its sentence)."""
    if size == 0:
        return "对评分影响不足1分", "moves the score by less than a point"
    if adverse:
        return f"评分减少{size}分", f"takes {size} points off the score"
    return f"评分增加{size}分", f"adds {size} points to the score"


def _household_info(name: str) -> FeatureInfo:
    info = FEATURES.get(name)
    return info if info is not None else FeatureInfo(name=name, label_zh=name, label_en=name)


def make_reason(name: str, value: Any, contribution: float, points: float, points_int: int,
                info: FeatureInfo | None = None, reference: Reference | None = None, monotone: int | None = None
                ) -> Reason:
    """One Reason with its sentences built from the applicant's own value and the reference it is set against."""
    info = info or FEATURES.get(name)
    label_zh, label_en = (info.label_zh, info.label_en) if info else (name, name)
    actionable = bool(info.actionable) if info else False
    adverse = points < 0
    text_zh, text_en = reason_sentences(name, value, points, points_int, info, reference)
    advice = ADVICE.get(name) if (actionable and adverse) else None
    return Reason.model_construct(
        feature=name, label_zh=label_zh, label_en=label_en, value=value, contribution=float(contribution),
        points=round(float(points), 2), direction="adverse" if adverse else "favourable", actionable=actionable,
        text_zh=text_zh, text_en=text_en, points_int=int(points_int), value_zh=value_text_zh(name, value, info),
        advice_zh=advice[0] if advice else None, advice_en=advice[1] if advice else None,
        monotone=int(monotone if monotone is not None else (info.monotone if info else 0)),
        reference_kind=reference.kind if reference else "", reference=reference.value if reference else None,
        compared=reference.compared if reference else None,
    )


class ReasonWriter:
    """Reasons and groups in a model's own terms: its catalogue (labels, units, groups), directions and references."""

    def __init__(self, model: CreditModel) -> None:
        self.model = model
        self.info = {name: model.feature_info(name) for name in model.features}
        self.directions = dict(zip(model.features, model.monotone_constraints(), strict=True))

    def reason(self, name: str, value: Any, contribution: float, points: float, points_int: int) -> Reason:
        """One reason with the model's labels and the reference of the applicant's value."""
        return make_reason(name, value, contribution, points, points_int, self.info[name],
                           reference_of(self.model, name, value, self.directions[name]), self.directions[name])

    def sentence_zh(self, name: str, value: Any, points: float, points_int: int) -> str:
        """The Chinese sentence of one reason (the batch's flat columns)."""
        return reason_sentences(name, value, points, points_int, self.info[name],
                                reference_of(self.model, name, value, self.directions[name]))[0]

    def sentences_zh(self, name: str, cells: np.ndarray, points: np.ndarray, points_int: np.ndarray) -> np.ndarray:
        """The Chinese sentences of many reasons on one feature (``cells``: its values as read, one a reason).

        The same sentence as ``sentence_zh`` gives each: the value's phrase and its comparison are written once for
        each value the sentence could tell apart (``models.rules.cells.column_codes``: a type, a zero's sign), the
        points clause once for each whole-point size and side.
        """
        if len(cells) == 0:
            return np.empty(0, dtype=object)
        kinds = set(map(type, cells.tolist()))
        series = pd.Series(cells.astype(float)) if kinds == {float} else pd.Series(cells, dtype=object)
        _, first, inverse = np.unique(column_codes(series, cells), return_index=True, return_inverse=True)
        info = self.info[name]
        values = [plain_value(cells[i]) for i in first.tolist()]
        heads = np.empty(len(first), dtype=object)
        for k, (value, reference) in enumerate(zip(values, references_of(self.model, name, values,
                                                                          self.directions[name]), strict=True)):
            (phrase, _), (versus, _) = value_and_comparison(name, value, info, reference, info)
            heads[k] = f"{phrase}{versus}，"
        sides = np.abs(np.asarray(points_int, dtype=np.int64)) * 2 + (np.asarray(points) < 0)
        sizes, which = np.unique(sides, return_inverse=True)
        clauses = np.empty(len(sizes), dtype=object)
        clauses[:] = [points_clause(bool(side % 2), int(side // 2))[0] for side in sizes.tolist()]
        return heads[inverse.reshape(-1)] + clauses[which.reshape(-1)]

    def other_factors(self, points_int: np.ndarray, shown: Any) -> list[FactorGroup]:
        """The factors not shown as reasons, one bar per feature group; "其他" is never the largest bar.

        A group whose whole points net to 0 adds no bar. Features without a group form "其他"; while that bar is at least as large as every other bar of the
        waterfall (the reasons' and the groups'), its largest factor is shown as a bar of its own.
        """
        shown_set = {int(j) for j in shown}
        names = self.model.features
        groups: dict[str, list[int]] = {}
        for j, name in enumerate(names):
            if j not in shown_set and points_int[j] != 0:
                groups.setdefault(self.info[name].group, []).append(j)
        bars = []
        for group, members in groups.items():
            if group and sum(int(points_int[j]) for j in members) != 0:  # a group that nets to 0 adds no bar
                zh, en = self.info[names[members[0]]].group_names()
                bars.append(FactorGroup(group=group, label_zh=f"{zh}类其余因素", label_en=f"other {en} factors",
                                        points_int=int(sum(points_int[j] for j in members)),
                                        features=tuple(names[j] for j in members)))
        rest = sorted(groups.get("", []), key=lambda j: -abs(int(points_int[j])))
        largest = max([abs(int(points_int[j])) for j in shown_set] + [abs(b.points_int) for b in bars] + [0])
        while rest and 0 < abs(int(sum(points_int[j] for j in rest))) >= largest:
            j = rest.pop(0)
            info = self.info[names[j]]
            bars.append(FactorGroup(group=names[j], label_zh=info.label_zh, label_en=info.label_en,
                                    points_int=int(points_int[j]), features=(names[j],)))
            largest = max(largest, abs(int(points_int[j])))
        if rest and sum(int(points_int[j]) for j in rest) != 0:
            bars.append(FactorGroup(group="", label_zh="其他因素合计", label_en="other factors",
                                    points_int=int(sum(points_int[j] for j in rest)),
                                    features=tuple(names[j] for j in rest)))
        return bars


def reasons_from_points(table: PointsFrame, X: pd.DataFrame, top: int = 5,
                        writer: ReasonWriter | None = None) -> list[list[Reason]]:
    """The reasons of every row of an explained frame: the factors that move its score most, largest first."""
    columns = table.values if table.values is not None else object_columns(X, list(table.features))
    order, real = pick_reasons(reason_points(table), top, table.points_int)
    out: list[list[Reason]] = []
    for i in range(len(X)):
        row = []
        for j in order[i][real[i]]:
            name = table.features[j]
            args = (name, plain_value(columns[name][i]), table.contributions[i, j], table.points[i, j],
                    table.points_int[i, j])
            row.append(writer.reason(*args) if writer is not None else make_reason(*args))
        out.append(row)
    return out


def reasons_frame(model: CreditModel, X: pd.DataFrame, top: int = 5) -> list[list[Reason]]:
    """The reasons of every row of a feature frame (the factors that move its score most, largest first)."""
    return reasons_from_points(explain_frame(model, X), X, top, ReasonWriter(model))


def reasons_for_row(model: CreditModel, X: pd.DataFrame, top: int = 5) -> list[Reason]:
    """The reasons of a single-row frame (the factors that move its score most, largest first)."""
    if len(X) != 1:
        raise ValueError(f"reasons_for_row() takes one applicant; got {len(X)} rows")
    return reasons_frame(model, X, top)[0]
