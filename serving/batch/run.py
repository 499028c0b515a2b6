"""Running a batch: pending partitions through the local or the Dask engine, then the summary by township.

Before the first decision the input is opened and fingerprinted shard by shard and the output folder is locked.
On a resume, partitions already written are checked (readable, the right row count) and kept; a shard whose
content changed since the run began has its partitions decided again (named in the log); a changed layout
(shards added or removed, row counts changed, another chunk size) is refused by name.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from features.files import is_temp_path
from models.policy import Policy
from serving.batch.inputs import BatchInput, BatchRunError, Partition, discover
from serving.batch.manifest import (
    RunIdentity,
    RunManifest,
    output_lock,
    prepare_output,
    write_manifest,
)
from serving.batch.partition import decide_partition, part_ok
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
    chunk_size: int = 5_000
    as_of: dt.date | None = None
    restart: bool = False
    decided_at: dt.datetime | None = None  # default: when the run first started (kept on resume)
    connect_timeout: float = 30.0  # seconds to reach a Dask scheduler
    worker_grace: float = 60.0  # seconds a Dask run may go on with no worker before it stops with an error


@dataclass(frozen=True)
class BatchResult:
    """What a run did: partitions written now, skipped as already done, and the summary by township."""

    manifest: RunManifest
    written: int
    skipped: int


def _identity(config: BatchConfig, loaded: LoadedModel, policy: Policy, kind: str, fingerprint: str) -> RunIdentity:
    return RunIdentity(model_name=loaded.ref.name, model_version=loaded.ref.version, model_run_id=loaded.ref.run_id,
                       model_hash=loaded.model.model_hash(), policy_version=policy.version,
                       policy_hash=policy.content_hash, input_path=str(config.input.resolve()), input_kind=kind,
                       input_fingerprint=fingerprint, chunk_size=config.chunk_size, as_of=config.as_of)


def run_batch(config: BatchConfig, loaded: LoadedModel, policy: Policy,
              progress: Callable[[int, int], Progress] | None = None) -> BatchResult:
    """Decide every partition not yet written, then record the summary; safe to kill and start again.

    A second run on the same output folder is refused while this one holds it.
    """
    as_of = None if config.as_of is None else pd.Timestamp(config.as_of)
    with output_lock(config.output):
        batch_input = discover(config.input, config.chunk_size, as_of)
        identity = _identity(config, loaded, policy, batch_input.kind, batch_input.fingerprint)
        manifest = prepare_output(config.output, identity, config.restart)
        return _run(config, loaded, policy, batch_input, identity, manifest, progress)


def _redo_changed(output: Path, manifest: RunManifest, batch_input: BatchInput) -> RunManifest:
    """Partitions of shards whose content changed since the run began are removed (decided again), by name."""
    now = {s.key: s.digest for s in batch_input.shards}
    changed = [key for key, digest in now.items() if manifest.shards.get(key, digest) != digest]
    for key in changed:
        parts = [p for p in batch_input.partitions if p.shard == key]
        for p in parts:
            (output / f"{p.name}.parquet").unlink(missing_ok=True)
        log.warning("input shard '%s' changed since the run began: its %d partition(s) are decided again", key,
                    len(parts))
    return manifest.model_copy(update={"shards": now, "finished_at": None, "summary": None}) if changed else manifest


def _run(config: BatchConfig, loaded: LoadedModel, policy: Policy, batch_input: BatchInput, identity: RunIdentity,
         manifest: RunManifest | None, progress: Callable[[int, int], Progress] | None) -> BatchResult:
    out = config.output
    if manifest is None:
        started = config.decided_at or dt.datetime.now(dt.UTC)
        manifest = RunManifest(identity=identity, partitions=len(batch_input.partitions),
                               requests=sum(p.rows for p in batch_input.partitions), started_at=started,
                               shards={s.key: s.digest for s in batch_input.shards})
    else:
        manifest = _redo_changed(out, manifest, batch_input)
    write_manifest(out, manifest)
    now = config.decided_at or manifest.started_at
    pending = []
    for p in batch_input.partitions:
        target = out / f"{p.name}.parquet"
        if target.exists() and part_ok(target, p.rows):
            continue
        if target.exists():
            log.warning("partition %s is unreadable or incomplete: it is decided again", target.name)
            target.unlink()
        pending.append(p)
    advance = progress(manifest.requests, manifest.requests - sum(p.rows for p in pending)) \
        if progress else (lambda n: None)
    log.info("batch: %d partitions, %d already written, %d to decide (engine %s)", manifest.partitions,
             manifest.partitions - len(pending), len(pending), config.engine)
    if config.engine == "dask":
        from serving.batch.dask_engine import run_dask

        run_dask(pending, out, loaded, policy, config.as_of, now, identity.run_key, advance,
                 scheduler=config.scheduler, workers=config.workers, connect_timeout=config.connect_timeout,
                 worker_grace=config.worker_grace)
    else:
        for partition in pending:
            advance(decide_partition(partition, str(out), loaded, policy, config.as_of, now))
    for leftover in [p for p in out.iterdir() if is_temp_path(p)]:
        leftover.unlink(missing_ok=True)  # a write cut short by a worker killed mid-write; its partition was redone
    manifest = manifest.model_copy(update={"finished_at": dt.datetime.now(dt.UTC),
                                           "summary": summarise(out, batch_input.partitions)})
    write_manifest(out, manifest)
    return BatchResult(manifest, written=len(pending), skipped=manifest.partitions - len(pending))


def summarise(output: Path, partitions: tuple[Partition, ...]) -> dict[str, dict[str, int]]:
    """Approvals, referrals and declines by township and the approved limits' sum in fen, read back from the parts."""
    missing = [p.name for p in partitions if not part_ok(output / f"{p.name}.parquet", p.rows)]
    if missing:
        raise BatchRunError(f"output '{output}': partition(s) {', '.join(missing[:3])} missing or incomplete after "
                            "the run; run again to decide them", field="--output", value=str(output),
                            rule="every partition written whole", message_zh=f"输出 '{output}' 有分区缺失或不完整")
    names = ["township", "recommendation", "limit_fen"]
    frames = [pq.read_table(output / f"{p.name}.parquet", columns=names).to_pandas() for p in partitions]
    both = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)
    both["township"] = both["township"].fillna("未知")
    both["approved_limit_fen"] = both["limit_fen"].where(both["recommendation"] == "approve", 0).fillna(0)
    counts = both.groupby(["township", "recommendation"]).size()
    limits = both.groupby("township")["approved_limit_fen"].sum()
    summary: dict[str, dict[str, int]] = {}
    for (township, recommendation), n in counts.items():
        summary.setdefault(str(township), dict.fromkeys(RECOMMENDATIONS, 0))[str(recommendation)] = int(n)
    for township, fen in limits.items():
        summary[str(township)]["approved_limit_fen"] = int(fen)
    return dict(sorted(summary.items()))
