"""Cross-fitted LightGBM members and their merge into one booster whose raw score is the members' mean.

The training rows are split into k stratified folds; member j learns on the other folds and early-stops on fold j,
so every row gets a raw score from the one member that never saw it (the out-of-fold scores calibrate the model).
The members are then averaged into a single booster by concatenating their trees with every leaf value divided by
k: one LightGBM model, so exact TreeSHAP (``pred_contrib``) and model-text hashing work as for any booster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

_END_OF_TREES = "end of trees\n"
_SCALED_TREE_LINES = ("leaf_value=", "internal_value=")


@dataclass(frozen=True)
class CrossFit:
    """The members, each row's out-of-fold raw score and the fold (the member that did not see the row)."""

    members: list[lgb.LGBMClassifier]
    oof_raw: np.ndarray
    fold: np.ndarray


def fold_of_rows(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Stratified fold number (0..folds-1) of each row, shuffled by ``seed``."""
    fold = np.empty(len(y), dtype=np.int64)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for j, (_, held_out) in enumerate(splitter.split(np.zeros(len(y)), y)):
        fold[held_out] = j
    return fold


def cross_fit(matrix: pd.DataFrame | np.ndarray, y: np.ndarray, params: dict[str, object], folds: int, seed: int,
              early_stopping_rounds: int, fit_kwargs: dict[str, object] | None = None,
              sample_weight: np.ndarray | None = None) -> CrossFit:
    """One member per fold, trained on the other folds and early-stopped on its own (log loss).

    ``sample_weight`` (None: every row 1) weighs the rows in each member's trees and in its early stopping.

    ``matrix`` is a frame or, faster, the float matrix LightGBM would make of it (``fit_kwargs`` then names the
    columns and the categorical ones).
    """
    fold = fold_of_rows(y, folds, seed)
    oof = np.empty(len(y), dtype=float)

    def rows(idx: np.ndarray) -> pd.DataFrame | np.ndarray:
        return matrix.iloc[idx] if isinstance(matrix, pd.DataFrame) else matrix[idx]

    def member(j: int) -> lgb.LGBMClassifier:
        learn, held = np.flatnonzero(fold != j), np.flatnonzero(fold == j)
        fitted = lgb.LGBMClassifier(**params)  # type: ignore[arg-type]
        fitted.fit(rows(learn), y[learn], eval_X=(rows(held),), eval_y=(y[held],),
                   sample_weight=None if sample_weight is None else sample_weight[learn],
                   eval_sample_weight=None if sample_weight is None else [sample_weight[held]], eval_metric="binary_logloss", callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
                   **(fit_kwargs or {}))  # type: ignore[arg-type]
        # on the fit's own thread count: a booster predicts on every core by default, and on a few hundred rows
        # OpenMP's start-up costs ten times the prediction
        oof[held] = np.asarray(fitted.booster_.predict(rows(held), raw_score=True,
                                                       num_threads=params.get("num_threads", 0)), dtype=float)
        return fitted

    # One member after another: LightGBM's native code is not safe for boosters trained side by side in threads of
    # one process (intermittent segmentation faults were seen here doing so), and a crash costs more than the time.
    members = [member(j) for j in range(folds)]
    return CrossFit(members, oof, fold)


def _split_model_text(text: str) -> tuple[str, list[str], str]:
    """Header (up to the first tree), the tree blocks ('Tree=i' ... blank lines) and everything after the trees."""
    start = text.index("\nTree=") + 1
    end = text.index(_END_OF_TREES)
    return text[:start], ["Tree=" + block for block in text[start:end].split("Tree=")[1:]], text[end:]


def _scaled(line: str, factor: float) -> str:
    key, values = line.split("=", 1)
    return key + "=" + " ".join(repr(float(v) * factor) for v in values.split())


def _renumbered(block: str, index: int, factor: float) -> str:
    lines = block.split("\n")
    lines[0] = f"Tree={index}"
    return "\n".join(_scaled(line, factor) if line.startswith(_SCALED_TREE_LINES) else line for line in lines)


def _merged_feature_infos(infos: Sequence[str]) -> str:
    """Per feature: the widest numeric range ``[low:high]`` or the union of the category values the members saw."""
    merged = []
    for tokens in zip(*(info.split() for info in infos), strict=True):
        ranges = [t for t in tokens if t.startswith("[")]
        if ranges:
            merged.append(min(ranges, key=lambda t: float(t[1:-1].split(":")[0])).split(":")[0] + ":"
                          + max(ranges, key=lambda t: float(t[1:-1].split(":")[1])).split(":")[1])
            continue
        levels: list[str] = []
        for values in tokens:
            if values != "none":
                levels += [v for v in values.split(":") if v not in levels]
        merged.append(":".join(levels) if levels else "none")
    return " ".join(merged)


def _header_value(header: str, key: str) -> str:
    return next(line for line in header.split("\n") if line.startswith(key + "="))[len(key) + 1:]


def mean_booster(boosters: Sequence[lgb.Booster]) -> lgb.Booster:
    """One booster predicting the mean raw score of ``boosters`` (all trees, each leaf value divided by k)."""
    if not boosters:
        raise ValueError("mean_booster needs at least one booster")
    factor = 1.0 / len(boosters)
    parts = [_split_model_text(b.model_to_string()) for b in boosters]
    blocks = [block for _, member_blocks, _ in parts for block in member_blocks]
    trees = [_renumbered(block, i, factor) for i, block in enumerate(blocks)]
    header, _, tail = parts[0]
    infos = _merged_feature_infos([_header_value(h, "feature_infos") for h, _, _ in parts])
    lines = []
    for line in header.split("\n"):
        if line.startswith("tree_sizes="):
            line = "tree_sizes=" + " ".join(str(len(tree.encode("utf-8"))) for tree in trees)
        elif line.startswith("feature_infos="):
            line = "feature_infos=" + infos
        lines.append(line)
    # The members' importance section is dropped: a loaded booster computes importances from its own trees.
    parameters = tail[tail.index("parameters:"):] if "parameters:" in tail else tail[len(_END_OF_TREES):]
    return lgb.Booster(model_str="\n".join(lines) + "".join(trees) + _END_OF_TREES + "\n" + parameters)


def mean_classifier(fitted: CrossFit) -> lgb.LGBMClassifier:
    """The first member's fitted wrapper (classes, feature names) holding the merged booster of all members.

    LightGBM has no public way to give a fitted ``LGBMClassifier`` another booster, so the wrapper's booster is
    replaced in place; ``predict`` then uses all merged trees (a loaded booster has no best iteration).
    """
    merged = mean_booster([m.booster_ for m in fitted.members])
    wrapper = fitted.members[0]
    wrapper._Booster = merged
    wrapper._best_iteration = merged.current_iteration()
    return wrapper
