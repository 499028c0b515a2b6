"""Private list matching across two processes on a loopback socket, and the `kuozhong match` command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.matching import match_lists
from features.matching.parties import MatchingProtocolError
from features.matching.wire import match_two_process, require_loopback
from features.simulate.county import County
from tests.cli_runner import run_kuozhong


@pytest.fixture(scope="module")
def small_lists(clean_county: County, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    county = clean_county
    folder = tmp_path_factory.mktemp("lists")
    base = county.base_list.iloc[:300]
    bank = county.bank_customers[county.bank_customers["id_number"].isin(base["id_number"].iloc[::2])]
    base.to_parquet(folder / "base.parquet", index=False)
    bank[["customer_id", "id_number", "name"]].to_csv(folder / "bank.csv", index=False)
    return folder / "bank.csv", folder / "base.parquet"


def test_two_processes_on_a_socket_give_the_in_process_result(small_lists) -> None:
    # given the lists on disk, and the in-process result
    bank_path, base_path = small_lists
    bank = pd.read_csv(bank_path, dtype=str)
    expected = match_lists(bank, [pd.read_parquet(base_path)])
    # when the province runs as its own process and the bank talks to it over a loopback socket
    result = match_two_process(bank, base_path)
    # then the bank ends with the same initial list
    pd.testing.assert_frame_equal(result.initial, expected.initial)
    assert result.province_households == 300
    assert len(result.initial) == len(bank)


def test_the_socket_mode_refuses_non_loopback_hosts() -> None:
    assert require_loopback("127.0.0.1") == "127.0.0.1"
    for host in ("10.0.0.5", "0.0.0.0", "example.org"):
        with pytest.raises(MatchingProtocolError, match="loopback"):
            require_loopback(host)




def test_match_command_writes_the_initial_list_and_the_review_file(small_lists, tmp_path: Path, capsys, monkeypatch) -> None:
    # given the lists, and one bank name mistyped by a character
    bank_path, base_path = small_lists
    bank = pd.read_csv(bank_path, dtype=str)
    bank.loc[bank.index[0], "name"] = bank["name"].iloc[0][:-1] + "甲"
    bank.to_csv(tmp_path / "bank.csv", index=False)
    # when the command runs
    code, err = run_kuozhong(capsys, monkeypatch, "match", "--bank", str(tmp_path / "bank.csv"), "--province", str(base_path),
                     "--out", str(tmp_path / "initial.csv"))
    # then it writes both files and names the counts
    assert code == 0, err
    initial = pd.read_csv(tmp_path / "initial.csv", dtype={"id_number": str})
    review = pd.read_csv(tmp_path / "initial_review.csv", dtype={"id_number": str})
    assert len(initial) == len(bank) - 1
    assert list(review["id_number"]) == [bank["id_number"].iloc[0]]
    assert not list(tmp_path.glob("*.tmp"))


def test_match_command_names_a_missing_column_in_one_line(small_lists, tmp_path: Path, capsys, monkeypatch) -> None:
    # given a bank list without names
    _, base_path = small_lists
    pd.DataFrame({"id_number": ["330922199001011234"]}).to_csv(tmp_path / "bank.csv", index=False)
    # when matched, then exit code 2 and one line naming the column; nothing written
    code, err = run_kuozhong(capsys, monkeypatch, "match", "--bank", str(tmp_path / "bank.csv"), "--province", str(base_path),
                     "--out", str(tmp_path / "initial.csv"))
    assert code == 2
    assert err.strip().count("\n") == 0 and "name" in err and "Traceback" not in err
    assert not (tmp_path / "initial.csv").exists()
