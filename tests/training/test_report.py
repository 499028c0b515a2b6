import re

import numpy as np
import pandas as pd

from training.report import render_report
from training.validation import Validation


def _validation() -> Validation:
    metrics = {"auc": 0.8, "gini": 0.6, "ks": 0.5, "brier": 0.08, "log_loss": 0.3, "ece": 0.01}
    return Validation(
        dataset="toy", n_train=100, n_test=50, split="out-of-time", metrics=metrics, metrics_uncalibrated=metrics,
        calibration_fit={"n": 100, "ece_before": 0.02, "ece_after": 0.01, "mean_pd_before": 0.1,
                         "mean_pd_after": 0.1, "bad_rate": 0.1},
        stability=pd.DataFrame({"variable": ["score", "queries_24m"], "psi": [0.02, 0.3],
                                "reading": ["稳定 stable", "显著偏移 shift"]}),
        monotonicity=pd.DataFrame({"feature": ["queries_24m"], "direction": [1], "rows_checked": [50],
                                   "violations": [0], "holds": [True]}),
        fairness=pd.DataFrame({"slice": ["township", "township"], "value": ["菜园镇", "花鸟乡"], "n": [40, 10],
                               "bad_rate": [0.1, 0.0], "auc": [0.8, np.nan], "auc_ratio": [1.0, np.nan],
                               "approval_rate": [0.5, 0.0], "approval_ratio": [1.0, 0.0]}),
        lift=pd.DataFrame({"decile": [1], "n": [50], "bad_rate": [0.1], "lift": [1.0]}),
        labels_zh={"queries_24m": "近24个月征信查询次数"},
        model_summary={"cv_folds": 5, "member_iterations": [46, 68], "model_hash": "26a8ab8d35bc6181"})


def test_the_report_names_features_and_slices_in_chinese_and_shows_no_nan():
    # given a validation with a slice too small for an AUC
    html = render_report(_validation(), "kuozhong-credit", "3", "run1", "2023-41.1")
    # when
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    # then the features carry their Chinese labels, the slice its Chinese name, and the missing AUC reads "—"
    assert "<td>queries_24m</td><td>近24个月征信查询次数</td>" in html
    assert "<td>score</td><td>信用评分</td>" in html
    assert "乡镇 township" in html
    assert not any(c.strip().lower() == "nan" for c in cells)
    assert cells.count("—") == 2


def test_the_report_opens_with_the_model_summary():
    # given / when
    html = render_report(_validation(), "kuozhong-credit", "3", "run1", "2023-41.1")
    # then
    assert "模型概况" in html
    assert "<td>交叉拟合成员数 cross-fitted members</td><td>5</td>" in html
    assert "<td>各成员树数 trees per member</td><td>46, 68</td>" in html


def test_the_fairness_section_shows_the_ratios_before_and_after_and_the_alternative():
    # given a validation with the before model's ratios and an alternatives search
    validation = _validation()
    validation.fairness = validation.fairness.assign(n=[40, 25],auc_before=[0.82, np.nan], approval_rate_before=[0.6, 0.12],
                                                     approval_ratio_before=[1.0, 0.2])
    validation.alternatives = pd.DataFrame({
        "candidate": ["chosen", "without_income"], "label_zh": ["所选模型", "去掉收入类特征"], "features": [40, 33],
        "auc": [0.80, 0.795], "worst_approval_ratio": [0.0, 0.31], "worst_group": ["township=花鸟乡"] * 2,
        "approval_rate": [0.4, 0.45], "within_tolerance": [True, True], "less_discriminatory": [False, True]})
    # when
    html = render_report(validation, "kuozhong-credit", "3", "run1", "2023-41.1")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    # then the before columns and the worst ratios before and after are there, and the alternative is marked
    assert "约束前批准率比" in html and "较少歧视的替代模型" in html
    assert "约束前 before: 0.20 (township=花鸟乡)" in html
    assert "<b>0.00</b> (township=花鸟乡)" in html
    assert "去掉收入类特征" in html and cells.count("★") == 1
    assert not any(c.strip().lower() == "nan" for c in cells)
