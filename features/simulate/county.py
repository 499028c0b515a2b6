"""A simulated Shengsi County: every raw source the program sees, with a known generative story and ground truth.

The generative story (kept in step with docs/simulator.md; sources and columns in docs/raw-sources.md):

1. Households are placed in the seven townships by their 2000 population shares; size is 1 + Poisson(1.05)
   (mean ≈ 2.05, the 2020 census figure); members (spouse, children, parents, grandchildren) are aged around an
   old head of household, with civil capacity, health and schooling by age.
2. Each household has one main livelihood whose odds depend on the township (mussel farming in 枸杞, port jobs in
   洋山, B&Bs in 花鸟 and 嵊山 ...). Annual income is log-normal by livelihood and size; monthly income follows the
   livelihood's season (capture fishing earns nothing during the 1 May – 16 Sep moratorium; mussels are sold in
   Jul–Aug; B&Bs peak in Jul–Aug), and typhoon years (2022, 2024) cut aquaculture and fishing income in Aug–Sep.
3. A latent financial discipline ``z`` ~ N(0, 1) drives overdue behaviour on existing loans (a monthly Markov
   chain through the PBOC grid codes N, 1..7, then B/D for written-off loans), credit-report queries, and how
   honestly income is declared on the visit form.
4. Each application's true probability of default (90+ days past due within 12 months) is a nonlinear function of
   latent discipline, the debt-service burden in the household's worst season (seasonal income × debt service),
   recent arrears, the gap between declared and observed income, age and serious illness. Outcomes are Bernoulli
   draws from it, so the oracle AUC (true PD against drawn outcomes) is the ceiling for any model.
5. The bank approves most eligible applicants (a noisy view of their risk), signs one-year 共富 loans and keeps a
   ledger of balance events; borrowers are revisited a year later with income grown (跃迁 when above the cap),
   and the 扩中 list is refreshed every January (households dropped with reasons).
6. Field-data messiness is then layered on (``features.simulate.mess``) and caught by ``features.sources.schemas``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.files import atomic_path, write_text_atomic
from features.simulate.bank import app_month_index, credit_reports, sigmoid, simulate_bank
from features.simulate.forms import (
    account_managers,
    income_by_source,
    plan_visits,
    revisit_forms,
    visit_forms,
)
from features.simulate.households import Households, draw_households
from features.simulate.ledger import income_growth, list_refresh, loan_ledger
from features.simulate.mess import make_messy
from features.simulate.review import review_events
from features.simulate.world import (
    FLOW_MONTHS,
    HOUSEHOLD_INCOME_CAP,
    LIST_DATE,
    LIVELIHOODS,
    PURPOSES,
    SHENGSI_REGION,
    TOWNSHIPS,
)

log = logging.getLogger(__name__)

__all__ = ["LIVELIHOODS", "PURPOSES", "TOWNSHIPS", "County", "SimulationConfig", "outcomes_as_booked",
           "simulate_county"]

# Tables written as Parquet, in this order; visit and revisit forms are JSON as the PAD exports them.
TABLES = ("base_list", "bank_customers", "account_flows", "loan_accounts", "repayment_history", "credit_queries",
          "credit_reports", "applications", "loan_ledger", "loan_events", "list_refresh", "account_managers",
          "ground_truth")
FORMS = ("visits", "revisits", "review_events")  # review_events: the government's list review (replayed by the demo)


@dataclass(frozen=True)
class SimulationConfig:
    """How big a county to simulate, and how."""

    households: int = 3_000
    seed: int = 20230712
    application_rate: float = 0.45
    messiness: float = 1.0  # multiplies every rate of field-data mistakes (0 gives clean data)
    id_offset: int = 0  # first household number (province shards number their households consecutively)
    shard: int | None = None  # province shard index: seeds the shard's own random stream


@dataclass
class County:
    """Every raw source the simulator writes, as DataFrames (visit and revisit forms as lists of PAD records)."""

    base_list: pd.DataFrame
    bank_customers: pd.DataFrame
    visits: list[dict]
    account_flows: pd.DataFrame
    loan_accounts: pd.DataFrame
    repayment_history: pd.DataFrame
    credit_queries: pd.DataFrame
    applications: pd.DataFrame
    credit_reports: pd.DataFrame = field(default_factory=pd.DataFrame)
    loan_ledger: pd.DataFrame = field(default_factory=pd.DataFrame)
    loan_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    revisits: list[dict] = field(default_factory=list)
    list_refresh: pd.DataFrame = field(default_factory=pd.DataFrame)
    account_managers: pd.DataFrame = field(default_factory=pd.DataFrame)
    ground_truth: pd.DataFrame = field(default_factory=pd.DataFrame)
    review_events: list[dict] = field(default_factory=list)
    # every application's true PD and simulated outcome, and whether a loan was booked: for evaluation only
    application_truth: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def oracle_auc(self) -> float:
        """AUC of the true default probabilities against the drawn outcomes: the ceiling for any model."""
        apps = self.applications
        return float(roc_auc_score(apps["default_12m"], apps["true_pd"]))

    def write(self, out: Path) -> dict[str, Path]:
        """Write each source to ``out`` (Parquet; forms as JSON), each file via a temporary file and a rename."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        names = {f.name for f in fields(self)}
        for name in TABLES:
            if name in names:
                path = out / f"{name}.parquet"
                with atomic_path(path) as tmp:
                    getattr(self, name).to_parquet(tmp, index=False)
                paths[name] = path
        for name in FORMS:
            path = out / f"{name}.json"
            write_text_atomic(path, json.dumps(getattr(self, name), ensure_ascii=False, sort_keys=True))
            paths[name] = path
        return paths


