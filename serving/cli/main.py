"""The `kuozhong` command line: every stage of the toolkit as a subcommand; people get one-line errors."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

if TYPE_CHECKING:
    from models.decision.builder import Decision

app = typer.Typer(help="kuozhong: credit scoring and eligibility for the 财金助力扩中家庭 program.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("kuozhong")

DataDir = Annotated[Path, typer.Option("--data", help="Folder of raw sources (from `kuozhong simulate`).")]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s",
                        handlers=[RichHandler(console=err_console, show_path=False)], force=True)
    for noisy in ("mlflow", "alembic", "urllib3", "lightgbm", "mlflow.sklearn", "mlflow.models", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@app.callback()
def _root(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False) -> None:
    _setup_logging(verbose)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the raw sources to.")] = Path("output/data"),
    households: Annotated[int, typer.Option("--households", min=10, max=9_999_999, help="Number of households.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same county).")] = 20230712,
    province: Annotated[bool, typer.Option("--province", help="Stream shards to partitioned Parquet (large N).")] = False,
    shard_size: Annotated[int, typer.Option("--shard-size", min=100, help="Households per shard (--province).")] = 50_000,
    messiness: Annotated[float, typer.Option("--messiness", min=0.0, max=20.0, help="Field-mistake rate multiplier.")] = 1.0,
) -> None:
    """Simulate a Shengsi county: base list, bank records, visit forms, loans, revisits and outcomes."""
    from serving.cli.simulate import run_simulate

    run_simulate(out, households, seed, province, shard_size, messiness, console)


@app.command()
def features(
    data: DataDir = Path("output/data"),
    out: Annotated[Path, typer.Option("--out", help="Parquet file for the feature table.")] = Path(
        "output/features.parquet"),
    as_of: Annotated[dt.datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help=(
        "Build every household at this date instead of every application at its own."))] = None,
    catalogue: Annotated[bool, typer.Option("--list", help="Print the feature catalogue and exit.")] = False,
    policy: PolicyOpt = None,
) -> None:
    """Build the features of every application at its own date (or every household at --as-of)."""
    from serving.cli.features import run_features

    run_features(data, out, as_of.date() if as_of else None, catalogue, console, policy)


def _print_decision(decision: Decision) -> None:
    colour = {"approve": "green", "refer": "yellow", "decline": "red"}[decision.recommendation]
    table = Table(title=f"{decision.household_id} · {decision.applicant_id_masked}", show_lines=False)
    table.add_column("项目")
    table.add_column("结果")
    failed = ", ".join(r.code for r in decision.eligibility.failed) or "—"
    table.add_row("准入 eligibility", f"{decision.eligibility.status} (failed: {failed})")
    from models.explain.reasons import display_points

    shown = int(display_points(decision.score))
    band = f"（{decision.grade_band_zh}）" if decision.grade_band_zh else ""
    table.add_row("PD / 评分 / 评级", f"{decision.pd:.2%} / {shown} 分 / {decision.grade}{band}")
    table.add_row("建议 recommendation", f"[{colour}]{decision.recommendation}[/]  {decision.review_note_zh}")
    for condition in decision.conditions:
        table.add_row("放款前提条件 condition", f"[yellow]{condition.text_zh}[/] ({condition.text_en})")
    for reason in decision.reasons[:3]:
        table.add_row("原因 reason", reason.text_zh)
    if decision.terms and decision.terms.limit > 0:
        table.add_row("产品 terms", f"{decision.terms.product_name} {decision.terms.limit:,.0f}元 {decision.terms.rate:.2%}")
        table.add_row("利率构成 pricing", decision.terms.pricing_zh)
    elif decision.terms:  # an offer of 0 lends nothing: no rate to state
        from models.terms.offer import NO_LOAN_ZH

        table.add_row("产品 terms", f"{decision.terms.product_name} {NO_LOAN_ZH}")
    console.print(table)


@app.command()
def decide(
    application: Annotated[Path, typer.Argument(help="Application JSON: household_id, application_date, "
                                                     "requested_amount, purpose.")],
    data: DataDir = Path("output/data"),
    policy: PolicyOpt = None,
    alias: Annotated[str, typer.Option("--alias", help="Registry alias of the model to use.")] = "champion",
    out: Annotated[Path, typer.Option("--out", help="Folder for the Decision JSON and approval file.")] = Path(
        "output/decisions"),
) -> None:
    """Decide one application with the model registered under an alias; write JSON and approval file."""
    from features.sources.load import load_sources
    from models.policy import load_policy
    from serving.approval.render import write_decision
    from serving.pipeline import DecisionService, read_application
    from training.registry import load_by_alias

    request = read_application(application)
    service = DecisionService(load_by_alias(alias), load_policy(policy), load_sources(data))
    decision = service.decide(request)
    paths = write_decision(decision, out)
    _print_decision(decision)
    console.print(f"decision {decision.decision_id}: {paths['json']} · {paths['html']}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for everything the demo writes.")] = Path("output/demo"),
    households: Annotated[int, typer.Option("--households", min=500, help="Households to simulate.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the county and the model.")] = 20230712,
) -> None:
    """The whole path: simulate, build features, train and register @champion, decide three applicants."""
    from serving.demo import run_demo

    run_demo(out=out, households=households, seed=seed, console=console, show=_print_decision)


from serving.cli.score import score as _score  # noqa: E402 - each surface keeps its command in its own module

app.command(name="score")(_score)

from serving.cli import risk as _risk  # noqa: E402 - the risk team's commands live in training/

for _name in ("train", "tune", "promote", "validate"):
    app.command(name=_name)(getattr(_risk, _name))

from serving.cli.serve import keys_app as _keys_app  # noqa: E402
from serving.cli.serve import serve as _serve  # noqa: E402

app.command(name="serve")(_serve)
app.add_typer(_keys_app, name="keys")

from serving.cli.audit import audit_app as _audit_app  # noqa: E402

app.add_typer(_audit_app, name="audit")

from serving.cli.match import match as _match  # noqa: E402

app.command(name="match")(_match)

from serving.cli.subsidy import subsidy as _subsidy  # noqa: E402

app.command(name="subsidy")(_subsidy)

from serving.cli.monitor import monitor_app as _monitor_app  # noqa: E402

app.add_typer(_monitor_app, name="monitor")

from serving.cli.policy import policy_app as _policy_app  # noqa: E402

app.add_typer(_policy_app, name="policy")


def _fail(message: str) -> None:
    """One line on stderr, never wrapped, never a traceback."""
    sys.stderr.write("error: " + " ".join(message.split()) + "\n")


def _own_process() -> bool:
    """True when this process is the command itself (the console script or ``python -m serving.cli.main``)."""
    started = getattr(sys.modules.get("__main__"), "__file__", None) or ""
    return Path(started).stem in ("kuozhong", "kuozhong-script") or Path(started).resolve() == Path(__file__).resolve()


GC_THRESHOLDS = (50_000, 20, 100)  # the command's own process: collect cycles after 50,000 allocations, not 700


def main() -> None:
    """Console entry point: known errors become one line on stderr and exit code 2, never a traceback.

    In the command's own process the cyclic garbage collector runs less often: importing pandas, scikit-learn,
    LightGBM, MLflow and matplotlib creates millions of long-lived objects, and at Python's default thresholds
    every full collection walks them all again (about a sixth of a training command's CPU time). Reference
    counting still frees everything else at once; cycles wait for the next, rarer collection.
    """
    from features.errors import KuozhongError

    if _own_process():
        import gc

        gc.set_threshold(*GC_THRESHOLDS)
    try:
        app(standalone_mode=False)
    except KuozhongError as err:
        _fail(str(err))
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)
    except typer.Exit as err:
        sys.exit(err.exit_code)
    except Exception as err:
        import click

        # usage errors (unknown option, bad value, missing argument) from click, or from the click typer carries
        # inside it since 0.29: both name the option and exit 2
        if isinstance(err, (click.exceptions.ClickException, typer.TyperException)) and hasattr(
                err, "format_message"):
            _fail(err.format_message())
            sys.exit(int(getattr(err, "exit_code", 2)))
        logging.getLogger("kuozhong").debug("unexpected error", exc_info=True)
        _fail(f"unexpected {type(err).__name__}; run with --verbose for details")
        sys.exit(1)


if __name__ == "__main__":
    main()

