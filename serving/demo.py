"""`kuozhong demo`: the walking skeleton end to end, printing where each result is."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from rich.console import Console

from features.build.table import training_table
from features.simulate.county import SimulationConfig, simulate_county
from features.sources.load import load_sources
from models.decision.builder import Decision, decide
from models.policy import load_policy
from models.rules import evaluate_rules
from serving.approval.render import write_decision
from serving.pipeline import DecisionService, parse_application
from training.registry import load_by_alias, set_alias
from training.train import train_and_register


def pick_samples(table: pd.DataFrame, service: DecisionService) -> dict[str, pd.Series]:
    """Three applicants: eligible and lowest risk, knocked out by a rule, eligible and highest risk."""
    policy, model = service.policy, service.loaded.model
    status = table.apply(lambda r: {x.outcome for x in evaluate_rules(r.to_dict(), policy)}, axis=1)
    eligible = table[status.map(lambda s: s == {"pass"})]
    knocked = table[status.map(lambda s: "fail" in s)]
    pd_eligible = pd.Series(model.predict_pd(eligible), index=eligible.index)
    return {
        "eligible_low_risk": eligible.loc[pd_eligible.idxmin()],
        "knocked_out": knocked.iloc[0],
        "high_risk": eligible.loc[pd_eligible.idxmax()],
    }


def run_demo(out: Path, households: int, seed: int, console: Console,
             show: Callable[[Decision], None]) -> list[Decision]:
    """Simulate → features → train/register @champion → load by alias → decide three applicants."""
    data_dir = out / "data"
    with console.status(f"1/5 simulating {households:,} households"):
        county = simulate_county(SimulationConfig(households=households, seed=seed))
        county.write(data_dir)
    console.print(f"1/5 county simulated: {data_dir} (oracle AUC {county.oracle_auc:.3f})")
    sources = load_sources(data_dir)
    policy = load_policy()
    with console.status("2/5 building features"):
        table = training_table(sources, policy)
    table.to_parquet(out / "features.parquet", index=False)
    console.print(f"2/5 features of {len(table):,} applications: {out / 'features.parquet'}")
    console.print(f"3/5 policy {policy.document} v{policy.version} ({len(policy.rules)} rules)")
    with console.status("4/5 training the credit model"):
        result = train_and_register(table, policy, seed=seed % 2**31, alias="challenger")
        set_alias("champion", result.model_version)
    console.print(f"4/5 kuozhong-credit v{result.model_version} @champion · run {result.run_id} · "
                  f"OOT AUC {result.metrics['auc']:.3f} · MLflow store: mlruns/mlflow.db")
    service = DecisionService(load_by_alias("champion"), policy, sources)
    samples = pick_samples(table, service)
    decisions = []
    for label, row in samples.items():
        application = parse_application({"household_id": row["household_id"],
                                         "application_date": pd.Timestamp(row["as_of"]).date().isoformat(),
                                         "requested_amount": float(row["requested_amount"]),
                                         "purpose": row["purpose"]})
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
    return decisions


__all__ = ["decide", "pick_samples", "run_demo"]
