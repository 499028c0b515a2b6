"""The moratorium's inflows read as one share of the other months', the value and its median compared one way."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from models.decision.consistency import _moratorium_problem
from models.explain.reasons import reason_sentences
from models.explain.reference import Reference
from models.explain.text import value_text_zh

NAME = "moratorium_income_dip_12m"


def _sentences(value: float, median: float) -> tuple[str, str]:
    reference = Reference(kind="median", value=median, compared=value, side=1, directional=True)
    return reason_sentences(NAME, value, -4.0, -4, None, reference)


def _number(text: str) -> float:
    return float(re.search(r"(\d+(?:\.\d+)?)", text).group(1))  # type: ignore[union-attr]


def test_every_value_the_county_produces_reads_without_a_negative_fall(table: pd.DataFrame):
    # given every application's moratorium dip in the simulated county, and the county's median as the reference
    values = table[NAME].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    median = float(np.median(values))
    assert (values < -0.05).sum() > 50 and (values > 0.05).sum() > 50  # both rises and falls occur
    for value in values:
        # when the reason sentence is written
        zh, en = _sentences(float(value), median)
        head_zh, head_en = zh.split("（")[0], en.split(" (")[0]
        cell = value_text_zh(NAME, float(value))
        # then no number is negative, in either language nor in the table's cell
        assert not re.search(r"[-−]\d", zh) and not re.search(r"[-−]\d", en), (value, zh, en)
        assert not re.search(r"[-−]\d", cell), (value, cell)
        # and the sentence says the moratorium's inflows as a share of the other months' (to the digits shown), and
        # compares it with the median's share the way the two shares lie
        share = 1 - value
        assert _moratorium_problem(zh) is None, (value, zh)
        if value >= 1:
            assert head_zh.startswith("休渔期无收入入账，"), (value, zh)
        elif round(share * 100) == 100:  # level, or the small move where a digit more tells it from the median
            assert (head_zh.startswith("休渔期收入与其他月份持平") and "level with" in head_en) or abs(
                _number(head_zh) - share * 100) <= 0.05, (value, zh)
        elif "倍" in head_zh.split("，")[0]:  # a multiple from twice the other months, to the digit shown
            assert share >= 1.95 and abs(_number(head_zh) - share) < 0.051 and "times" in head_en, (value, zh)
        else:
            assert head_zh.startswith("休渔期收入为其他月份的") and abs(_number(head_zh) - share * 100) <= 0.5, zh
            assert "of the other months'" in head_en and "降幅" not in zh and "不降反增" not in zh
        # the table's cell, under the feature's label 休渔期收入降幅, says the fall (or the rise) itself
        shown = round(abs(value) * 100)
        if 0 < value < 1 and shown > 0:
            assert cell.startswith("降幅为") and abs(_number(cell) - value * 100) <= 0.5, (value, cell)
        elif value < 0 and shown > 0:
            assert cell.startswith("不降反增，"), (value, cell)


def test_the_value_and_the_median_are_one_quantity_compared_one_way():
    # given a fall of 96% against a median rise of 1% (the sentence once read "降幅为96%（申请人中位数：高于其他月份1%）")
    zh, en = _sentences(0.96, -0.01)
    # then both are the moratorium's share of the other months' inflows, and the smaller share is the lower
    assert zh.startswith("休渔期收入为其他月份的4%，低于申请人中位数（其他月份的101%）"), zh
    assert en.startswith("Inflows in the May–Aug moratorium are 4% of the other months', below the applicants' "
                         "median (101% of the other months')"), en
    # and a rise against a median fall is a multiple above a share under 100%
    assert _sentences(-2.5, 0.05)[0].startswith("休渔期收入为其他月份的3.5倍，高于申请人中位数（其他月份的95%）")
    # and two values that round alike are written with one digit more, still compared the way they lie
    close_zh, _ = _sentences(0.051, 0.049)
    assert close_zh.startswith("休渔期收入为其他月份的94.9%，低于申请人中位数（其他月份的95.1%）"), close_zh
    assert _sentences(-0.3, 0.0)[0].startswith("休渔期收入为其他月份的130%，高于申请人中位数（与其他月份持平）")
    # and the check the county is counted with sees the old wording and a comparison turned round
    assert _moratorium_problem("休渔期收入降幅为96%（申请人中位数：高于其他月份1%），评分减少5分") is not None
    assert _moratorium_problem(zh.replace("低于", "高于")) is not None
    assert _moratorium_problem(zh) is None
