"""The HTML validation report a model-risk reviewer reads: metrics, calibration, stability, monotonicity, fairness."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import jinja2

from features.files import write_text_atomic
from training.reject import METHOD_ZH
from training.validation import Validation

TEMPLATE = Path(__file__).parent / "templates" / "validation_report.html"
SUMMARY_NAMES = {
    "learner": "学习器 learner", "cv_folds": "交叉拟合成员数 cross-fitted members",
    "member_iterations": "各成员树数 trees per member", "trees": "树总数 trees", "total_leaves": "叶子总数 leaves",
    "num_leaves": "每树最多叶子 num_leaves", "max_depth": "最大深度 max_depth", "learning_rate": "学习率 learning rate",
    "features": "特征数 features", "categorical_features": "其中类别特征 categorical",
    "monotone_features": "单调约束特征 monotone-constrained", "calibration": "概率校准 calibration",
    "model_hash": "模型哈希 model hash (SHA-256, 前16位)",
}
SLICE_NAMES = {"sex": "性别", "age_band": "年龄段", "township": "乡镇", "household_class": "家庭类别",
               "livelihood": "主要生计", "foreign_worker": "外籍劳工"}


def render_report(validation: Validation, model_name: str, model_version: str, run_id: str,
                  policy_version: str) -> str:
    """The report as one self-contained HTML page (plots embedded as PNG)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True)
    images = {name: base64.b64encode(png).decode("ascii") for name, png in validation.plots.items()}
    return env.get_template(TEMPLATE.name).render(
        v=validation, images=images, model_name=model_name, model_version=model_version, run_id=run_id,
        policy_version=policy_version, created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        labels={"score": "信用评分", **validation.labels_zh}, slice_names=SLICE_NAMES, summary_names=SUMMARY_NAMES,
        reject_names=METHOD_ZH,
        metric_names={"auc": "AUC", "gini": "Gini", "ks": "KS", "brier": "Brier", "log_loss": "对数损失 log loss",
                      "ece": "期望校准误差 ECE"})


def write_report(html: str, path: Path) -> Path:
    """Write the report via a temporary file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, html)
    return path
