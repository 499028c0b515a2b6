"""The Dask engine: partitions decided on a dask.distributed cluster, with every wait bounded.

The model and policy travel by a file in the output folder that every worker reads (the folder is shared anyway:
workers write their partitions there), checked by its digest and loaded once per worker process. Nothing is
broadcast, so a worker lost at start-up cannot leave the client waiting on a replication that never ends. A
worker lost mid-run has its partitions retried on the others (writes are atomic, so a half-written partition is
never counted); when no worker is left for ``worker_grace`` seconds, when the scheduler cannot be reached, or
when a partition keeps killing its workers, the run stops with an error that names the cause (exit 2).
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle  # nosec B403 - only the run file this run wrote, checked by its digest before loading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xxhash

from features.files import write_bytes_atomic
from models.policy import Policy
from serving.batch.inputs import BatchRunError, Partition
from serving.batch.manifest import RUN_FILE
from serving.batch.partition import decide_partition
from training.registry import LoadedModel

log = logging.getLogger(__name__)

# One run file's model and policy per worker process, keyed by the file's digest.
_RUN_CACHE: dict[str, tuple[LoadedModel, Policy]] = {}


def write_run_file(output: Path, loaded: LoadedModel, policy: Policy) -> tuple[Path, str]:
    """Write the model and policy for the workers; return the file and its digest."""
    content = pickle.dumps((loaded, policy), protocol=pickle.HIGHEST_PROTOCOL)
    path = output / RUN_FILE
    write_bytes_atomic(path, content)
    return path, xxhash.xxh3_128_hexdigest(content)


def load_run_file(path: str, digest: str) -> tuple[LoadedModel, Policy]:
    """The model and policy of a run file (once per worker process); a file that changed is refused."""
    if digest not in _RUN_CACHE:
        content = Path(path).read_bytes()
        if xxhash.xxh3_128_hexdigest(content) != digest:
            raise BatchRunError(f"run file '{path}' changed while the run was going; start the run again",
                                field="--output", value=path, rule="the run's own model file",
                                message_zh=f"运行文件 '{path}' 在运行中被改动，请重新运行")
        _RUN_CACHE.clear()
        _RUN_CACHE[digest] = pickle.loads(content)  # noqa: S301 # nosec B301 - our own file, digest checked above
    return _RUN_CACHE[digest]


def decide_from_file(partition: Partition, output: str, run_file: str, digest: str, as_of: dt.date | None,
                     now: dt.datetime) -> int:
    """A worker's task: load the run's model and policy from the shared file, then decide one partition."""
    loaded, policy = load_run_file(run_file, digest)
    return decide_partition(partition, output, loaded, policy, as_of, now)


@contextmanager
def client_for(scheduler: str | None, workers: int, connect_timeout: float) -> Iterator[Any]:
    """A client of the given scheduler (bounded connect), or of a loopback LocalCluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError) as err:
            raise BatchRunError(f"option '--scheduler': no Dask scheduler answered at '{scheduler}' within "
                                f"{connect_timeout:g} s", field="--scheduler", value=scheduler,
                                rule="a reachable dask scheduler",
                                message_zh=f"--scheduler：{connect_timeout:g} 秒内无法连接 Dask 调度器 '{scheduler}'"
                                ) from err
        with _quiet_teardown(client):
            yield client
        return
    # Loopback only: the batch holds personal data, its workers listen on no outside interface.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, _quiet_teardown(Client(cluster)) as client:
        yield client


# Loggers that write tracebacks while a client whose workers died is closed: the run's own error says it all.
_TEARDOWN_LOGGERS = ("distributed", "asyncio", "tornado")


@contextmanager
def _quiet_teardown(client: Any) -> Iterator[Any]:
    """Use ``client``; when the run stops with an error, close it without Dask's teardown tracebacks.

    The run's own error names the cause; the tracebacks a client whose workers died may log while closing, or when
    the interpreter exits with the client's tasks left over, would only bury it. A run that stopped is the end of
    the command, so the loggers stay quiet from then on.
    """
    names = [*_TEARDOWN_LOGGERS, *(name for name in logging.root.manager.loggerDict
                                   if name.split(".")[0] in _TEARDOWN_LOGGERS)]  # Dask sets its children's levels
    with client:
        try:
            yield client
        except BaseException:
            # kept quiet after the close too: the loop's leftover tasks report at interpreter exit
            for name in names:
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
            raise


