"""One partition's decisions: features → rules → model → explanation by the shared Decision builder, flattened.

The rows are the API's Decisions laid flat for Parquet (masked applicant id, eligibility, failed rule codes, PD,
score, grade, recommendation, terms, top reasons, model and policy versions). Nothing here decides anything the
Decision builder does not: this module only lays its output out as columns and writes it atomically.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.files import atomic_path
from models.decision.builder import DecisionRows, decide_rows
from models.decision.fingerprint import decision_ids
from models.policy import Policy
from models.policy.grading import stated_score
from training.registry import LoadedModel

TOP_REASONS = 3
FEN = 100  # money leaves the batch in whole fen (分), the unit a bank's core books in


def decide_all(features: pd.DataFrame, loaded: LoadedModel, policy: Policy, now: dt.datetime,
               credit_line: bool = False) -> DecisionRows:
    """Every row decided by the API's builder (``decide_rows``), without the officer's what-would-change search.

    ``credit_line``: the rows are the list's households on a date (整村授信), each given the line it can be granted.
    """
    # a partition is one core's work (the engines spread partitions over the cores): LightGBM's own threads would
    # only contend with the other partitions, and spin on the core while this one lays its decisions out
    return decide_rows(features, loaded.model, loaded.ref, policy, now=now, top_reasons=TOP_REASONS,
                       with_what_would_change=False, credit_line=credit_line, num_threads=1)


def _fen(values: list[float | None]) -> pd.Series:
    """Yuan amounts as whole fen (nullable integers: a row without terms has none)."""
    return pd.Series([None if v is None else round(v * FEN) for v in values], dtype="Int64")


def _text(values: pd.Series | np.ndarray | list[Any]) -> list[str | None]:
    return [None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v) for v in values]


def _reason_columns(rows: DecisionRows) -> dict[str, list[Any]]:
    """The top reasons of every row as columns: feature, points, direction and the Chinese sentence.

    The sentences are written a feature at a time over every row and slot it is a reason in
    (``ReasonWriter.sentences_zh``), each the sentence ``ReasonWriter.sentence_zh`` gives.
    """
    table = rows.explained
    names = np.asarray(table.features, dtype=object)
    out: dict[str, list[Any]] = {}
    n = len(rows)
    top = min(TOP_REASONS, rows.reason_columns.shape[1])
    cols, real = rows.reason_columns[:, :top], rows.reason_real[:, :top]
    points = np.take_along_axis(table.points, cols, axis=1)
    whole = np.take_along_axis(table.points_int, cols, axis=1)
    texts = np.full((n, top), None, dtype=object)
    for j in np.unique(cols[real]).tolist():
        at, slot = np.nonzero(real & (cols == j))
        name = names[j]
        texts[at, slot] = rows.writer.sentences_zh(name, rows.values[name][at], points[at, slot], whole[at, slot])
    for k in range(TOP_REASONS):
        if k >= top:
            for part in ("feature", "points", "direction", "text_zh"):
                out[f"reason_{k + 1}_{part}"] = [None] * n
            continue
        feature, flags, slot_points = names[cols[:, k]], real[:, k].tolist(), points[:, k].tolist()
        out[f"reason_{k + 1}_feature"] = [f if r else None for f, r in zip(feature.tolist(), flags, strict=True)]
        out[f"reason_{k + 1}_points"] = [round(p, 2) if r else None for p, r in zip(slot_points, flags, strict=True)]
        out[f"reason_{k + 1}_direction"] = [("adverse" if p < 0 else "favourable") if r else None
                                            for p, r in zip(slot_points, flags, strict=True)]
        out[f"reason_{k + 1}_text_zh"] = texts[:, k].tolist()
    return out


def flatten(rows: DecisionRows, features: pd.DataFrame, credit_line: bool = False) -> pd.DataFrame:
    """The decisions laid flat, one row each, in the order of the feature rows (the same values ``Decision`` has)."""
    n = len(rows)
    terms = rows.terms
    request_ids = [str(r) for r in rows.request_id]
    columns: dict[str, Any] = {
        "decision_id": decision_ids(request_ids, rows.input_hash, rows.model, rows.policy_hash),
        "request_id": request_ids,
        "request_kind": ["credit_line" if credit_line else "application"] * n,
        "household_id": [str(h) for h in rows.household_id],
        "applicant_id_masked": rows.applicant_id_masked,
        "township": _text(features["township"].to_numpy(dtype=object)) if "township" in features else [None] * n,
        "household_class": _text(features["household_class"].to_numpy(dtype=object))
        if "household_class" in features else [None] * n,
        "as_of": rows.as_of,
        "eligible": [s == "pass" for s in rows.status],
        "eligibility_status": rows.status,
        "failed_rules": rows.rule_codes("fail"),
        "cannot_decide_rules": rows.rule_codes("cannot_decide"),
        "pd": np.round(rows.pd.astype(float), 6),
        "score": stated_score(rows.score),  # as the Decision states it (and grades it)
        "base_points": stated_score(rows.base_points),
        "grade": rows.grade,
        "recommendation": rows.recommendation,
        "human_review_required": rows.human_review_required,
        "review_note_zh": [note[0] for note in rows.review_notes],
        "conditions_zh": ["；".join(c.text_zh for c in rows.conditions(i)) for i in range(n)],  # 放款前提条件
        "product_code": [t.product_code if t else None for t in terms],
        "product_name": [t.product_name if t else None for t in terms],
        "subsidised": [t.subsidised if t else None for t in terms],
        "limit_fen": _fen([t.limit if t else None for t in terms]),
        "rate": [t.rate if t else None for t in terms],
        "annual_subsidy_finance_fen": _fen([t.annual_subsidy_finance if t else None for t in terms]),
        **_reason_columns(rows),
        "model_name": [rows.model.name] * n, "model_version": [rows.model.version] * n,
        "model_run_id": [rows.model.run_id] * n, "policy_version": [rows.policy_version] * n,
        "policy_hash": [rows.policy_hash] * n, "input_hash": rows.input_hash, "decided_at": [rows.decided_at] * n,
    }
    frame = pd.DataFrame(columns, columns=_flat_columns())
    # a column keeps its type however many of its rows are empty: a frame whose rows all lack terms (or a third
    # reason) holds only None there, which pandas would otherwise leave as object while a fuller frame reads as
    # text or a number
    schema = output_schema()
    kinds = {pa.string(): "str", pa.float64(): "float64"}
    cast = {c: kinds[kind] for c, kind in zip(schema.names, schema.types, strict=True)
            if kind in kinds and frame[c].dtype == object}
    return frame.astype(cast) if cast else frame


def _flat_columns() -> list[str]:
    reasons = [f"reason_{k + 1}_{part}" for k in range(TOP_REASONS)
               for part in ("feature", "points", "direction", "text_zh")]
    return ["decision_id", "request_id", "request_kind", "household_id", "applicant_id_masked", "township",
            "household_class", "as_of", "eligible", "eligibility_status", "failed_rules", "cannot_decide_rules", "pd",
            "score", "base_points", "grade", "recommendation", "human_review_required", "review_note_zh",
            "conditions_zh", "product_code", "product_name", "subsidised", "limit_fen", "rate", "annual_subsidy_finance_fen", *reasons, "model_name", "model_version", "model_run_id",
            "policy_version", "policy_hash", "input_hash", "decided_at"]


def output_schema() -> pa.Schema:
    """The Parquet schema of every partition (fixed, so that partitions with no terms still read as one table)."""
    text, flt, flag = pa.string(), pa.float64(), pa.bool_()
    types: dict[str, pa.DataType] = {c: text for c in _flat_columns()}
    types.update({"as_of": pa.date32(), "eligible": flag, "human_review_required": flag, "subsidised": flag, "pd": flt, "score": flt,
                  "base_points": flt, "limit_fen": pa.int64(), "rate": flt, "annual_subsidy_finance_fen": pa.int64(),
                  "decided_at": pa.timestamp("us", tz="UTC")})
    types.update({f"reason_{k + 1}_points": flt for k in range(TOP_REASONS)})
    return pa.schema([(c, types[c]) for c in _flat_columns()])


def decide_chunk(features: pd.DataFrame, loaded: LoadedModel, policy: Policy, now: dt.datetime,
                 credit_line: bool = False) -> pd.DataFrame:
    """The flat decisions of one partition's feature frame."""
    if features.empty:
        return pd.DataFrame(columns=_flat_columns())
    return flatten(decide_all(features, loaded, policy, now, credit_line), features, credit_line)


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write Parquet to a temporary name, flush it to disk, then rename: a reader sees all of it or nothing."""
    table = pa.Table.from_pandas(frame, schema=output_schema(), preserve_index=False)
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        pq.write_table(table, handle)
