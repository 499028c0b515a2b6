"""The ordered worker pool: every unit's result, in the order of the units, however many workers and units."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from features.parallel import ordered_map


def _tagged(unit: int, state: dict[str, Any]) -> tuple[int, int, int]:
    """The unit's square plus the state's offset, and which process made it."""
    return unit, unit * unit + state["offset"], os.getpid()


@pytest.mark.parametrize(("units", "workers"), [(0, 2), (1, 2), (2, 2), (7, 2), (25, 2), (7, 1), (9, 3)])
def test_results_come_back_in_unit_order_from_the_workers_and_this_process(units: int, workers: int) -> None:
    # given a number of units and of workers
    # when they are mapped
    out = list(ordered_map(_tagged, range(units), {"offset": 5}, workers=workers))
    # then every unit's result is there once, in order, each with the state the workers were given
    assert [(u, v) for u, v, _ in out] == [(u, u * u + 5) for u in range(units)]
    made_here = {pid for _, _, pid in out} & {os.getpid()}
    # and the first unit runs in this process; the rest go to worker processes when there are several units
    if units:
        assert out[0][2] == os.getpid()
    if units > 1 and workers > 1:
        assert {pid for _, _, pid in out[1:]} - made_here, "the other units ran in worker processes"
    elif units:
        assert {pid for _, _, pid in out} == {os.getpid()}


def _on_thread(unit: int, state: dict[str, Any]) -> tuple[int, int, int]:
    """The unit plus the state's offset, and which thread of which process made it."""
    return unit + state["offset"], os.getpid(), threading.get_ident()


@pytest.mark.parametrize(("units", "workers"), [(0, 2), (1, 2), (7, 2), (25, 3), (7, 1)])
def test_threads_give_every_result_in_unit_order_in_this_process(units: int, workers: int) -> None:
    # when units are mapped on threads
    out = list(ordered_map(_on_thread, range(units), {"offset": 5}, workers=workers, threads=True))
    # then every result is there once, in order, made in this process
    assert [v for v, _, _ in out] == [u + 5 for u in range(units)]
    assert {pid for _, pid, _ in out} <= {os.getpid()}
    # and off the caller's thread when there are several workers, on it when there is one
    made_on = {tid for _, _, tid in out}
    if units and workers > 1:
        assert threading.get_ident() not in made_on
    elif units:
        assert made_on == {threading.get_ident()}
