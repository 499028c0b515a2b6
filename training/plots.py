"""Validation plots with Chinese labels: ROC, KS, calibration, score by outcome, lift, SHAP beeswarm/bar/dependence.

Drawn with matplotlib alone on fixed margins (one layout pass per figure), from the model's own TreeSHAP values.
"""

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
    """The first installed font family that draws Chinese (Debian's fonts-noto-cjk), registered with matplotlib.

    Matplotlib's own font list (cached across runs) is read first; the system's font files are scanned and
    registered only when it holds none of the families.
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if (family := next((f for f in CJK_FONT_FAMILIES if f in known), None)) is not None:
        return family
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


def png_bytes(fig: object, tight: bool = False) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed).

    The figure keeps the margins it was given: ``tight`` measures every text first to crop the figure to them,
    a second layout pass that costs as much as drawing. Fast zlib compression: the plots are drawn once per run.
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight" if tight else None,  # type: ignore[attr-defined]
                pil_kwargs={"compress_level": 1})
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def _figure() -> tuple[Any, Any]:
    """A 5 x 4.5 inch figure with one axes on fixed margins (room for the Chinese axis labels and title)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4.5))
    fig.subplots_adjust(left=0.15, right=0.96, bottom=0.12, top=0.92)
    return fig, ax


def performance_plots(y: np.ndarray, pd_: np.ndarray, pd_raw: np.ndarray, score: np.ndarray) -> dict[str, bytes]:
    """ROC, KS, calibration before/after, score distribution by outcome, bad rate and lift by decile."""
    out: dict[str, bytes] = {}
    fpr, tpr, thr = roc_curve(y, pd_)
    fig, ax = _figure()
    ax.plot(fpr, tpr, label="模型 model")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", label="随机 random")
    ax.set(xlabel="误拒率 假阳性率 (FPR)", ylabel="坏客户识别率 (TPR)", title="ROC 曲线")
    ax.legend(loc="lower right")
    out["roc"] = png_bytes(fig)

    fig, ax = _figure()
    ax.plot(np.linspace(0, 1, len(tpr)), tpr, label="坏客户累计占比 bads")
    ax.plot(np.linspace(0, 1, len(fpr)), fpr, label="好客户累计占比 goods")
    k = int(np.argmax(tpr - fpr))
    ax.vlines(k / max(len(tpr) - 1, 1), fpr[k], tpr[k], colors="red", label=f"KS = {tpr[k] - fpr[k]:.3f}")
    ax.set(xlabel="按PD从高到低的阈值位置", ylabel="累计占比", title="KS 曲线")
    ax.legend(loc="lower right")
    out["ks"] = png_bytes(fig)

    fig, ax = _figure()
    for label, p in (("校准前 before", pd_raw), ("校准后 after", pd_)):
        table = calibration_table(y, p)
        ax.plot(table["mean_pd"], table["bad_rate"], marker="o", label=label)
    top = float(max(np.max(pd_), np.max(pd_raw), 0.05))
    ax.plot([0, top], [0, top], ls="--", c="grey", label="完美校准 ideal")
    ax.set(xlabel="预测违约概率 (分箱均值)", ylabel="实际违约率", title="校准曲线")
    ax.legend()
    out["calibration"] = png_bytes(fig)

    fig, ax = _figure()
    bins = np.linspace(float(np.min(score)), float(np.max(score)), 30).tolist()
    ax.hist(score[y == 0], bins=bins, alpha=0.6, density=True, label="正常 good")
    ax.hist(score[y == 1], bins=bins, alpha=0.6, density=True, label="违约 bad")
    ax.set(xlabel="信用评分", ylabel="密度", title="按结果的评分分布")
    ax.legend()
    out["score_distribution"] = png_bytes(fig)

    lift = lift_by_decile(y, score)
    fig, ax = _figure()
    ax.bar(lift["decile"], lift["lift"])
    ax.axhline(1.0, ls="--", c="grey")
    ax.set(xlabel="评分十分位 (1 = 风险最高)", ylabel="提升度 lift", title="分十分位的提升度")
    out["lift"] = png_bytes(fig)
    return out


def _label_width(labels: Sequence[str], fontsize: float = 9.0) -> float:
    """Inches a column of tick labels takes: a Chinese character a full em, any other half of one."""
    ems = max((sum(1.05 if ord(ch) > 0x2E7F else 0.6 for ch in str(t)) for t in labels), default=1.0)
    return ems * fontsize / 72.0 + 0.3  # the ticks and their padding


