"""The policy diff as files for program staff: tables (CSV), a summary (JSON) and a chart (PNG), written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from features.files import atomic_path, write_text_atomic
from models.policy.diff import PolicyDiff
from training.plots import chinese_figures


def summary(diff: PolicyDiff) -> dict:
    """Headline counts of the diff."""
    h = diff.households
    return {"old_version": diff.old_version, "new_version": diff.new_version, "households": len(h),
            "old_eligible": int((h["old_status"] == "pass").sum()), "new_eligible": int((h["new_status"] == "pass").sum()),
            "changed": diff.changed, "newly_eligible": diff.newly_eligible, "newly_ineligible": diff.newly_ineligible}


def write_report(diff: PolicyDiff, out: Path) -> dict[str, Path]:
    """Write summary.json, by_rule.csv, by_township.csv, by_class.csv and policy_diff.png into ``out``."""
    out = Path(out)
    paths = {"summary": out / "summary.json", "by_rule": out / "by_rule.csv", "by_township": out / "by_township.csv",
             "by_class": out / "by_class.csv", "chart": out / "policy_diff.png"}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(paths["summary"], json.dumps(summary(diff), ensure_ascii=False, indent=2))
    for key, table in (("by_rule", diff.by_rule), ("by_township", diff.by_township), ("by_class", diff.by_class)):
        with atomic_path(paths[key]) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8")
    with atomic_path(paths["chart"]) as tmp:
        _chart(diff, tmp)
    return paths


def _chart(diff: PolicyDiff, path: Path) -> None:
    with chinese_figures():  # the CJK font for this chart only: no process-wide setting changes
        _draw(diff, path)


def _draw(diff: PolicyDiff, path: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, axes = plt.subplots(1, 3, figsize=(15, 5), constrained_layout=True)
    rules = diff.by_rule
    axes[0].barh(rules["rule"], rules["pass_to_fail"], color="#c0392b", label="通过→不通过 pass→fail")
    axes[0].barh(rules["rule"], -rules["fail_to_pass"], color="#27ae60", label="不通过→通过 fail→pass")
    axes[0].set_title("按规则 by rule")
    axes[0].legend(fontsize=8)
    for ax, table, group, title in ((axes[1], diff.by_township, "township", "按乡镇 by township"),
                                    (axes[2], diff.by_class, "household_class", "按家庭类别 by class")):
        labels = table[group].astype(str)
        ax.barh(labels, table["newly_ineligible"], color="#c0392b", label="新增不符合 newly ineligible")
        ax.barh(labels, -table["newly_eligible"], color="#27ae60", label="新增符合 newly eligible")
        ax.set_title(title)
        ax.legend(fontsize=8)
    for ax in axes:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{abs(x):g}"))
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("户数 households (左: 新增符合 / 右: 新增不符合)")
    fig.suptitle(f"政策调整影响 policy {diff.old_version} → {diff.new_version}: {diff.changed} 户资格变化")
    fig.savefig(path, format="png", dpi=110)
    plt.close(fig)
