"""Province mode: shards of complete raw-source folders, a manifest, and the `kuozhong simulate` command."""

from __future__ import annotations

import hashlib
import json

from typer.testing import CliRunner

from features.simulate.stream import province_table, simulate_province
from features.sources.load import load_sources
from serving.cli.main import app


def test_a_province_streams_to_shards_readable_one_by_one_and_as_one_table(tmp_path):
    # when
    summary = simulate_province(600, seed=3, out=tmp_path / "p", shard_size=250)
    # then three shards, each a complete raw-source folder, and a manifest
    assert summary.shards == 3
    manifest = json.loads((tmp_path / "p" / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["households"] == 600 and manifest["shards"] == 3
    shard = load_sources(tmp_path / "p" / "shard=00002")
    assert shard.base_list["household_id"].nunique() == 100
    table = province_table(tmp_path / "p", "base_list").to_table(columns=["household_id", "shard"])
    ids = table.column("household_id").to_pylist()
    assert len(set(ids)) == 600 and set(table.column("shard").to_pylist()) == {0, 1, 2}


def test_province_shards_are_byte_identical_for_the_same_seed_in_one_process_or_over_workers(tmp_path):
    # given the same province simulated twice in this process and once with its shards over two workers
    for name, workers in (("a", 1), ("b", 1), ("c", 2)):
        simulate_province(450, seed=4, out=tmp_path / name, shard_size=150, workers=workers)
    # then every file of every shard is the same, byte for byte
    def digests(name: str) -> dict[str, bytes]:
        root = tmp_path / name
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).digest()
                for p in sorted(root.glob("shard=*/*"))}
    assert len(digests("a")) > 30
    assert digests("a") == digests("b") == digests("c")


def test_the_simulate_command_writes_the_sources(tmp_path):
    result = CliRunner().invoke(app, ["simulate", "--households", "200", "--seed", "9", "--out",
                                      str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "oracle AUC" in result.output
    assert (tmp_path / "d" / "loan_ledger.parquet").exists() and (tmp_path / "d" / "revisits.json").exists()
