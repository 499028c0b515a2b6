"""Charts of the year-end report beyond the 成效监测表's own: the breakdowns and the 贴息 claims against the budget."""

from __future__ import annotations

import pandas as pd

from monitoring.subsidy_progress import SubsidyProgress
from training.plots import chinese_figures, png_bytes

BLUE, AMBER, GREY = "#284678", "#b26a00", "#444444"


def breakdown_chart(frame: pd.DataFrame, title: str) -> bytes:
    """Loan balance (万元) and households signed and benefiting (户) side by side, one bar per row of a breakdown."""
    import matplotlib.pyplot as plt

    names = frame.iloc[:, 0].astype(str).tolist()[::-1]
    with chinese_figures():
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.5 * len(names) + 1.6), sharey=True)
        left.barh(names, frame["贷款余额(万元)"].astype(float).tolist()[::-1], color=BLUE)
        left.set_xlabel("贷款余额（万元）")
        signed = frame["签约授信家庭(户)"].astype(float).tolist()[::-1]
        benefiting = frame["惠及家庭(户)"].astype(float).tolist()[::-1]
        y = range(len(names))
        right.barh([i + 0.2 for i in y], signed, height=0.4, color=AMBER, label="签约授信家庭")
        right.barh([i - 0.2 for i in y], benefiting, height=0.4, color=BLUE, label="惠及家庭")
        right.set_xlabel("户")
        right.legend(fontsize=8, loc="lower right")
        fig.suptitle(title)
        fig.tight_layout()
        return png_bytes(fig)


def subsidy_chart(progress: SubsidyProgress) -> bytes:
    """Each month's 贴息 claim (万元) as bars, the year's running total as a line, the budget as a dashed line."""
    import matplotlib.pyplot as plt

    months = progress.months
    with chinese_figures():
        fig, ax = plt.subplots(figsize=(9, 4))
        labels = [f"{int(m[5:])}月" for m in months["month"]]
        claimed = months["claimed"].astype(float) / 10_000
        ax.bar(labels, claimed, color=BLUE, label="当月申请贴息")
        ax.plot(labels, claimed.cumsum(), color=AMBER, marker="o", label="累计申请贴息")
        if progress.budget:
            ax.axhline(progress.budget / 10_000, color=GREY, linestyle="--", label=f"{progress.year}年预算")
        ax.set_ylabel("万元")
        if progress.budget:
            ax.text(0.01, 0.9, f"累计申请{progress.claimed / 10_000:,.2f}万元，占预算{progress.claimed / progress.budget:.1%}",
                    transform=ax.transAxes, fontsize=9)
        ax.set_title(f"{progress.year}年贴息资金申请进度")
        ax.legend(fontsize=8)
        fig.tight_layout()
        return png_bytes(fig)
