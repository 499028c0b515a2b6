"""`kuozhong demo`: the walking skeleton end to end, printing where each result is."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from rich.console import Console

from features.build.table import training_table
from features.files import atomic_path
from features.simulate.county import SimulationConfig, simulate_county
from features.sources.load import load_sources
from models.decision.builder import Decision, decide
from models.policy import Policy, load_policy
from models.rules import evaluate_rules
from serving.approval.render import write_decision
from serving.pipeline import ApplicationRequest, DecisionService, parse_application
from serving.review.replay import read_events, replay
from serving.review.service import ReviewService
from serving.store import AuditStore
from serving.store.review import ReviewStore
from training.registry import load_by_alias, set_alias
from training.tracking import TrackingConfig
from training.train import train_and_register


def _request(row: pd.Series) -> ApplicationRequest:
    """The application a row of the features table was built for."""
    return parse_application({"household_id": row["household_id"],
                              "application_date": pd.Timestamp(row["as_of"]).date().isoformat(),
                              "requested_amount": float(row["requested_amount"]), "purpose": row["purpose"]})


def pick_samples(table: pd.DataFrame, service: DecisionService, tries: int = 50) -> dict[str, pd.Series]:
    """Three applicants: eligible and lowest risk, declined on a rule, eligible and highest risk.

    The low-risk case is the lowest-PD eligible applicant whose application the service approves (a low PD with an
    offer that cannot be signed, e.g. a repayment above the income, is a referral, not the showcase), among the
    ``tries`` lowest; failing that, the lowest PD.
    """
    policy, model = service.policy, service.loaded.model
    status = table.apply(lambda r: {x.outcome for x in evaluate_rules(r.to_dict(), policy)}, axis=1)
    eligible = table[status.map(lambda s: s == {"pass"})]
    knocked = table[status.map(lambda s: "fail" in s)]
    pd_eligible = pd.Series(model.predict_pd(eligible), index=eligible.index).sort_values(kind="stable")
    lowest = next((i for i in pd_eligible.index[:tries]
                   if service.decide(_request(eligible.loc[i])).recommendation == "approve"), pd_eligible.index[0])
    # knocked out: declined on the rules (a failed check the officer can still clear, e.g. income not yet
    # observed, is a referral)
    out = next((i for i in knocked.index[:tries] if service.decide(_request(knocked.loc[i])).recommendation
                == "decline"), knocked.index[0])
    return {
        "eligible_low_risk": eligible.loc[lowest],
        "knocked_out": knocked.loc[out],
        "high_risk": eligible.loc[pd_eligible.index[-1]],
    }


def run_demo(out: Path, households: int, seed: int, console: Console,
             show: Callable[[Decision], None]) -> list[Decision]:
    """Simulate → features → train/register @champion → load by alias → decide three applicants."""
    data_dir = out / "data"
    with console.status(f"1/5 simulating {households:,} households"):
        # a busier, riskier county than the plan's, so that a few thousand households hold enough bad loans to train
        county = simulate_county(SimulationConfig.trainable(households, seed))
        county.write(data_dir)
    console.print(f"1/5 county simulated: {data_dir} (oracle AUC {county.oracle_auc:.3f})")
    policy = load_policy()
    with console.status("1/5 replaying the government's list review (名单审核)"):
        review_url, versions = replay_review(out, data_dir, policy)
    console.print(f"1/5 list review: {versions} versions of the final list (最终名单) → {data_dir / 'final_list.parquet'}"
                  f" · trail in {review_url}")
    sources = load_sources(data_dir)
    with console.status("2/5 building features"):
        table = training_table(sources, policy)
    table.to_parquet(out / "features.parquet", index=False)
    console.print(f"2/5 features of {len(table):,} applications: {out / 'features.parquet'}")
    console.print(f"3/5 policy {policy.document} v{policy.version} ({len(policy.rules)} rules)")
    with console.status("4/5 training the credit model"):
        result = train_and_register(table, policy, seed=seed % 2**31, alias="challenger")
        set_alias("champion", result.model_version)
    console.print(f"4/5 kuozhong-credit v{result.model_version} @champion · run {result.run_id} · "
                  f"OOT AUC {result.metrics['auc']:.3f} · MLflow store: {TrackingConfig().store / 'mlflow.db'}")
    service = DecisionService(load_by_alias("champion"), policy, sources)
    samples = pick_samples(table, service)
    decisions = []
    for label, row in samples.items():
        application = _request(row)
        app_path = out / "applications" / f"{label}.json"
        app_path.parent.mkdir(parents=True, exist_ok=True)
        app_path.write_text(json.dumps(application.model_dump(mode="json"), ensure_ascii=False, indent=2),
                            encoding="utf-8")
        decision = service.decide(application)
        paths = write_decision(decision, out / "decisions" / label)
        console.rule(f"5/5 {label}")
        show(decision)
        files = " · ".join(str(paths[k]) for k in ("html", "pdf") if k in paths)
        console.print(f"application {app_path} · decision {paths['json']} · approval file {files}")
        decisions.append(decision)
    env = f"KUOZHONG_ENVIRONMENT=local KUOZHONG_DATABASE_URL={review_url} KUOZHONG_DATA_DIR={data_dir}"
    console.rule("the reviewers' page (名单审核)")
    console.print(f"a reviewer key: {env} .venv/bin/kuozhong keys create --role reviewer --unit 县财政局  "
                  "(or --unit 菜园镇 for one township)", highlight=False, soft_wrap=True)
    console.print(f"then: {env} .venv/bin/kuozhong serve  →  http://127.0.0.1:8000/review", highlight=False,
                  soft_wrap=True)
    return decisions


def replay_review(out: Path, data_dir: Path, policy: Policy) -> tuple[str, int]:
    """Replay the simulated review trail into a fresh demo store; write the final list beside the sources."""
    database = out / "audit.db"
    for stale in (database, database.with_name("audit.db-wal"), database.with_name("audit.db-shm")):
        stale.unlink(missing_ok=True)  # the demo's own store of its previous run: the trail starts again
    url = f"sqlite:///{database}"
    audit = AuditStore(url).create_all()
    try:
        service = ReviewService(ReviewStore(audit.engine).create_all(), policy, load_sources(data_dir))
        replay(service, read_events(data_dir / "review_events.json"))
        with atomic_path(data_dir / "final_list.parquet") as tmp:
            service.final_list_frame().to_parquet(tmp, index=False)
        return url, len(service.store.versions())
    finally:
        audit.dispose()


__all__ = ["decide", "pick_samples", "replay_review", "run_demo"]
