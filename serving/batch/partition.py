"""One partition decided and written whole: read its features, decide them, write atomically, check the file.

Both engines run this: the local engine in its own process, the Dask engine on its workers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from features.errors import KuozhongError
from models.policy import Policy
from serving.batch.chunk import decide_chunk, write_atomic
from serving.batch.inputs import BatchInputError, BatchRunError, Partition, read_features
from training.registry import LoadedModel


def part_ok(path: Path, rows: int) -> bool:
    """A written partition counts as done only when it opens as Parquet and holds its ``rows`` rows."""
    try:
        return pq.ParquetFile(path).metadata.num_rows == rows
    except Exception:  # unreadable for any reason: not done, it is decided again
        return False


def decide_partition(partition: Partition, output: str, loaded: LoadedModel, policy: Policy,
                     as_of: dt.date | None, now: dt.datetime) -> int:
    """Decide one partition and write it atomically; a partition already written whole is left alone."""
    target = Path(output) / f"{partition.name}.parquet"
    if target.exists() and part_ok(target, partition.rows):
        return partition.rows
    try:
        features = read_features(partition, policy, None if as_of is None else pd.Timestamp(as_of))
    except KuozhongError:
        raise
    except Exception as err:
        raise BatchInputError(f"input '{partition.path}' (partition {partition.name}, rows {partition.start}–"
                              f"{partition.stop}) cannot be read: {type(err).__name__}: {str(err)[:120]}",
                              field="--input", value=partition.path, rule="every input file readable",
                              message_zh=f"输入 '{partition.path}' 无法读取（分区 {partition.name}）") from err
    frame = decide_chunk(features, loaded, policy, now, credit_line=as_of is not None)
    write_atomic(frame, target)
    if not part_ok(target, partition.rows):
        raise BatchRunError(f"output '{target}': written with {len(frame)} rows, expected {partition.rows}",
                            field="--output", value=str(target), rule="one row per request",
                            message_zh=f"输出 '{target}' 行数不符")
    return len(frame)
