"""Running the `kuozhong` console entry point inside the test process, as a user would call it."""

from __future__ import annotations

import sys

import pytest


def run_kuozhong(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """Run the console entry point in this process: (exit code, stderr)."""
    from serving.cli.main import main

    monkeypatch.setattr(sys, "argv", ["kuozhong", *args])
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, capsys.readouterr().err
