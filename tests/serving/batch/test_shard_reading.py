"""A shard read for the batch is what the feature builder reads anywhere, and reading it leaves the collector as it was."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest

from features.build.table import FeatureBuilder
from features.sources.load import load_sources
from serving.batch.inputs import _shard_requests, load_shard, release_shards

AS_OF = pd.Timestamp("2025-07-01")


@pytest.mark.parametrize("enabled", [True, False])
def test_a_shard_read_for_the_batch_gives_the_builders_features_and_restores_the_collector(
        data_dir: Path, policy, enabled: bool) -> None:
    # given the county's folder, and the cycle collector on or off
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        # when it is read for the batch
        builder, requests = load_shard(data_dir, policy, AS_OF)
        # then the collector is as it was, and what was read is kept out of collections while in use
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() > 0
        # and the features are those of the builder over the same folder read the ordinary way
        plain = FeatureBuilder(load_sources(data_dir), policy)
        expected = _shard_requests(plain.sources, AS_OF)
        pd.testing.assert_frame_equal(requests, expected)
        pd.testing.assert_frame_equal(builder.build(requests.iloc[:400].reset_index(drop=True)),
                                      plain.build(expected.iloc[:400].reset_index(drop=True)))
        # when the shard is let go, every frozen object goes back to the collector
        release_shards()
        assert gc.get_freeze_count() == 0
    finally:
        release_shards()
        (gc.enable if was else gc.disable)()
