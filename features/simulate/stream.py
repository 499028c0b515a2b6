"""Province-scale simulation streamed to partitioned Parquet, one shard of households at a time.

Layout of ``out`` (each shard is a complete raw-source folder, readable by ``features.sources.load.load_sources`` and by
batch scoring, which treats every sub-folder holding ``base_list.parquet`` as a shard)::

    out/_manifest.json                      households, seed, shard size, shards, row counts, oracle AUC
    out/shard=00000/base_list.parquet       households 0 .. shard_size-1
    out/shard=00000/visits.json ...         every source of docs/raw-sources.md
    out/shard=00001/...

One table across shards: ``province_table(out, "base_list")`` (a pyarrow dataset with a ``shard`` column from the
hive-style folder names). Shards are made in parallel over the cores, one shard in memory per worker; shard k
draws from its own random stream
(``SeedSequence([seed, k])``), so a shard never depends on the others and the same seed and shard size give
byte-identical files.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.dataset as ds

from features.files import write_text_atomic
from features.parallel import ordered_map
from features.simulate.county import SimulationConfig, simulate_county, truth_auc

log = logging.getLogger(__name__)

DEFAULT_SHARD_SIZE = 50_000
MAX_HOUSEHOLDS = 9_999_999  # household numbers have seven digits


@dataclass(frozen=True)
class ProvinceSummary:
    """What a streamed simulation wrote."""

    out: Path
    households: int
    shards: int
    applications: int
    loans: int
    default_rate: float
    oracle_auc: float


def shard_dir(out: Path, shard: int) -> Path:
    """The folder of one shard."""
    return Path(out) / f"shard={shard:05d}"


def _write_shard(unit: tuple[int, int], state: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, int, dict[str, int]]:
    """Simulate and write one shard (in a worker process); what the summary needs comes back, not the shard."""
    k, n = unit
    county = simulate_county(SimulationConfig(households=n, seed=state["seed"], id_offset=k * state["shard_size"],
                                              shard=k, messiness=state["messiness"]))
    target = shard_dir(Path(state["out"]), k)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    county.write(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    counts = {name: len(getattr(county, name)) for name in ("base_list", "applications", "account_flows",
                                                              "loan_events")}
    truth = county.application_truth
    return (truth["true_pd"].to_numpy(dtype=np.float32),
            truth["outcome_12m"].to_numpy(dtype=np.int8), len(county.loan_ledger), counts)


def simulate_province(households: int, seed: int, out: Path, shard_size: int = DEFAULT_SHARD_SIZE,
                      messiness: float = 1.0, on_shard: Callable[[int, int], None] | None = None,
                      workers: int | None = None) -> ProvinceSummary:
    """Simulate ``households`` households into ``out`` (layout in the module docstring), shards over the cores.

    Each shard draws from its own random stream, so ``workers`` changes the time taken, never the files.
    """
    if not 1 <= households <= MAX_HOUSEHOLDS:
        raise ValueError(f"households must be between 1 and {MAX_HOUSEHOLDS:,}; got {households}")
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1; got {shard_size}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shards = -(-households // shard_size)
    true_pd: list[np.ndarray] = []
    outcome: list[np.ndarray] = []
    counts: dict[str, int] = {}
    loans = 0
    units = [(k, min(shard_size, households - k * shard_size)) for k in range(shards)]
    state = {"seed": seed, "shard_size": shard_size, "messiness": messiness, "out": str(out)}
    for k, (shard_pd, shard_outcome, shard_loans, shard_counts) in enumerate(
            ordered_map(_write_shard, units, state, workers=workers)):
        true_pd.append(shard_pd)
        outcome.append(shard_outcome)
        loans += shard_loans
        for name, rows in shard_counts.items():
            counts[name] = counts.get(name, 0) + rows
        if on_shard is not None:
            on_shard(k + 1, shards)
    pd_all, y_all = np.concatenate(true_pd), np.concatenate(outcome)
    summary = ProvinceSummary(out, households, shards, int(y_all.size), loans, float(y_all.mean()),
                              truth_auc(y_all, pd_all))
    manifest = {"households": households, "seed": seed, "shard_size": shard_size, "shards": shards,
                "messiness": messiness, "rows": counts, "loans": loans, "default_rate": summary.default_rate,
                "oracle_auc": summary.oracle_auc,
                "layout": "shard=NNNNN/<source>.parquet|json, one complete raw-source folder per shard"}
    write_text_atomic(out / "_manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    log.info("province: %d households in %d shards, oracle AUC %.3f", households, shards, summary.oracle_auc)
    return summary


def province_table(out: Path, name: str) -> ds.Dataset:
    """One Parquet source across every shard, with the shard number as a column."""
    files = sorted(str(p) for p in Path(out).glob(f"shard=*/{name}.parquet"))
    if not files:
        raise FileNotFoundError(f"no shard of '{out}' holds {name}.parquet")
    return ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=str(out))
