"""Shengsi County as the program knows it: its region code, townships and their centres, livelihoods, classes.

One home for these facts: the feature builders, the batch reader, the GPS check and the simulator all read
them from here, so a category the model learnt and a category the simulator writes cannot drift apart.
"""

from __future__ import annotations

import pandas as pd

SHENGSI_REGION = "330922"  # 嵊泗县's administrative division code (the first six digits of a local ID)
TOWNSHIPS = ("菜园镇", "嵊山镇", "洋山镇", "五龙乡", "黄龙乡", "枸杞乡", "花鸟乡")
# Approximate (latitude, longitude) of each township's centre, read off the county map; the branch office is in 菜园.
TOWNSHIP_CENTRES: dict[str, tuple[float, float]] = {
    "菜园镇": (30.7247, 122.4530),
    "嵊山镇": (30.7260, 122.8170),
    "洋山镇": (30.6280, 122.0560),
    "五龙乡": (30.7180, 122.4940),
    "黄龙乡": (30.6930, 122.6660),
    "枸杞乡": (30.7210, 122.7680),
    "花鸟乡": (30.8460, 122.6680),
}
BRANCH_OFFICE = (30.7251, 122.4512)
# Main livelihoods as the visit form records them.
LIVELIHOODS = ("fishing", "mussel", "bnb", "port", "shop", "wage", "pension")
# The program's four household classes (经营类 / 就业类 / 农户类 / 托底类).
HOUSEHOLD_CLASSES = ("经营类", "就业类", "农户类", "托底类")

# The categorical columns of the feature table and their levels, in the order the model's codes follow.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "township": TOWNSHIPS,
    "livelihood": LIVELIHOODS,
    "household_class": HOUSEHOLD_CLASSES,
}


def with_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """The categorical columns of ``frame`` with the county's own levels (Parquet keeps only the values it saw)."""
    out = frame.copy()
    for column, levels in CATEGORIES.items():
        if column in out:
            out[column] = pd.Categorical(out[column].astype("object"), categories=list(levels))
    return out
