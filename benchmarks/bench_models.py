# ruff: noqa: B023  (each closure is called at once, inside its own loop turn)
"""Model quality against peers: German Credit repeated stratified CV, county out-of-time vs oracle, reproducibility.

python -m benchmarks.bench_models [--repeats 5 --folds 5 --trials 20 --households 31000 --preset plan|trainable]
python -m benchmarks.bench_models --parts curve [--curve-counties 32 --curve-repeats 4]   (on demand, ~10-15 min)

The county part also decides every out-of-time application with the model (the Decision builder, five reasons per
card as the API shows them) and counts reasons whose sign contradicts banking sense: a feature with a risk
direction whose points go against the applicant's value set against the training median (the mean where the value
equals the median), or a category whose points go against its training bad rate set against the overall one;
with the share of cards carrying one, the reasons on sensitive attributes, and the approval rate by livelihood
(eligible applicants recommended for approval). German Credit is decided the same way on a holdout: reasons on
every row, contradictions counted against the YAML's directions and the categories' bad rates.

The county's outcomes are those a bank records: booked loans whose 12 months had passed by the end of the data.
The out-of-time split is the training's own (the configured cut within those loans); ``later_book`` adds the
deployment view: a model fitted on every loan with an outcome, scored on the loans booked after them (whose
outcomes only the simulator knows). Both fit through the cycle as training does (``training.cycle``: loans whose
year met a policy stress event weigh its long-run share); ``through_the_cycle`` sets them beside the fits where
every loan weighs 1: AUC, mean PD and the share in the approving grades of fishing and mussel loans against wage
earners' and the others' (by the model and by true PD), and approval by livelihood.

The county part also measures a feature ceiling: LightGBM regressing the simulator's true log-odds (no outcome
noise) on the model's features, scored on the same out-of-time rows. It shows how much of the oracle's signal the
features can carry at all (the oracle sees the latent discipline, which no record shows for households without
a loan), and the same ceiling with the discipline itself added as a column, for the bank's deposit customers and
for everyone: what the records would have to reveal for the model to come close to the oracle.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.datasets import load_dataset
from features.files import write_text_atomic
from models.credit.model import CreditModel
from models.policy import load_policy
from training.cycle import cycle_weights
from training.evaluate import evaluate, ks_statistic
from training.train import fit_model
from training.tune import best_params, chosen_trial, search

PROGRAM = load_policy()  # the policy the features' ratios are taken against

OUT = Path("benchmarks/results/bench_models.json")


def _logistic(X_tr, y_tr, X_te, cats, nums):
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats), ("num", StandardScaler(), nums)])
    return make_pipeline(pre, LogisticRegression(max_iter=2000, C=0.3)).fit(X_tr, y_tr).predict_proba(X_te)[:, 1]


def _scorecard(X_tr, y_tr, X_te, cats, nums):
    from optbinning import BinningProcess, Scorecard

    names = cats + nums
    process = BinningProcess(names, categorical_variables=cats)
    card = Scorecard(binning_process=process, estimator=LogisticRegression(max_iter=2000), scaling_method="min_max",
                     scaling_method_params={"min": 300, "max": 850})
    card.fit(X_tr[names], y_tr)
    return card.predict_proba(X_te[names])[:, 1]


def _lgb_default(X_tr, y_tr, X_te, cats, nums):
    conv = lambda f: f.assign(**{c: f[c].astype("category") for c in cats})  # noqa: E731
    model = lgb.LGBMClassifier(verbose=-1, random_state=0, num_threads=1).fit(conv(X_tr), y_tr)
    return model.predict_proba(conv(X_te))[:, 1]


def _ebm(X_tr, y_tr, X_te, cats, nums):
    from interpret.glassbox import ExplainableBoostingClassifier

    return ExplainableBoostingClassifier(random_state=0, n_jobs=1).fit(X_tr, y_tr).predict_proba(X_te)[:, 1]


def german(repeats: int, folds: int, trials: int) -> dict:
    data, policy = load_dataset("german-credit"), load_policy()
    X, y = data.frame, data.y
    cats = list(data.categorical)
    nums = [f for f in data.features if f not in cats]
    scores: dict[str, list[tuple[float, float]]] = {}
    times: dict[str, float] = {}
    kept_defaults: list[bool] = []  # per fold: the tuned pipeline kept the defaults (one-standard-error rule)
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)

    def record(name, fn, tr, te):
        start = time.perf_counter()
        p = fn(tr, te)
        times[name] = times.get(name, 0.0) + time.perf_counter() - start
        scores.setdefault(name, []).append((float(roc_auc_score(y[te], p)), ks_statistic(y[te], p)))

    for i, (tr, te) in enumerate(cv.split(X, y)):
        Xtr, Xte = X.iloc[tr], X.iloc[te]
        record("kuozhong_default", lambda tr, te: fit_model(data, policy, Xtr, y[tr], seed=i).predict_pd(Xte), tr, te)
        if trials:
            def tuned(tr, te):
                template = CreditModel(features=data.features, categorical=data.categorical,
                                                                monotone=data.monotone, random_state=i)
                study = search(template, Xtr, y[tr], trials, seed=i)  # tuning sees the training fold only
                kept_defaults.append(chosen_trial(study)[0].number == 0)
                return fit_model(data, policy, Xtr, y[tr], seed=i, params=best_params(study)).predict_pd(Xte)
            record("kuozhong_tuned", tuned, tr, te)
        record("logistic_onehot", lambda tr, te: _logistic(Xtr, y[tr], Xte, cats, nums), tr, te)
        record("optbinning_scorecard", lambda tr, te: _scorecard(Xtr, y[tr], Xte, cats, nums), tr, te)
        record("lightgbm_default", lambda tr, te: _lgb_default(Xtr[cats + nums], y[tr], Xte[cats + nums], cats, nums),
               tr, te)
        record("ebm", lambda tr, te: _ebm(Xtr[cats + nums], y[tr], Xte[cats + nums], cats, nums), tr, te)
    out = {}
    for name, vals in scores.items():
        auc, ks = np.array(vals).T
        out[name] = {"auc_mean": auc.mean(), "auc_sd": auc.std(ddof=1) if len(auc) > 1 else 0.0,
                     "ks_mean": ks.mean(), "ks_sd": ks.std(ddof=1) if len(ks) > 1 else 0.0,
                     "folds": len(auc), "seconds": times[name]}
    return {"protocol": f"{repeats}x{folds} repeated stratified CV, tuning ({trials} trials) inside each fold",
            "models": out, "tuned_folds_that_kept_the_defaults": sum(kept_defaults)}


def _trees_and_leaves(model: CreditModel) -> dict:
    trees = model.booster_.booster_.dump_model()["tree_info"]
    leaves = [t["num_leaves"] for t in trees]
    return {"trees": len(trees), "max_leaves_per_tree": max(leaves), "total_leaves": sum(leaves),
            "num_leaves_param": model.booster_.get_params()["num_leaves"],
            "max_depth_param": model.booster_.get_params()["max_depth"]}


def _contrib_rows_per_second(model: CreditModel, frame: pd.DataFrame, repeats: int = 3) -> float:
    """Exact TreeSHAP rows per second on one thread (best of ``repeats``): the explanation cost of the trees."""
    from models.explain.reasons import model_matrix

    matrix = model_matrix(model, frame)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.booster_.booster_.predict(matrix, pred_contrib=True, num_threads=1)
        best = min(best, time.perf_counter() - start)
    return len(frame) / best


def expected_auc(true_pd: np.ndarray, score: np.ndarray) -> float:
    """The AUC a score would have on average over the simulator's outcome draws, each row bad with its true PD.

    With a few dozen bad loans the drawn outcomes make an AUC mostly noise; weighting every row as a bad with
    weight p and as a good with weight 1 - p gives the expected ranking quality without drawing.
    """
    p = np.asarray(true_pd, dtype=float)
    s = np.asarray(score, dtype=float)
    return float(roc_auc_score(np.r_[np.ones(p.size), np.zeros(p.size)], np.r_[s, s], sample_weight=np.r_[p, 1 - p]))


def _ceiling_scores(model: CreditModel, frame, true_pd: np.ndarray, tr: np.ndarray, te: np.ndarray,
                    latent: np.ndarray | None = None) -> np.ndarray:
    """Out-of-time predictions of LightGBM regressing the true log-odds on the model's features (no outcome noise)."""
    matrix = model._matrix(frame)
    for col, levels in model.categories_.items():
        matrix[col] = matrix[col].astype("string").astype(pd.CategoricalDtype(levels))
    if latent is not None:
        matrix["latent_discipline"] = latent
    logit = np.log(true_pd / (1 - true_pd))
    reg = lgb.LGBMRegressor(n_estimators=2000, learning_rate=0.02, num_leaves=15, subsample=0.8, subsample_freq=1,
                            colsample_bytree=0.8, verbose=-1, random_state=0, num_threads=1)
    reg.fit(matrix.iloc[tr], logit[tr])
    return reg.predict(matrix.iloc[te])


