"""Does reject inference help? Out of time on a simulated county, scored on every application, not just the booked.

python -m benchmarks.bench_reject [--households 31128 --seed 20230712 --bootstrap 500]

The county's outcomes are shown as a bank records them (``default_12m`` only for booked loans). The model is
trained on the booked loans before the out-of-time cut, with each method of ``training.reject`` (none,
augmentation, parcelling, fuzzy), and scored on the whole through-the-door population after the cut: every
application, booked or not, against the simulator's ``application_truth`` (simulated outcome and true PD). Per
method: AUC against the outcome (all applications; booked ones only, the figure a bank can measure; eligible
applicants, the ones the score decides), Spearman's rank correlation with the true PD, the mean predicted PD
against the bad rate, and the approval rate at a fixed bad rate: the largest share of applicants, taken best score
first, whose bad rate stays at or below the bad rate of the booked training loans (by simulated outcome, and by
true PD, which has no outcome noise). Each method is fitted with several model seeds (the trees' and the parcels'
draws), giving a mean, a standard deviation and the gain over ``none`` at the same seed; paired bootstrap intervals
(applications resampled, first seed) give the AUC and rank-correlation gain the test sample alone would allow. The three methods run twice: with every application without an
outcome before the cut, and with the policy declines left out of that pool (applications the program's rules
fail, which no score would approve; Siddiqi's advice), so only the applications the rules pass but the bank did
not book are inferred. "Eligible" below means the rules pass. Results: benchmarks/results/bench_reject.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from features.build.table import training_table
from features.datasets import county_dataset, plan_split
from features.files import write_text_atomic
from features.simulate.county import County, SimulationConfig, simulate_county
from features.sources.load import load_sources
from models.decision.builder import eligibility_for
from models.policy import Policy, load_policy
from training.reject import METHODS, PARCEL_UPLIFT, fit_with_rejects, training_rejects
from training.train import fit_model

OUT = Path("benchmarks/results/bench_reject.json")
GAINS = ("auc_outcome_all", "auc_outcome_eligible", "spearman_true_pd_all", "spearman_true_pd_eligible",
         "approval_rate_at_bad_rate_true_pd", "approval_rate_at_bad_rate_true_pd_eligible")
MIN_APPROVED = 100  # the approval-rate search starts here: the bad rate of the first few dozen is noise


def approval_at_bad_rate(pd_hat: np.ndarray, bad: np.ndarray, target: float) -> float:
    """The largest share of applicants, best PD first, whose mean of ``bad`` is at most ``target``."""
    order = np.argsort(pd_hat, kind="stable")
    running = np.cumsum(bad[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(running[MIN_APPROVED - 1:] <= target)
    return float((ok.max() + MIN_APPROVED) / len(order)) if ok.size else 0.0


def _scores(pd_hat: np.ndarray, truth: pd.DataFrame, eligible: np.ndarray, target: float) -> dict[str, float]:
    outcome, true_pd, booked = (truth["outcome_12m"].to_numpy(), truth["true_pd"].to_numpy(),
                                truth["booked"].to_numpy())
    return {"auc_outcome_all": float(roc_auc_score(outcome, pd_hat)),
            "auc_outcome_booked": float(roc_auc_score(outcome[booked], pd_hat[booked])),
            "auc_outcome_eligible": float(roc_auc_score(outcome[eligible], pd_hat[eligible])),
            "spearman_true_pd_all": float(spearmanr(pd_hat, true_pd).statistic),
            "spearman_true_pd_eligible": float(spearmanr(pd_hat[eligible], true_pd[eligible]).statistic),
            "mean_predicted_pd_all": float(pd_hat.mean()), "bad_rate_all": float(outcome.mean()),
            "approval_rate_at_bad_rate_outcome": approval_at_bad_rate(pd_hat, outcome, target),
            "approval_rate_at_bad_rate_true_pd": approval_at_bad_rate(pd_hat, true_pd, target),
            "approval_rate_at_bad_rate_true_pd_eligible": approval_at_bad_rate(pd_hat[eligible], true_pd[eligible],
                                                                               target)}


def _paired_bootstrap(base: np.ndarray, other: np.ndarray, truth: pd.DataFrame, draws: int,
                      seed: int = 0) -> dict[str, list[float]]:
    """95% intervals of the method's AUC and rank-correlation gain over ``none``, applications resampled."""
    rng = np.random.default_rng(seed)
    outcome, true_pd = truth["outcome_12m"].to_numpy(), truth["true_pd"].to_numpy()
    auc, rho = [], []
    for _ in range(draws):
        idx = rng.integers(0, len(outcome), len(outcome))
        if outcome[idx].min() == outcome[idx].max():
            continue
        auc.append(roc_auc_score(outcome[idx], other[idx]) - roc_auc_score(outcome[idx], base[idx]))
        rho.append(spearmanr(other[idx], true_pd[idx]).statistic - spearmanr(base[idx], true_pd[idx]).statistic)
    return {"auc_outcome_all_gain_95": [float(np.quantile(auc, 0.025)), float(np.quantile(auc, 0.975))],
            "spearman_true_pd_all_gain_95": [float(np.quantile(rho, 0.025)), float(np.quantile(rho, 0.975))]}