def _rng(config: SimulationConfig) -> np.random.Generator:
    if config.shard is None:
        return np.random.default_rng(config.seed)
    return np.random.default_rng(np.random.SeedSequence([config.seed, config.shard]))


def _base_list(rng: np.random.Generator, hh: Households, non_resident: np.ndarray) -> pd.DataFrame:
    cap = HOUSEHOLD_INCOME_CAP * hh.size / 3
    over = hh.annual_income > cap * 1.05
    assisted = rng.random(hh.n) < 0.04
    is_kuozhong = ~over & ~assisted & ~non_resident
    reasons = [";".join(t for t, f in (("收入超标", a), ("非本地常住", b), ("已享受低收入帮扶", c)) if f)
               for a, b, c in zip(over, non_resident, assisted, strict=True)]
    return pd.DataFrame({
        "household_id": hh.ids, "name": hh.names, "id_number": hh.id_numbers, "household_size": hh.size,
        "region_code": SHENGSI_REGION, "township": np.array(TOWNSHIPS)[hh.township],
        "is_kuozhong": is_kuozhong, "non_kuozhong_reasons": reasons, "listed_on": LIST_DATE,
    })


def _bank_customers(rng: np.random.Generator, hh: Households, customer: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(customer)
    return pd.DataFrame({
        "customer_id": np.char.add("C", np.char.lstrip(hh.ids[rows].astype(str), "H")),
        "household_id": hh.ids[rows], "name": hh.names[rows], "id_number": hh.id_numbers[rows],
        "phone": hh.phones[rows], "accounts": rng.integers(1, 4, rows.size),
        "customer_since": pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 6_200, rows.size), unit="D"),
    })