def _feature_ceiling(model: CreditModel, frame, true_pd: np.ndarray, tr: np.ndarray, te: np.ndarray,
                     y_te: np.ndarray, latent: np.ndarray | None = None) -> float:
    """OOT AUC of the best function of the features, learnt from the true log-odds instead of the outcomes.

    ``latent``, when given, is the simulator's hidden discipline (NaN where it stays hidden), added as a column:
    how far the ceiling would rise if the records showed the trait itself.
    """
    return float(roc_auc_score(y_te, _ceiling_scores(model, frame, true_pd, tr, te, latent)))


def _through_the_door(model: CreditModel, table: pd.DataFrame, truth: pd.DataFrame, cut: pd.Timestamp) -> dict:
    """The model and the oracle on every application from the out-of-time cut, booked or not (simulated outcomes)."""
    rows = table[pd.to_datetime(table["as_of"]) >= cut]
    outcome = truth.loc[rows["request_id"].to_numpy(), "outcome_12m"].to_numpy()
    true_pd = truth.loc[rows["request_id"].to_numpy(), "true_pd"].to_numpy()
    score = model.predict_pd(rows)
    return {"rows": len(rows), "bads": int(outcome.sum()),
            "model_auc": float(roc_auc_score(outcome, score)), "oracle_auc": float(roc_auc_score(outcome, true_pd)),
            "expected_model_auc": expected_auc(true_pd, score), "expected_oracle_auc": expected_auc(true_pd, true_pd)}


