"""One partition's decisions: features → rules → model → explanation by the shared Decision builder, flattened.

The rows are the API's Decisions laid flat for Parquet (masked applicant id, eligibility, failed rule codes, PD,
score, grade, recommendation, terms, top reasons, model and policy versions). Nothing here decides anything the
Decision builder does not: this module only lays its output out as columns and writes it atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models import decision as shared_decision
from models.decision import Decision
from models.policy import Policy
from training.registry import LoadedModel

TOP_REASONS = 3
_BATCH_NAMESPACE = uuid.UUID("6f1d2b1e-4c1a-5b8e-9d0a-330922204123")


def decision_id(run_key: str, request_id: str) -> str:
    """A stable decision id: the same run and request always give the same id, so a resumed run matches."""
    return str(uuid.uuid5(_BATCH_NAMESPACE, f"{run_key}|{request_id}"))


def decide_all(features: pd.DataFrame, loaded: LoadedModel, policy: Policy, now: dt.datetime) -> list[Decision]:
    """Every row's Decision by the API's builder: frame-wide when the Decision module has it, else row by row.

    The what-would-change search is left to the officer's page: a batch ships decisions with their reasons.
    """
    frame_builder = getattr(shared_decision, "decide_frame", None)
    if frame_builder is None:
        return [shared_decision.decide(features.iloc[[i]], loaded.model, loaded.ref, policy, now=now,
                                       top_reasons=TOP_REASONS) for i in range(len(features))]
    return list(frame_builder(features, loaded.model, loaded.ref, policy, now=now, top_reasons=TOP_REASONS,
                              with_what_would_change=False))


def _flat(decision: Decision, township: Any, household_class: Any, run_key: str) -> dict[str, Any]:
    terms = decision.terms
    row: dict[str, Any] = {
        "decision_id": decision_id(run_key, decision.request_id),
        "request_id": decision.request_id,
        "household_id": decision.household_id,
        "applicant_id_masked": decision.applicant_id_masked,
        "township": None if pd.isna(township) else str(township),
        "household_class": None if pd.isna(household_class) else str(household_class),
        "as_of": decision.as_of,
        "eligible": decision.eligibility.eligible,
        "eligibility_status": decision.eligibility.status,
        "failed_rules": ",".join(r.code for r in decision.eligibility.failed),
        "cannot_decide_rules": ",".join(r.code for r in decision.eligibility.rules if r.outcome == "cannot_decide"),
        "pd": decision.pd,
        "score": decision.score,
        "base_points": decision.base_points,
        "grade": decision.grade,
        "recommendation": decision.recommendation,
        "human_review_required": decision.human_review_required,
        "review_note_zh": decision.review_note_zh,
        "product_code": terms.product_code if terms else None,
        "limit": terms.limit if terms else None,
        "rate": terms.rate if terms else None,
        "annual_subsidy_finance": terms.annual_subsidy_finance if terms else None,
    }
    for k in range(TOP_REASONS):
        reason = decision.reasons[k] if k < len(decision.reasons) else None
        row[f"reason_{k + 1}_feature"] = reason.feature if reason else None
        row[f"reason_{k + 1}_points"] = reason.points if reason else None
        row[f"reason_{k + 1}_direction"] = reason.direction if reason else None
        row[f"reason_{k + 1}_text_zh"] = reason.text_zh if reason else None
    row.update({
        "model_name": decision.model.name, "model_version": decision.model.version,
        "model_run_id": decision.model.run_id, "policy_version": decision.policy_version,
        "policy_hash": decision.policy_hash, "input_hash": decision.input_hash, "decided_at": decision.decided_at,
    })
    return row


def flatten(decisions: Sequence[Decision], features: pd.DataFrame, run_key: str) -> pd.DataFrame:
    """Decisions as one flat row each, in the order of the feature rows."""
    townships = features["township"].tolist() if "township" in features else [None] * len(decisions)
    classes = features["household_class"].tolist() if "household_class" in features else [None] * len(decisions)
    rows = [_flat(d, t, c, run_key) for d, t, c in zip(decisions, townships, classes, strict=True)]
    return pd.DataFrame.from_records(rows, columns=list(_flat_columns()))


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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table = pa.Table.from_pandas(frame, schema=output_schema(), preserve_index=False)
    with tmp.open("wb") as handle:
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
