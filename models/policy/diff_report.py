"""The policy diff as files for program staff: tables (CSV), a summary (JSON) and a chart (PNG), written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from models.policy.diff import PolicyDiff

_CJK_FONTS = ["Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei", "DejaVu Sans"]


def _atomic(path: Path, write) -> None:  # noqa: ANN001 - a callable taking the temporary path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
    _atomic(paths["summary"], lambda p: p.write_text(json.dumps(summary(diff), ensure_ascii=False, indent=2),
                                                     encoding="utf-8"))
    for key, table in (("by_rule", diff.by_rule), ("by_township", diff.by_township), ("by_class", diff.by_class)):
        _atomic(paths[key], lambda p, t=table: t.to_csv(p, index=False, encoding="utf-8"))
    _atomic(paths["chart"], lambda p: _chart(diff, p))
    return paths


def _chart(diff: PolicyDiff, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plt.rcParams["font.sans-serif"] = _CJK_FONTS
    plt.rcParams["axes.unicode_minus"] = False
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
