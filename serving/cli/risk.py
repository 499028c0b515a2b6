"""The risk team's commands: train, tune, promote and validate (registered on the `kuozhong` CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from features.datasets import Dataset
    from models.policy import Policy

console = Console()

DatasetOpt = Annotated[str | None, typer.Option(
    "--dataset", help="Shipped dataset (simulated-county, german-credit) or a dataset config YAML.")]
DataOpt = Annotated[Path, typer.Option("--data", help="Folder of raw county sources (when no --dataset).")]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: 嵊政办发〔2023〕41号).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for the split, the trees and the tuner.")]


def _read_params(path: Path | None) -> dict[str, object] | None:
    import json

    import yaml

    from models.credit.model import ParamsError, check_params

    if path is None:
        return None
    if not path.is_file():
        raise ParamsError(f"--params = '{path}': no such file")
    text = path.read_text(encoding="utf-8")
    try:
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as err:
        raise ParamsError(f"--params = '{path}': not valid JSON (line {err.lineno}, column {err.colno}: "
                          f"{err.msg})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ParamsError(f"--params = '{path}': not valid YAML ({where}{getattr(err, 'problem', None) or err})"
                          ) from None
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise ParamsError(f"--params = '{path}': must be a mapping of LightGBM parameter names to values")
    # checked here as well as in train_dataset, so a bad file fails before the dataset loads (the check takes ~40 ms)
    check_params(loaded, source=f"--params = '{path}'")
    return loaded


def _dataset(dataset: str | None, data: Path, policy: Policy) -> Dataset:
    from features.datasets import load_dataset

    if dataset is None:
        return load_dataset("simulated-county", data=data, program=policy)
    return load_dataset(dataset, data=data if dataset == "simulated-county" and data.exists() else None,
                        program=policy)


def train(
    dataset: DatasetOpt = None,
    data: DataOpt = Path("output/data"),
    params: Annotated[Path | None, typer.Option("--params", help="YAML/JSON of LightGBM parameters.")] = None,
    policy: PolicyOpt = None,
    seed: SeedOpt = 0,
    alias: Annotated[str, typer.Option("--alias", help="Registry alias to set on the new version.")] = "challenger",
    split: Annotated[str | None, typer.Option("--split", help="out-of-time or random (default: the config's).")] = None,
    reject_inference: Annotated[str | None, typer.Option(
        "--reject-inference", help="Rows without an outcome (declined, never booked): none (left out), "
        "augmentation, parcelling or fuzzy (default: the config's, else none).")] = None,
    through_the_cycle: Annotated[bool, typer.Option(
        "--through-the-cycle/--as-booked", help="Weigh loans whose year met one of the policy's stress events "
        "(cycle:) back to the event's long-run share, or train on the book as it was.")] = True,
) -> None:
    """Train the LightGBM credit model, validate it, log it to MLflow and register it under an alias."""
    from features.datasets import DatasetError
    from models.policy import load_policy
    from training.reject import check_method
    from training.train import train_dataset

    if split not in (None, "out-of-time", "random", "test-file"):
        raise DatasetError(f"--split = {split!r}: must be 'out-of-time', 'random' or 'test-file'")
    if reject_inference is not None:
        check_method(reject_inference)  # before the dataset loads
    pol = load_policy(policy)
    lgb_params = _read_params(params)
    with console.status("loading the dataset"):
        ds = _dataset(dataset, data, pol)
    with console.status(f"training and validating on {len(ds.frame):,} rows of {ds.name}"):
        result = train_dataset(ds, pol, seed=seed, alias=alias, params=lgb_params, split=split,  # type: ignore[arg-type]
                               reject_inference=reject_inference, through_the_cycle=through_the_cycle)
    m = result.metrics
    console.print(f"registered {result.model_name} v{result.model_version} as @{alias} · run {result.run_id} · "
                  f"holdout AUC {m['auc']:.3f} KS {m['ks']:.3f} ECE {m['ece']:.3f}")
    if result.validation is not None:
        console.print(f"验证集 holdout: {result.validation.split}")
        ri = result.validation.reject_inference
        if ri:
            console.print(f"拒绝推断 reject inference: {ri['method']} · accepted rows {ri['accepted_rows']:,}, "
                          f"rows from rejects {ri['reject_rows']:,}, left out {ri['rejects_left_out']:,}")


def tune(
    trials: Annotated[int, typer.Option("--trials", min=1, help="Finished trials the study should hold.")] = 30,
    timeout: Annotated[float | None, typer.Option("--timeout", min=1, help="Stop after this many seconds.")] = None,
    dataset: DatasetOpt = None,
    data: DataOpt = Path("output/data"),
    policy: PolicyOpt = None,
    seed: SeedOpt = 0,
    study: Annotated[str | None, typer.Option("--study", help="Study name (same name resumes).")] = None,
) -> None:
    """Tune LightGBM with Optuna (TPE from the defaults, pruning, CV on small data); the chosen trial is @challenger."""
    from rich.progress import Progress

    from models.policy import load_policy
    from training.tune import tune as run_tune

    pol = load_policy(policy)
    with console.status("loading the dataset"):
        ds = _dataset(dataset, data, pol)
    with Progress(console=console) as bar:
        task = bar.add_task("tuning", total=trials)

        def step(number: int, best: float) -> None:
            bar.update(task, advance=1, description=f"tuning · best CV AUC {best:.4f}")

        result = run_tune(ds, pol, trials=trials, timeout=timeout, seed=seed, study_name=study, progress=step)
    trained = result.trained
    assert trained is not None
    console.print(f"study {result.study_name}: {result.n_trials} trials, best CV AUC {result.best_value:.4f} · "
                  f"retrained trial {result.chosen_trial} ({result.chosen_because}) · "
                  f"registered {trained.model_name} v{trained.model_version} as @challenger · "
                  f"holdout AUC {trained.metrics['auc']:.3f}")


ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="Registered model (default: the --dataset's, else the county's kuozhong-credit).")]
NamedDatasetOpt = Annotated[str | None, typer.Option(
    "--dataset", help="Dataset (shipped name or config YAML) whose registered model is meant; only its name is read.")]


def _model_name(model: str | None, dataset: str | None) -> str:
    from features.datasets import DatasetError, load_config
    from training.tracking import MODEL_NAME, model_name_for

    if model and dataset:
        raise DatasetError("--model and --dataset both name the registered model; give one",
                           field="--model", value=model, rule="one of --model, --dataset")
    if model:
        return model
    return model_name_for(load_config(dataset)[0].name) if dataset else MODEL_NAME


def promote(
    version: Annotated[str, typer.Argument(help="Registered version of the model to promote.")],
    model: ModelOpt = None,
    dataset: NamedDatasetOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even if gates fail (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the gates are overridden (logged).")] = None,
) -> None:
    """Move MODEL@champion to VERSION when the gates pass on its recorded holdout; the results go on the run."""
    from training.promote import promote as run_promote

    name = _model_name(model, dataset)
    result = run_promote(version, force=force, reason=reason, name=name)
    table = Table(title=f"promotion gates · {name} v{version} (champion was {result.previous_champion or '—'})")
    for col in ("gate", "value", "threshold", "result", "detail"):
        table.add_column(col)
    for g in result.gates:
        table.add_row(g.name, f"{g.value:.4f}", f"{g.threshold:.4f}", "[green]pass[/]" if g.passed else "[red]fail[/]",
                      g.detail)
    console.print(table)
    if not result.promoted:
        from training.promote import PromotionError

        raise PromotionError(f"version {version} not promoted: gates failed "
                             f"({', '.join(g.name for g in result.gates if not g.passed)}); use --force --reason")
    console.print(f"{name}@champion → v{version}" + (" (forced)" if result.forced else ""))


def validate(
    version: Annotated[str, typer.Argument(help="Registered version (or @alias) to validate.")],
    model: ModelOpt = None,
    dataset: NamedDatasetOpt = None,
    policy: PolicyOpt = None,
    seed: SeedOpt = 0,
    out: Annotated[Path, typer.Option("--out", help="HTML validation report to write.")] = Path(
        "output/validation_report.html"),
) -> None:
    """Validate a registered version on the holdout its training run recorded and write the HTML report."""
    from models.policy import load_policy
    from training.report import render_report, write_report
    from training.revalidate import revalidate

    name = _model_name(model, dataset)
    pol = load_policy(policy)
    with console.status("validating on the recorded holdout"):
        result = revalidate(version, name, pol, seed=seed)
    write_report(render_report(result.validation, name, result.version, result.run_id, pol.version), out)
    m = result.validation.metrics
    console.print(f"{name} v{result.version}: AUC {m['auc']:.3f} KS {m['ks']:.3f} ECE {m['ece']:.3f} · "
                  f"monotonicity {'holds' if result.validation.monotonicity_holds else 'VIOLATED'} · report {out}")
    console.print(f"数据 data: {result.data_used}")
