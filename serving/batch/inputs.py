"""The batch input cut into partitions: built-feature Parquet by row ranges, raw-source folders by requests.

A partition is a fixed slice of the input (a file and a row range, or a raw-source shard and a range of its
requests), so the same input and chunk size always give the same partitions: that is what lets a run killed
half-way resume without redoing or duplicating any of them.
"""

from __future__ import annotations

import gc
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import pandas as pd
import pyarrow.parquet as pq

from features.build.program import ProgramTerms
from features.build.table import FeatureBuilder
from features.county import with_categories
from features.errors import InputError, KuozhongError
from features.files import is_temp_path
from features.sources.load import RawSources, load_sources
from serving.batch.preflight import Shard, check_features_file, check_raw_shard

InputKind = Literal["features", "raw"]


class BatchInputError(InputError):
    """A batch input or output a person must fix (exit code 2): the message names the path and the problem."""


class BatchRunError(KuozhongError):
    """A run that cannot go on (scheduler unreachable, no worker left, a partition that kills its workers)."""

    code: ClassVar[str] = "batch_run_failed"


@dataclass(frozen=True)
class Partition:
    """One slice of the input: rows ``[start, stop)`` of a features file, or requests of a raw-source shard."""

    index: int
    kind: InputKind
    path: str
    start: int
    stop: int
    shard: str = ""  # the key of the shard it belongs to (``Shard.key``)
    digest: str = ""  # that shard's content digest when the run began (a cached shard of another content is not used)

    @property
    def name(self) -> str:
        """The output file's stem (zero-padded so that files sort in input order)."""
        return f"part-{self.index:06d}"

    @property
    def rows(self) -> int:
        """How many requests the partition holds."""
        return self.stop - self.start


@dataclass(frozen=True)
class BatchInput:
    """The partitions of an input, its shards (content digests) and the fingerprint of how it is laid out."""

    kind: InputKind
    partitions: tuple[Partition, ...]
    fingerprint: str
    shards: tuple[Shard, ...] = ()


def _raw_shards(root: Path) -> list[Path]:
    if (root / "base_list.parquet").exists():
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "base_list.parquet").exists())


