"""What a reason compares the applicant with: the training population's median (or mean), or a category's bad rate.

A reason is a banking statement only when its sign agrees with the applicant's value against a stated reference:
a debt-service ratio above the applicants' median may take points off, never add them. ``risk_sides`` says, for
every cell of a model's input matrix, on which side of its reference the value lies in risk terms (+1 riskier,
-1 safer, 0 neither), ``showable`` which contributions may be shown as reasons, and ``reference_of`` the same
comparison for one value, as the sentence states it. The references are the model's own (``reference_``, taken
from its training rows when it was fitted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from features.metadata import level_code
from models.credit.model import CreditModel

Kind = Literal["median", "mean", "bad_rate"]


@dataclass(frozen=True)
class Reference:
    """The reference a reason states and where the applicant stands against it.

    ``value`` is the reference (the training median or mean, or the bad rate of all training rows); ``compared``
    the applicant's number set against it (the value itself, or the bad rate of the applicant's category);
    ``side`` +1 when the applicant stands on the riskier side, -1 on the safer side, 0 when the comparison says
    nothing about risk (a feature without a risk direction: the sentence then states the position only).
    """

    kind: Kind
    value: float
    compared: float
    side: int
    directional: bool


def _directions(model: CreditModel) -> dict[str, int]:
    return dict(zip(model.features, model.monotone_constraints(), strict=True))


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def reference_of(model: CreditModel, name: str, value: Any, direction: int | None = None) -> Reference | None:
    """The reference of one feature's value (None: missing value, unseen category, or no reference kept).

    ``direction``: the feature's risk direction when the caller holds it (the model's otherwise, worked out anew).
    """
    return references_of(model, name, [value], direction)[0]


def references_of(model: CreditModel, name: str, values: Sequence[Any],
                  direction: int | None = None) -> list[Reference | None]:
    """``reference_of`` each of many values of one feature (the feature's statistics looked up once)."""
    stats = getattr(model, "reference_", {}).get(name)
    if stats is None:
        return [None] * len(values)
    if stats["kind"] == "bad_rate":
        levels = stats["levels"]
        out: list[Reference | None] = []
        for value in values:
            found = None if _is_missing(value) else levels.get(level_code(value)) or levels.get(str(value))
            if found is None:
                out.append(None)
                continue
            rate, overall = float(found[0]), float(stats["overall"])
            out.append(Reference("bad_rate", overall, rate, int(np.sign(rate - overall)), True))
        return out
    if direction is None:
        direction = _directions(model).get(name, 0)
    median: float | None = None  # read at the first value that needs it, as one value alone reads it
    # a yes/no feature is set against the share of applicants with it: for 0/1 values the mean lies on the same
    # side as the median whenever the value differs from the median, so the risk side is the one risk_sides finds
    yes_no = model.feature_info(name).unit == "0/1"
    out = []
    for value in values:
        if _is_missing(value):
            out.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            out.append(None)
            continue
        kind: Kind = "median"
        ref = median = float(stats["median"]) if median is None else median
        if (number == ref and direction != 0) or yes_no:
            kind, ref = "mean", float(stats["mean"])
        if math.isnan(ref):
            out.append(None)
            continue
        out.append(Reference(kind, ref, number, int(np.sign(number - ref)) * direction, direction != 0))
    return out


def risk_sides(model: CreditModel, matrix: np.ndarray, levels: dict[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the input matrix: the risk side against the reference, and whether the side is a claim.

    ``levels``: each categorical feature's levels in the trees' code order (the matrix holds the codes). A cell
    with no claim (missing value, a feature without direction) may carry either sign; a claimed cell at its
    reference (side 0) may carry none.
    """
    n, k = matrix.shape
    sides = np.zeros((n, k), dtype=np.int8)
    claimed = np.zeros((n, k), dtype=bool)
    references = getattr(model, "reference_", {})
    directions = _directions(model)
    for j, name in enumerate(model.features):
        stats = references.get(name)
        column = matrix[:, j]
        present = ~np.isnan(column)
        if stats is None:
            continue
        if stats["kind"] == "bad_rate":
            rates = np.array([stats["levels"].get(level, (np.nan, 0))[0] for level in levels.get(name, [])] + [np.nan])
            codes = np.where(present, column, len(rates) - 1).astype(np.int64)
            codes = np.where((codes >= 0) & (codes < len(rates)), codes, len(rates) - 1)
            rate = rates[codes]
            known = ~np.isnan(rate)
            sides[:, j] = np.where(known, np.sign(rate - float(stats["overall"])), 0)
            claimed[:, j] = present  # an unseen category (side 0) cannot be shown
            continue
        direction = directions.get(name, 0)
        if direction == 0:
            continue
        median, mean = float(stats["median"]), float(stats["mean"])
        ref = np.where(column == median, mean, median)
        # a reference that is itself missing (a feature never seen in training) or inf - inf gives no side
        gap = column - ref
        sides[:, j] = np.where(present & ~np.isnan(gap), np.sign(gap) * direction, 0)
        claimed[:, j] = present
    return sides, claimed


def showable(points: np.ndarray, sides: np.ndarray, claimed: np.ndarray) -> np.ndarray:
    """Which contributions may be shown as reasons: adverse on the riskier side, favourable on the safer side.

    Unclaimed cells (missing values, features without a direction) may be shown with either sign; a claimed
    cell whose sign disagrees with its side, or that sits at its reference, is left to the grouped remainder.
    """
    agree = ((sides > 0) & (points < 0)) | ((sides < 0) & (points > 0))
    return np.where(claimed, agree, True)


def contradicts(adverse: bool, direction: int, value: Any, kind: str, reference: float | None,
                compared: float | None) -> bool:
    """True when a shown reason's sign contradicts the applicant's value against its stated reference.

    ``direction`` is the feature's risk direction (0 for a category: its bad rate is the direction). A missing
    value states no comparison and contradicts nothing; a directional reason without a reference does.
    """
    if _is_missing(value):
        return False
    if kind == "bad_rate":
        side = 0 if reference is None or compared is None else int(np.sign(compared - reference))
    elif direction == 0:
        return False
    else:
        side = 0 if reference is None or compared is None else int(np.sign(compared - reference)) * direction
    return side == 0 or (side > 0) != adverse
