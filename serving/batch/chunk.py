"""One partition's decisions: features → rules → model → explanation by the shared Decision builder, flattened.

The rows are the API's Decisions laid flat for Parquet (masked applicant id, eligibility, failed rule codes, PD,
score, grade, recommendation, terms, top reasons, model and policy versions). Nothing here decides anything the
Decision builder does not: this module only lays its output out as columns and writes it atomically.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.files import atomic_path
from models.decision.builder import DecisionRows, decide_rows
from models.explain.reasons import plain_value
from models.policy import Policy
from training.registry import LoadedModel

TOP_REASONS = 3
_BATCH_NAMESPACE = uuid.UUID("6f1d2b1e-4c1a-5b8e-9d0a-330922204123")


def decision_id(run_key: str, request_id: str) -> str:
    """A stable decision id: the same run and request always give the same id, so a resumed run matches."""
    return str(uuid.uuid5(_BATCH_NAMESPACE, f"{run_key}|{request_id}"))


def decide_all(features: pd.DataFrame, loaded: LoadedModel, policy: Policy, now: dt.datetime) -> DecisionRows:
    """Every row decided by the API's builder (``decide_rows``), without the officer's what-would-change search."""
    return decide_rows(features, loaded.model, loaded.ref, policy, now=now, top_reasons=TOP_REASONS,
                       with_what_would_change=False)


def _text(values: pd.Series | np.ndarray | list[Any]) -> list[str | None]:
    return [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v) for v in values]


def _reason_columns(rows: DecisionRows) -> dict[str, list[Any]]:
    """The top reasons of every row as columns: feature, points, direction and the Chinese sentence."""
    table = rows.explained
    names = np.asarray(table.features, dtype=object)
    out: dict[str, list[Any]] = {}
    n = len(rows)
    for k in range(TOP_REASONS):
        if k >= rows.reason_columns.shape[1]:
            for part in ("feature", "points", "direction", "text_zh"):
                out[f"reason_{k + 1}_{part}"] = [None] * n
            continue
        cols, real = rows.reason_columns[:, k], rows.reason_real[:, k]
        points = np.take_along_axis(table.points, cols[:, None], axis=1)[:, 0]
        whole = np.take_along_axis(table.points_int, cols[:, None], axis=1)[:, 0]
        feature = names[cols]
        texts: list[str | None] = [None] * n
        for i in np.flatnonzero(real):
            name = feature[i]
            texts[i] = rows.writer.sentence_zh(name, plain_value(rows.values[name][i]), float(points[i]), int(whole[i]))
        out[f"reason_{k + 1}_feature"] = [f if r else None for f, r in zip(feature.tolist(), real.tolist(), strict=True)]
        out[f"reason_{k + 1}_points"] = [round(p, 2) if r else None
                                         for p, r in zip(points.tolist(), real.tolist(), strict=True)]
        out[f"reason_{k + 1}_direction"] = [("adverse" if p < 0 else "favourable") if r else None
                                            for p, r in zip(points.tolist(), real.tolist(), strict=True)]
        out[f"reason_{k + 1}_text_zh"] = texts
    return out


def flatten(rows: DecisionRows, features: pd.DataFrame, run_key: str) -> pd.DataFrame:
    """The decisions laid flat, one row each, in the order of the feature rows (the same values ``Decision`` has)."""
    n = len(rows)
    terms = rows.terms
    request_ids = [str(r) for r in rows.request_id]
    columns: dict[str, Any] = {
        "decision_id": [decision_id(run_key, r) for r in request_ids],
        "request_id": request_ids,
        "household_id": [str(h) for h in rows.household_id],
        "applicant_id_masked": rows.applicant_id_masked,
        "township": _text(features["township"].to_numpy(dtype=object)) if "township" in features else [None] * n,
        "household_class": _text(features["household_class"].to_numpy(dtype=object))
        if "household_class" in features else [None] * n,
        "as_of": rows.as_of,
        "eligible": [s == "pass" for s in rows.status],
        "eligibility_status": rows.status,
        "failed_rules": [",".join(r.code for r in rules if r.outcome == "fail") for rules in rows.rules],
        "cannot_decide_rules": [",".join(r.code for r in rules if r.outcome == "cannot_decide") for rules in rows.rules],
        "pd": np.round(rows.pd.astype(float), 6),
        "score": np.round(rows.score.astype(float), 2),
        "base_points": np.round(rows.base_points.astype(float), 2),
        "grade": rows.grade,
        "recommendation": rows.recommendation,
        "human_review_required": rows.human_review_required,
        "review_note_zh": [note[0] for note in rows.review_notes],
        "product_code": [t.product_code if t else None for t in terms],
        "limit": [t.limit if t else None for t in terms],
        "rate": [t.rate if t else None for t in terms],
        "annual_subsidy_finance": [t.annual_subsidy_finance if t else None for t in terms],
        **_reason_columns(rows),
        "model_name": [rows.model.name] * n, "model_version": [rows.model.version] * n,
        "model_run_id": [rows.model.run_id] * n, "policy_version": [rows.policy_version] * n,
        "policy_hash": [rows.policy_hash] * n, "input_hash": rows.input_hash, "decided_at": [rows.decided_at] * n,
    }
    return pd.DataFrame(columns, columns=_flat_columns())


def _flat_columns() -> list[str]:
    reasons = [f"reason_{k + 1}_{part}" for k in range(TOP_REASONS)
               for part in ("feature", "points", "direction", "text_zh")]
    return ["decision_id", "request_id", "household_id", "applicant_id_masked", "township", "household_class",
            "as_of", "eligible", "eligibility_status", "failed_rules", "cannot_decide_rules", "pd", "score",
            "base_points", "grade", "recommendation", "human_review_required", "review_note_zh", "product_code",
            "limit", "rate", "annual_subsidy_finance", *reasons, "model_name", "model_version", "model_run_id",
            "policy_version", "policy_hash", "input_hash", "decided_at"]


def output_schema() -> pa.Schema:
    """The Parquet schema of every partition (fixed, so that partitions with no terms still read as one table)."""
    text, flt, flag = pa.string(), pa.float64(), pa.bool_()
    types: dict[str, pa.DataType] = {c: text for c in _flat_columns()}
    types.update({"as_of": pa.date32(), "eligible": flag, "human_review_required": flag, "pd": flt, "score": flt,
                  "base_points": flt, "limit": flt, "rate": flt, "annual_subsidy_finance": flt,
                  "decided_at": pa.timestamp("us", tz="UTC")})
    types.update({f"reason_{k + 1}_points": flt for k in range(TOP_REASONS)})
    return pa.schema([(c, types[c]) for c in _flat_columns()])


def decide_chunk(features: pd.DataFrame, loaded: LoadedModel, policy: Policy, now: dt.datetime,
                 run_key: str) -> pd.DataFrame:
    """The flat decisions of one partition's feature frame."""
    if features.empty:
        return pd.DataFrame(columns=_flat_columns())
    return flatten(decide_all(features, loaded, policy, now), features, run_key)


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write Parquet to a temporary name, flush it to disk, then rename: a reader sees all of it or nothing."""
    table = pa.Table.from_pandas(frame, schema=output_schema(), preserve_index=False)
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        pq.write_table(table, handle)
