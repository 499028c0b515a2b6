"""The approval file: a Decision rendered for the loan file (HTML), with masked identity only."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from models.decision import Decision

_RECOMMENDATION_ZH = {"approve": "建议批准", "refer": "转人工审核", "decline": "建议拒绝"}
_OUTCOME_ZH = {"pass": "通过", "fail": "未通过", "cannot_decide": "待核实"}


def _env() -> Environment:
    env = Environment(loader=PackageLoader("serving", "templates"), autoescape=select_autoescape(["html"]))
    env.globals.update(recommendation_zh=_RECOMMENDATION_ZH, outcome_zh=_OUTCOME_ZH)
    return env


def render_html(decision: Decision) -> str:
    """The approval file as a self-contained HTML page."""
    return _env().get_template("approval.html").render(d=decision)


def write_decision(decision: Decision, out: Path) -> dict[str, Path]:
    """Write the Decision as JSON and its approval file as HTML, atomically; return both paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{decision.decision_id}.json", "html": out / f"{decision.decision_id}.html"}
    for kind, text in (("json", decision.model_dump_json(indent=2)), ("html", render_html(decision))):
        tmp = paths[kind].with_suffix(paths[kind].suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(paths[kind])
    return paths
