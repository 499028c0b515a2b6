"""Small hand-made raw sources whose features can be worked out on paper."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.ids import make_id_number
from features.sources.load import RawSources, visits_frame

HH = "H-TEST-1"
AS_OF = pd.Timestamp("2025-01-15")
MONTHS = pd.date_range("2023-01-01", "2024-12-01", freq="MS")  # the 24 complete months before AS_OF


def visit(**changes: object) -> dict:
    record = {
        "visit_id": "V-TEST-1",
        "household_id": HH,
        "visited_at": "2024-12-20",
        "applicant": {"name": "测试", "id_number": make_id_number("330922", dt.date(1980, 3, 1), 11),
                      "phone": "13800000000"},
        "residence": {"township": "嵊山镇", "fixed_residence": True, "years_at_address": 10},
        "members": [
            {"relation": "户主", "age": 44, "civil_capacity": "full", "health": "good"},
            {"relation": "配偶", "age": 42, "civil_capacity": "full", "health": "chronic"},
            {"relation": "子女", "age": 12, "civil_capacity": "minor", "health": "good"},
            {"relation": "父母", "age": 71, "civil_capacity": "full", "health": "serious"},
        ],
        "livelihood": "fishing",
        "declared_income": {"main": 120_000.0},
        "assets": {"fishing_boat": True, "house": True},
        "declaration_signed": True,
    }
    record.update(changes)
    return record


def sources(statuses: str = "N" * 24, inflows: list[float] | None = None, visits: list[dict] | None = None,
            queries: list[str] = (), loans: list[dict] | None = None) -> RawSources:
    """One household; ``statuses`` is the grid oldest month first (24 months before AS_OF)."""
    inflow = inflows if inflows is not None else [10_000.0] * 24
    flows = pd.DataFrame({"household_id": HH, "month": MONTHS, "inflow": inflow,
                          "outflow": [0.9 * x for x in inflow],
                          "balance": [20_000.0 + 100 * i for i in range(24)]})
    grid = pd.DataFrame({"account_id": "L1", "household_id": HH, "month": MONTHS, "status": list(statuses),
                         "five_class": "正常"})
    loan_rows = loans if loans is not None else [
        {"account_id": "L1", "household_id": HH, "opened": pd.Timestamp("2022-06-01"), "balance": 60_000.0,
         "monthly_payment": 5_250.0}]
    base = pd.DataFrame({"household_id": [HH], "id_number": ["x"], "household_size": [4], "region_code": "330922",
                         "township": ["嵊山镇"], "is_kuozhong": [True]})
    return RawSources(
        visits=visits_frame(visits if visits is not None else [visit()]),
        base_list=base,
        account_flows=flows,
        loan_accounts=pd.DataFrame(loan_rows),
        repayment_history=grid,
        credit_queries=pd.DataFrame({"household_id": HH, "query_date": pd.to_datetime(list(queries))}),
        applications=pd.DataFrame({"application_id": ["A1"], "household_id": [HH], "application_date": [AS_OF],
                                   "requested_amount": [48_000.0]}),
    )


def request(**changes: object) -> pd.DataFrame:
    row = {"request_id": "R1", "household_id": HH, "as_of": AS_OF, "requested_amount": 48_000.0,
           "purpose": "business"}
    row.update(changes)
    return pd.DataFrame([row])