def _layout(shards: list[Shard], extra: dict[str, object]) -> str:
    """The fingerprint of how the input is cut: its shards, their request counts, the kind, chunk and date."""
    parts = [(s.key, s.requests) for s in shards]
    payload = json.dumps({"shards": parts, **extra}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _refuse(path: Path, problems: list[str]) -> None:
    if problems:
        listed = "\n  - ".join(problems)
        raise BatchInputError(f"input '{path}': {len(problems)} problem(s) found before the first decision:\n  - "
                              f"{listed}", field="--input", value=str(path), rule="every input file readable",
                              message_zh=f"输入 '{path}' 有 {len(problems)} 处问题，批量决策未开始")


def discover(path: Path, chunk_size: int, as_of: pd.Timestamp | None = None) -> BatchInput:
    """Partitions of ``path``: a features Parquet file or folder, or raw sources (one folder or shard folders).

    Every input file is opened, checked and fingerprinted first (``serving.batch.preflight``); every problem
    found is named in one error before any decision is made. An input with no request is an error.
    """
    path = Path(path)
    if chunk_size < 1:
        raise BatchInputError(f"option '--chunk-size': {chunk_size} must be at least 1", field="--chunk-size",
                              value=chunk_size, rule="at least 1", message_zh="--chunk-size 须至少为1")
    if not path.exists():
        raise BatchInputError(f"input '{path}' does not exist", field="--input", value=str(path),
                              rule="an existing file or folder", message_zh=f"输入 '{path}' 不存在")
    shards = _raw_shards(path) if path.is_dir() else []
    if shards:
        found = _discover_raw(path, shards, chunk_size, as_of)
    else:
        # a write cut short leaves a hidden temporary file beside the real ones: never an input
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*.parquet") if not is_temp_path(p))
        if not files:
            raise BatchInputError(f"input '{path}' holds neither raw sources (base_list.parquet) nor feature Parquet",
                                  field="--input", value=str(path), rule="raw sources or built features",
                                  message_zh=f"输入 '{path}' 既非原始数据目录也非特征 Parquet")
        found = _discover_features(path, files, chunk_size)
    if not found.partitions:
        what = "households on the base list" if as_of is not None and found.kind == "raw" else "applications"
        raise BatchInputError(f"input '{path}' holds no {what}: nothing to decide", field="--input",
                              value=str(path), rule="at least one request", message_zh=f"输入 '{path}' 没有可决策的记录")
    return found


def _cut(shard: Shard, kind: InputKind, partitions: list[Partition], chunk_size: int) -> None:
    for start in range(0, shard.requests, chunk_size):
        partitions.append(Partition(len(partitions), kind, shard.path, start, min(start + chunk_size, shard.requests),
                                    shard.key, shard.digest))


def _discover_features(root: Path, files: list[Path], chunk_size: int) -> BatchInput:
    problems: list[str] = []
    shards = [check_features_file(file, root, problems) for file in files]
    _refuse(root, problems)
    partitions: list[Partition] = []
    for shard in shards:
        _cut(shard, "features", partitions, chunk_size)
    fingerprint = _layout(shards, {"kind": "features", "chunk_size": chunk_size})
    return BatchInput("features", tuple(partitions), fingerprint, tuple(shards))


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


def _discover_raw(root: Path, folders: list[Path], chunk_size: int, as_of: pd.Timestamp | None) -> BatchInput:
    problems: list[str] = []
    shards = [check_raw_shard(folder, root, as_of is not None, problems) for folder in folders]
    _refuse(root, problems)
    partitions: list[Partition] = []
    for shard in shards:
        _cut(shard, "raw", partitions, chunk_size)
    extra = {"kind": "raw", "chunk_size": chunk_size, "as_of": None if as_of is None else as_of.isoformat()}
    return BatchInput("raw", tuple(partitions), _layout(shards, extra), tuple(shards))


# One raw shard stays loaded and indexed per process, with its requests on the run's date: consecutive partitions
# of a shard load, index and list them once.
_SHARD_CACHE: dict[tuple[str, str, int, pd.Timestamp | None], tuple[FeatureBuilder, pd.DataFrame]] = {}


def load_shard(path: Path, program: ProgramTerms, as_of: pd.Timestamp | None = None
               ) -> tuple[FeatureBuilder, pd.DataFrame]:
    """One raw shard read and indexed by the feature builder, with its requests (see ``_shard_requests``).

    Reading a shard makes millions of objects and next to no reference cycles, so Python's cycle collector is
    paused while it runs (each full collection would walk every object made so far: a fifth of the reading time),
    and what was read is then kept out of later collections (``gc.freeze``) while the shard is in use, so that
    deciding its partitions does not walk it again and again. ``release_shards`` hands it back to the collector.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        builder = FeatureBuilder(load_sources(Path(path)), program)
        requests = _shard_requests(builder.sources, as_of)
    finally:
        if paused:
            gc.enable()
    gc.freeze()
    return builder, requests


def release_shards() -> None:
    """Drop the cached shard and hand every frozen object back to the cycle collector."""
    _SHARD_CACHE.clear()
    gc.unfreeze()


def _shard(path: str, digest: str, program: ProgramTerms,
           as_of: pd.Timestamp | None = None) -> tuple[FeatureBuilder, pd.DataFrame]:
    key = (path, digest, id(program), as_of)  # the cached builder holds the policy: its id stays its own while cached
    if key not in _SHARD_CACHE:
        release_shards()
        _SHARD_CACHE[key] = load_shard(Path(path), program, as_of)
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
    builder, shard_requests = _shard(partition.path, partition.digest, program, as_of)
    requests = shard_requests.iloc[partition.start:partition.stop]
    # The builder behind ``features.build.table.build_features``, indexed once for the whole shard.
    return builder.build(requests.reset_index(drop=True))