def _feature_values(X: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """Each feature as floats for colouring and dependence (categories as their codes; missing as NaN)."""
    return pd.DataFrame({f: (X[f].astype("category").cat.codes.where(X[f].notna()).astype(float)
                             if not pd.api.types.is_numeric_dtype(X[f]) else pd.to_numeric(X[f], errors="coerce"))
                         for f in features}).to_numpy(dtype=float)


def _swarm_offsets(values: np.ndarray, bins: int = 100) -> np.ndarray:
    """Vertical offsets in (-0.4, 0.4) that stack points of nearly equal value side by side (a beeswarm row)."""
    span = float(np.ptp(values)) if len(values) else 0.0
    quant = np.round(bins * (values - values.min()) / (span + 1e-12)) if span > 0 else np.zeros(len(values))
    order = np.argsort(quant, kind="stable")
    q_sorted = quant[order]
    starts = np.r_[0, np.flatnonzero(np.diff(q_sorted)) + 1]
    layer = np.arange(len(values)) - np.repeat(starts, np.diff(np.r_[starts, len(values)]))
    offsets = np.empty(len(values))
    offsets[order] = np.ceil(layer / 2) * np.where(layer % 2 == 1, 1.0, -1.0)
    top = float(np.max(np.abs(offsets))) if len(offsets) else 0.0
    return offsets * (0.4 / top) if top > 0 else offsets


def shap_plots(contrib: np.ndarray, expected: np.ndarray, X: pd.DataFrame, features: Sequence[str],
               labels_zh: Mapping[str, str], top_dependence: int = 3, max_display: int = 15) -> dict[str, bytes]:
    """SHAP beeswarm and bar over all rows, and dependence plots of the top features, labelled in Chinese.

    Drawn from the model's exact TreeSHAP contributions (``CreditModel.contributions``) with matplotlib alone, on
    fixed margins sized to the labels (one layout pass per figure).
    """
    import matplotlib.pyplot as plt

    del expected  # the contributions are drawn about the expected value; it shifts no point
    values = _feature_values(X, features)
    names = [labels_zh.get(f) or f for f in features]
    importance = np.abs(contrib).mean(axis=0)
    shown = np.argsort(-importance, kind="stable")[:max_display][::-1]  # most important at the top
    rest = len(features) - len(shown)
    out: dict[str, bytes] = {}

    tick_labels = [names[j] for j in shown]
    left = _label_width(tick_labels)
    width = 4.8 + left
    height = 0.35 * len(shown) + 1.3
    fig = plt.figure(figsize=(width + 0.9, height))
    ax = fig.add_axes((left / (width + 0.9), 0.8 / height, 4.5 / (width + 0.9), (height - 1.3) / height))
    cax = fig.add_axes(((left + 4.65) / (width + 0.9), 0.8 / height, 0.12 / (width + 0.9), (height - 1.3) / height))
    cmap = plt.get_cmap("coolwarm")
    for row, j in enumerate(shown):
        column, v = contrib[:, j], values[:, j]
        known = ~np.isnan(v)
        ys = row + _swarm_offsets(column)
        ax.scatter(column[~known], ys[~known], s=9, c="#999999", linewidths=0, rasterized=True)
        if known.any():
            low, high = np.nanpercentile(v, [5, 95])
            if high <= low:
                low, high = float(np.nanmin(v)), float(np.nanmax(v))
            shade = np.clip((v[known] - low) / (high - low), 0, 1) if high > low else np.full(known.sum(), 0.5)
            ax.scatter(column[known], ys[known], s=9, c=cmap(shade), linewidths=0, rasterized=True)
    ax.axvline(0.0, c="#999999", lw=0.8)
    ax.set_yticks(range(len(shown)), tick_labels, fontsize=9)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlabel("SHAP 值 (对数几率, 正值=风险更高)")
    ax.set_title("SHAP 特征贡献" + (f" (另有 {rest} 个特征未列出)" if rest > 0 else ""))
    bar = fig.colorbar(plt.cm.ScalarMappable(cmap=cmap), cax=cax, ticks=[0, 1])
    bar.ax.set_yticklabels(["低", "高"])
    bar.set_label("特征值 feature value")
    out["shap_beeswarm"] = png_bytes(fig, tight=False)

    fig = plt.figure(figsize=(width + 0.4, height))
    ax = fig.add_axes((left / (width + 0.4), 0.8 / height, 4.5 / (width + 0.4), (height - 1.3) / height))
    ax.barh(range(len(shown)), importance[shown], color="#1f77b4")
    for row, j in enumerate(shown):
        ax.text(importance[j], row, f" {importance[j]:.3f}", va="center", fontsize=8)
    ax.set_yticks(range(len(shown)), tick_labels, fontsize=9)
    ax.set_xlim(0, float(importance[shown].max()) * 1.25 if len(shown) and importance[shown].max() > 0 else 1)
    ax.set_xlabel("平均 |SHAP| (对数几率)")
    ax.set_title("平均 |SHAP| 特征重要性")
    out["shap_bar"] = png_bytes(fig, tight=False)

    order = np.argsort(-importance, kind="stable")[:top_dependence]
    for rank, j in enumerate(order, start=1):
        fig, ax = plt.subplots(figsize=(5, 4))
        fig.subplots_adjust(left=0.16, right=0.96, bottom=0.14, top=0.9)
        x = values[:, int(j)]
        known = ~np.isnan(x)
        ax.scatter(x[known], contrib[known, int(j)], s=8, alpha=0.6, linewidths=0, rasterized=True)
        column = X[features[j]]
        if not pd.api.types.is_numeric_dtype(column):
            levels = list(column.astype("category").cat.categories)
            if len(levels) <= 12:
                shown_levels = [text if len(text := str(level)) <= 16 else text[:15] + "…" for level in levels]
                ax.set_xticks(range(len(levels)), shown_levels, rotation=30, ha="right", fontsize=8)
                fig.subplots_adjust(bottom=min(0.12 + _label_width(shown_levels, 8) * 0.5 / 4, 0.4))
        ax.axhline(0.0, c="#999999", lw=0.8)
        ax.set_xlabel(names[j])
        ax.set_title(f"依赖图: {names[j]}")
        ax.set_ylabel("SHAP 值 (对数几率)")
        out[f"shap_dependence_{rank}_{features[j]}"] = png_bytes(fig, tight=False)
    return out
