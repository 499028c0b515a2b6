"""The `kuozhong policy` commands: what a policy change does to the households, before it is made."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from models.policy import Policy

policy_app = typer.Typer(help="Program policy files (嵊政办发〔2023〕41号 and its revisions).", no_args_is_help=True)
console = Console()


def _households(path: Path, program: Policy) -> pd.DataFrame:
    """Feature rows: a built feature table (Parquet) or a raw-source folder (every application's features)."""
    from features.sources.load import SourceError

    if path.is_dir():
        from features.build.table import training_table
        from features.sources.load import load_sources

        with console.status("构建特征 building features"):
            return training_table(load_sources(path), program)
    if path.suffix == ".parquet" and path.exists():
        import pandas as pd

        return pd.read_parquet(path)
    raise SourceError(f"--households '{path}' must be a data folder (from `kuozhong simulate`) or a feature "
                      "Parquet file (from `kuozhong features`)")


@policy_app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The policy in force (YAML).")],
    new: Annotated[Path, typer.Argument(help="The proposed policy (YAML).")],
    households: Annotated[Path, typer.Option("--households", help="Data folder or feature Parquet.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the tables and the chart.")] = Path(
        "output/policy-diff"),
) -> None:
    """How many households change eligibility under NEW compared with OLD, by rule, township and class."""
    from models.policy import load_policy
    from models.policy.diff import STATUS_ZH, diff_policies
    from monitoring.policy_report import summary, write_report

    old_policy, new_policy = load_policy(old), load_policy(new)
    result = diff_policies(old_policy, new_policy, _households(households, old_policy))
    paths = write_report(result, out)
    head = summary(result)
    console.print(f"政策 {head['old_version']} → {head['new_version']}：{head['households']:,} 户中 "
                  f"{head['changed']:,} 户资格变化（新增符合 {head['newly_eligible']:,}，新增不符合 "
                  f"{head['newly_ineligible']:,}）；符合 {head['old_eligible']:,} → {head['new_eligible']:,}")
    rules = Table(title="按规则 by rule")
    for name in ("规则 rule", "原不通过 old fail", "新不通过 new fail", "通过→不通过", "不通过→通过"):
        rules.add_column(name, justify="right" if name != "规则 rule" else "left")
    for r in result.by_rule.itertuples():
        rules.add_row(str(r.rule), f"{r.old_fail:,}", f"{r.new_fail:,}", f"{r.pass_to_fail:,}", f"{r.fail_to_pass:,}")
    console.print(rules)
    for table, group, title in ((result.by_township, "township", "按乡镇 by township"),
                                (result.by_class, "household_class", "按家庭类别 by household class")):
        grid = Table(title=title)
        for name in ("", "户数", f"原{STATUS_ZH['pass']}", f"新{STATUS_ZH['pass']}", "新增符合", "新增不符合"):
            grid.add_column(name, justify="left" if not name else "right")
        for r in table.itertuples():
            grid.add_row(str(getattr(r, group)), f"{r.households:,}", f"{r.old_eligible:,}", f"{r.new_eligible:,}",
                         f"{r.newly_eligible:,}", f"{r.newly_ineligible:,}")
        console.print(grid)
    console.print(f"图表 chart: {paths['chart']} · 表格 tables: {out}")
