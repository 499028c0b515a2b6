"""One score wherever a person reads it: the stored score cut to the whole point (556.6 shows 556).

Over a set of the county's applications: the approval PDF (as poppler extracts it), its HTML twin, the waterfall's
last bar and the command line's table all show ``display_points(score)`` and never the stored two decimals.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from models.decision.builder import ModelRef, decide
from models.explain.reasons import display_points
from serving.approval.render import render_html, render_pdf
from serving.approval.view import approval_view

NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
ROWS = 40


@pytest.fixture(scope="module")
def decisions(trained_store, table, policy):
    _, result = trained_store
    ref = ModelRef(name="kuozhong-credit", version=result.model_version, run_id=result.run_id)
    rows = range(0, len(table), max(1, len(table) // ROWS))
    return [decide(table.iloc[[i]], result.model, ref, policy, now=NOW) for i in rows][:ROWS]


def test_file_and_command_line_show_the_stored_score_cut_to_the_point(decisions, policy, tmp_path, capsys,
                                                                      monkeypatch):
    from serving.cli import main as cli

    monkeypatch.setattr(cli.console, "width", 240)
    wrong: list[str] = []
    fractional = 0
    for k, decision in enumerate(decisions):
        # given a decision whose stored score carries two decimals
        shown = int(display_points(decision.score))
        stored = f"{decision.score:.2f}"
        fractional += stored.split(".")[1] != "00"
        # when it is laid out for the file, printed as PDF and HTML, and shown by `kuozhong decide`
        view = approval_view(decision, policy=policy)
        path = tmp_path / f"{k}.pdf"
        path.write_bytes(render_pdf(decision, policy=policy))
        pdf = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                     check=True).stdout.split())
        html = render_html(decision, policy=policy)
        cli._print_decision(decision)
        printed = capsys.readouterr().out
        # then each says the whole point, and none the stored decimals
        surfaces = {"credit": dict(view.credit)["信用评分"] == f"{shown} 分",
                    "waterfall": view.waterfall[-1].points == shown,
                    "pdf": f"信用评分{shown}分" in pdf and stored not in pdf,
                    "html": f"{shown} 分" in html and stored not in html,
                    "cli": f"/ {shown} 分 /" in printed and stored not in printed}
        wrong += [f"{decision.decision_id} {name}" for name, ok in surfaces.items() if not ok]
    assert fractional > len(decisions) // 2  # the cut is exercised, not only scores on a whole point
    assert wrong == []
