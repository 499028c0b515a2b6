"""The monitoring HTML reports with charts (the 成效监测表 page and the drift report), written atomically."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from features.files import write_bytes_atomic
from monitoring.drift import DriftReport
from monitoring.kpi import KpiReport
from monitoring.stage4 import Stage4Report
from training.plots import chinese_figures, png_bytes


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)


LIST_ROWS = 200


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def kpi_charts(report: KpiReport) -> dict[str, bytes]:
    """Progress against the year's target, and each cumulative indicator's month-ends against its target."""
    import matplotlib.pyplot as plt

    charts = {}
    with chinese_figures():
        t = report.table.dropna(subset=["完成率"])
        fig, ax = plt.subplots(figsize=(8, 4.5))
        done = t["完成率"].astype(float) * 100
        ax.barh(t["指标"][::-1], done.clip(upper=150)[::-1],
                color=["#1a7f37" if v >= 100 else "#b26a00" for v in done[::-1]])
        ax.axvline(100, color="#444", linestyle="--")
        ax.set_xlabel("完成率 (%)")
        ax.set_title(f"截至{report.as_of.date()}指标完成情况（{report.scope.label()}）")
        fig.tight_layout()  # room for the indicators' long names, which would otherwise be cut at the left edge
        charts["progress"] = png_bytes(fig)
        m = report.monthly
        if len(m) > 1:
            fig, axes = plt.subplots(2, 2, figsize=(10, 6))
            for ax, key in zip(axes.flat, ("households_visited", "households_signed", "credit_granted",
                                           "loan_balance"), strict=True):
                row = report.table.set_index("key").loc[key]
                ax.plot(m["date"], m[key], marker=".", label="实际")
                ax.step(m["date"], m[f"target_{key}"], where="post", linestyle="--", color="#b26a00", label="当年目标")
                ax.set_title(f"{row['指标']}（{row['单位']}）", fontsize=10)
                ax.tick_params(axis="x", rotation=30, labelsize=7)
                ax.legend(fontsize=7)
            fig.tight_layout()
            charts["trend"] = png_bytes(fig)
    return charts


def _table_html(frame: pd.DataFrame) -> str:
    """A table that scrolls sideways inside the page on a phone instead of widening it."""
    table = frame.to_html(index=False, na_rep="—", float_format=lambda v: f"{v:,.2f}", border=0, classes="t")
    return f'<div class="scroll">{table}</div>'


_STYLE = ("<meta name='viewport' content='width=device-width, initial-scale=1'>"
          "<style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em auto;padding:0 1em;max-width:80em;"
          "color:#222}img{max-width:100%;height:auto}.scroll{overflow-x:auto}"
          "table.t{border-collapse:collapse;margin:.6em 0}table.t td,table.t th{border:1px solid #bbb;"
          "padding:3px 8px}table.t th{white-space:nowrap;background:#eef2f7}</style>")


def write_kpi_html(report: Stage4Report, path: Path) -> Path:
    """The monitoring report: the KPI table with each indicator's definition, charts, breakdowns and lists."""
    kpi = report.kpi
    charts = kpi_charts(kpi)
    shown_table = kpi.table.drop(columns=["key"]).assign(
        完成率=[None if v is None or pd.isna(v) else f"{v:.1%}" for v in kpi.table["完成率"]])
    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>成效监测表 {kpi.as_of.date()}"
             f"</title>{_STYLE}</head><body><h1>财金助力扩中家庭项目成效监测表</h1>",
             f"<p>统计截止日 {kpi.as_of.date()} · 范围 {html.escape(kpi.scope.label())}"
             f"{f' · 数据截至 {report.data_until.date()}' if report.data_until is not None else ''}</p>",
             _table_html(shown_table), *(_img(png, name) for name, png in charts.items()),
             "<h2>分乡镇</h2>", _table_html(kpi.by_township), "<h2>分客户经理</h2>", _table_html(kpi.by_manager),
             "<h2>分产品</h2>", _table_html(kpi.by_product)]
    for name, frame in report.sheets().items():
        more = f"，下表列前{LIST_ROWS}条，全部见成效监测表工作簿" if len(frame) > LIST_ROWS else ""
        parts += [f"<h2>{html.escape(name)}（共{len(frame)}条{more}）</h2>", _table_html(frame.head(LIST_ROWS))]
    parts.append("</body></html>")
    _atomic_bytes(path, "\n".join(parts).encode("utf-8"))
    return path


def write_drift_html(report: DriftReport, path: Path) -> Path:
    """The drift report: PSI table with readings, a PSI chart, performance and approval shifts."""
    import matplotlib.pyplot as plt

    with chinese_figures():
        top = report.stability.sort_values("psi", ascending=False).head(15)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        ax.barh(top["variable"][::-1], top["psi"][::-1],
                color=["#c62828" if v > 0.25 else "#b26a00" if v > 0.1 else "#1a7f37" for v in top["psi"][::-1]])
        for cut in (0.1, 0.25):
            ax.axvline(cut, color="#444", linestyle="--")
        ax.set_title("群体稳定性指数 PSI")
        chart = png_bytes(fig)
    stability = report.stability.assign(psi=np.round(report.stability["psi"], 4))
    body = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>模型监测 {report.as_of.date()}"
            f"</title>{_STYLE}</head><body><h1>模型监测报告</h1>",
            f"<p>基准期 {report.n_reference} 笔（{report.recent_from.date()} 之前），近期 {report.n_recent} 笔"
            f"（至 {report.as_of.date()}）。总体状态：{html.escape(report.status)}</p>",
            _img(chart, "PSI"), "<h2>稳定性</h2>", _table_html(stability),
            "<h2>区分度与校准</h2>", _table_html(report.performance),
            "<h2>审批率变化</h2>", _table_html(report.approval_shift), "</body></html>"]
    _atomic_bytes(path, "\n".join(body).encode("utf-8"))
    return path