def _homes(pending: list[Partition], workers: list[str]) -> dict[str, list[str]]:
    """A preferred worker per raw shard when there are at least as many shards as workers, else none.

    A worker loads and indexes a raw shard once for all its partitions; spreading one shard's partitions over every
    worker would have each load it. The preference is loose: a lost or busy worker's partitions go elsewhere.
    """
    shards = list(dict.fromkeys(p.shard for p in pending if p.kind == "raw"))
    if not workers or len(shards) < len(workers):
        return {}
    return {shard: [workers[k % len(workers)]] for k, shard in enumerate(shards)}


def _workers(client: Any) -> int:
    info = client.scheduler_info()
    return len(info.get("workers", {})) if isinstance(info, dict) else 0


def run_dask(pending: list[Partition], output: Path, loaded: LoadedModel, policy: Policy, as_of: dt.date | None,
             now: dt.datetime, run_key: str, advance: Callable[[int], None], *, scheduler: str | None = None,
             workers: int = 2, connect_timeout: float = 30.0, worker_grace: float = 60.0, poll: float = 1.0) -> None:
    """Decide the pending partitions on the cluster; every wait is bounded, every stop names its cause."""
    from distributed import CancelledError, KilledWorker, wait

    if not pending:
        return
    run_file, digest = write_run_file(output, loaded, policy)
    try:
        with client_for(scheduler, workers, connect_timeout) as client:
            where = scheduler or "the local cluster"
            try:
                client.wait_for_workers(1, timeout=worker_grace)
            except (TimeoutError, OSError) as err:
                raise BatchRunError(f"no Dask worker joined {where} within {worker_grace:g} s", field="--scheduler",
                                    value=scheduler, rule="at least one worker",
                                    message_zh=f"{worker_grace:g} 秒内没有 Dask 工作进程加入 {where}") from err
            by_key = {f"kuozhong-{run_key[:8]}-{p.name}": p for p in pending}
            home = _homes(pending, sorted(client.scheduler_info().get("workers", {})))
            futures = [client.submit(decide_from_file, p, str(output), str(run_file), digest, as_of, now, key=key,
                                     pure=False, workers=home.get(p.shard),
                                     allow_other_workers=p.shard in home)
                       for key, p in by_key.items()]
            left = set(futures)
            alone_since: float | None = None
            while left:
                try:
                    done, left = wait(left, timeout=poll, return_when="FIRST_COMPLETED")
                except TimeoutError:  # nothing finished within ``poll``: see whether any worker is left
                    done = set()
                progressed = False
                for future in done:
                    try:
                        # bounded: a result held by a worker that has just died is recomputed, not waited for
                        advance(future.result(timeout=max(poll, 5.0)))
                        progressed = True
                    except TimeoutError:
                        left.add(future)
                    except KilledWorker as err:
                        name = by_key[future.key].name
                        raise BatchRunError(f"partition {name}: its workers died every time it was tried "
                                            f"({err}); check the workers' memory and logs", field="--engine",
                                            value=name, rule="a partition a worker can decide",
                                            message_zh=f"分区 {name} 多次导致工作进程退出，请检查内存与日志") from err
                    except CancelledError as err:
                        raise BatchRunError(f"the Dask scheduler at {where} was lost during the run; start the run "
                                            "again to resume", field="--scheduler", value=scheduler,
                                            rule="a scheduler that stays up",
                                            message_zh="运行中与 Dask 调度器断开，重新运行即可续跑") from err
                if progressed or _workers(client):
                    alone_since = None
                    continue
                alone_since = alone_since or time.monotonic()
                if time.monotonic() - alone_since > worker_grace:
                    raise BatchRunError(f"no Dask worker left on {where} for {worker_grace:g} s with "
                                        f"{len(left)} partition(s) to go; start workers and run again to resume",
                                        field="--scheduler", value=scheduler, rule="at least one worker",
                                        message_zh=f"Dask 工作进程已全部退出超过 {worker_grace:g} 秒，"
                                                   "重启工作进程后重新运行即可续跑")
    finally:
        run_file.unlink(missing_ok=True)
        log.debug("run file %s removed", run_file)
