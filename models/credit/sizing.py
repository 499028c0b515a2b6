"""Model capacity from the number of training rows: leaves, depth, leaf size, patience, and whether to cross-fit.

One set of shallow trees does not suit 1,000 rows and 10 million alike. Below ``CROSS_FIT_BELOW`` training rows
the model keeps the shape chosen on German Credit (1,000 rows) and the simulated county (about 1,200 booked
training rows): trees of 7 leaves and depth 3, three cross-fitted members whose out-of-fold scores calibrate the
model — there every row counts, and a single 80/20 split leaves a few hundred rows to stop and calibrate on; five
members when fewer than 100 rows are of the rarer class (the county's booked loans hold a few dozen bad ones). From
there on one booster is fitted, early-stopped and calibrated on a held-out part of the training rows
(``holdout_share_for``: 4,000 rows, 20% at 20,000 rows, and 5% from 80,000 rows on), and its leaves grow with the
rows, as LightGBM's own default of 31 leaves is sized for tens to hundreds of thousands:

| training rows      | leaves | depth | min rows per leaf       | categorical smoothing       | rows, columns per tree | cross-fit |
|--------------------|--------|-------|-------------------------|-----------------------------|------------------------|-----------|
| < 2,000            | 7      | 3     | 15                      | cat_smooth 5, cat_l2 1      | 80%, 80%               | 3 (5)     |
| 2,000 – 50,000     | 15     | none  | 20                      | LightGBM's (10, 10, 100)    | all, all               | no        |
| 50,000 – 500,000   | 31     | none  | 20 to 50 (rows / 10,000)| LightGBM's                  | all, all               | no        |
| 500,000 – 5 M      | 63     | none  | 50 to 500               | LightGBM's                  | all, all               | no        |
| 5 M and more       | 127    | none  | 500 and more            | LightGBM's                  | all, all               | no        |

From 2,000 rows on, a table with fewer than ``FEW_RARER_BELOW`` (300) rows of the rarer class keeps the small-data
shape and its members (five below 100, three from there): what a model can learn is bounded by its bad rows, not
its rows. A 共富 book at the end of the data is such a table: a few thousand loans whose 12 months have passed, a
few dozen to a few hundred of them bad. Expected out-of-time AUC on the loans booked after them (the simulator's
true PDs; mean of seeds 0, 1, 2; one booster of 15 leaves → the small shape with its members): the trainable county
(2,144 rows, 123 bad) 0.6345 → 0.6463 with three members (0.6463 with five), the same at twice the households
(4,362 rows, 243 bad) 0.6454 → 0.6513, the plan's county at four times the households (3,330 rows, 57 bad, five
members) 0.6214 → 0.6389; one booster's seeds there spread 0.597–0.638, the members' 0.635–0.641. Tables with
plenty of both classes (the car loans, half of them bad) are not affected.

Why three members and why only below 2,000 rows (CPU seconds of the fit over one ``LGBMClassifier()`` fit on the
same rows, one thread each; AUC on the held-out rows). German Credit, 750 training rows: over 5 random 75/25
splits five members reached a mean AUC of 0.8034, three 0.8012, two 0.8011, LightGBM default 0.7648; on the
benchmark's split five members cost 3.4x, three 1.8x. NannyML's car loans drawn at random (3 draws per size, 75/25):
at 2,250 / 9,000 training rows the members cost 3.3x / 6.6x (three) and 4.9x / 10.5x (five) for no AUC over
LightGBM's (0.9616 / 0.9644 against 0.9619 / 0.9655); one booster of 15 leaves, at 2,250 / 6,000 / 15,000
training rows, reached 0.9631 / 0.9610 / 0.9661 against LightGBM's 0.9619 / 0.9622 / 0.9663 (within the draws'
noise) at 1.4x / 1.5x / 1.8x, where the 7-leaf shape reached 0.9619 / 0.9600 / 0.9657.
"""

from __future__ import annotations

CROSS_FIT_BELOW = 2_000
CROSS_FIT_FOLDS = 3
SCARCE_RARER_BELOW = 100  # fewer rows of the rarer class than this: every one of them counts, five members
SCARCE_FOLDS = 5
FEW_RARER_BELOW = 300  # from CROSS_FIT_BELOW rows on, fewer rows of the rarer class than this: still small data
ROUNDS_CAP = 1000

