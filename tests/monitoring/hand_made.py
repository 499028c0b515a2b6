"""A hand-counted little program: four households (one off the list), two loans, visits, revisits and account flows
whose indicators, revisit dates, misuse signal and clawback are worked by hand."""

from __future__ import annotations

import pandas as pd

from features.sources.load import RawSources, visits_frame


def _visit(visit_id, household, manager, at, township, lat, lon, minutes=30.0, photos=3, income=60_000.0,
           visit_type="initial"):
    return {"visit_id": visit_id, "visit_type": visit_type, "household_id": household,
            "account_manager_id": manager, "visited_at": at, "duration_min": minutes, "photo_count": photos,
            "gps": {"lat": lat, "lon": lon, "accuracy_m": 5.0}, "residence": {"township": township},
            "declared_income": {"total": income, "main": income}}


def hand_made_sources() -> RawSources:
    # 菜园镇 centre (30.7247, 122.4530); 枸杞乡 centre (30.7210, 122.7680), about 30 km apart.
    visits = visits_frame([
        _visit("V1", "H1", "AM1", "2024-03-01T09:00:00", "菜园镇", 30.7250, 122.4530),
        # the same manager 30 km away 20 minutes after V1 ended: impossible travel
        _visit("V2", "H2", "AM1", "2024-03-01T09:50:00", "枸杞乡", 30.7210, 122.7680),
        # no photo and a 3-minute visit
        _visit("V3", "H3", "AM2", "2024-04-01T09:00:00", "菜园镇", 30.7250, 122.4530, minutes=3.0, photos=0),
        # after the as-of date of the tests: never counted
        _visit("V4", "H3", "AM2", "2025-08-01T09:00:00", "菜园镇", 30.7250, 122.4530),
        # H4 is not on the 扩中 list: visited, but not counted as 走访、建档扩中家庭
        _visit("V5", "H4", "AM2", "2024-05-01T09:00:00", "菜园镇", 30.7250, 122.4530),
    ])
    base_list = pd.DataFrame({"household_id": ["H1", "H2", "H3", "H4"], "id_number": ["x", "y", "z", "w"],
                              "household_size": [3, 3, 1, 2], "region_code": ["330922"] * 4,
                              "township": ["菜园镇", "枸杞乡", "菜园镇", "菜园镇"],
                              "is_kuozhong": [True, True, True, False]})
    ledger = pd.DataFrame({
        "loan_id": ["D1", "D2"], "household_id": ["H1", "H2"], "account_manager_id": ["AM1", "AM1"],
        "product_code": ["GF-JY", "GF-JY"], "product_name": ["共富经营贷", "共富经营贷"], "amount": [100_000.0, 50_000.0], "rate": [0.038, 0.036],
        "normal_rate": [0.075, 0.075],
        "signed_on": pd.to_datetime(["2025-01-10", "2025-03-01"]),
        "disbursed_on": pd.to_datetime(["2025-01-10", "2025-03-02"]),
        "maturity_on": pd.to_datetime(["2026-01-10", "2026-03-01"]),
        "settled_on": pd.to_datetime(["2026-01-10", "2026-03-01"]),
    })
    events = pd.DataFrame({
        "loan_id": ["D1", "D1", "D2"], "household_id": ["H1", "H1", "H2"],
        "event_date": pd.to_datetime(["2025-01-10", "2025-05-01", "2025-03-02"]),
        "event": ["disburse", "prepay", "disburse"], "principal": [100_000.0, -40_000.0, 50_000.0],
        "interest": [0.0, 0.0, 0.0], "balance_after": [100_000.0, 60_000.0, 50_000.0]})
    revisits = pd.DataFrame([
        # H1: 60,000 → 72,000 (+20%); still under the cap of 100,000 for three
        {"visit_id": "R1", "household_id": "H1", "visited_at": pd.Timestamp("2025-06-01"), "household_size": 3,
         "declared_income": {"total": 72_000.0}, "loan_id": "D1",
         "loan_use": {"declared_purpose": "business", "observed_use": "business", "as_declared": True}},
        # H2: 60,000 → 120,000 (+100%): above the cap, 跃迁 on 2025-06-15; loan used otherwise
        {"visit_id": "R2", "household_id": "H2", "visited_at": pd.Timestamp("2025-06-15"), "household_size": 3,
         "declared_income": {"total": 120_000.0}, "loan_id": "D2",
         "loan_use": {"declared_purpose": "business", "observed_use": "consumption", "as_declared": False}},
        # H1 again in December: 72,000 → 90,000
        {"visit_id": "R3", "household_id": "H1", "visited_at": pd.Timestamp("2025-12-01"), "household_size": 3,
         "declared_income": {"total": 90_000.0}, "loan_id": "D1",
         "loan_use": {"declared_purpose": "business", "observed_use": "business", "as_declared": True}},
    ])
    # H2's account: 5,000 out a month, then 50,000 out in March 2025, the month its 50,000 loan was disbursed
    months = pd.date_range("2024-09-01", "2025-06-01", freq="MS")
    flows = pd.DataFrame({"household_id": "H2", "month": months, "inflow": 5_000.0,
                          "outflow": [50_000.0 if m == pd.Timestamp("2025-03-01") else 5_000.0 for m in months],
                          "balance": 10_000.0})
    refresh = pd.DataFrame({"household_id": ["H3"], "refreshed_on": pd.to_datetime(["2025-01-15"]),
                            "change": ["dropped"], "on_list": [False], "reasons": ["迁出"]})
    empty = pd.DataFrame({"household_id": pd.Series(dtype=object)})
    return RawSources(visits=visits, base_list=base_list, account_flows=flows, loan_accounts=empty,
                      repayment_history=empty, credit_queries=empty, applications=empty, loan_ledger=ledger,
                      loan_events=events, revisits=revisits, list_refresh=refresh)
