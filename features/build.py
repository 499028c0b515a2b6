"""Household features from raw sources, each request at its own as-of date (nothing after it is read)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.ids import birth_date, is_valid_id_number
from features.metadata import CATEGORICAL_FEATURES, MODEL_FEATURES
from features.simulate import LIVELIHOODS, TOWNSHIPS
from features.sources import RawSources

GRID_DEPTH = {"N": 0, "*": 0, "C": 0, "G": 0, "#": 0, "/": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6,
              "7": 7, "D": 7, "Z": 7, "B": 7}
BAD_STATUSES = frozenset("BDZ")
FIVE_CLASS_RANK = {"正常": 0, "关注": 1, "次级": 2, "可疑": 3, "损失": 4}
HOUSEHOLD_CLASSES = ("经营类", "就业类", "农户类", "托底类")
# Documented rule: livelihood decides the class; 托底类 are households whose income per head is under 20,000.
_CLASS_BY_LIVELIHOOD = {"fishing": "农户类", "mussel": "农户类", "bnb": "经营类", "shop": "经营类",
                        "port": "就业类", "wage": "就业类", "pension": "托底类"}
SAFETY_NET_INCOME_PER_HEAD = 20_000.0

# Columns the rule layer reads besides the model's features.
RULE_INPUT_COLUMNS = ("request_id", "household_id", "as_of", "id_number", "id_valid", "applicant_age_from_id",
                      "fixed_residence", "residence_township", "civil_capacity", "declared_income",
                      "on_list", "declaration_signed", "requested_amount", "purpose", "bad_status_24m",
                      "lian3lei6", "worst_five_class")


def household_class(livelihood: pd.Series, income_per_head: pd.Series) -> pd.Series:
    """经营类 / 就业类 / 农户类 / 托底类 from the main livelihood, and 托底类 below 20,000 per head."""
    cls = livelihood.map(_CLASS_BY_LIVELIHOOD).fillna("就业类")
    return cls.where(~(income_per_head < SAFETY_NET_INCOME_PER_HEAD), "托底类")


def _latest_visit(visits: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """The latest visit form of each request's household made on or before the as-of date."""
    merged = requests[["request_id", "household_id", "as_of"]].merge(visits, on="household_id", how="left")
    merged = merged[merged["visited_at"].isna() | (merged["visited_at"] <= merged["as_of"])]
    merged = merged.sort_values(["request_id", "visited_at"], kind="stable").groupby("request_id").tail(1)
    return requests[["request_id"]].merge(merged.drop(columns=["household_id", "as_of"]), on="request_id",
                                          how="left")


def _visit_features(visit: pd.DataFrame) -> pd.DataFrame:
    def members(row: object, pick: str) -> float:
        people = row if isinstance(row, list) else []
        if pick == "elderly":
            return float(sum(1 for p in people if p.get("age", 0) >= 60))
        if pick == "children":
            return float(sum(1 for p in people if p.get("age", 99) < 18))
        return float(sum(1 for p in people if p.get("health") in ("chronic", "serious")))

    def part(col: str, key: str) -> pd.Series:
        series = visit[col] if col in visit else pd.Series([None] * len(visit), index=visit.index)
        return series.map(lambda d: d.get(key) if isinstance(d, dict) else None)

    declared = part("declared_income", "main").astype(float) if "declared_income" in visit else np.nan
    size = visit["members"].map(lambda m: float(len(m)) if isinstance(m, list) else np.nan)
    head = visit["members"].map(lambda m: m[0] if isinstance(m, list) and m else {})
    return pd.DataFrame(
        {
            "request_id": visit["request_id"],
            "household_size": size,
            "elderly_count": visit["members"].map(lambda m: members(m, "elderly")),
            "children_count": visit["members"].map(lambda m: members(m, "children")),
            "health_burden": visit["members"].map(lambda m: members(m, "health")),
            "declared_income": declared,
            "years_at_address": part("residence", "years_at_address").astype(float),
            "fixed_residence": part("residence", "fixed_residence"),
            "residence_township": part("residence", "township"),
            "has_fishing_boat": part("assets", "fishing_boat").astype(float),
            "has_house": part("assets", "house").astype(float),
            "id_number": part("applicant", "id_number"),
            "civil_capacity": head.map(lambda h: h.get("civil_capacity") if isinstance(h, dict) else None),
            "livelihood": visit.get("livelihood"),
            "declaration_signed": visit.get("declaration_signed"),
        }
    )


def _month_start(ts: pd.Series) -> pd.Series:
    return ts.dt.to_period("M").dt.to_timestamp()


