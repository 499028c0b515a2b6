"""Why a decision came out as it did: TreeSHAP contributions turned into scorecard points and reason texts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from features.metadata import FEATURES
from models.credit import CreditModel


class Reason(BaseModel):
    """One feature's part in a decision."""

    model_config = ConfigDict(frozen=True)

    feature: str
    label_zh: str
    label_en: str
    value: Any
    contribution: float  # raw log-odds of default
    points: float        # score points (positive raises the score)
    direction: str       # "favourable" or "adverse"
    actionable: bool
    text_zh: str
    text_en: str


def points_table(model: CreditModel, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-row base points and per-feature points, so that base + Σ points equals the model's score."""
    contrib, expected = model.contributions(X)
    factor, slope = model.points_factor, model.calibration_slope_
    base = model.points_offset - factor * (slope * expected + model.calibration_intercept_)
    return base, -factor * slope * contrib


def _format(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "缺失"
    if isinstance(value, float):
        if unit in ("ratio",):
            return f"{value:.2f}"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def reasons_for_row(model: CreditModel, X: pd.DataFrame, top: int = 5) -> list[Reason]:
    """Top adverse and favourable reasons of a single-row frame, largest effect first."""
    base, points = points_table(model, X)
    contrib, _ = model.contributions(X)
    row = X.iloc[0]
    order = np.argsort(-np.abs(points[0]))
    reasons = []
    for j in order[:top]:
        name = model.features[j]
        info = FEATURES[name]
        value = row[name]
        value = None if pd.isna(value) else (value.item() if hasattr(value, "item") else value)
        pts = float(points[0, j])
        shown = _format(value, info.unit)
        unit_zh = "" if info.unit in ("ratio", "0/1", "") else info.unit
        verb_zh, verb_en = ("增加", "adds") if pts >= 0 else ("减少", "takes off")
        reasons.append(
            Reason(
                feature=name, label_zh=info.label_zh, label_en=info.label_en, value=value,
                contribution=float(contrib[0, j]), points=round(pts, 2),
                direction="favourable" if pts >= 0 else "adverse", actionable=info.actionable,
                text_zh=f"{info.label_zh}为{shown}{unit_zh}，评分{verb_zh}{abs(pts):.0f}分",
                text_en=f"{info.label_en} is {shown}: {verb_en} {abs(pts):.0f} points",
            )
        )
    return reasons