def simulate_county(config: SimulationConfig) -> County:
    """Simulate households, their raw records and their loan outcomes; same config and seed, same county."""
    rng = _rng(config)
    n = config.households
    prefix = f"H{config.seed % 10_000:04d}"
    hh = draw_households(rng, n, prefix, config.id_offset)
    bank = simulate_bank(rng, hh)

    applies = rng.random(n) < config.application_rate
    business = np.isin(hh.livelihood, ["fishing", "mussel", "bnb", "shop"])
    purpose = np.where(business, "business", np.array(PURPOSES)[rng.integers(0, len(PURPOSES), n)])
    requested = np.round(np.clip(hh.annual_income * rng.uniform(0.3, 1.5, n), 10_000, 500_000), -3)
    app_month = app_month_index(hh.app_dates)
    months_idx = np.arange(FLOW_MONTHS)[None, :]
    last12 = (months_idx < app_month[:, None]) & (months_idx >= app_month[:, None] - 12)
    observed_income = np.where(last12, bank.inflow, 0.0).sum(axis=1) / bank.banked_share
    overdue_recent = np.where(last12, bank.depth, 0).sum(axis=1).astype(float)
    monthly_service = (bank.debt_balance + requested) / 12 * 1.04
    worst_season_income = hh.annual_income / 12 * np.min(hh.season, axis=1).clip(0.05)
    declared = np.round(hh.annual_income * np.exp(rng.normal(0.0, 0.12, n) - 0.25 * np.minimum(hh.discipline, 0)), -2)
    declared_gap = np.log(declared / np.maximum(observed_income, 1_000))
    m = hh.members
    serious = np.bincount(m.household, weights=m.health == "serious", minlength=n)

    logit = (
        -3.6
        - 0.95 * hh.discipline
        + 0.9 * np.tanh(monthly_service / np.maximum(hh.annual_income / 12, 500) - 1.2)
        + 0.5 * np.log1p(monthly_service / np.maximum(worst_season_income, 200)) * hh.exposed.any(axis=1)
        + 0.35 * np.sqrt(overdue_recent)
        + 0.8 * np.clip(declared_gap, 0, 2) ** 2
        + 0.015 * np.abs(hh.head_age - 45)
        - 0.25 * (hh.size >= 3)
        + 0.3 * np.minimum(serious, 2)
    )
    true_pd = sigmoid(logit)
    default = rng.random(n) < true_pd

    non_resident = ~hh.native & (rng.random(n) < 0.5)
    fixed_residence = ~non_resident & (rng.random(n) > 0.02)
    signed = rng.random(n) > 0.03
    base_list = _base_list(rng, hh, non_resident)
    head_civil = m.civil_capacity[m.start]
    recent_bad = np.where(last12 | (months_idx >= app_month[:, None] - 24) & (months_idx < app_month[:, None]),
                          bank.depth, 0).max(axis=1) >= 3
    eligible = (base_list["is_kuozhong"].to_numpy() & fixed_residence & signed & (head_civil == "full")
                & (hh.head_age >= 18) & (hh.head_age <= 65) & ~recent_bad)
    bank_view = logit + rng.normal(0, 0.8, n)
    approved_hh = applies & eligible & (bank_view < np.quantile(bank_view, 0.85))

    plan = plan_visits(rng, hh, applies)
    apps_idx = np.flatnonzero(applies)
    applications = pd.DataFrame({
        "application_id": np.char.add("A", np.char.lstrip(hh.ids[apps_idx].astype(str), "H")),
        "household_id": hh.ids[apps_idx],
        "application_date": hh.app_dates[apps_idx].normalize(),
        "product_code": [f"GF-{p}" for p in pd.Series(purpose[apps_idx]).map(
            {"business": "JY", "medical": "ZY", "education": "ZX", "housing": "AJ"})],
        "purpose": purpose[apps_idx],
        "requested_amount": requested[apps_idx],
        "account_manager_id": plan.manager[apps_idx],
        "approved": approved_hh[apps_idx],
        "default_12m": default[apps_idx].astype(int),
        "true_pd": true_pd[apps_idx],
    })
    report_dates = applications["application_date"] - pd.to_timedelta(rng.integers(1, 10, apps_idx.size), unit="D")
    reports = credit_reports(applications, bank, report_dates)
    ledger, events = loan_ledger(rng, applications, applications["approved"].to_numpy(), plan.manager[apps_idx])

    by_source = income_by_source(rng, hh, declared)
    visits = visit_forms(rng, hh, plan, declared, by_source, requested, purpose, bank.debt_balance, signed,
                         fixed_residence)
    growth = income_growth(rng, n, pd.Series(hh.ids).isin(ledger["household_id"]).to_numpy())
    revisits, revisit_income = revisit_forms(rng, hh, plan, ledger, applications, by_source, growth)
    refresh = list_refresh(rng, base_list, hh.annual_income, growth, hh.head_age)
    truth = pd.DataFrame({
        "household_id": hh.ids, "discipline": hh.discipline, "annual_income": hh.annual_income,
        "livelihood": hh.livelihood, "typhoon_exposed": hh.exposed.any(axis=1), "eligible": eligible,
        "true_pd": true_pd, "income_growth": growth, "revisit_income": revisit_income,
        "upward_mobile": revisit_income > HOUSEHOLD_INCOME_CAP * hh.size / 3,
        "hurried_visit": plan.hurried & plan.visited,
    })
    county = County(base_list, _bank_customers(rng, hh, bank.customer), visits, bank.account_flows,
                    bank.loan_accounts, bank.repayment_history, bank.credit_queries, applications, reports, ledger,
                    events, revisits, refresh, account_managers(), truth)
    county.visits, county.bank_customers, county.base_list = make_messy(
        rng, county.visits, county.bank_customers, county.base_list, config.messiness)
    # its own random stream (features.simulate.review), so the sources above stay as they were
    county.review_events = review_events(config.seed if config.shard is None else config.seed + config.shard,
                                         county.visits, county.base_list)
    county.application_truth = pd.DataFrame({
        "application_id": applications["application_id"].astype(str), "true_pd": applications["true_pd"],
        "outcome_12m": applications["default_12m"].astype(int), "booked": applications["approved"].astype(bool)})
    log.info("simulated %d households, %d applications, %d loans", n, len(applications), len(ledger))
    return county


def outcomes_as_booked(county: County) -> County:
    """The county with ``default_12m`` kept only where a loan was booked (NA elsewhere), as a bank records it.

    The outcome of an application the bank declined is never observed; ``application_truth`` keeps it for
    evaluation.
    """
    apps = county.applications.copy()
    booked = county.application_truth.set_index("application_id").loc[apps["application_id"], "booked"].to_numpy()
    apps["default_12m"] = apps["default_12m"].astype("Int64").where(booked)
    return replace(county, applications=apps)