def _later_rows(data, truth: pd.DataFrame) -> pd.DataFrame:
    """The booked loans without an outcome yet (booked in the data's last 12 months)."""
    later = data.unlabelled
    return later[truth.loc[later["request_id"].to_numpy(), "booked"].to_numpy()].reset_index(drop=True)


def _later_book(data, policy, truth: pd.DataFrame, cycle: bool = True) -> dict:
    """A model fitted on every loan whose outcome is known, scored on the loans booked after (outcome not yet known).

    A loan booked less than 12 months before the end of the data has no outcome in the bank's records; a bank
    building its model at the end of the data trains on the older loans and applies it to the book after them.
    Only the simulator knows how that later book performs: its outcomes and true PDs come from the truth.
    ``cycle``: fitted through the cycle (the policy's stress events), as training fits.
    """
    later = _later_rows(data, truth)
    frame = pd.concat([data.frame, later], ignore_index=True)
    tr, te = np.arange(len(data.frame)), np.arange(len(data.frame), len(frame))
    y_te = truth.loc[later["request_id"].to_numpy(), "outcome_12m"].to_numpy()
    true_pd = truth.loc[frame["request_id"].to_numpy(), "true_pd"].to_numpy()
    weight = cycle_weights(data.frame, data.config.time_column, policy.cycle)[0] if cycle else None
    model = fit_model(data, policy, data.frame, data.y, seed=0, sample_weight=weight)
    score = model.predict_pd(later)
    ceiling = _ceiling_scores(model, frame, true_pd, tr, te)
    expected = {"model": expected_auc(true_pd[te], score), "feature_ceiling": expected_auc(true_pd[te], ceiling),
                "oracle": expected_auc(true_pd[te], true_pd[te])}
    expected |= {"model_to_ceiling": expected["model"] / expected["feature_ceiling"],
                 "model_to_oracle": expected["model"] / expected["oracle"]}
    return {"train_rows": len(tr), "train_bads": int(data.y.sum()), "later_rows": len(te),
            "later_bads_simulated": int(y_te.sum()),
            "first_later_application": str(pd.to_datetime(later["as_of"]).min().date()),
            "model_auc_simulated": float(roc_auc_score(y_te, score)) if 0 < y_te.sum() < len(y_te) else None,
            "expected_auc": expected}


