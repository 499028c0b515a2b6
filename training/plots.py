"""Validation plots with Chinese labels: ROC, KS, calibration, score by outcome, lift, SHAP beeswarm/bar/dependence."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from training.evaluate import calibration_table, lift_by_decile

CJK_FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "Droid Sans Fallback")


def cjk_font() -> str | None:
    """The first installed font family that draws Chinese (Debian's fonts-noto-cjk), registered with matplotlib."""
    from matplotlib import font_manager

    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in Path(path).name or "NotoSerifCJK" in Path(path).name or "wqy" in path.lower():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):
                continue
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FONT_FAMILIES if family in names), None)


@contextmanager
def chinese_figures() -> Iterator[None]:
    """Matplotlib settings (headless backend, CJK font, ASCII minus) for the length of a block."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = cjk_font()
    rc: dict[str, Any] = {"axes.unicode_minus": False, "figure.dpi": 100}
    if family:
        rc["font.sans-serif"] = [family, "DejaVu Sans"]
        rc["font.family"] = "sans-serif"
    with plt.rc_context(rc):  # type: ignore[arg-type]
        yield
    plt.close("all")


def png_bytes(fig: object) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def performance_plots(y: np.ndarray, pd_: np.ndarray, pd_raw: np.ndarray, score: np.ndarray) -> dict[str, bytes]:
    """ROC, KS, calibration before/after, score distribution by outcome, bad rate and lift by decile."""
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    fpr, tpr, thr = roc_curve(y, pd_)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot(fpr, tpr, label="模型 model")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", label="随机 random")
    ax.set(xlabel="误拒率 假阳性率 (FPR)", ylabel="坏客户识别率 (TPR)", title="ROC 曲线")
    ax.legend(loc="lower right")
    out["roc"] = png_bytes(fig)

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot(np.linspace(0, 1, len(tpr)), tpr, label="坏客户累计占比 bads")
    ax.plot(np.linspace(0, 1, len(fpr)), fpr, label="好客户累计占比 goods")
    k = int(np.argmax(tpr - fpr))
    ax.vlines(k / max(len(tpr) - 1, 1), fpr[k], tpr[k], colors="red", label=f"KS = {tpr[k] - fpr[k]:.3f}")
    ax.set(xlabel="按PD从高到低的阈值位置", ylabel="累计占比", title="KS 曲线")
    ax.legend(loc="lower right")
    out["ks"] = png_bytes(fig)

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, p in (("校准前 before", pd_raw), ("校准后 after", pd_)):
        table = calibration_table(y, p)
        ax.plot(table["mean_pd"], table["bad_rate"], marker="o", label=label)
    top = float(max(np.max(pd_), np.max(pd_raw), 0.05))
    ax.plot([0, top], [0, top], ls="--", c="grey", label="完美校准 ideal")
    ax.set(xlabel="预测违约概率 (分箱均值)", ylabel="实际违约率", title="校准曲线")
    ax.legend()
    out["calibration"] = png_bytes(fig)

    fig, ax = plt.subplots(figsize=(5, 4.5))
    bins = np.linspace(float(np.min(score)), float(np.max(score)), 30).tolist()
    ax.hist(score[y == 0], bins=bins, alpha=0.6, density=True, label="正常 good")
    ax.hist(score[y == 1], bins=bins, alpha=0.6, density=True, label="违约 bad")
    ax.set(xlabel="信用评分", ylabel="密度", title="按结果的评分分布")
    ax.legend()
    out["score_distribution"] = png_bytes(fig)

    lift = lift_by_decile(y, score)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.bar(lift["decile"], lift["lift"])
    ax.axhline(1.0, ls="--", c="grey")
    ax.set(xlabel="评分十分位 (1 = 风险最高)", ylabel="提升度 lift", title="分十分位的提升度")
    out["lift"] = png_bytes(fig)
    return out


def _swarm_offsets(x: np.ndarray, rng: np.random.Generator, width: float = 0.4) -> np.ndarray:
    """Vertical offsets of a beeswarm row: spread as wide as the points are dense at their value."""
    if len(x) == 0:
        return np.zeros(0)
    counts, edges = np.histogram(x, bins=40)
    dense = counts[np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(counts) - 1)] / max(counts.max(), 1)
    return rng.uniform(-1.0, 1.0, len(x)) * width * np.sqrt(dense)


def shap_plots(contrib: np.ndarray, expected: np.ndarray, X: pd.DataFrame, features: Sequence[str],
               labels_zh: Mapping[str, str], top_dependence: int = 3, max_display: int = 15) -> dict[str, bytes]:
    """SHAP beeswarm and bar over all rows, and dependence plots of the top features, labelled in Chinese.

    Drawn with matplotlib from the contributions themselves (the ``shap`` package's plots would cost its import,
    numba's included, on every training run): a row per feature, most important on top, each point a row of the
    sample coloured by its value (black when missing); the bar is the mean |SHAP|.
    """
    import matplotlib.pyplot as plt

    data = pd.DataFrame({f: (X[f].astype("category").cat.codes.where(X[f].notna()).astype(float)
                             if not pd.api.types.is_numeric_dtype(X[f]) else pd.to_numeric(X[f], errors="coerce"))
                         for f in features})
    names = [labels_zh.get(f) or f for f in features]
    order = np.argsort(-np.abs(contrib).mean(axis=0), kind="stable")
    shown = order[:max_display][::-1]  # drawn bottom to top
    rng = np.random.default_rng(0)
    out: dict[str, bytes] = {}

    fig, ax = plt.subplots(figsize=(7, 0.42 * len(shown) + 1.6))
    points = None
    for row, j in enumerate(shown):
        x, v = contrib[:, j], data.iloc[:, j].to_numpy(dtype=float)
        y = row + _swarm_offsets(x, rng)
        known = np.isfinite(v)
        low, high = (np.nanpercentile(v[known], [5, 95]) if known.any() else (0.0, 1.0))
        shade = np.clip((v - low) / (high - low if high > low else 1.0), 0.0, 1.0)
        ax.scatter(x[~known], y[~known], s=7, c="black", linewidths=0)
        points = ax.scatter(x[known], y[known], s=7, c=shade[known], cmap="coolwarm", vmin=0, vmax=1, linewidths=0)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_yticks(range(len(shown)), [names[j] for j in shown])
    ax.set(xlabel="SHAP 值 (对数几率, 正值=风险更高)", title=f"SHAP 特征贡献 ({len(contrib):,} 行样本)")
    if points is not None:
        bar = fig.colorbar(points, ax=ax, ticks=[0, 1], pad=0.02, aspect=30)
        bar.ax.set_yticklabels(["低", "高"])
        bar.set_label("特征取值 (黑=缺失)")
    out["shap_beeswarm"] = png_bytes(fig)

    mean_abs = np.abs(contrib).mean(axis=0)
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(shown) + 1.6))
    ax.barh(range(len(shown)), mean_abs[shown], color="#1f77b4")
    ax.set_yticks(range(len(shown)), [names[j] for j in shown])
    ax.set(xlabel="平均 |SHAP 值| (对数几率)", title="平均 |SHAP| 特征重要性")
    out["shap_bar"] = png_bytes(fig)

    for rank, j in enumerate(order[:top_dependence], start=1):
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.scatter(data.iloc[:, j], contrib[:, j], s=8, alpha=0.6, linewidths=0)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set(xlabel=names[j], ylabel="SHAP 值 (对数几率)", title=f"依赖图: {names[j]}")
        column = X[features[j]]
        if not pd.api.types.is_numeric_dtype(column):  # categories at their codes, named by their levels
            levels = [str(level) for level in column.astype("category").cat.categories]
            ax.set_xticks(range(len(levels)), levels, rotation=30 if len(levels) > 4 else 0, ha="right")
        out[f"shap_dependence_{rank}_{features[j]}"] = png_bytes(fig)
    del expected  # the contributions are read against the model's expected value; the plots show them alone
    return out
