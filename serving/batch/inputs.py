"""The batch input cut into partitions: built-feature Parquet by row ranges, raw-source folders by requests.

A partition is a fixed slice of the input (a file and a row range, or a raw-source shard and a range of its
requests), so the same input and chunk size always give the same partitions: that is what lets a run killed
half-way resume without redoing or duplicating any of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from features.build.program import ProgramTerms
from features.build.table import RULE_INPUT_COLUMNS, FeatureBuilder
from features.county import with_categories
from features.errors import InputError
from features.files import is_temp_path
from features.metadata import MODEL_FEATURES
from features.sources.load import RawSources, load_sources

InputKind = Literal["features", "raw"]
_SAMPLE_BYTES = 1 << 16


class BatchInputError(InputError):
    """A batch input or output a person must fix (exit code 2): the message names the path and the problem."""


@dataclass(frozen=True)
class Partition:
    """One slice of the input: rows ``[start, stop)`` of a features file, or requests of a raw-source shard."""

    index: int
    kind: InputKind
    path: str
    start: int
    stop: int

    @property
    def name(self) -> str:
        """The output file's stem (zero-padded so that files sort in input order)."""
        return f"part-{self.index:06d}"


@dataclass(frozen=True)
class BatchInput:
    """The partitions of an input and the fingerprint that identifies its content."""

    kind: InputKind
    partitions: tuple[Partition, ...]
    fingerprint: str


def _file_digest(path: Path) -> str:
    """Size plus the first and last 64 KiB (a Parquet footer holds every row group's statistics)."""
    size = path.stat().st_size
    digest = hashlib.sha256(f"{size}|".encode())
    with path.open("rb") as handle:
        digest.update(handle.read(_SAMPLE_BYTES))
        if size > _SAMPLE_BYTES:
            handle.seek(max(size - _SAMPLE_BYTES, _SAMPLE_BYTES))
            digest.update(handle.read())
    return digest.hexdigest()


def _raw_shards(root: Path) -> list[Path]:
    if (root / "base_list.parquet").exists():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "base_list.parquet").exists())


def _fingerprint(root: Path, files: list[Path], extra: dict[str, object]) -> str:
    parts = [(str(f.relative_to(root) if f != root else f.name), _file_digest(f)) for f in files]
    payload = json.dumps({"files": parts, **extra}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def discover(path: Path, chunk_size: int, as_of: pd.Timestamp | None = None) -> BatchInput:
    """Partitions of ``path``: a features Parquet file or folder, or raw sources (one folder or shard folders)."""
    path = Path(path)
    if chunk_size < 1:
        raise BatchInputError(f"option '--chunk-size': {chunk_size} must be at least 1")
    if not path.exists():
        raise BatchInputError(f"input '{path}' does not exist")
    shards = _raw_shards(path) if path.is_dir() else []
    if shards:
        return _discover_raw(path, shards, chunk_size, as_of)
    # a write cut short leaves a hidden temporary file beside the real ones: never an input
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.parquet") if not is_temp_path(p))
    if not files:
        raise BatchInputError(f"input '{path}' holds neither raw sources (base_list.parquet) nor feature Parquet")
    return _discover_features(path, files, chunk_size)


def _discover_features(root: Path, files: list[Path], chunk_size: int) -> BatchInput:
    needed = list(dict.fromkeys([*RULE_INPUT_COLUMNS, *MODEL_FEATURES]))
    partitions: list[Partition] = []
    for file in files:
        try:
            meta = pq.ParquetFile(file)
        except Exception as err:
            raise BatchInputError(f"input file '{file}' is not readable Parquet: {type(err).__name__}") from err
        missing = [c for c in needed if c not in meta.schema_arrow.names]
        if missing:
            raise BatchInputError(f"input file '{file}' lacks feature column(s): {', '.join(missing[:5])}"
                                  f"{' …' if len(missing) > 5 else ''}; build them with `kuozhong features`")
        rows = meta.metadata.num_rows
        for start in range(0, rows, chunk_size):
            partitions.append(Partition(len(partitions), "features", str(file), start,
                                        min(start + chunk_size, rows)))
    fingerprint = _fingerprint(root, files, {"kind": "features", "chunk_size": chunk_size})
    return BatchInput("features", tuple(partitions), fingerprint)


def _shard_requests(sources: RawSources, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Each application at its own date, or (with an as-of date) every household on the base list."""
    if as_of is None:
        apps = sources.applications
        return pd.DataFrame({"request_id": apps["application_id"].astype(str),
                             "household_id": apps["household_id"].astype(str),
                             "as_of": pd.to_datetime(apps["application_date"]),
                             "requested_amount": apps["requested_amount"].astype(float),
                             "purpose": apps.get("purpose")})
    ids = sources.base_list["household_id"].drop_duplicates(keep="last").astype(str)
    return pd.DataFrame({"request_id": ids + "@" + as_of.date().isoformat(), "household_id": ids,
                         "as_of": as_of})


def _discover_raw(root: Path, shards: list[Path], chunk_size: int, as_of: pd.Timestamp | None) -> BatchInput:
    partitions: list[Partition] = []
    files: list[Path] = []
    for shard in shards:
        if as_of is None:
            count = pq.ParquetFile(shard / "applications.parquet").metadata.num_rows
        else:
            base = pd.read_parquet(shard / "base_list.parquet", columns=["household_id"])
            count = int(base["household_id"].nunique())
        for start in range(0, count, chunk_size):
            partitions.append(Partition(len(partitions), "raw", str(shard), start, min(start + chunk_size, count)))
        files.extend(sorted(p for p in shard.iterdir() if p.suffix in (".parquet", ".json") and not is_temp_path(p)))
    extra = {"kind": "raw", "chunk_size": chunk_size, "as_of": None if as_of is None else as_of.isoformat()}
    return BatchInput("raw", tuple(partitions), _fingerprint(root, files, extra))


# One raw shard stays loaded and indexed per process: consecutive partitions of a shard index it once.
_SHARD_CACHE: dict[tuple[str, int], FeatureBuilder] = {}


def _shard(path: str, program: ProgramTerms) -> FeatureBuilder:
    key = (path, id(program))  # the cached builder holds the policy, so its id stays its own while cached
    if key not in _SHARD_CACHE:
        _SHARD_CACHE.clear()
        _SHARD_CACHE[key] = FeatureBuilder(load_sources(Path(path)), program)
    return _SHARD_CACHE[key]


def read_features(partition: Partition, program: ProgramTerms, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The feature frame of one partition, by the same builder as training and the API."""
    if partition.kind == "features":
        file = pq.ParquetFile(partition.path)
        groups, first, offset = [], None, 0
        for g in range(file.metadata.num_row_groups):
            n = file.metadata.row_group(g).num_rows
            if offset < partition.stop and offset + n > partition.start:
                groups.append(g)
                first = offset if first is None else first
            offset += n
        table = file.read_row_groups(groups).slice(partition.start - (first or 0), partition.stop - partition.start)
        return with_categories(table.to_pandas().reset_index(drop=True))
    builder = _shard(partition.path, program)
    requests = _shard_requests(builder.sources, as_of).iloc[partition.start:partition.stop]
    # The builder behind ``features.build.table.build_features``, indexed once for the whole shard.
    return builder.build(requests.reset_index(drop=True))
