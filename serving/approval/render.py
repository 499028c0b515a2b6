"""The approval file: a Decision rendered for the loan file as HTML and PDF (same content), masked identity only."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from features.files import write_bytes_atomic
from models.decision.builder import Decision
from models.policy import Policy
from serving.approval.pdf import render_pdf
from serving.approval.view import RecordedReview, WaterfallBar, approval_view
from training.fonts import FontUnavailable

__all__ = ["render_html", "render_pdf", "write_decision"]

log = logging.getLogger(__name__)
_SVG_COLOURS = {"base": "#7890b0", "adverse": "#c62828", "favourable": "#1a7f37", "rest": "#969696",
                "total": "#284678"}


def _env() -> Environment:
    return Environment(loader=PackageLoader("serving.approval", "templates"), autoescape=select_autoescape(["html"]))


def svg_waterfall(bars: list[WaterfallBar], width: int = 640, row: int = 22, label: int = 150,
                  value: int = 50) -> dict[str, Any]:
    """Geometry of the points waterfall for an inline SVG (the axis zoomed to the moves, as in the PDF)."""
    moves = [v for b in bars if b.kind not in ("base", "total") for v in (b.start, b.end)]
    ends = [b.end for b in bars if b.kind in ("base", "total")]
    low, high = min(moves + ends) - 8, max(moves + ends) + 8
    area = width - label - value

    def x_of(v: float) -> float:
        return label + (max(min(v, high), low) - low) / (high - low) * area

    shapes = []
    for k, bar in enumerate(bars):
        start = low if bar.kind in ("base", "total") else bar.start
        x0, x1 = sorted((x_of(start), x_of(bar.end)))
        shapes.append({"y": k * row, "x": round(x0, 1), "w": round(max(x1 - x0, 1.0), 1), "label": bar.label,
                       "colour": _SVG_COLOURS[bar.kind],
                       "shown": str(bar.points) if bar.kind in ("base", "total") else f"{bar.points:+d}"})
    ticks = [{"x": round(x_of(t), 1), "text": str(t)} for t in range(int(low) - int(low) % 10 + 10, int(high) + 1, 10)]
    return {"width": width, "height": row * len(bars) + 18, "row": row, "label": label, "bars": shapes,
            "ticks": ticks, "value_x": width - 4, "bottom": row * len(bars)}


def render_html(decision: Decision, reviews: Sequence[RecordedReview] = (), policy: Policy | None = None) -> str:
    """The approval file as a self-contained HTML page (the same content as the PDF)."""
    view = approval_view(decision, reviews, policy)
    return _env().get_template("approval.html").render(v=view, chart=svg_waterfall(view.waterfall))


def write_decision(decision: Decision, out: Path) -> dict[str, Path]:
    """Write the Decision as JSON and its approval file as HTML and PDF, each atomically; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{decision.decision_id}.json", "html": out / f"{decision.decision_id}.html"}
    write_bytes_atomic(paths["json"], decision.model_dump_json(indent=2).encode("utf-8"))
    write_bytes_atomic(paths["html"], render_html(decision).encode("utf-8"))
    try:
        pdf = render_pdf(decision)
    except FontUnavailable as err:
        log.warning("approval file PDF not written: %s", err)
        return paths
    paths["pdf"] = out / f"{decision.decision_id}.pdf"
    write_bytes_atomic(paths["pdf"], pdf)
    return paths