def county(households: int, preset: str = "plan") -> dict:
    """The county part; ``preset`` "plan" is the plan's county, "trainable" ``SimulationConfig.trainable``."""
    import tempfile

    from features.build.table import training_table
    from features.datasets import county_dataset
    from features.simulate.county import SimulationConfig, simulate_county
    from features.sources.load import load_sources

    policy = load_policy()
    config = (SimulationConfig.trainable(households, 20230712) if preset == "trainable"
              else SimulationConfig(households=households, seed=20230712))
    sim = simulate_county(config)
    with tempfile.TemporaryDirectory() as tmp:
        sim.write(Path(tmp))
        table = training_table(load_sources(Path(tmp)), PROGRAM)
    data = county_dataset(table)
    from training.train import split_dataset

    tr, te = split_dataset(data, "out-of-time", seed=0)
    start = time.perf_counter()
    # as ``kuozhong train`` fits by default: through the cycle (training.cycle, the policy's stress events)
    w_tr, cycle_summary = cycle_weights(data.frame.iloc[tr], data.config.time_column, policy.cycle)
    model = fit_model(data, policy, data.frame.iloc[tr], data.y[tr], seed=0, sample_weight=w_tr)
    seconds = time.perf_counter() - start
    pd_oot = model.predict_pd(data.frame.iloc[te])
    auc = float(roc_auc_score(data.y[te], pd_oot))
    apps = sim.applications.set_index("application_id")
    truth = sim.application_truth.set_index("application_id")  # every applicant's true PD, for evaluation only
    true_pd_all = truth.loc[data.frame["request_id"].to_numpy(), "true_pd"].to_numpy()
    oracle = float(roc_auc_score(data.y[te], true_pd_all[te]))
    ceiling = _feature_ceiling(model, data.frame, true_pd_all, tr, te, data.y[te])
    door = _through_the_door(model, table, truth, data.frame.iloc[te]["as_of"].min())
    ceiling_oot = _ceiling_scores(model, data.frame, true_pd_all, tr, te)
    expected = {"model": expected_auc(true_pd_all[te], pd_oot), "feature_ceiling": expected_auc(true_pd_all[te],
                                                                                                 ceiling_oot),
                "oracle": expected_auc(true_pd_all[te], true_pd_all[te])}
    expected |= {"model_to_ceiling": expected["model"] / expected["feature_ceiling"],
                 "model_to_oracle": expected["model"] / expected["oracle"],
                 "ceiling_to_oracle": expected["feature_ceiling"] / expected["oracle"]}
    # What the ceiling would be if the hidden discipline were a record: for the bank's deposit customers only (the
    # households whose account flows the bank sees), and for everyone.
    applicant = apps.loc[data.frame["request_id"].to_numpy(), "household_id"].to_numpy()
    discipline = sim.ground_truth.set_index("household_id").loc[applicant, "discipline"].to_numpy()
    customer = np.isin(applicant, sim.account_flows["household_id"].unique())
    if_known = {"bank_customers": _feature_ceiling(model, data.frame, true_pd_all, tr, te, data.y[te],
                                                   np.where(customer, discipline, np.nan)),
                "everyone": _feature_ceiling(model, data.frame, true_pd_all, tr, te, data.y[te], discipline)}
    later = _later_book(data, policy, truth)
    explanations = explanation_figures_county(model, data, tr, te)
    again = fit_model(data, policy, data.frame.iloc[tr], data.y[tr], seed=0, sample_weight=w_tr)
    cycle = _cycle_comparison(data, policy, truth, tr, te, model, ceiling, explanations)
    cycle["weighting"] = cycle_summary
    return {"households": households, "preset": preset, "risk_shift": config.risk_shift,
            "applications": len(table), "booked_rows": len(data.frame),
            "train_rows": len(tr), "oot_rows": len(te), "oot_bads": int(data.y[te].sum()),
            "oot_bad_rate": float(data.y[te].mean()), "oot_auc": auc, "oracle_oot_auc": oracle,
            "ratio": auc / oracle, "feature_ceiling_oot_auc": ceiling, "feature_ceiling_ratio": ceiling / oracle,
            "model_to_ceiling": auc / ceiling, "expected_oot_auc": expected, "through_the_door_oot": door,
            "feature_ceiling_ratio_if_discipline_known": {k: v / oracle for k, v in if_known.items()},
            "bank_customer_share_oot": float(customer[te].mean()), "later_book": later,
            "model": {**_trees_and_leaves(model), "cv_folds": model.cv_folds,
                      "member_iterations": model.member_iterations_,
                      "pred_contrib_rows_per_s_one_thread": _contrib_rows_per_second(model, data.frame.iloc[te])},
            "calibration_fit": model.calibration_report_, "oot_metrics": evaluate(data.y[te], pd_oot),
            "fit_seconds": seconds,
            "reproducible_model_hash": model.model_hash() == again.model_hash(), "model_hash": model.model_hash(),
            "explanations": explanations, "through_the_cycle": cycle}


