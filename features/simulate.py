"""A simulated Shengsi County: raw visit forms, bank records and outcomes with a known generative story.

The generative story (kept in step with docs/simulator.md):

1. Households are placed in the seven townships by their 2000 population shares; size is 1 + Poisson(1.05)
   (mean ≈ 2.05, the 2020 census figure), and the head's age follows an old population.
2. Each household has one main livelihood whose odds depend on the township (mussel farming in 枸杞, port jobs in
   洋山, B&Bs in 花鸟 and 嵊山 ...). Annual income is log-normal by livelihood and size; monthly income follows the
   livelihood's season (capture fishing earns nothing during the 1 May – 16 Sep moratorium; mussels are sold in
   Jul–Aug; B&Bs peak in Jul–Aug), and a typhoon year cuts aquaculture and fishing income in Aug–Sep.
3. A latent financial discipline ``z`` ~ N(0, 1) drives overdue behaviour on existing loans (a monthly Markov
   chain through the PBOC grid codes N, 1..7), credit-report queries, and how honestly income is declared.
4. Each application's true probability of default (90+ days past due within 12 months) is a nonlinear function of
   latent discipline, the debt-service burden in the household's worst season (seasonal income × debt service),
   recent arrears, the gap between declared and observed income, and age. Outcomes are Bernoulli draws from it,
   so the oracle AUC (true PD against drawn outcomes) is the ceiling for any model.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.ids import make_id_number

log = logging.getLogger(__name__)

SHENGSI_REGION = "330922"
TOWNSHIPS = ("菜园镇", "嵊山镇", "洋山镇", "五龙乡", "黄龙乡", "枸杞乡", "花鸟乡")
TOWNSHIP_POPULATION = np.array([27.2, 10.8, 9.5, 5.2, 9.6, 9.2, 2.2])
LIVELIHOODS = ("fishing", "mussel", "bnb", "port", "shop", "wage", "pension")
# Livelihood odds by township (rows follow TOWNSHIPS, columns LIVELIHOODS).
_LIVELIHOOD_ODDS = np.array(
    [
        [1.0, 0.2, 0.8, 0.6, 1.6, 2.6, 1.4],  # 菜园: the county seat, shops and wage work
        [2.2, 0.6, 1.4, 0.3, 0.7, 0.8, 1.2],  # 嵊山: fishing and B&Bs
        [0.8, 0.2, 0.4, 3.0, 0.8, 1.2, 1.0],  # 洋山: port and logistics
        [1.4, 0.8, 0.6, 0.3, 0.6, 0.9, 1.4],  # 五龙
        [2.0, 0.6, 0.6, 0.3, 0.7, 0.7, 1.4],  # 黄龙
        [0.7, 3.2, 1.0, 0.2, 0.5, 0.5, 1.0],  # 枸杞: mussel farming
        [1.0, 0.5, 2.6, 0.2, 0.5, 0.4, 1.2],  # 花鸟: B&Bs
    ]
)
# Median annual household income (yuan) for a household of three, and its log-sd, by livelihood.
_INCOME_MEDIAN = {"fishing": 92_000, "mussel": 110_000, "bnb": 98_000, "port": 86_000, "shop": 82_000,
                  "wage": 78_000, "pension": 52_000}
_INCOME_SIGMA = {"fishing": 0.45, "mussel": 0.55, "bnb": 0.5, "port": 0.3, "shop": 0.4, "wage": 0.3,
                 "pension": 0.25}
# Monthly income share by livelihood (Jan..Dec), each row sums to 12.
_SEASON = {
    "fishing": [1.6, 1.2, 1.3, 1.4, 0.05, 0.05, 0.05, 0.05, 0.3, 2.2, 2.0, 1.75],
    "mussel": [0.6, 0.5, 0.5, 0.5, 0.3, 0.3, 3.2, 3.4, 0.9, 0.6, 0.6, 0.6],
    "bnb": [0.4, 0.6, 0.5, 0.8, 1.1, 1.2, 2.6, 2.8, 0.9, 0.8, 0.4, 0.1],
    "port": [1.0] * 12,
    "shop": [1.1, 1.3, 0.9, 0.9, 0.9, 1.0, 1.1, 1.1, 0.9, 1.0, 0.9, 0.9],
    "wage": [1.0] * 11 + [1.0],
    "pension": [1.0] * 12,
}
PURPOSES = ("business", "medical", "education", "housing")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国海波萍玉兰红梅林峰云飞斌浩宇鑫志"
OTHER_REGIONS = ("330902", "330903", "330921", "330106", "330203", "341181", "320583")
FIVE_CLASSES = ("正常", "关注", "次级", "可疑", "损失")

FLOW_START = pd.Timestamp("2022-01-01")
FLOW_MONTHS = 48  # 2022-01 .. 2025-12
APPLICATION_WINDOW = (pd.Timestamp("2024-03-01"), pd.Timestamp("2025-06-30"))
TYPHOON_YEARS = (2022, 2024)


@dataclass(frozen=True)
class SimulationConfig:
    """How big a county to simulate, and how."""

    households: int = 3_000
    seed: int = 20230712
    application_rate: float = 0.45


@dataclass
class County:
    """Every raw source the simulator writes, as DataFrames (visit forms as a list of PAD records)."""

    base_list: pd.DataFrame
    bank_customers: pd.DataFrame
    visits: list[dict]
    account_flows: pd.DataFrame
    loan_accounts: pd.DataFrame
    repayment_history: pd.DataFrame
    credit_queries: pd.DataFrame
    applications: pd.DataFrame

    @property
    def oracle_auc(self) -> float:
        """AUC of the true default probabilities against the drawn outcomes: the ceiling for any model."""
        apps = self.applications
        return float(roc_auc_score(apps["default_12m"], apps["true_pd"]))

    def write(self, out: Path) -> dict[str, Path]:
        """Write each source to ``out`` (Parquet; visit forms as JSON, as the PAD exports them)."""
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name in ("base_list", "bank_customers", "account_flows", "loan_accounts", "repayment_history",
                     "credit_queries", "applications"):
            path = out / f"{name}.parquet"
            tmp = path.with_suffix(".parquet.tmp")
            getattr(self, name).to_parquet(tmp, index=False)
            tmp.replace(path)
            paths[name] = path
        path = out / "visits.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.visits, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        paths["visits"] = path
        return paths


def _names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = rng.choice(list(SURNAMES), n)
    first = rng.choice(list(GIVEN), n)
    second = rng.choice(list(GIVEN), n)
    two_char = rng.random(n) < 0.6
    return [s + f + (g if t else "") for s, f, g, t in zip(surnames, first, second, two_char, strict=True)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_county(config: SimulationConfig) -> County:
    """Simulate households, their raw records and their loan outcomes; same config and seed, same county."""
    rng = np.random.default_rng(config.seed)
    n = config.households
    hh_ids = np.array([f"H{config.seed % 10_000:04d}{i:07d}" for i in range(n)])

    township_idx = rng.choice(len(TOWNSHIPS), n, p=TOWNSHIP_POPULATION / TOWNSHIP_POPULATION.sum())
    odds = _LIVELIHOOD_ODDS[township_idx]
    cum = np.cumsum(odds / odds.sum(axis=1, keepdims=True), axis=1)
    livelihood_idx = (rng.random(n)[:, None] > cum).sum(axis=1)
    livelihood = np.array(LIVELIHOODS)[livelihood_idx]
    size = np.clip(1 + rng.poisson(1.05, n), 1, 6)
    pension = livelihood == "pension"
    head_age = np.where(pension, rng.normal(69, 6, n), rng.normal(47, 11, n)).clip(19, 88).round().astype(int)

    median = np.array([_INCOME_MEDIAN[lv] for lv in livelihood]) * (size / 3.0) ** 0.6
    sigma = np.array([_INCOME_SIGMA[lv] for lv in livelihood])
    annual_income = np.round(median * np.exp(rng.normal(0, sigma)), -2)
    discipline = rng.normal(0, 1, n)

    # Existing debt: business livelihoods borrow more; monthly service ~ 1/12 of balance * (1 + rate).
    has_loan = rng.random(n) < np.where(np.isin(livelihood, ["fishing", "mussel", "bnb", "shop"]), 0.65, 0.35)
    debt_balance = np.where(has_loan, np.round(annual_income * rng.gamma(2.0, 0.35, n), -2), 0.0)

    # Monthly inflows from 2022-01 for FLOW_MONTHS months.
    months = pd.date_range(FLOW_START, periods=FLOW_MONTHS, freq="MS")
    season = np.array([_SEASON[lv] for lv in livelihood])[:, months.month - 1]
    typhoon = np.isin(months.year, TYPHOON_YEARS) & np.isin(months.month, [8, 9])
    exposed = np.isin(livelihood, ["mussel", "fishing"])[:, None] & typhoon[None, :]
    shock = np.where(exposed, rng.uniform(0.1, 0.6, (n, 1)), 1.0)
    growth = (1.0 + rng.normal(0.04, 0.05, (n, 1))) ** (np.arange(FLOW_MONTHS)[None, :] / 12)
    banked_share = rng.beta(6, 2, (n, 1))  # not all income passes through this bank
    inflow = annual_income[:, None] / 12 * season * shock * growth * banked_share
    inflow = np.round(inflow * rng.lognormal(0, 0.15, inflow.shape), 2)
    outflow = np.round(inflow * rng.uniform(0.75, 1.02, inflow.shape) + debt_balance[:, None] / 24, 2)
    start_balance = annual_income * rng.uniform(0.02, 0.4, n)
    balance = np.round(start_balance[:, None] + np.cumsum(inflow - outflow, axis=1), 2)
    account_flows = pd.DataFrame(
        {
            "household_id": np.repeat(hh_ids, FLOW_MONTHS),
            "month": np.tile(months.values, n),
            "inflow": inflow.ravel(),
            "outflow": outflow.ravel(),
            "balance": balance.ravel(),
        }
    )

    # Repayment grid per month for households with a loan: a Markov chain over overdue depth 0..7.
    stress = 1.0 / np.maximum(season * shock, 0.2)  # low-income months stress repayment
    loan_rows = np.flatnonzero(has_loan)
    depth = np.zeros((loan_rows.size, FLOW_MONTHS), dtype=int)
    state = np.zeros(loan_rows.size, dtype=int)
    enter_logit = -4.3 - 1.3 * discipline[loan_rows]
    for m in range(FLOW_MONTHS):
        p_enter = _sigmoid(enter_logit[:] + 0.35 * np.log(stress[loan_rows, m]))
        u = rng.random(loan_rows.size)
        deeper = (state > 0) & (u < _sigmoid(-0.6 - 0.8 * discipline[loan_rows]))
        state = np.where(state == 0, (u < p_enter).astype(int), np.where(deeper, np.minimum(state + 1, 7), 0))
        depth[:, m] = state
    codes = np.array(list("N1234567"))[depth]
    account_ids = np.array([f"L{h[1:]}" for h in hh_ids[loan_rows]])
    five_class = np.where(depth.max(axis=1) >= 4, "次级", np.where(depth.max(axis=1) >= 2, "关注", "正常"))
    loan_accounts = pd.DataFrame(
        {
            "account_id": account_ids,
            "household_id": hh_ids[loan_rows],
            "opened": FLOW_START - pd.to_timedelta(rng.integers(30, 900, loan_rows.size), unit="D"),
            "balance": debt_balance[loan_rows],
            "monthly_payment": np.round(debt_balance[loan_rows] / 12 * 1.05, 2),
        }
    )
    repayment_history = pd.DataFrame(
        {
            "account_id": np.repeat(account_ids, FLOW_MONTHS),
            "household_id": np.repeat(hh_ids[loan_rows], FLOW_MONTHS),
            "month": np.tile(months.values, loan_rows.size),
            "status": codes.ravel(),
            "five_class": np.repeat(five_class, FLOW_MONTHS),
        }
    )

    # Credit-report queries: more for less disciplined households, spread over the flow window.
    n_queries = rng.poisson(np.exp(0.6 - 0.5 * discipline) * 2.0)
    q_hh = np.repeat(hh_ids, n_queries)
    q_dates = FLOW_START + pd.to_timedelta(rng.integers(0, FLOW_MONTHS * 30, q_hh.size), unit="D")
    credit_queries = pd.DataFrame({"household_id": q_hh, "query_date": q_dates,
                                   "reason": rng.choice(["贷款审批", "信用卡审批", "贷后管理"], q_hh.size)})

    # People: head of household with a valid ID number.
    app_window_days = (APPLICATION_WINDOW[1] - APPLICATION_WINDOW[0]).days
    app_dates = APPLICATION_WINDOW[0] + pd.to_timedelta(rng.integers(0, app_window_days, n), unit="D")
    births = [
        (d - pd.DateOffset(years=int(a)) - pd.Timedelta(days=int(rng.integers(1, 365)))).date()
        for d, a in zip(app_dates, head_age, strict=True)
    ]
    native = rng.random(n) < 0.9
    regions = np.where(native, SHENGSI_REGION, rng.choice(OTHER_REGIONS, n))
    sequences = rng.integers(0, 1000, n)
    id_numbers = [make_id_number(r, b, int(s)) for r, b, s in zip(regions, births, sequences, strict=True)]
    names = _names(rng, n)
    phones = [f"1{rng.choice([3, 5, 8])}{x:09d}" for x in rng.integers(0, 10**9, n)]

    income_cap = 100_000 * size / 3
    low_income_assist = rng.random(n) < 0.04
    non_resident = ~native & (rng.random(n) < 0.5)
    is_kuozhong = (annual_income <= income_cap * 1.05) & ~low_income_assist & ~non_resident
    reasons = [
        ";".join(t for t, flag in (("收入超标", inc > cap * 1.05), ("非本地常住", nr), ("已享受低收入帮扶", la))
                 if flag)
        for inc, cap, nr, la in zip(annual_income, income_cap, non_resident, low_income_assist, strict=True)
    ]
    base_list = pd.DataFrame(
        {
            "household_id": hh_ids, "name": names, "id_number": id_numbers, "household_size": size,
            "region_code": SHENGSI_REGION, "township": np.array(TOWNSHIPS)[township_idx],
            "is_kuozhong": is_kuozhong, "non_kuozhong_reasons": reasons,
        }
    )
    bank_customer = rng.random(n) < 0.75
    bank_customers = pd.DataFrame(
        {
            "customer_id": [f"C{h[1:]}" for h in hh_ids[bank_customer]],
            "household_id": hh_ids[bank_customer],
            "name": np.array(names)[bank_customer],
            "id_number": np.array(id_numbers)[bank_customer],
            "phone": np.array(phones)[bank_customer],
            "accounts": rng.integers(1, 4, bank_customer.sum()),
        }
    )

    # Applications and the ground truth of their outcome.
    applies = rng.random(n) < config.application_rate
    purpose = np.where(np.isin(livelihood, ["fishing", "mussel", "bnb", "shop"]), "business",
                       rng.choice(PURPOSES, n))
    requested = np.round(np.clip(annual_income * rng.uniform(0.3, 1.5, n), 10_000, 500_000), -3)
    app_month_idx = ((app_dates.year - FLOW_START.year) * 12 + app_dates.month - 1).to_numpy()
    months_idx = np.arange(FLOW_MONTHS)[None, :]
    last12 = (months_idx < app_month_idx[:, None]) & (months_idx >= app_month_idx[:, None] - 12)
    observed_income = np.where(last12, inflow, 0.0).sum(axis=1) / banked_share[:, 0]
    overdue_depth_recent = np.zeros(n)
    recent = (months_idx < app_month_idx[loan_rows, None]) & (months_idx >= app_month_idx[loan_rows, None] - 12)
    overdue_depth_recent[loan_rows] = np.where(recent, depth, 0).sum(axis=1)
    monthly_service = (debt_balance + requested) / 12 * 1.04
    worst_season_income = annual_income / 12 * np.min(season, axis=1).clip(0.05)
    declared_income = np.round(annual_income * np.exp(rng.normal(0.0, 0.12, n) - 0.25 * np.minimum(discipline, 0)), -2)
    declared_gap = np.log(declared_income / np.maximum(observed_income, 1_000))

    logit = (
        -3.6
        - 0.95 * discipline
        + 0.9 * np.tanh(monthly_service / np.maximum(annual_income / 12, 500) - 1.2)
        + 0.5 * np.log1p(monthly_service / np.maximum(worst_season_income, 200)) * exposed.any(axis=1)
        + 0.35 * np.sqrt(overdue_depth_recent)
        + 0.8 * np.clip(declared_gap, 0, 2) ** 2
        + 0.015 * np.abs(head_age - 45)
        - 0.25 * (size >= 3)
    )
    true_pd = _sigmoid(logit)
    default = rng.random(n) < true_pd
    apps_idx = np.flatnonzero(applies)
    applications = pd.DataFrame(
        {
            "application_id": [f"A{h[1:]}" for h in hh_ids[apps_idx]],
            "household_id": hh_ids[apps_idx],
            "application_date": app_dates[apps_idx].normalize(),
            "purpose": purpose[apps_idx],
            "requested_amount": requested[apps_idx],
            "default_12m": default[apps_idx].astype(int),
            "true_pd": true_pd[apps_idx],
        }
    )

    visits = []
    for i in range(n):
        visit_date = app_dates[i] - pd.Timedelta(days=int(rng.integers(3, 60)))
        members = [{"relation": "户主", "age": int(head_age[i]), "sex": "M" if int(id_numbers[i][16]) % 2 else "F",
                    "civil_capacity": "full", "health": "good"}]
        for _ in range(int(size[i]) - 1):
            age = int(rng.choice([rng.integers(0, 18), rng.integers(18, 60), rng.integers(60, 90)], p=[0.35, 0.4, 0.25]))
            members.append({"relation": "家庭成员", "age": age, "sex": str(rng.choice(["M", "F"])),
                            "civil_capacity": "full" if age >= 18 else "minor",
                            "health": str(rng.choice(["good", "chronic", "serious"], p=[0.8, 0.15, 0.05]))})
        visits.append(
            {
                "visit_id": f"V{hh_ids[i][1:]}",
                "household_id": str(hh_ids[i]),
                "account_manager_id": f"AM{int(township_idx[i]):02d}{int(rng.integers(0, 4))}",
                "visited_at": visit_date.isoformat(),
                "applicant": {"name": names[i], "id_number": id_numbers[i], "phone": phones[i]},
                "residence": {"township": TOWNSHIPS[township_idx[i]], "fixed_residence": bool(rng.random() > 0.02),
                              "years_at_address": int(rng.integers(1, 40))},
                "members": members,
                "livelihood": str(livelihood[i]),
                "declared_income": {"main": float(declared_income[i])},
                "assets": {"fishing_boat": bool(livelihood[i] == "fishing" and rng.random() < 0.6),
                           "house": bool(rng.random() < 0.8)},
                "requested_amount": float(requested[i]),
                "purpose": str(purpose[i]),
                "declaration_signed": bool(rng.random() > 0.03),
            }
        )
    log.info("simulated %d households, %d applications", n, len(applications))
    return County(base_list, bank_customers, visits, account_flows, loan_accounts, repayment_history,
                  credit_queries, applications)
