"""Work units spread over the cores, results in order, with a bounded number in flight.

Used where the work is long and splits into independent units: the province simulator (one shard per unit, on
worker processes) and private matching (a party's per-ID scalar multiplications, in pieces of IDs or base-list
rows, on threads: see ``threads`` below).
``ordered_map`` sends units to worker processes that each receive the caller's ``state`` once at start-up (a
party's secret stays in the party's own processes), yields the results in the order the units were sent, and
never holds more than ``2 × workers`` units in flight, so memory stays flat however many units follow. A job of one
unit and ``workers=1`` run in this process (starting workers costs more than one unit of a county); otherwise the
first unit runs in this process while the workers start on the next ones, so no core waits for the pool.

Workers are started with ``forkserver``, so no lock or thread of the caller is copied into them.

``threads=True`` runs the units on a pool of threads in this process instead, for work that spends its time in
native code that releases the GIL (libsodium through PyNaCl's cffi bindings does on every call): no process to
start, no module to import, nothing to copy, so it pays from the first unit on and a short list gains as much as
a long one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, TypeVar

Unit = TypeVar("Unit")
Result = TypeVar("Result")

_NONE: Any = object()
# Set once in each worker process by its initializer (never in the calling process).
_WORKER_STATE: dict[str, Any] = {}


def default_workers() -> int:
    """Worker processes for matching: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # platforms without affinity
        return max(1, os.cpu_count() or 1)


def _install(state: dict[str, Any]) -> None:
    """Worker start-up: keep the party's state for every unit this worker runs."""
    _WORKER_STATE.update(state)


def _run(function: Callable[[Any, dict[str, Any]], Any], unit: Any) -> Any:
    return function(unit, _WORKER_STATE)


def ordered_map(function: Callable[[Unit, dict[str, Any]], Result], units: Iterable[Unit], state: dict[str, Any],
                *, workers: int | None = None, threads: bool = False) -> Iterator[Result]:
    """``function(unit, state)`` for every unit, results in the order of the units.

    ``function`` must be a module-level function (it is sent to the workers by name). The first unit always runs
    in this process (after the next units went to the workers); workers start only when a second unit follows, so
    a list that fits one chunk never pays for them. With ``threads=True`` every unit runs on one of ``workers``
    threads of this process (the caller's thread only hands out units and collects results).
    """
    workers = default_workers() if workers is None else max(1, workers)
    if threads and workers > 1:
        yield from _threaded(function, units, state, workers)
        return
    iterator = iter(units)
    first = next(iterator, _NONE)
    if first is _NONE:
        return
    if workers == 1:
        yield function(first, state)
        for unit in iterator:
            yield function(unit, state)
        return
    second = next(iterator, _NONE)
    if second is _NONE:
        yield function(first, state)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_install,
                             initargs=(state,)) as pool:
        pending: deque[Future[Result]] = deque([pool.submit(_run, function, second)])
        for unit in iterator:  # the workers start on the next units while this process runs the first
            pending.append(pool.submit(_run, function, unit))
            if len(pending) >= 2 * workers:
                break
        yield function(first, state)
        yield from _in_order(pending, (pool.submit(_run, function, unit) for unit in iterator), workers)


def _threaded(function: Callable[[Unit, dict[str, Any]], Result], units: Iterable[Unit], state: dict[str, Any],
              workers: int) -> Iterator[Result]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from _in_order(deque(), (pool.submit(function, unit, state) for unit in units), workers)


def _in_order(pending: deque[Future[Result]], submitted: Iterator[Future[Result]], workers: int) -> Iterator[Result]:
    """Results of ``pending`` then of ``submitted`` in order, keeping at most two units per worker in flight."""
    for future in submitted:  # each submission happens only when the generator is advanced
        pending.append(future)
        while len(pending) >= 2 * workers:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
