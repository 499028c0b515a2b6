"""Through-the-cycle weights: loans whose performance window met a stress event weigh the event's long-run share.

A stress event of the policy (``models.policy.stress``: a typhoon season hitting fishing and mussel households)
may fall in most of the training years' exposed loans while it comes once in N years. Trained as they are, those
loans teach the model that every exposed loan meets the event. Within each event's exposed group (its livelihoods,
and townships when listed), the loans whose window — ``window_months`` from the application — overlaps an
occurrence are weighted to make 1/N of the group's weight and the others (N − 1)/N; the group keeps its total
weight and every other loan weighs 1. Events are applied one after another. A group with no loan on one side is
left as it is (nothing to weigh against) and the summary says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.policy.stress import Cycle

LIVELIHOOD = "livelihood"
TOWNSHIP = "township"


def stressed_rows(frame: pd.DataFrame, time_column: str, cycle: Cycle, event_name: str) -> tuple[np.ndarray,
                                                                                                 np.ndarray]:
    """(exposed, stressed) masks of an event: rows of its livelihoods/townships, and those whose window met it."""
    event = next(e for e in cycle.stress_events if e.name == event_name)
    n = len(frame)
    if LIVELIHOOD not in frame.columns or time_column not in frame.columns:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    exposed = frame[LIVELIHOOD].astype("string").isin(event.livelihoods).fillna(False).to_numpy(dtype=bool).copy()
    if event.townships:
        if TOWNSHIP not in frame.columns:
            return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        exposed &= frame[TOWNSHIP].astype("string").isin(event.townships).fillna(False).to_numpy(dtype=bool)
    start = pd.to_datetime(frame[time_column]).to_numpy()
    end = (pd.to_datetime(frame[time_column]) + pd.DateOffset(months=cycle.window_months)).to_numpy()
    met = np.zeros(n, dtype=bool)
    for occurrence in event.occurrences:
        first = np.datetime64(occurrence.start)
        last = np.datetime64(occurrence.end) + np.timedelta64(1, "D")  # the last day counts whole
        met |= (start < last) & (end > first)
    return exposed, exposed & met


def cycle_weights(frame: pd.DataFrame, time_column: str | None, cycle: Cycle,
                  base: np.ndarray | None = None) -> tuple[np.ndarray | None, dict[str, object]]:
    """The rows' through-the-cycle weights (None: nothing reweighted) and what was done, event by event.

    ``base`` (e.g. reject inference's weights) is multiplied in; the groups' shares are read on it.
    """
    weight = np.ones(len(frame)) if base is None else np.asarray(base, dtype=float).copy()
    events: list[dict[str, object]] = []
    changed = False
    for event in cycle.stress_events:
        if time_column is None:
            events.append({"event": event.name, "once_in_years": event.once_in_years, "exposed_rows": 0,
                           "stressed_rows": 0, "reweighted": False})  # no application dates: no window to match
            continue
        exposed, stressed = stressed_rows(frame, time_column, cycle, event.name)
        total, hit = weight[exposed].sum(), weight[stressed].sum()
        record: dict[str, object] = {"event": event.name, "once_in_years": event.once_in_years,
                                     "exposed_rows": int(exposed.sum()), "stressed_rows": int(stressed.sum()),
                                     "stressed_share_before": float(hit / total) if total > 0 else None,
                                     "stressed_share_after": float(hit / total) if total > 0 else None,
                                     "weight_stressed": 1.0, "weight_other_exposed": 1.0, "reweighted": False}
        if 0 < hit < total:
            target = 1.0 / event.once_in_years
            w_hit, w_other = target * total / hit, (1 - target) * total / (total - hit)
            weight[stressed] *= w_hit
            weight[exposed & ~stressed] *= w_other
            changed = True
            record |= {"weight_stressed": float(w_hit), "weight_other_exposed": float(w_other),
                       "stressed_share_after": target, "reweighted": True}
        events.append(record)
    rows = sum(int(str(e["exposed_rows"])) for e in events if e["reweighted"])
    summary: dict[str, object] = {"events": events, "rows_reweighted": rows}
    if not changed:
        return (None if base is None else weight), summary
    return weight, summary


def cycle_params(summary: dict[str, object]) -> dict[str, object]:
    """The MLflow parameters of a run's through-the-cycle weighting: on or off, rows and weights by event."""
    out: dict[str, object] = {"through_the_cycle": bool(summary.get("enabled", False)),
                              "cycle_rows_reweighted": summary.get("rows_reweighted", 0)}
    events = summary.get("events") or []
    assert isinstance(events, list)
    for i, event in enumerate(events):
        out |= {f"cycle_{i}_{k}": v for k, v in event.items()}
    return out
