"""Score a bank's own table (CSV or Parquet) with its registered model: PD, score, grade and reasons per row.

The county's batch reads raw sources or built household features and makes whole Decisions; a risk team's table
has neither, only the columns its dataset config names. Every row gets the calibrated PD, the score and grade,
and its three strongest reasons (adverse first: feature, Chinese label, whole points, and the sentence saying the
row's value against its reference and the points it moves) from one TreeSHAP pass
(``models.explain.reasons.explain_frame``, the same contributions the Decision shows). The output carries the
row's position in the input, never the input's other columns: identity stays in the bank's own table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.datasets import read_table
from features.files import atomic_path
from models.credit.model import CreditModel
from models.explain.reasons import ReasonWriter, explain_frame, pick_reasons, plain_value, reason_points
from serving.batch.inputs import BatchInputError

log = logging.getLogger(__name__)
TOP_REASONS = 3
TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class TableScores:
    """What scoring a table wrote."""

    rows: int
    output: Path
    grades: dict[str, int]


def is_table(path: Path) -> bool:
    """True for a CSV file, or a Parquet file that is not the county's built features (which has ``request_id``)."""
    if not path.is_file():
        return False
    if path.suffix.lower() == ".csv":
        return True
    if TABLE_SUFFIXES.get(path.suffix.lower()) != "parquet":
        return False
    import pyarrow.parquet as pq

    try:
        return "request_id" not in pq.read_schema(path).names
    except (OSError, ValueError):
        return False


def score_frame(model: CreditModel, frame: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """PD, score, grade and the top reasons of every row of ``frame`` (its feature columns, as pandas read them).

    Each reason is a column name, its label (``labels``, else the model's catalogue: the dataset YAML's
    ``label_zh``), its whole points and its Chinese sentence: the row's value against the training rows' median or
    the category's bad rate, and the points it moves ("车价为40,000，高于申请人中位数25,000，评分减少12分").
    Only a contribution that agrees with its reference becomes a reason, as on the county's decisions.
    """
    labels = labels or {}
    inputs = model.canonical_frame(frame)
    explained = explain_frame(model, inputs)
    logit = model.calibrated_logit(explained.expected + explained.contributions.sum(axis=1))
    scores = explained.score
    out = pd.DataFrame({"row": np.arange(len(frame)), "pd": 1.0 / (1.0 + np.exp(-logit)), "score": scores,
                        "grade": model.grade_of(scores)})
    order, real = pick_reasons(reason_points(explained), TOP_REASONS, explained.points_int)
    writer = ReasonWriter(model)
    names = np.array(model.features, dtype=object)
    shown = np.array([labels.get(n) or writer.info[n].label_zh for n in model.features], dtype=object)
    cells = [inputs[n].to_numpy(dtype=object) for n in model.features]
    sentences: dict[tuple[int, object, bool, int], str] = {}  # one sentence per feature, value, side and size
    rows = np.arange(len(frame))
    for k in range(order.shape[1]):
        cols = order[:, k]
        keep = real[:, k]
        points = explained.points[rows, cols]
        whole = explained.points_int[rows, cols]
        texts = np.full(len(frame), None, dtype=object)
        for i in np.flatnonzero(keep):
            j, value = int(cols[i]), plain_value(cells[cols[i]][i])
            key = (j, value, bool(points[i] < 0), int(abs(whole[i])))
            if (text := sentences.get(key)) is None:
                text = sentences[key] = writer.sentence_zh(names[j], value, float(points[i]), int(whole[i]))
            texts[i] = text
        out[f"reason_{k + 1}"] = np.where(keep, names[cols], None)
        out[f"reason_{k + 1}_label"] = np.where(keep, shown[cols], None)
        out[f"reason_{k + 1}_points"] = pd.Series(whole, dtype="Int64").where(keep, pd.NA)
        out[f"reason_{k + 1}_text"] = texts
    return out


def score_table(model: CreditModel, input_path: Path, output: Path, labels: dict[str, str] | None = None
                ) -> TableScores:
    """Read a CSV/Parquet table, score every row, and write the scores (CSV or Parquet by ``output``'s suffix)."""
    fmt = TABLE_SUFFIXES.get(input_path.suffix.lower())
    if fmt is None:
        raise BatchInputError(f"--input = '{input_path}': a table must be .csv or .parquet", field="--input",
                              value=str(input_path), rule="a CSV or Parquet file")
    out_fmt = TABLE_SUFFIXES.get(output.suffix.lower())
    if out_fmt is None:
        raise BatchInputError(f"--output = '{output}': the scores of a table go to a .csv or .parquet file",
                              field="--output", value=str(output), rule="a CSV or Parquet file name")
    if not output.parent.is_dir():
        raise BatchInputError(f"--output = '{output}': folder {output.parent} does not exist", field="--output",
                              value=str(output), rule="an existing folder")
    frame = read_table(input_path, fmt, key="--input")
    scored = score_frame(model, frame, labels)
    with atomic_path(output) as tmp:
        if out_fmt == "parquet":
            scored.to_parquet(tmp, index=False)
        else:
            scored.to_csv(tmp, index=False, encoding="utf-8")
    grades = {str(k): int(v) for k, v in scored["grade"].value_counts().sort_index().items()}
    log.info("scored %d rows of %s into %s", len(scored), input_path.name, output)
    return TableScores(len(scored), output, grades)
