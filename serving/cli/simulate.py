"""The body of `kuozhong simulate`: one county in memory, or a province streamed shard by shard."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def _oracle(auc: float) -> str:
    """The oracle AUC as printed; a county whose outcomes hold one class has none."""
    return "oracle AUC — (every drawn outcome alike)" if auc != auc else f"oracle AUC {auc:.3f}"


def run_simulate(out: Path, households: int, seed: int, province: bool, shard_size: int, messiness: float,
                 console: Console) -> None:
    """Simulate and write the raw sources; print one summary line."""
    if province:
        from features.simulate.stream import simulate_province

        with Progress(TextColumn("shards"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("shards", total=-(-households // shard_size))
            summary = simulate_province(households, seed, out, shard_size, messiness,
                                        on_shard=lambda done, _total: bar.update(task, completed=done))
        console.print(f"wrote {summary.shards} shards of {households:,} households to [bold]{out}[/] · "
                      f"{summary.applications:,} applications · {summary.loans:,} loans · "
                      f"{_oracle(summary.oracle_auc)}")
        return
    from features.simulate.county import SimulationConfig, simulate_county

    with console.status(f"simulating {households:,} households"):
        county = simulate_county(SimulationConfig(households=households, seed=seed, messiness=messiness))
        paths = county.write(out)
    console.print(f"wrote {len(paths)} sources to [bold]{out}[/] · {len(county.applications):,} applications · "
                  f"{len(county.loan_ledger):,} loans · {_oracle(county.oracle_auc)}")
