"""The `kuozhong subsidy` command on the simulated county's data folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runner import run_kuozhong


def test_subsidy_command_writes_the_claim_and_a_reconciled_summary(data_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    # when the claim for March 2025 is made from the simulated county
    code, err = run_kuozhong(capsys, monkeypatch, "subsidy", "--month", "2025-03", "--data", str(data_dir), "--out", str(tmp_path))
    # then the XLSX, CSV and summary exist, and the summary reconciles
    assert code == 0, err
    assert {p.name for p in tmp_path.iterdir()} == {"贴息申请表_2025-03.xlsx", "贴息申请表_2025-03.csv",
                                                  "贴息汇总_2025-03.json"}
    info = json.loads((tmp_path / "贴息汇总_2025-03.json").read_text(encoding="utf-8"))
    assert info["reconciles"] is True and info["loans_subsidised"] > 0


def test_subsidy_command_rejects_a_bad_month_in_one_line(data_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    code, err = run_kuozhong(capsys, monkeypatch, "subsidy", "--month", "2025/03", "--data", str(data_dir), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "--month" in err and "YYYY-MM" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_bad_ledger_row_refuses_the_claim_naming_the_field(data_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    # given a copy of the data folder whose ledger postings include a negative interest amount
    import shutil

    import pandas as pd

    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    events = pd.read_parquet(data / "loan_events.parquet")
    row = events.index[events["event"] == "interest"][0]
    events.loc[row, "interest"] = -12.5
    events.to_parquet(data / "loan_events.parquet", index=False)
    # when the claim is made
    code, err = run_kuozhong(capsys, monkeypatch, "subsidy", "--month", "2025-03", "--data", str(data),
                             "--out", str(tmp_path / "out"))
    # then it is refused in one line naming the source and the field, and nothing is written
    assert code == 2, err
    assert "loan_events" in err and "'interest'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