# The small-data shape, chosen by German Credit 5x5 repeated CV with seeds other than the benchmark's (seeds 1 / 2:
# one 75/25 booster 0.782 / 0.777; five members 0.793 / 0.790; with min_child_samples 30 -> 15 and weaker
# categorical regularisation, cat_l2 10 -> 1 and cat_smooth 10 -> 5: 0.799 / 0.797) and checked on the county's
# out-of-time AUC (0.789 -> 0.791, mean of 3 seeds).
_SMALL: dict[str, object] = {"num_leaves": 7, "max_depth": 3, "min_child_samples": 15, "cat_smooth": 5.0,
                             "cat_l2": 1.0, "min_data_per_group": 20, "max_cat_threshold": 32}
# From CROSS_FIT_BELOW rows on, every row and column in every tree, as LightGBM's own defaults: sampling them is a
# regulariser small data needs, and on plenty of rows it only adds noise to each tree (NannyML's car loans, 50,000
# training rows: out-of-time AUC 0.96306 with 0.8 / 0.8 sampling, 0.96340 without, LightGBM default 0.96314; the
# trees stop earlier, 171 rounds against 207).
_LARGE: dict[str, object] = {"subsample": 1.0, "subsample_freq": 0, "colsample_bytree": 1.0}
_SHARED: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_estimators": ROUNDS_CAP,  # a cap: early stopping decides
    "monotone_constraints_method": "intermediate",
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,  # one thread per fit: on shared cores OpenMP spin-waits cost more than they give
}


def _small_data(n_rows: int, rarer: int | None) -> bool:
    """Below ``CROSS_FIT_BELOW`` rows, or with fewer than ``FEW_RARER_BELOW`` rows of the rarer class."""
    return n_rows < CROSS_FIT_BELOW or (rarer is not None and rarer < FEW_RARER_BELOW)


def sized_params(n_rows: int, rarer: int | None = None) -> dict[str, object]:
    """LightGBM parameters for a model trained on ``n_rows`` rows (see the table in the module's docstring).

    ``rarer``: the training rows of the rarer class, when known; few of them keep the small-data shape.
    """
    if _small_data(n_rows, rarer):
        return {**_SHARED, **_SMALL}
    leaves = 15 if n_rows < 50_000 else 31 if n_rows < 500_000 else 63 if n_rows < 5_000_000 else 127
    return {**_SHARED, "num_leaves": leaves, "max_depth": -1, "min_child_samples": max(20, n_rows // 10_000),
            "cat_smooth": 10.0, "cat_l2": 10.0, "min_data_per_group": 100, "max_cat_threshold": 32, **_LARGE}


def cv_folds_for(n_rows: int, rarer: int | None = None) -> int:
    """Cross-fitted members on small data (below ``CROSS_FIT_BELOW`` rows, or few rarer rows), one booster otherwise.

    Three members, or five when the rarer class (``rarer``: its rows among the training rows) is scarce, below
    ``SCARCE_RARER_BELOW``: the county's booked loans, a few dozen bad ones among a thousand or so, where each member
    learns from four fifths of the bad rows rather than two thirds and the mean of five damps the noise of each.
    """
    if not _small_data(n_rows, rarer):
        return 1
    return SCARCE_FOLDS if rarer is not None and rarer < SCARCE_RARER_BELOW else CROSS_FIT_FOLDS


def early_stopping_rounds_for(n_rows: int) -> int:
    """Rounds without improvement before the trees stop: 20 at every size.

    Fifty on small data, where the held-out fold's loss is noisy, gave German Credit no more (3×5-fold CV AUC
    0.7920 with 50, 0.7921 with 20) for a third more rounds in every cross-fitted member.
    """
    del n_rows  # one patience fits every size measured; kept as a function of the rows like the other sizes
    return 20


def holdout_share_for(n_rows: int) -> float:
    """Share of the training rows one booster early-stops and calibrates on: 4,000 rows, within 5% to 20%."""
    return min(0.2, max(0.05, 4_000 / max(n_rows, 1)))


DEFAULT_PARAMS: dict[str, object] = sized_params(1_000)  # the small-data set (parameter checks, tuning's start)
