"""A bank's own table scored row by row: PD, score, grade and readable reasons that agree with their points."""

from __future__ import annotations

import re

import numpy as np
import pytest

from features.datasets import load_dataset
from models.policy import load_policy
from serving.batch.table import TOP_REASONS, score_frame
from training.train import fit_model, split_dataset


@pytest.fixture(scope="module")
def german():
    data = load_dataset("german-credit")
    train_idx, test_idx = split_dataset(data)
    model = fit_model(data, load_policy(), data.frame.iloc[train_idx], data.y[train_idx], seed=0)
    return data, model, data.frame.iloc[test_idx].reset_index(drop=True)


def test_every_reason_is_a_sentence_naming_its_label_and_its_points(german):
    # given a fitted German Credit model and its holdout rows
    data, model, rows = german
    # when
    scored = score_frame(model, rows)
    # then: the PDs are the model's, and every shown reason reads as a sentence with the same points
    np.testing.assert_allclose(scored["pd"], model.predict_pd(rows), atol=1e-9)
    shown = 0
    for k in range(1, TOP_REASONS + 1):
        real = scored[f"reason_{k}"].notna()
        assert scored.loc[~real, f"reason_{k}_text"].isna().all()
        for label, points, text in scored.loc[real, [f"reason_{k}_label", f"reason_{k}_points",
                                                    f"reason_{k}_text"]].itertuples(index=False):
            shown += 1
            assert text.startswith(label) or label in text, (label, text)
            if points == 0:
                assert text.endswith("对评分影响不足1分")
            else:
                said = re.search(r"评分(减少|增加)(\d+)分$", text)
                assert said is not None, text
                assert int(said.group(2)) == abs(int(points))
                assert (said.group(1) == "减少") == (points < 0), (points, text)
    assert shown >= len(rows)  # at least one reason a row on average
    # labels come from the dataset YAML, not the column names
    assert set(scored["reason_1_label"].dropna()) <= {data.labels_zh.get(f, f) for f in model.features}
    assert not set(scored["reason_1_label"].dropna()) & (set(model.features) - set(data.labels_zh))


def _numbers_agree(text: str) -> bool:
    """A sentence "X为a…，高于/低于申请人中位数b…" states a above/below b as written."""
    said = re.search(r"为([-\d.,]+)[^，]*，(高于|低于)申请人(?:中位数|平均)([-\d.,]+)", text)
    if said is None:
        return True
    a, b = (float(said.group(k).replace(",", "")) for k in (1, 3))
    return a > b if said.group(2) == "高于" else a < b


def test_a_value_and_its_median_are_written_alike():
    # given a plain number just below its median, which one decimal would round above it
    from features.metadata import FeatureInfo
    from models.explain.reasons import reason_sentences
    from models.explain.reference import Reference

    info = FeatureInfo(name="dti", label_zh="负债收入比", label_en="debt to income")
    reference = Reference("median", 0.66, 0.655, -1, True)
    # when
    zh, en = reason_sentences("dti", 0.655, -3.2, -3, info, reference)
    # then both numbers carry the digits that tell them apart, and the words agree with them
    assert zh == "负债收入比为0.655，低于申请人中位数0.660，评分减少3分"
    assert _numbers_agree(zh) and "0.655" in en and "0.660" in en


def test_no_sentence_states_a_comparison_its_numbers_contradict(german):
    # given every holdout row of German Credit scored
    _, model, rows = german
    scored = score_frame(model, rows)
    # when every reason sentence is read back
    texts = [t for k in range(1, TOP_REASONS + 1) for t in scored[f"reason_{k}_text"].dropna()]
    # then none says "above" of a smaller number or "below" of a larger one
    assert texts and not [t for t in texts if not _numbers_agree(t)]


def test_a_value_a_hair_above_its_median_still_reads_above_it():
    # given a ratio 0.00004 above its median (a continuous column's median sits that close to many values)
    from features.metadata import FeatureInfo
    from models.explain.reasons import reason_sentences
    from models.explain.reference import Reference

    info = FeatureInfo(name="dti", label_zh="负债收入比", label_en="debt to income")
    # when
    zh, _ = reason_sentences("dti", 0.66004, 2.0, 2, info, Reference("median", 0.66, 0.66004, 1, True))
    # then the written numbers differ in the direction the words say
    assert _numbers_agree(zh) and "0.66004" in zh
