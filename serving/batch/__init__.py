"""Batch decisions for a whole list: partitioned Parquet in and out, local or Dask engine, resumable after a crash."""

from serving.batch.inputs import BatchInputError, BatchRunError, Partition, discover
from serving.batch.run import BatchConfig, BatchResult, run_batch

__all__ = ["BatchConfig", "BatchInputError", "BatchResult", "BatchRunError", "Partition", "discover", "run_batch"]
