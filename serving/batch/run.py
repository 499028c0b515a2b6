"""Running a batch: pending partitions through the local or the Dask engine, then the summary by township."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from models.policy import Policy
from serving.batch.chunk import decide_chunk, write_atomic
from serving.batch.inputs import BatchInputError, Partition, discover, read_features
from serving.batch.manifest import PART_GLOB, RunIdentity, RunManifest, prepare_output, write_manifest
from training.registry import LoadedModel

log = logging.getLogger(__name__)

Engine = Literal["local", "dask"]
Progress = Callable[[int], None]
RECOMMENDATIONS = ("approve", "refer", "decline")


@dataclass(frozen=True)
class BatchConfig:
    """Where to read and write, how to cut the input, and which engine runs it."""

    input: Path
    output: Path
    engine: Engine = "local"
    scheduler: str | None = None
    workers: int = 2
    chunk_size: int = 50_000
    as_of: dt.date | None = None
    restart: bool = False
    decided_at: dt.datetime | None = None  # default: when the run first started (kept on resume)


@dataclass(frozen=True)
class BatchResult:
    """What a run did: partitions written now, skipped as already done, and the summary by township."""

    manifest: RunManifest
    written: int
    skipped: int


def decide_partition(partition: Partition, output: str, loaded: LoadedModel, policy: Policy,
                     as_of: dt.date | None, now: dt.datetime, run_key: str) -> int:
    """Decide one partition and write it atomically; a partition already written is left alone."""
    target = Path(output) / f"{partition.name}.parquet"
    if target.exists():
        return partition.stop - partition.start
    features = read_features(partition, policy, None if as_of is None else pd.Timestamp(as_of))
    frame = decide_chunk(features, loaded, policy, now, run_key)
    write_atomic(frame, target)
    return len(frame)


def _identity(config: BatchConfig, loaded: LoadedModel, policy: Policy, kind: str, fingerprint: str) -> RunIdentity:
    return RunIdentity(model_name=loaded.ref.name, model_version=loaded.ref.version, model_run_id=loaded.ref.run_id,
                       model_hash=loaded.model.model_hash(), policy_version=policy.version,
                       policy_hash=policy.content_hash, input_path=str(config.input.resolve()), input_kind=kind,
                       input_fingerprint=fingerprint, chunk_size=config.chunk_size, as_of=config.as_of)


def run_batch(config: BatchConfig, loaded: LoadedModel, policy: Policy,
              progress: Callable[[int, int], Progress] | None = None) -> BatchResult:
    """Decide every partition not yet written, then record the summary; safe to kill and start again."""
    as_of = None if config.as_of is None else pd.Timestamp(config.as_of)
    batch_input = discover(config.input, config.chunk_size, as_of)
    identity = _identity(config, loaded, policy, batch_input.kind, batch_input.fingerprint)
    manifest = prepare_output(config.output, identity, config.restart)
    if manifest is None:
        started = config.decided_at or dt.datetime.now(dt.UTC)
        manifest = RunManifest(identity=identity, partitions=len(batch_input.partitions),
                               requests=sum(p.stop - p.start for p in batch_input.partitions), started_at=started)
        write_manifest(config.output, manifest)
    now = config.decided_at or manifest.started_at
    done = {p.name for p in config.output.glob(PART_GLOB)}
    pending = [p for p in batch_input.partitions if f"{p.name}.parquet" not in done]
    advance = progress(manifest.requests, manifest.requests - sum(p.stop - p.start for p in pending)) \
        if progress else (lambda n: None)
    log.info("batch: %d partitions, %d already written, %d to decide (engine %s)", manifest.partitions,
             manifest.partitions - len(pending), len(pending), config.engine)
    args = (str(config.output), loaded, policy, config.as_of, now, identity.run_key)
    if config.engine == "dask":
        _run_dask(pending, args, config, advance)
    else:
        for partition in pending:
            advance(decide_partition(partition, *args))
    manifest = manifest.model_copy(update={"finished_at": dt.datetime.now(dt.UTC),
                                           "summary": summarise(config.output, batch_input.partitions)})
    write_manifest(config.output, manifest)
    return BatchResult(manifest, written=len(pending), skipped=manifest.partitions - len(pending))


@contextmanager
def _client(config: BatchConfig) -> Iterator[object]:
    from distributed import Client, LocalCluster

    if config.scheduler:
        with Client(config.scheduler) as client:
            yield client
        return
    # Loopback only: the batch holds personal data, its workers listen on no outside interface.
    with LocalCluster(n_workers=config.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _run_dask(pending: list[Partition], args: tuple, config: BatchConfig, advance: Progress) -> None:
    from distributed import as_completed

    if not pending:
        return
    output, loaded, policy, as_of, now, run_key = args
    with _client(config) as client:
        model_future, policy_future = client.scatter([loaded, policy], broadcast=True)  # type: ignore[attr-defined]
        futures = [client.submit(decide_partition, p, output, model_future, policy_future,  # type: ignore[attr-defined]
                                 as_of, now, run_key, key=f"kuozhong-{run_key[:8]}-{p.name}", pure=False)
                   for p in pending]
        for future in as_completed(futures):
            advance(future.result())


def summarise(output: Path, partitions: tuple[Partition, ...]) -> dict[str, dict[str, int]]:
    """Approvals, referrals and declines by township, read back from the written partitions."""
    missing = [p.name for p in partitions if not (output / f"{p.name}.parquet").exists()]
    if missing:
        raise BatchInputError(f"output '{output}': partition(s) {', '.join(missing[:3])} missing after the run")
    frames = [pq.read_table(output / f"{p.name}.parquet", columns=["township", "recommendation"]).to_pandas()
              for p in partitions]
    both = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["township", "recommendation"])
    both["township"] = both["township"].fillna("未知")
    counts = both.groupby(["township", "recommendation"]).size()
    summary: dict[str, dict[str, int]] = {}
    for (township, recommendation), n in counts.items():
        summary.setdefault(str(township), dict.fromkeys(RECOMMENDATIONS, 0))[str(recommendation)] = int(n)
    return dict(sorted(summary.items()))