def _sd(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _over(runs: list[dict[str, float]], how: Callable[[list[float]], object]) -> dict[str, float]:
    return {key: float(how([run[key] for run in runs])) for key in runs[0]}  # type: ignore[arg-type]


def run(households: int, seed: int, draws: int, model_seeds: tuple[int, ...] = (0,)) -> dict[str, object]:
    """Simulate, show outcomes as booked, train with each method, score every out-of-time application."""
    policy = load_policy()
    started = time.perf_counter()
    county = simulate_county(SimulationConfig(households=households, seed=seed))
    with tempfile.TemporaryDirectory() as tmp:
        county.write(Path(tmp))
        table = training_table(load_sources(Path(tmp)), policy)
    data = county_dataset(table)
    plan = plan_split(data, "out-of-time")
    tr, plan_cut = plan.train, pd.Timestamp(plan.cut)
    rejects = training_rejects(data, plan)
    everyone = table.assign(as_of=pd.to_datetime(table["as_of"]))
    test = everyone[everyone["as_of"] >= plan_cut].reset_index(drop=True)
    truth = county.application_truth.set_index("application_id").loc[test["request_id"]].reset_index()
    eligible = passes_rules(test, policy)
    y_train = data.y[tr]
    target = float(y_train.mean())  # the booked training loans' bad rate: the bar every method is held to
    prepared = time.perf_counter() - started
    score_declined = rejects[passes_rules(rejects, policy)]  # the policy declines left out (Siddiqi)

    def compare(pool: pd.DataFrame, methods: tuple[str, ...]) -> dict[str, dict[str, object]]:
        results: dict[str, dict[str, object]] = {}
        for method in methods:
            runs = []
            for model_seed in model_seeds:
                start = time.perf_counter()
                model, summary = fit_with_rejects(
                    method, lambda X, t, w, s=model_seed: fit_model(data, policy, X, t, s, None, w),
                    data.frame.iloc[tr], y_train, pool, model_seed)
                scores[method, model_seed] = model.predict_pd(test)
                runs.append({**_scores(scores[method, model_seed], truth, eligible, target),
                             "fit_seconds": time.perf_counter() - start})
            results[method] = {"mean": _over(runs, np.mean), "sd": _over(runs, _sd), "by_model_seed": runs,
                               "training": summary}
            if method != "none":
                results[method]["gain_over_none_by_model_seed"] = {
                    key: [run[key] - base[key] for run, base in zip(runs, none_runs, strict=True)] for key in GAINS}
                results[method]["gain_over_none_95_bootstrap_model_seed_0"] = _paired_bootstrap(
                    scores["none", model_seeds[0]], scores[method, model_seeds[0]], truth, draws)
        return results

    scores: dict[tuple[str, int], np.ndarray] = {}
    none_runs: list[dict[str, float]] = []
    results = compare(rejects, METHODS[:1])
    none_runs = results["none"]["by_model_seed"]  # type: ignore[assignment]
    results |= compare(rejects, METHODS[1:])
    without_policy_declines = compare(score_declined, METHODS[1:])
    return {"households": households, "seed": seed, "model_seeds": list(model_seeds), "applications": len(table),
            "out_of_time_cut": str(plan_cut.date()),
            "train": {"booked_loans": len(tr), "bad_rate": target, "rejects_before_cut": len(rejects),
                      "rejects_before_cut_passing_the_rules": len(score_declined),
                      "rejects_true_bad_rate": _outcome_rate(county, rejects),
                      "rejects_passing_the_rules_true_bad_rate": _outcome_rate(county, score_declined)},
            "test": {"applications": len(test), "booked": int(truth["booked"].sum()),
                     "eligible": int(eligible.sum()), "bad_rate_all": float(truth["outcome_12m"].mean()),
                     "bad_rate_booked": float(truth.loc[truth["booked"], "outcome_12m"].mean()),
                     "mean_true_pd_all": float(truth["true_pd"].mean())},
            "fixed_bad_rate": target, "fixed_bad_rate_is": "the booked training loans' observed bad rate",
            "eligible_is": "the rules pass (models.decision.builder.eligibility_for: status pass)",
            "parcelling_uplift": PARCEL_UPLIFT, "methods": results,
            "methods_policy_declines_left_out": without_policy_declines, "prepare_seconds": prepared}


def _outcome_rate(county: County, rows: pd.DataFrame) -> float | None:
    """The simulated outcome's rate over some applications (what reject inference tries to guess)."""
    truth = county.application_truth.set_index("application_id")
    return float(truth.loc[rows["request_id"], "outcome_12m"].mean()) if len(rows) else None


def passes_rules(frame: pd.DataFrame, policy: Policy) -> np.ndarray:
    """Whether the program's rules pass each application (the rows the score decides; the rest are policy declines)."""
    return np.array([e.status == "pass" for e in eligibility_for(frame, policy)], dtype=bool)


def _plain(value: object) -> object:
    return value.tolist() if hasattr(value, "tolist") else float(value)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=31_128, help="County size (Shengsi 2020: 31,128).")
    parser.add_argument("--seed", type=int, default=20230712, help="The simulator's seed.")
    parser.add_argument("--bootstrap", type=int, default=500, help="Paired bootstrap draws.")
    parser.add_argument("--model-seeds", default="0,1,2", help="Seeds of the model fits (the trees, the parcels).")
    args = parser.parse_args()
    load_before = os.getloadavg()
    start = time.perf_counter()
    result = run(args.households, args.seed, args.bootstrap, tuple(int(s) for s in args.model_seeds.split(",")))
    result["total_seconds"] = time.perf_counter() - start
    result["machine"] = {"cpus": os.cpu_count(), "load_average_1_5_15_start": load_before,
                         "load_average_1_5_15_end": os.getloadavg()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(OUT, json.dumps(result, indent=2, default=_plain))
    print(json.dumps(result, indent=2, default=_plain))


if __name__ == "__main__":
    main()