def _flow_features(flows: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    req = requests[["request_id", "household_id", "as_of"]].assign(as_of_month=_month_start(requests["as_of"]))
    f = req.merge(flows, on="household_id", how="inner")
    age = (f["as_of_month"].dt.year - f["month"].dt.year) * 12 + (f["as_of_month"].dt.month - f["month"].dt.month)
    f = f.assign(age=age)[(age >= 1) & (age <= 12)]
    g = f.groupby("request_id")
    mean_in = g["inflow"].mean()
    out = pd.DataFrame(
        {
            "observed_income_12m": g["inflow"].sum(),
            "inflow_cv_12m": g["inflow"].std(ddof=0) / mean_in.where(mean_in > 0),
            "months_below_half_mean_12m": f.assign(low=f["inflow"] < 0.5 * f["request_id"].map(mean_in))
            .groupby("request_id")["low"].sum().astype(float),
        }
    )
    recent = f[f["age"] <= 6]
    gr = recent.groupby("request_id")
    out["balance_mean_6m"] = gr["balance"].mean()
    # Slope of balance over the last 6 months (yuan per month), by least squares on -age.
    x = -recent["age"].astype(float)
    xm = x.groupby(recent["request_id"]).transform("mean")
    ym = recent.groupby("request_id")["balance"].transform("mean")
    num = ((x - xm) * (recent["balance"] - ym)).groupby(recent["request_id"]).sum()
    den = ((x - xm) ** 2).groupby(recent["request_id"]).sum()
    out["balance_trend_6m"] = num / den.where(den > 0)
    return out.reset_index()


def _repayment_features(history: pd.DataFrame, accounts: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    req = requests[["request_id", "household_id", "as_of"]].assign(as_of_month=_month_start(requests["as_of"]))
    h = req.merge(history, on="household_id", how="inner")
    age = (h["as_of_month"].dt.year - h["month"].dt.year) * 12 + (h["as_of_month"].dt.month - h["month"].dt.month)
    h = h.assign(age=age)[(age >= 1) & (age <= 24)]
    h = h.assign(depth=h["status"].map(GRID_DEPTH).astype(float), bad=h["status"].isin(BAD_STATUSES),
                 five=h["five_class"].map(FIVE_CLASS_RANK).astype(float))
    # One status per request and month: the worst over the household's accounts.
    monthly = h.groupby(["request_id", "age"], as_index=False).agg(depth=("depth", "max"), bad=("bad", "max"),
                                                                   five=("five", "max"))
    monthly = monthly.sort_values(["request_id", "age"], ascending=[True, False])
    monthly["overdue"] = monthly["depth"] > 0
    overdue = monthly["overdue"]
    run_id = (~overdue).groupby(monthly["request_id"]).cumsum()
    run_len = overdue.groupby([monthly["request_id"], run_id]).cumsum()
    g = monthly.assign(run_len=run_len).groupby("request_id")
    out = pd.DataFrame(
        {
            "overdue_months_24m": g["overdue"].sum().astype(float),
            "max_consecutive_overdue_24m": g["run_len"].max().astype(float),
            "worst_status_24m": g["depth"].max(),
            "overdue_current": monthly[monthly["age"] == 1].set_index("request_id")["overdue"].astype(float),
            "bad_status_24m": g["bad"].max().astype(float),
            "worst_five_class": monthly[monthly["age"] == 1].set_index("request_id")["five"],
        }
    )
    last = monthly[overdue].groupby("request_id")["age"].min()
    out["months_since_overdue"] = last.reindex(out.index).fillna(25.0)
    out["lian3lei6"] = ((out["max_consecutive_overdue_24m"] >= 3) | (out["overdue_months_24m"] >= 6)).astype(float)
    debt = accounts.groupby("household_id").agg(debt_balance=("balance", "sum"),
                                                monthly_payment=("monthly_payment", "sum"))
    out = out.reset_index()
    debt_req = req[["request_id", "household_id"]].merge(debt, on="household_id", how="left").drop(
        columns="household_id")
    return debt_req.merge(out, on="request_id", how="left")


def _query_features(queries: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    q = requests[["request_id", "household_id", "as_of"]].merge(queries, on="household_id", how="inner")
    days = (q["as_of"] - q["query_date"]).dt.days
    q = q.assign(days=days)[(days >= 0)]
    g = q.assign(q3=q["days"] <= 91, q12=q["days"] <= 365).groupby("request_id")
    return pd.DataFrame({"queries_3m": g["q3"].sum().astype(float),
                         "queries_12m": g["q12"].sum().astype(float)}).reset_index()


def build_features(sources: RawSources, requests: pd.DataFrame) -> pd.DataFrame:
    """Features for each request (``household_id``, ``as_of``; optional ``request_id``, ``requested_amount``).

    Only records dated before the as-of month (flows, repayment grid) or on/before the as-of date (visits,
    queries) are read. Returns one row per request, in request order, with MODEL_FEATURES and the rule inputs.
    """
    req = requests.copy()
    if "request_id" not in req:
        req["request_id"] = np.arange(len(req)).astype(str)
    req["as_of"] = pd.to_datetime(req["as_of"])
    frame = req[["request_id", "household_id", "as_of"]]
    visit = _visit_features(_latest_visit(sources.visits, req))
    frame = frame.merge(visit, on="request_id", how="left")
    for part in (_flow_features(sources.account_flows, req),
                 _repayment_features(sources.repayment_history, sources.loan_accounts, req),
                 _query_features(sources.credit_queries, req)):
        frame = frame.merge(part, on="request_id", how="left")
    # Households with no loan or no query on record have zero of them, not unknown.
    has_bank_record = frame["request_id"].isin(
        req.loc[req["household_id"].isin(sources.account_flows["household_id"]), "request_id"])
    for col in ("debt_balance", "monthly_payment", "overdue_months_24m", "max_consecutive_overdue_24m",
                "worst_status_24m", "overdue_current", "bad_status_24m", "lian3lei6", "worst_five_class",
                "queries_3m", "queries_12m"):
        frame[col] = frame[col].astype(float).where(frame[col].notna() | ~has_bank_record, 0.0)
    frame["months_since_overdue"] = frame["months_since_overdue"].astype(float).where(
        frame["months_since_overdue"].notna() | ~has_bank_record, 25.0)

    base = sources.base_list.drop_duplicates("household_id", keep="last").set_index("household_id")
    frame["on_list"] = frame["household_id"].map(base["is_kuozhong"]).astype("boolean")
    frame["household_size"] = frame["household_size"].fillna(frame["household_id"].map(base["household_size"]))
    if "requested_amount" in req:
        frame["requested_amount"] = req["requested_amount"].astype(float).to_numpy()
    else:
        frame["requested_amount"] = np.nan
    frame["purpose"] = req["purpose"].to_numpy() if "purpose" in req else None

    frame["income_per_head"] = frame["declared_income"] / frame["household_size"]
    frame["income_to_cap"] = frame["declared_income"] / (100_000.0 * frame["household_size"] / 3.0)
    monthly_income = frame["observed_income_12m"] / 12.0
    frame["declared_observed_ratio"] = frame["declared_income"] / frame["observed_income_12m"].where(
        frame["observed_income_12m"] > 0)
    frame["debt_service_ratio"] = frame["monthly_payment"] / monthly_income.where(monthly_income > 0)
    frame["debt_to_income"] = frame["debt_balance"] / frame["declared_income"].where(frame["declared_income"] > 0)
    frame["requested_to_income"] = frame["requested_amount"] / frame["declared_income"].where(
        frame["declared_income"] > 0)
    frame["id_valid"] = frame["id_number"].map(lambda v: isinstance(v, str) and is_valid_id_number(v))
    frame["applicant_age_from_id"] = [
        _age(idn, as_of) if ok else np.nan
        for idn, as_of, ok in zip(frame["id_number"], frame["as_of"], frame["id_valid"], strict=True)
    ]
    frame["applicant_age"] = frame["applicant_age_from_id"].astype(float)
    frame["household_class"] = household_class(frame["livelihood"], frame["income_per_head"])
    frame["township"] = frame["residence_township"]
    for col, cats in (("township", TOWNSHIPS), ("livelihood", LIVELIHOODS), ("household_class", HOUSEHOLD_CLASSES)):
        frame[col] = pd.Categorical(frame[col], categories=list(cats))
    numeric = [c for c in MODEL_FEATURES if c not in CATEGORICAL_FEATURES]
    frame[numeric] = frame[numeric].astype(float)
    return frame[list(dict.fromkeys([*RULE_INPUT_COLUMNS, *MODEL_FEATURES]))].reset_index(drop=True)


def _age(id_number: str, as_of: pd.Timestamp) -> float:
    born = birth_date(id_number)
    on = as_of.date()
    return float(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def training_table(sources: RawSources) -> pd.DataFrame:
    """Features of every application at its own date, with the outcome ``default_12m`` where known."""
    apps = sources.applications
    requests = pd.DataFrame({"request_id": apps["application_id"], "household_id": apps["household_id"],
                             "as_of": apps["application_date"], "requested_amount": apps["requested_amount"],
                             "purpose": apps.get("purpose")})
    table = build_features(sources, requests)
    if "default_12m" in apps:
        table["default_12m"] = apps["default_12m"].to_numpy()
    return table
