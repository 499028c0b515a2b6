"""Validation plots with Chinese labels: ROC, KS, calibration, score by outcome, lift, SHAP beeswarm/bar/dependence.

The performance plots are drawn on fixed margins (one layout pass per figure); the SHAP plots are shap's own,
drawn from the model's exact TreeSHAP values and cropped to their labels.
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


def shap_plots(contrib: np.ndarray, expected: np.ndarray, X: pd.DataFrame, features: Sequence[str],
               labels_zh: Mapping[str, str], top_dependence: int = 3) -> dict[str, bytes]:
    """SHAP beeswarm and bar over all rows, and dependence plots of the top features, labelled in Chinese."""
    import matplotlib.pyplot as plt
    import shap

    data = pd.DataFrame({f: (X[f].astype("category").cat.codes.where(X[f].notna()).astype(float)
                             if not pd.api.types.is_numeric_dtype(X[f]) else pd.to_numeric(X[f], errors="coerce"))
                         for f in features})
    names = [labels_zh.get(f) or f for f in features]
    explanation = shap.Explanation(values=contrib, base_values=expected, data=data.to_numpy(dtype=float),
                                   feature_names=names)
    out: dict[str, bytes] = {}
    shap.plots.beeswarm(explanation, max_display=15, show=False)
    plt.title("SHAP 特征贡献 (对数几率, 正值=风险更高)")
    out["shap_beeswarm"] = png_bytes(plt.gcf(), tight=True)
    shap.plots.bar(explanation, max_display=15, show=False)
    plt.title("平均 |SHAP| 特征重要性")
    out["shap_bar"] = png_bytes(plt.gcf(), tight=True)
    order = np.argsort(-np.abs(contrib).mean(axis=0))[:top_dependence]
    for rank, j in enumerate(order, start=1):
        fig, ax = plt.subplots(figsize=(5, 4))
        shap.plots.scatter(explanation[:, int(j)], ax=ax, show=False)
        ax.set_title(f"依赖图: {names[j]}")
        ax.set_ylabel("SHAP 值 (对数几率)")
        out[f"shap_dependence_{rank}_{features[j]}"] = png_bytes(fig, tight=True)
    return out
