"""Writing the 成效监测表 (XLSX, Chinese headers) and the monitoring HTML reports with charts, atomically."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from features.files import write_bytes_atomic
from monitoring.drift import DriftReport
from monitoring.kpi import KpiReport
from training.plots import chinese_figures, png_bytes


def _atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)


def write_kpi_xlsx(report: KpiReport, extra: dict[str, pd.DataFrame], path: Path) -> Path:
    """The 成效监测表 workbook: the KPI sheet first, then breakdowns and follow-up lists."""
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        report.table.drop(columns=["key"]).to_excel(writer, sheet_name="成效监测表", index=False)
        report.by_township.to_excel(writer, sheet_name="分乡镇", index=False)
        report.by_manager.to_excel(writer, sheet_name="分客户经理", index=False)
        for name, frame in extra.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    _atomic_bytes(path, buf.getvalue())
    return path


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def kpi_charts(report: KpiReport) -> dict[str, bytes]:
    """Progress against the year's target, and the monthly trend of signings, credit and balance."""
    import matplotlib.pyplot as plt

    charts = {}
    with chinese_figures():
        t = report.table.dropna(subset=["完成率"])
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.barh(t["指标"], t["完成率"].clip(upper=150), color=["#1a7f37" if v >= 100 else "#b26a00"
                                                             for v in t["完成率"]])
        ax.axvline(100, color="#444", linestyle="--")
        ax.set_xlabel("完成率 (%)")
        ax.set_title(f"截至{report.as_of.date()}指标完成情况")
        charts["progress"] = png_bytes(fig)
        m = report.monthly
        if len(m):
            fig, ax = plt.subplots(figsize=(8, 3.5))
            x = np.arange(len(m))
            ax.plot(x, m["credit_granted"] / 10_000, marker="o", label="累计授信(万元)")
            ax.plot(x, m["loan_balance"] / 10_000, marker="s", label="月末贷款余额(万元)")
            ax.set_xticks(x, list(m["month"]))
            ax.set_title("月度趋势")
            ax.legend()
            ax.tick_params(axis="x", rotation=60)
            charts["trend"] = png_bytes(fig)
    return charts


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, na_rep="—", float_format=lambda v: f"{v:,.2f}", border=0, classes="t")


_STYLE = ("<style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:2em;color:#222}"
          "table.t{border-collapse:collapse;margin:.6em 0}table.t td,table.t th{border:1px solid #bbb;"
          "padding:3px 8px}</style>")


def write_kpi_html(report: KpiReport, extra: dict[str, pd.DataFrame], path: Path) -> Path:
    """The monitoring report: the KPI table with each indicator's definition, charts and follow-up lists."""
    charts = kpi_charts(report)
    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>成效监测表 {report.as_of.date()}"
             f"</title>{_STYLE}</head><body><h1>财金助力扩中家庭项目成效监测表</h1>",
             f"<p>统计日 {report.as_of.date()}</p>", _table_html(report.table.drop(columns=["key"])),
             *(_img(png, name) for name, png in charts.items()),
             "<h2>分乡镇</h2>", _table_html(report.by_township), "<h2>分客户经理</h2>", _table_html(report.by_manager)]
    for name, frame in extra.items():
        parts += [f"<h2>{html.escape(name)}（{len(frame)}）</h2>", _table_html(frame.head(200))]
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
