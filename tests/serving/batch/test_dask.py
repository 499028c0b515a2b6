"""The Dask engine (a real loopback LocalCluster) writes exactly what the local engine writes."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from serving.batch import BatchConfig, run_batch
from tests.serving.batch.fixtures import CHUNK, features_file, store_env
from training.registry import load_by_alias

NOW = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


def test_dask_engine_output_equals_local_engine(table, trained_store, policy, tmp_path):
    # given one input, one model and one decision time
    source = features_file(table, tmp_path)
    with store_env(trained_store[0]):
        loaded = load_by_alias("champion")
    # when it is scored by the local engine and by a two-worker Dask cluster
    local = run_batch(BatchConfig(source, tmp_path / "local", chunk_size=CHUNK, decided_at=NOW), loaded, policy)
    dask = run_batch(BatchConfig(source, tmp_path / "dask", engine="dask", workers=2, chunk_size=CHUNK,
                                 decided_at=NOW), loaded, policy)
    # then every partition file holds the same rows, and the summaries agree
    names = sorted(p.name for p in (tmp_path / "local").glob("part-*.parquet"))
    assert names == sorted(p.name for p in (tmp_path / "dask").glob("part-*.parquet")) and len(names) == 3
    for name in names:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / name),
                                      pd.read_parquet(tmp_path / "dask" / name))
    assert dask.manifest.summary == local.manifest.summary
    assert dask.manifest.identity == local.manifest.identity


def test_dask_engine_on_raw_shards_equals_local_engine(county, table, trained_store, policy, tmp_path):
    # given two raw-source shards (each kept on one worker, so each is loaded once) and one decision time
    from tests.serving.batch.fixtures import N_REQUESTS, households_folder

    ids = list(dict.fromkeys(table.head(N_REQUESTS)["household_id"]))
    households_folder(county, set(ids[: len(ids) // 2]), tmp_path / "in" / "a")
    households_folder(county, set(ids[len(ids) // 2:]), tmp_path / "in" / "b")
    with store_env(trained_store[0]):
        loaded = load_by_alias("champion")
    # when the shards are decided by the local engine and by a two-worker Dask cluster
    local = run_batch(BatchConfig(tmp_path / "in", tmp_path / "local", chunk_size=4, decided_at=NOW), loaded, policy)
    dask = run_batch(BatchConfig(tmp_path / "in", tmp_path / "dask", engine="dask", workers=2, chunk_size=4,
                                 decided_at=NOW), loaded, policy)
    # then both outputs hold the same rows
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local").sort_values("request_id").reset_index(drop=True),
                                  pd.read_parquet(tmp_path / "dask").sort_values("request_id").reset_index(drop=True))
    assert dask.manifest.summary == local.manifest.summary and local.written > 2