EXPOSED = ("fishing", "mussel")


def _grade_shares(model: CreditModel, policy, rows: pd.DataFrame, true_pd: np.ndarray) -> dict[str, object]:
    """Mean PD (model, true) and the share in the approving grades (by the model, by true PD): fishing and mussel,
    wage earners, all others."""
    approving = {g.grade for g in policy.grades if g.recommendation == "approve"}
    pd_model = model.predict_pd(rows)
    by_model = np.isin(model.grade_of(model.credit_score(rows)), list(approving))
    logit = np.log(np.clip(true_pd, 1e-9, 1 - 1e-9) / np.clip(1 - true_pd, 1e-9, 1))
    by_truth = np.isin(model.grade_of(model.score_from_logit(logit)), list(approving))
    livelihood = rows["livelihood"].astype("string").fillna("").to_numpy()
    groups = {"fishing_mussel": np.isin(livelihood, EXPOSED), "wage": livelihood == "wage",
              "others": ~np.isin(livelihood, (*EXPOSED, "wage"))}
    return {name: {"rows": int(mask.sum()),
                   "mean_pd_model": float(pd_model[mask].mean()) if mask.any() else None,
                   "mean_pd_true": float(true_pd[mask].mean()) if mask.any() else None,
                   "approving_grades_by_model": float(by_model[mask].mean()) if mask.any() else None,
                   "approving_grades_by_true_pd": float(by_truth[mask].mean()) if mask.any() else None}
            for name, mask in groups.items()}


def _cycle_comparison(data, policy, truth: pd.DataFrame, tr: np.ndarray, te: np.ndarray, after: CreditModel,
                      ceiling: float, explanations_after: dict) -> dict[str, object]:
    """Before (every loan weighs 1) and after (through the cycle): AUC, grade shares and approval by livelihood.

    Grade shares are read on the later book (booked loans without an outcome yet, whose year holds no typhoon
    season), fitted on every loan with an outcome, and on the out-of-time rows; approval rates are the eligible
    out-of-time applicants recommended for approval.
    """
    before = fit_model(data, policy, data.frame.iloc[tr], data.y[tr], seed=0)
    later = _later_rows(data, truth)
    later_pd = truth.loc[later["request_id"].to_numpy(), "true_pd"].to_numpy()
    oot_pd = truth.loc[data.frame.iloc[te]["request_id"].to_numpy(), "true_pd"].to_numpy()
    out: dict[str, object] = {}
    for name, model, cycle in (("before", before, False), ("after", after, True)):
        weight, weighting = cycle_weights(data.frame, data.config.time_column, policy.cycle)
        full = fit_model(data, policy, data.frame, data.y, seed=0, sample_weight=weight if cycle else None)
        if cycle:
            out["later_book_weighting"] = weighting  # the fit on every loan with an outcome
        auc = float(roc_auc_score(data.y[te], model.predict_pd(data.frame.iloc[te])))
        approval = (explanations_after if cycle else explanation_figures_county(model, data, tr, te))[
            "approval_by_livelihood"]
        rates = {g: v["approval_rate"] for g, v in approval["by_group"].items()}
        out[name] = {"oot_auc": auc, "model_to_ceiling": auc / ceiling,
                     "later_book_expected_auc": expected_auc(later_pd, full.predict_pd(later)),
                     "later_book": _grade_shares(full, policy, later, later_pd),
                     "oot": _grade_shares(model, policy, data.frame.iloc[te], oot_pd),
                     "approval_rate_by_livelihood": rates, "approval_min_over_max": approval["min_over_max"]}
    return out


