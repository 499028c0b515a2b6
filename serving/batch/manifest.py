"""The run manifest: which model, policy and input a batch output belongs to, so a resume cannot mix them."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from features.files import is_temp_path, write_text_atomic
from serving.batch.inputs import BatchInputError

MANIFEST = "_manifest.json"
LOCK = "_lock"
RUN_FILE = "_run.pkl"  # the model and policy every Dask worker reads (written by the run, removed at its end)
PART_GLOB = "part-*.parquet"


class RunIdentity(BaseModel):
    """What must match for a run to be resumed: model, policy, input content and how it is cut."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_name: str
    model_version: str
    model_run_id: str
    model_hash: str
    policy_version: str
    policy_hash: str
    input_path: str
    input_kind: str
    input_fingerprint: str
    chunk_size: int
    as_of: dt.date | None = None

    @property
    def run_key(self) -> str:
        """A short hash of the identity, used to derive stable decision ids."""
        payload = self.model_dump_json(exclude={"input_path"})
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def differences(self, other: RunIdentity) -> list[str]:
        """Human-readable differences to another identity (empty when they match)."""
        labels = {"model_version": "model version", "model_hash": "model", "policy_version": "policy version",
                  "policy_hash": "policy content", "input_fingerprint": "input layout (shards or their row counts)",
                  "chunk_size": "chunk size",
                  "as_of": "as-of date", "input_kind": "input kind", "model_name": "model name"}
        return [f"{label} {getattr(self, key)} (this run: {getattr(other, key)})"
                for key, label in labels.items() if getattr(self, key) != getattr(other, key)]


class RunManifest(BaseModel):
    """The manifest file of a batch output folder."""

    model_config = ConfigDict(extra="forbid")

    identity: RunIdentity
    partitions: int
    requests: int
    shards: dict[str, str] = {}  # shard key -> digest of its whole content when the run began
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    summary: dict[str, dict[str, int]] | None = None


def write_json_atomic(path: Path, text: str) -> None:
    """Write a text file by temporary name, fsync and rename."""
    write_text_atomic(path, text)


def read_manifest(out: Path) -> RunManifest | None:
    """The manifest of an output folder, or None when there is none."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise BatchInputError(f"output '{out}': manifest {MANIFEST} is unreadable; pass --restart to start over"
                              ) from err


def write_manifest(out: Path, manifest: RunManifest) -> None:
    """Replace the manifest atomically."""
    write_json_atomic(out / MANIFEST, json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _ours(path: Path) -> bool:
    name = path.name
    return name in (MANIFEST, LOCK, RUN_FILE) or path.match(PART_GLOB) or is_temp_path(path)


def usable_folder(out: Path) -> None:
    """The output is a folder, or can be made one: a file of that name is refused by name."""
    if out.exists() and not out.is_dir():
        raise BatchInputError(f"output '{out}' is a file; the batch writes a folder of partitions",
                              field="--output", value=str(out), rule="a folder (new or empty or an earlier run's)",
                              message_zh=f"输出 '{out}' 是文件，批量决策须写入文件夹")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BatchInputError(f"output '{out}' cannot be created ({err.strerror})", field="--output",
                              value=str(out), rule="a folder that can be written",
                              message_zh=f"输出文件夹 '{out}' 无法创建") from err


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the output folder for this run: a second run on the same folder is refused by name (exit 2).

    The lock is the kernel's (``flock``) on ``_lock``: it goes with the process, so a killed run leaves none.
    """
    usable_folder(out)
    handle = (out / LOCK).open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BatchInputError(f"output '{out}' is in use by another run ({holder}); wait for it to end or "
                                  "choose another --output", field="--output", value=str(out),
                                  rule="one run per output folder",
                                  message_zh=f"输出 '{out}' 正被另一批量任务使用，请等待其结束或另选 --output") from err
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def prepare_output(out: Path, identity: RunIdentity, restart: bool) -> RunManifest | None:
    """Check or clear the output folder; return the manifest to resume, or None for a fresh start."""
    usable_folder(out)
    foreign = sorted(p.name for p in out.iterdir() if not _ours(p))
    if foreign:
        raise BatchInputError(f"output '{out}' holds files that are not batch decisions ({', '.join(foreign[:3])}); "
                              "choose an empty or new folder")
    for tmp in [p for p in out.iterdir() if is_temp_path(p)]:
        tmp.unlink()  # a write cut short by a crash; its partition is redone
    manifest = read_manifest(out)
    if restart:
        for part in out.glob(PART_GLOB):
            part.unlink()
        (out / MANIFEST).unlink(missing_ok=True)
        (out / RUN_FILE).unlink(missing_ok=True)
        return None
    if manifest is None:
        if any(out.glob(PART_GLOB)):
            raise BatchInputError(f"output '{out}' holds decisions without a {MANIFEST}; pass --restart to start over")
        return None
    differences = manifest.identity.differences(identity)
    if differences:
        raise BatchInputError(f"output '{out}' holds a run made with {'; '.join(differences)}; "
                              "pass --restart to discard it and start over, or choose another --output")
    return manifest
