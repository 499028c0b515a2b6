"""Atomic writes: the target appears whole or keeps its old content, and no temporary file is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from features.files import atomic_path, is_temp_path, temp_path_for, write_bytes_atomic, write_text_atomic


class Boom(Exception):
    pass


def test_the_file_appears_whole_only_when_the_block_ends(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    with atomic_path(target) as tmp:
        tmp.write_text("<p>half", encoding="utf-8")
        assert not target.exists()  # a reader polling for the file sees nothing yet
        with tmp.open("a", encoding="utf-8") as handle:
            handle.write(" and the rest</p>")
    assert target.read_text(encoding="utf-8") == "<p>half and the rest</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_an_existing_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old", encoding="utf-8")
    write_text_atomic(target, "新内容")
    assert target.read_text(encoding="utf-8") == "新内容"
    write_bytes_atomic(target, b"\x00\x01bytes")
    assert target.read_bytes() == b"\x00\x01bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_text_is_written_in_the_encoding_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "表.csv"
    write_text_atomic(target, "户编号", encoding="utf-8-sig")
    assert target.read_bytes() == "户编号".encode("utf-8-sig")


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_an_error_in_the_block_keeps_the_old_content_and_leaves_no_temp_file(tmp_path: Path,
                                                                              error: type[BaseException]) -> None:
    target = tmp_path / "base_list.parquet"
    target.write_bytes(b"old content")
    with pytest.raises(error), atomic_path(target) as tmp:
        tmp.write_bytes(b"half of the new")
        raise error
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base_list.parquet"]


def test_an_error_before_anything_is_written_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "port"
    with pytest.raises(Boom), atomic_path(target):
        raise Boom
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.mkdir()
    (target / "keep").write_text("x", encoding="utf-8")  # a non-empty folder cannot be replaced by a file
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.write_text("{}", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    assert target.is_dir()


def test_a_block_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "empty.txt"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_the_temp_path_is_hidden_in_the_same_folder_and_keeps_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "成效监测表-2024-06-30.xlsx"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.suffix == ".xlsx"
        assert tmp.name.startswith(f".{target.name}.{os.getpid()}.")
        assert tmp.name.endswith(".tmp.xlsx")
        assert is_temp_path(tmp)
        # pandas picks the Excel writer by the suffix: a ".tmp" ending would be refused
        pd.DataFrame({"指标": ["贷款户数"], "实际值": [3]}).to_excel(tmp, index=False)
    assert pd.read_excel(target).to_dict("records") == [{"指标": "贷款户数", "实际值": 3}]


def test_a_name_without_suffix_gets_a_plain_tmp_ending(tmp_path: Path) -> None:
    tmp = temp_path_for(tmp_path / "port")
    assert tmp.name.startswith(".port.") and tmp.name.endswith(".tmp") and tmp.suffix == ".tmp"


def test_temp_names_differ_between_calls(tmp_path: Path) -> None:
    target = tmp_path / "part-000001.parquet"
    assert len({temp_path_for(target) for _ in range(50)}) == 50


def test_nested_writes_to_one_target_do_not_share_a_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "_manifest.json"
    with atomic_path(target) as outer:
        outer.write_text("outer", encoding="utf-8")
        with atomic_path(target) as inner:
            assert inner != outer
            inner.write_text("inner", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "inner"
    assert target.read_text(encoding="utf-8") == "outer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_manifest.json"]


@pytest.mark.parametrize(("name", "expected"), [
    (".part-000001.parquet.4711.9f3a1b2c.tmp.parquet", True),
    (".summary.json.4711.9f3a1b2c.tmp.json", True),
    (".port.4711.9f3a1b2c.tmp", True),
    (".part-000001.parquet.999.tmp", True),  # the older name, still recognised as a leftover
    ("part-000001.parquet", False),
    ("_manifest.json", False),
    ("report.tmp", False),  # not hidden: not one of ours
    (".hidden.parquet", False),
])
def test_leftover_temp_names_are_recognised(name: str, expected: bool) -> None:
    assert is_temp_path(Path(name)) is expected
