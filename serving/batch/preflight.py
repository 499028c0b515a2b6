"""Before the first decision: every input file opened, checked and fingerprinted, every problem named at once.

A shard is one unit of input (a raw-source folder, or one built-feature Parquet file). Its fingerprint covers the
whole content of every file in it (xxHash3-128, a few GB/s), so an edit anywhere, even one digit inside a JSON
file of the same size, changes it. The pre-flight also opens every Parquet footer, parses every JSON source and
checks the columns the run reads, so a truncated or malformed file is reported before hours are spent, with every
other problem of the input in the same message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import xxhash

from features.build.table import RULE_INPUT_COLUMNS
from features.files import is_temp_path
from features.metadata import MODEL_FEATURES
from features.sources.load import EXTRA_TABLES, OPTIONAL_COLUMNS, REQUIRED_COLUMNS

_BLOCK = 8 << 20
FORM_SOURCES = ("visits", "revisits")  # JSON sources; visits is required, revisits optional


@dataclass(frozen=True)
class Shard:
    """One unit of input: its key (path under the input), digest of its whole content, and its request count."""

    key: str
    path: str
    digest: str
    requests: int


def file_digest(path: Path, content: bytes | None = None) -> str:
    """xxHash3-128 of a file's whole content (streamed, or of ``content`` already read)."""
    if content is not None:
        return xxhash.xxh3_128_hexdigest(content)
    digest = xxhash.xxh3_128()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def shard_files(shard: Path) -> list[Path]:
    """The files of a raw-source shard that a run reads (Parquet and JSON; temporary leftovers excluded)."""
    return sorted(p for p in shard.iterdir() if p.is_file() and p.suffix in (".parquet", ".json")
                  and not is_temp_path(p))


def _footer(path: Path, problems: list[str]) -> pq.ParquetFile | None:
    try:
        return pq.ParquetFile(path)
    except Exception as err:  # any failure to open is the same problem for the person: named below
        problems.append(f"'{path}' is not readable Parquet ({type(err).__name__}: {str(err)[:80]}) · "
                        f"文件无法读取（Parquet 损坏或被截断）")
        return None


def _columns(path: Path, meta: pq.ParquetFile, needed: tuple[str, ...] | list[str], problems: list[str]) -> None:
    missing = [c for c in needed if c not in meta.schema_arrow.names]
    if missing:
        shown = ", ".join(missing[:6]) + (" …" if len(missing) > 6 else "")
        problems.append(f"'{path}' lacks required column(s) {shown} · 缺少必需列 {shown}")


def check_raw_shard(shard: Path, root: Path, list_mode: bool, problems: list[str]) -> Shard:
    """Open, check and fingerprint every file of a raw-source shard; problems are appended, not raised."""
    digest = xxhash.xxh3_128()
    requests = 0
    files = {p.name: p for p in shard_files(shard)}
    for name in REQUIRED_COLUMNS:
        if f"{name}.parquet" not in files:
            problems.append(f"'{shard / (name + '.parquet')}' is missing (source '{name}' is required) · 缺少数据源 {name}")
    if "visits.json" not in files:
        problems.append(f"'{shard / 'visits.json'}' is missing (source 'visits' is required) · 缺少走访采集表 visits.json")
    for file in files.values():
        digest.update(f"{file.name}\0".encode())
        stem = file.stem
        if file.suffix == ".json":
            content = file.read_bytes()
            digest.update(file_digest(file, content).encode())
            if stem in FORM_SOURCES:
                try:
                    records = json.loads(content)
                except (json.JSONDecodeError, UnicodeDecodeError) as err:
                    problems.append(f"'{file}' is not valid JSON ({err}) · JSON 无法解析")
                    continue
                if not isinstance(records, list):
                    problems.append(f"'{file}' must be a JSON list of forms · 须为采集表列表")
            continue
        digest.update(file_digest(file).encode())
        if stem not in REQUIRED_COLUMNS and stem not in EXTRA_TABLES and stem not in OPTIONAL_COLUMNS:
            continue
        meta = _footer(file, problems)
        if meta is None:
            continue
        _columns(file, meta, REQUIRED_COLUMNS.get(stem, OPTIONAL_COLUMNS.get(stem, ())), problems)
        if stem == "applications" and not list_mode:
            requests = meta.metadata.num_rows
        if stem == "base_list" and list_mode and "household_id" in meta.schema_arrow.names:
            try:
                ids = meta.read(columns=["household_id"]).column("household_id")
                requests = len(ids.unique())
            except Exception as err:  # a footer that opens over damaged pages
                problems.append(f"'{file}' cannot be read ({type(err).__name__}) · 文件无法读取")
    key = str(shard.relative_to(root)) if shard != root else "."
    return Shard(key, str(shard), digest.hexdigest(), requests)


def check_features_file(file: Path, root: Path, problems: list[str]) -> Shard:
    """Open, check and fingerprint one built-feature Parquet file; problems are appended, not raised."""
    key = str(file.relative_to(root)) if file != root else file.name
    digest = file_digest(file)
    meta = _footer(file, problems)
    if meta is None:
        return Shard(key, str(file), digest, 0)
    needed = list(dict.fromkeys(["request_id", "household_id", *RULE_INPUT_COLUMNS, *MODEL_FEATURES]))
    _columns(file, meta, needed, problems)
    return Shard(key, str(file), digest, meta.metadata.num_rows)
