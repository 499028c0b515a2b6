"""Learning curve of the county model: model ÷ feature-ceiling expected AUC against the bad loans it trains on.

python -m benchmarks.bench_models --parts curve [--curve-counties 32 --curve-repeats 4]

The plan's county holds about a dozen bad loans with an outcome; no model learns much from a dozen. To tell the
model's gap from the data's, the curve simulates ``counties`` counties of the plan's preset (31,128 households
each, seeds 20230712, 20230713, ...), splits each one out of time by the training's own rule (the dataset
config's cut: the latest 25% of its booked loans with an outcome) and pools them:

- every point trains on the pre-cut loans of k counties (k = 1, 2, 4, ... up to ``counties``; repeat r takes
  counties r*k to r*k + k - 1, modulo ``counties``, with model seed r: disjoint draws while repeats x k fit in
  the counties), through the cycle as ``kuozhong train`` fits;
- every point is scored on the same test rows: the post-cut loans of all ``counties`` counties, by the AUC
  expected under the simulator's true PDs (``expected_auc``: no outcome draw adds its noise);
- the ceiling is LightGBM regressing the true log-odds on the same features (no outcome noise), fitted on the
  pre-cut loans of all counties and scored on the same test rows; ``ceiling_same_rows`` is the ceiling fitted on
  the point's own training rows, as the county part of the benchmark measures it on one county.

Beside the kuozhong model (``training.train.fit_model``, its sizing by the training rows and bad rows) the same
training rows fit two alternatives with the same weights: ``LGBMClassifier()`` with its defaults and an
optbinning WoE logistic scorecard. Nothing is downloaded; the counties are simulated in the run.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from models.policy import load_policy
from training.cycle import cycle_weights
from training.train import fit_model, split_dataset

FIRST_SEED = 20230712  # the county part's seed; the curve's counties follow it


def _county_parts(households: int, seed: int):
    """One plan county: its dataset, the true PD of each booked loan with an outcome, and the out-of-time split."""
    from features.build.table import training_table
    from features.datasets import county_dataset
    from features.simulate.county import SimulationConfig, simulate_county
    from features.sources.load import load_sources

    sim = simulate_county(SimulationConfig(households=households, seed=seed))
    with tempfile.TemporaryDirectory() as tmp:
        sim.write(Path(tmp))
        table = training_table(load_sources(Path(tmp)), load_policy())
    data = county_dataset(table)
    truth = sim.application_truth.set_index("application_id")
    true_pd = truth.loc[data.frame["request_id"].to_numpy(), "true_pd"].to_numpy(dtype=float)
    tr, te = split_dataset(data, "out-of-time", seed=0)
    return data, true_pd, tr, te


def _lgb_default(X_tr, y_tr, w_tr, X_te, cats, seed):
    conv = lambda f: f.assign(**{c: f[c].astype("string").astype("category") for c in cats})  # noqa: E731
    model = lgb.LGBMClassifier(verbose=-1, random_state=seed, num_threads=1).fit(conv(X_tr), y_tr, sample_weight=w_tr)
    return model.predict_proba(conv(X_te))[:, 1]


def _woe_scorecard(X_tr, y_tr, w_tr, X_te, cats, nums):
    from optbinning import BinningProcess, Scorecard

    names = [c for c in cats + nums if X_tr[c].nunique() > 1]  # a column with one value (or none) cannot be binned
    cats = [c for c in cats if c in names]
    text = lambda f: f.assign(**{c: f[c].astype("string").astype(object) for c in cats})  # noqa: E731
    process = BinningProcess(names, categorical_variables=cats)
    card = Scorecard(binning_process=process, estimator=LogisticRegression(max_iter=2000), scaling_method="min_max",
                     scaling_method_params={"min": 300, "max": 850})
    card.fit(text(X_tr[names]), y_tr, sample_weight=w_tr)
    return card.predict_proba(text(X_te[names]))[:, 1]


def _summary(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "sd": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "values": a.tolist()}


def curve(counties: int = 32, repeats: int = 4, households: int = 31_128) -> dict[str, object]:
    """The learning-curve block (see the module's docstring)."""
    from benchmarks.bench_models import _ceiling_scores, expected_auc

    policy = load_policy()
    start, cpu = time.perf_counter(), time.process_time()
    parts = [_county_parts(households, FIRST_SEED + i) for i in range(counties)]
    simulate_cpu = time.process_time() - cpu
    data = parts[0][0]
    cats = list(data.categorical)
    nums = [f for f in data.features if f not in cats]
    train = [d.frame.iloc[tr] for d, _, tr, _ in parts]
    y_train = [d.y[tr] for d, _, tr, _ in parts]
    test = pd.concat([d.frame.iloc[te] for d, _, _, te in parts], ignore_index=True)
    pd_test = np.concatenate([p[te] for _, p, _, te in parts])
    pd_train = [p[tr] for _, p, tr, _ in parts]
    oracle = expected_auc(pd_test, pd_test)

    def pool(chosen: list[int]):
        frame = pd.concat([train[i] for i in chosen], ignore_index=True)
        return frame, np.concatenate([y_train[i] for i in chosen]), np.concatenate([pd_train[i] for i in chosen])

    def ceiling_of(model, frame, true_pd) -> float:
        both = pd.concat([frame, test], ignore_index=True)
        tr, te = np.arange(len(frame)), np.arange(len(frame), len(both))
        return expected_auc(pd_test, _ceiling_scores(model, both, np.r_[true_pd, pd_test], tr, te))

    sizes = sorted({min(2 ** i, counties) for i in range(counties.bit_length() + 1)})
    points: list[dict[str, object]] = []
    full_model = None
    learners = ("kuozhong", "lightgbm_default", "woe_scorecard")
    for k in sizes:
        per: dict[str, list[float]] = {name: [] for name in (*learners, "ceiling_same_rows")}
        seconds: dict[str, float] = {name: 0.0 for name in learners}
        bads, rows = [], []
        for r in range(repeats):
            chosen = [(r * k + j) % counties for j in range(k)]  # disjoint draws while repeats x k <= counties
            X, y, true_pd = pool(chosen)
            w, _ = cycle_weights(X, data.config.time_column, policy.cycle)
            bads.append(int(y.sum()))
            rows.append(len(y))
            t = time.process_time()
            model = fit_model(data, policy, X, y, seed=r, sample_weight=w)
            scores = {"kuozhong": model.predict_pd(test)}
            seconds["kuozhong"] += time.process_time() - t
            t = time.process_time()
            scores["lightgbm_default"] = _lgb_default(X[cats + nums], y, w, test[cats + nums], cats, r)
            seconds["lightgbm_default"] += time.process_time() - t
            t = time.process_time()
            scores["woe_scorecard"] = _woe_scorecard(X, y, w, test, cats, nums)
            seconds["woe_scorecard"] += time.process_time() - t
            for name, score in scores.items():
                per[name].append(expected_auc(pd_test, score))
            per["ceiling_same_rows"].append(ceiling_of(model, X, true_pd))
            if k == counties and full_model is None:
                full_model = model
        points.append({"counties": k, "repeats": repeats, "train_rows": _summary(rows), "train_bads": _summary(bads),
                       "expected_auc": {name: _summary(v) for name, v in per.items()},
                       "cpu_seconds_per_fit": {name: s / repeats for name, s in seconds.items()},
                       "kuozhong_shape": {"cv_folds": model.cv_folds_,
                                          "num_leaves": model.booster_.get_params()["num_leaves"]}})
    X_all, _, pd_all = pool(list(range(counties)))
    ceiling = ceiling_of(full_model, X_all, pd_all)
    for point in points:
        auc = point["expected_auc"]
        point["to_ceiling"] = {name: {"mean": auc[name]["mean"] / ceiling,  # type: ignore[index]
                                      "min": auc[name]["min"] / ceiling,  # type: ignore[index]
                                      "max": auc[name]["max"] / ceiling}  # type: ignore[index]
                               for name in learners}
        point["to_oracle"] = {name: auc[name]["mean"] / oracle for name in learners}  # type: ignore[index]
    reached = [p["train_bads"]["mean"] for p in points  # type: ignore[index]
               if p["to_ceiling"]["kuozhong"]["mean"] >= 0.99]  # type: ignore[index]
    return {"protocol": f"{counties} plan counties of {households} households (seeds {FIRST_SEED}+i), each split out "
                        "of time by the config's rule; k counties' pre-cut loans train, every county's post-cut "
                        f"loans test; {repeats} repeats per point (a draw of counties and a model seed each)",
            "test_rows": len(test), "test_bads_simulated": int(np.concatenate([d.y[te] for d, _, _, te in parts]).sum()),
            "test_expected_bads": float(pd_test.sum()),
            "oracle_expected_auc": oracle, "feature_ceiling_expected_auc": ceiling,
            "ceiling_to_oracle": ceiling / oracle, "points": points,
            "kuozhong_reaches_0_99_of_ceiling_from_train_bads": min(reached) if reached else None,
            "simulate_cpu_seconds": simulate_cpu, "cpu_seconds": time.process_time() - cpu,
            "seconds": time.perf_counter() - start}
