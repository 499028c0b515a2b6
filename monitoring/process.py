"""过程考核: per account manager, visits that can be trusted, doubtful visits listed for review, signings, balances.

A visit is doubtful when its GPS fix lies outside the household's township, it has no photo, its duration is
implausible (under ``MIN_MINUTES`` or over ``MAX_MINUTES``), or reaching it from the same manager's previous visit
would need travel faster than ``MAX_KMH`` (the islands are linked by boat). Doubtful visits are listed with the
reasons, never silently discounted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build.geo import gps_in_township, km_between

MIN_MINUTES = 10.0
MAX_MINUTES = 240.0
MAX_KMH = 40.0
CHECK_FLAGS = ("gps_outside_township", "no_photo", "implausible_duration", "impossible_travel", "doubtful")
CHECK_COLUMNS = ("visit_id", "household_id", "account_manager_id", "visited_at", "township", *CHECK_FLAGS[:4],
                 "reasons", "doubtful")


def _part(series: pd.Series, key: str) -> pd.Series:
    return pd.to_numeric(series.map(lambda d: d.get(key) if isinstance(d, dict) else None), errors="coerce")


def visit_checks(visits: pd.DataFrame) -> pd.DataFrame:
    """One row per visit with each check and the reasons it is doubtful (empty text when it is sound)."""
    v = visits.sort_values(["account_manager_id", "visited_at"], kind="stable").reset_index(drop=True)
    lat, lon = _part(v["gps"], "lat"), _part(v["gps"], "lon")
    township = v["residence"].map(lambda d: d.get("township") if isinstance(d, dict) else None)
    inside = gps_in_township(lat.to_numpy(), lon.to_numpy(), township.to_numpy(dtype=object))
    start = pd.to_datetime(v["visited_at"])
    duration = pd.to_numeric(v.get("duration_min"), errors="coerce")
    end = start + pd.to_timedelta(duration.fillna(0), unit="min")
    same_manager = v["account_manager_id"].eq(v["account_manager_id"].shift())
    gap_h = (start - end.shift()).dt.total_seconds() / 3600
    km = km_between(lat.shift().to_numpy(), lon.shift().to_numpy(), lat.to_numpy(), lon.to_numpy())
    speed = np.where(same_manager & (gap_h > 0), km / np.maximum(gap_h.to_numpy(dtype=float), 1e-6), 0.0)
    impossible = same_manager.to_numpy() & ((speed > MAX_KMH) | ((gap_h.to_numpy() <= 0) & (km > 1.0)))
    photos = pd.to_numeric(v.get("photo_count"), errors="coerce")
    checks = pd.DataFrame({
        "visit_id": v["visit_id"], "household_id": v["household_id"],
        "account_manager_id": v["account_manager_id"], "visited_at": start, "township": township,
        "gps_outside_township": inside == 0.0, "no_photo": ~(photos > 0),
        "implausible_duration": ~duration.between(MIN_MINUTES, MAX_MINUTES),
        "impossible_travel": np.nan_to_num(impossible, nan=0).astype(bool),
    })
    labels = {"gps_outside_township": "定位不在所属乡镇", "no_photo": "无现场照片",
              "implausible_duration": "走访时长异常", "impossible_travel": "与上一户间移动速度不可能"}
    checks["reasons"] = [
        "；".join(label for col, label in labels.items() if row[col]) for _, row in checks[list(labels)].iterrows()]
    checks["doubtful"] = checks["reasons"] != ""
    return checks


def manager_assessment(visits: pd.DataFrame, ledger: pd.DataFrame, daily_balances: pd.DataFrame,
                       as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per account manager up to ``as_of``: visits, sound visits, doubtful visits, signings, balances.

    ``daily_balances`` has loan_id, date and balance; the daily average is over the calendar year to ``as_of``.
    Returns the assessment table and the doubtful visits.
    """
    upto = visits[pd.to_datetime(visits["visited_at"]) < as_of + pd.Timedelta(days=1)] if len(visits) else visits
    checks = visit_checks(upto) if not upto.empty else pd.DataFrame(
        {c: pd.Series(dtype=bool if c in CHECK_FLAGS else object) for c in CHECK_COLUMNS})
    per = checks.groupby("account_manager_id").agg(visits=("visit_id", "size"), doubtful=("doubtful", "sum"))
    per["sound_visits"] = per["visits"] - per["doubtful"]
    signed = ledger[pd.to_datetime(ledger["signed_on"]) <= as_of]
    per = per.join(signed.groupby("account_manager_id").agg(signings=("loan_id", "size"),
                                                            signed_amount=("amount", "sum")), how="outer")
    year_start = pd.Timestamp(year=as_of.year, month=1, day=1)
    window = daily_balances[(daily_balances["date"] >= year_start) & (daily_balances["date"] <= as_of)]
    days = (as_of - year_start).days + 1
    manager_of = ledger.set_index("loan_id")["account_manager_id"]
    avg = window.assign(am=window["loan_id"].map(manager_of)).groupby("am")["balance"].sum() / days
    per["daily_avg_balance"] = avg
    per = per.fillna(0).astype({"visits": int, "doubtful": int, "sound_visits": int, "signings": int})
    per.index.name = "account_manager_id"
    return per.reset_index(), checks[checks["doubtful"]].reset_index(drop=True)