def _reference_counts(model: CreditModel, train: pd.DataFrame, y_train: np.ndarray, frame: pd.DataFrame,
                      directions: dict[str, int], sensitive: set[str], top: int = 5) -> dict[str, object]:
    """Decide every row and count the reasons that contradict their value against the training reference.

    Everything is measured from the training rows here, not from the model's own references, so the count means
    the same before and after the explanations learnt to state a reference.
    """
    from models.decision.builder import ModelRef, decide_rows

    rows = decide_rows(frame, model, ModelRef(name="bench", version="0", run_id="-"), load_policy(), top_reasons=top,
                       with_what_would_change=False)
    y_train = np.asarray(y_train, dtype=float)
    overall = float(y_train.mean())
    stats: dict[str, object] = {}
    for name in model.features:
        column = train[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not isinstance(column.dtype, pd.CategoricalDtype)
        if numeric:
            values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            stats[name] = (float(np.median(values)), float(values.mean())) if values.size else None
        else:
            known = column.notna().to_numpy()
            stats[name] = pd.Series(y_train[known]).groupby(column[known].astype(str).to_numpy()).mean().to_dict()
    reasons = contradictions = sensitive_reasons = 0
    cards_with = cards = cards_without = 0
    by_feature: dict[str, int] = {}
    for i in range(len(rows)):
        slots = rows.reason_slots(i)
        rows.reasons(i)  # the sentences are made as the card shows them (a crash here is a figure too)
        cards += 1
        cards_without += not slots
        hit = False
        for name, value, _, points, _ in slots:
            reasons += 1
            sensitive_reasons += name in sensitive
            ref = stats.get(name)
            if value is None or ref is None or (isinstance(value, float) and np.isnan(value)):
                continue
            if isinstance(ref, dict):
                rate = ref.get(str(value))
                side = 0 if rate is None else int(np.sign(rate - overall))
            else:
                direction = directions.get(name, 0)
                if direction == 0:
                    continue
                median, mean = ref
                number = float(value)
                side = int(np.sign(number - (mean if number == median else median))) * direction
            wrong = side == 0 or (side > 0) != (points < 0)
            if wrong:
                contradictions += 1
                by_feature[name] = by_feature.get(name, 0) + 1
                hit = True
        cards_with += hit
    return {"rows": len(rows), "rows_without_a_reason": cards_without, "reasons": reasons, "contradicting_reasons": contradictions,
            "contradicting_share": contradictions / max(reasons, 1), "cards_with_a_contradiction": cards_with,
            "cards_with_a_contradiction_share": cards_with / max(cards, 1), "reasons_on_sensitive_attributes":
            sensitive_reasons, "contradictions_by_feature": dict(sorted(by_feature.items(), key=lambda kv: -kv[1])),
            "recommendation": rows.recommendation, "status": rows.status}


def _approval_by(groups: pd.Series, recommendation: list[str], status: list[str]) -> dict[str, object]:
    """Approval rate of eligible applicants by group, and the lowest rate over the highest."""
    eligible = np.array([s == "pass" for s in status])
    approved = np.array([r == "approve" for r in recommendation])
    labels = groups.astype("string").fillna("(缺失)").to_numpy()[eligible]
    rates = {str(g): {"eligible": int((labels == g).sum()), "approval_rate": float(approved[eligible][labels == g].mean())}
             for g in sorted(set(labels))}
    big = [v["approval_rate"] for v in rates.values() if v["eligible"] >= 20]
    return {"by_group": rates, "min_over_max": (min(big) / max(big)) if big and max(big) > 0 else float("nan"),
            "eligible_approval_rate": float(approved[eligible].mean()) if eligible.any() else float("nan")}


def explanation_figures_county(model: CreditModel, data, tr: np.ndarray, te: np.ndarray,
                               directions: dict[str, int] | None = None) -> dict[str, object]:
    """Reasons against their references and approval by livelihood on the county's out-of-time applications.

    ``directions``: the banking direction of each feature (the catalogue's by default).
    """
    from features.metadata import FEATURES

    sensitive = {"health_burden", "serious_illness_count", "township", "livelihood", "household_class",
                 "applicant_age"}
    # the banking direction of every feature (the current catalogue), whatever the model itself was given
    directions = directions or {name: info.monotone for name, info in FEATURES.items()}
    counts = _reference_counts(model, data.frame.iloc[tr], data.y[tr], data.frame.iloc[te], directions, sensitive)
    counts["approval_by_livelihood"] = _approval_by(data.frame.iloc[te]["livelihood"], counts.pop("recommendation"),
                                                    counts.pop("status"))
    counts["model_features"] = len(model.features)
    counts["sensitive_model_features"] = sorted(set(model.features) & sensitive)
    return counts


def explanation_figures_german(seed: int = 0) -> dict[str, object]:
    """German Credit decided on a random holdout: reasons on every row, contradictions, AUC of that one model."""
    data, policy = load_dataset("german-credit"), load_policy()
    from training.train import split_dataset

    tr, te = split_dataset(data, "random", seed=seed)
    model = fit_model(data, policy, data.frame.iloc[tr], data.y[tr], seed=seed)
    out: dict[str, object] = {"holdout_auc": float(roc_auc_score(data.y[te], model.predict_pd(data.frame.iloc[te]))),
                              "model_features": len(model.features)}
    try:
        counts = _reference_counts(model, data.frame.iloc[tr], data.y[tr], data.frame.iloc[te], dict(data.monotone),
                                   {"personal_status_and_sex", "age_in_years", "foreign_worker"})
    except Exception as err:  # the figure records that reasons could not be made at all
        out["reasons_error"] = f"{type(err).__name__}: {str(err)[:120]}"
        return out
    counts.pop("recommendation"), counts.pop("status")
    out |= counts
    return out


def _plain(value: object) -> object:
    """numpy values as JSON reads them (arrays as lists)."""
    return value.tolist() if hasattr(value, "tolist") else float(value)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--households", type=int, default=31_128, help="County size (Shengsi: 31,128).")
    parser.add_argument("--preset", default="plan", choices=("plan", "trainable"),
                        help="The county part's county: the plan's, or SimulationConfig.trainable (busier, riskier).")
    parser.add_argument("--parts", default="german,county",
                        help="Comma-separated parts to run (german, county, curve); the JSON holds only those. "
                             "curve (on demand only): the learning curve of benchmarks/learning_curve.py.")
    parser.add_argument("--curve-counties", type=int, default=32, help="Plan counties the learning curve pools.")
    parser.add_argument("--curve-repeats", type=int, default=4, help="Repeats per point of the learning curve.")
    args = parser.parse_args()
    args.parts = {p.strip() for p in args.parts.split(",")}
    if not args.parts <= {"german", "county", "curve"}:
        parser.error(f"--parts {','.join(sorted(args.parts))}: the parts are german, county and curve")
    start = time.perf_counter()
    load_before = os.getloadavg()
    result: dict[str, object] = {}
    if "german" in args.parts:
        result["german_credit"] = german(args.repeats, args.folds, args.trials)
        result["german_credit"]["explanations"] = explanation_figures_german()
    if "county" in args.parts:
        result["county"] = county(args.households, args.preset)
    if "curve" in args.parts:
        from benchmarks.learning_curve import curve

        result["learning_curve"] = curve(args.curve_counties, args.curve_repeats, args.households)
    result["total_seconds"] = time.perf_counter() - start
    # The machine's cores are shared: the load averages say how much else was running around the timings.
    result["machine"] = {"cpus": os.cpu_count(), "load_average_1_5_15_start": load_before,
                         "load_average_1_5_15_end": os.getloadavg()}
    # A partial run never overwrites the full run's JSON.
    parts = "-".join(sorted(args.parts))
    out = OUT if args.parts == {"german", "county"} else OUT.with_name(f"bench_models-{parts}.json")
    if args.preset != "plan":
        out = out.with_name(f"{out.stem}-{args.preset}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps(result, indent=2, default=_plain))
    print(json.dumps(result, indent=2, default=_plain))


if __name__ == "__main__":
    main()
