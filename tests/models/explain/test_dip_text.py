"""The moratorium's change of inflows reads as a fall, a level or a rise, never as a negative fall."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

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
        # and the value's phrase says which way the inflows moved, with the size of the move (to the digits shown)
        shown = round(abs(value) * 100)
        if value >= 1:
            assert head_zh == "休渔期无收入入账", (value, zh)
        elif value > 0 and shown > 0:
            assert head_zh.startswith("休渔期收入降幅为") and abs(_number(head_zh) - abs(value) * 100) <= 0.5
            assert "below" in head_en and cell.startswith("降幅为")
        elif value < 0 and shown > 0:
            assert head_zh.startswith("休渔期收入不降反增，") and "降幅" not in head_zh, (value, zh)
            assert cell.startswith("不降反增，"), (value, cell)
            if head_zh.endswith("倍"):  # a multiple from twice the other months, to the digit shown (1.95 reads 2.0)
                assert 1 - value >= 1.95 and abs(_number(head_zh) - (1 - value)) < 0.051 and "times" in head_en
            else:
                assert 1 - value < 2 and abs(_number(head_zh) - abs(value) * 100) <= 0.5 and "above" in head_en
        else:  # under half a percent: level, or the small move itself where a digit more tells it from the median
            assert ("持平" in head_zh and "level with" in head_en) or abs(_number(head_zh) - abs(value) * 100) <= 0.05


def test_the_reference_is_said_the_same_way_and_never_reads_like_the_value():
    # given a rise set against a median fall, and two values that round alike
    zh, en = _sentences(-2.5, 0.05)
    # then the value is a multiple and the median a fall, each said in words
    assert zh.startswith("休渔期收入不降反增，为其他月份的3.5倍（申请人中位数：降幅为5%）")
    assert en.startswith("Inflows in the May–Aug moratorium 3.5 times the other months (the applicants' median: 5% below")
    close_zh, _ = _sentences(0.051, 0.049)
    value_part, median_part = close_zh.split("（")
    assert value_part.removeprefix("休渔期收入") != median_part.split("）")[0].removeprefix("申请人中位数：")
    # and a rise below twice the other months reads as a percentage above them
    assert _sentences(-0.3, 0.0)[0].startswith("休渔期收入不降反增，高于其他月份30%")
