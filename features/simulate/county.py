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
   chain through the PBOC grid codes N, 1..7, then B/D for written-off loans), credit-report queries, how
   honestly income is declared on the visit form, and how the deposit account is kept: how much and how evenly
   the household spends, direct debits returned unpaid, a saving plan kept up (``features.simulate.bank``).
4. Each application's true probability of default (90+ days past due within 12 months) is a nonlinear function of
   latent discipline, the debt-service burden in the household's worst season (seasonal income × debt service),
   recent arrears, the gap between declared and observed income, age and serious illness. Outcomes are Bernoulli
   draws from it, so the oracle AUC (true PD against drawn outcomes) is the ceiling for any model.
5. The bank approves most eligible applicants (a noisy view of their risk), signs a credit line and a one-year
   共富 drawdown on it, secured by what the household holds or by a guarantor household, and keeps a ledger of
   balance events; borrowers are revisited a year later with income grown (跃迁 when above the cap), the 扩中
   list is refreshed every January (households dropped with reasons), and a drawdown repaid in good standing at
   maturity may be renewed (``features.simulate.renewals``). The sources end with the pilot (2025-12-31).
6. Field-data messiness is then layered on (``features.simulate.mess``) and caught by ``features.sources.schemas``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.files import atomic_path, write_text_atomic
from features.simulate.bank import app_month_index, credit_reports, sigmoid, simulate_bank
from features.simulate.forms import (
    Holdings,
    account_managers,
    draw_holdings,
    income_by_source,
    plan_visits,
    revisit_forms,
    visit_forms,
)
from features.simulate.households import Households, draw_households
from features.simulate.ledger import income_growth, known_by, list_refresh, loan_ledger
from features.simulate.mess import make_messy
from features.simulate.renewals import barred_from_new_loans, guarantor_records, renew_lines
from features.simulate.review import review_events
from features.simulate.world import (
    BUSINESS_LIVELIHOODS,
    FLOW_MONTHS,
    HOUSEHOLD_INCOME_CAP,
    LIST_DATE,
    LIST_INCOME_FLOOR,
    LIVELIHOODS,
    PILOT_END,
    PROVINCE_LIST_MISSING,
    PURPOSES,
    SHENGSI_REGION,
    TOWNSHIPS,
)

log = logging.getLogger(__name__)

__all__ = ["LIVELIHOODS", "PURPOSES", "TOWNSHIPS", "County", "SimulationConfig",
           "simulate_county"]

# Tables written as Parquet, in this order; visit and revisit forms are JSON as the PAD exports them.
TABLES = ("base_list", "bank_customers", "account_flows", "loan_accounts", "repayment_history", "credit_queries",
          "credit_reports", "applications", "loan_ledger", "loan_events", "loan_guarantors", "list_refresh",
          "account_managers",
          "ground_truth", "application_truth")
FORMS = ("visits", "revisits", "review_events")  # review_events: the government's list review (replayed by the demo)


@dataclass(frozen=True)
class SimulationConfig:
    """How big a county to simulate, and how."""

    households: int = 3_000
    seed: int = 20230712
    application_rate: float = 0.4  # of visited households that pass the program's rules (the others: below)
    ineligible_application_rate: float = 0.12  # of visited households that fail a rule but apply all the same
    # log-odds added to every application's true PD: 0 is the plan's county (booked loans default at rural-bank
    # rates); a positive shift is a harder year or a riskier book, e.g. a small county with enough defaults to train on
    risk_shift: float = 0.0
    messiness: float = 1.0  # multiplies every rate of field-data mistakes (0 gives clean data)
    id_offset: int = 0  # first household number (province shards number their households consecutively)
    shard: int | None = None  # province shard index: seeds the shard's own random stream

    @classmethod
    def trainable(cls, households: int, seed: int, **overrides: float) -> SimulationConfig:
        """A busier, riskier county than the plan's, for demos and tests whose county is small.

        The plan's county books about 5% of its households' applications and they default at rural-bank rates
        (~2%): a few thousand households hold a handful of bad loans, too few to train on. Here every visited
        eligible household applies, half of the others do, and PD log-odds are 1.5 higher: about 6% of booked
        loans default, and the booked book's PDs spread over the policy's grades as a rural bank's would (most
        in A-C, a tail in D and E; docs/simulator.md).
        """
        settings = {"application_rate": 1.0, "ineligible_application_rate": 0.5, "risk_shift": 1.5, **overrides}
        return cls(households=households, seed=seed, **settings)  # type: ignore[arg-type]


def truth_auc(outcome: np.ndarray, true_pd: np.ndarray) -> float:
    """AUC of true PDs against drawn outcomes; NaN when the outcomes hold one class (a small, quiet county)."""
    if len(np.unique(outcome)) < 2:
        return float("nan")
    return float(roc_auc_score(outcome, true_pd))


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
    loan_guarantors: pd.DataFrame = field(default_factory=pd.DataFrame)
    revisits: list[dict] = field(default_factory=list)
    list_refresh: pd.DataFrame = field(default_factory=pd.DataFrame)
    account_managers: pd.DataFrame = field(default_factory=pd.DataFrame)
    ground_truth: pd.DataFrame = field(default_factory=pd.DataFrame)
    review_events: list[dict] = field(default_factory=list)
    # Every application's true PD and simulated outcome, booked or not, and whether a booked loan's 12 months had
    # passed by the end of the data (``mature``): for evaluation, never for training.
    application_truth: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def oracle_auc(self) -> float:
        """AUC of the true default probabilities against the drawn outcomes of every application: any model's ceiling."""
        return truth_auc(self.application_truth["outcome_12m"].to_numpy(), self.application_truth["true_pd"].to_numpy())

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


def _base_list(rng: np.random.Generator, hh: Households, non_resident: np.ndarray, customer: np.ndarray,
               ) -> pd.DataFrame:
    """The initial list: the bank's customers matched to the province's list, income as its records show it.

    扩中 households sit between the low-income group the county helps otherwise (提低) and the program's cap; the
    province's records miss part of the cash income of fishing, mussel, B&B and shop households.
    """
    cap = HOUSEHOLD_INCOME_CAP * hh.size / 3
    business = np.isin(hh.livelihood, BUSINESS_LIVELIHOODS)
    recorded = hh.annual_income * np.where(business, rng.uniform(0.8, 1.0, hh.n), rng.uniform(0.92, 1.05, hh.n))
    over = recorded > cap * 1.05
    low = recorded < cap * LIST_INCOME_FLOOR
    assisted = rng.random(hh.n) < 0.04
    unrecorded = rng.random(hh.n) < PROVINCE_LIST_MISSING  # no data of the household in the province's base list
    is_kuozhong = ~over & ~low & ~assisted & ~non_resident & customer & ~unrecorded
    reasons = [";".join(t for t, f in (("收入超标", a), ("收入低于扩中下限", d), ("非本地常住", b), ("已享受低收入帮扶", c),
                                       ("非本行客户", e), ("省级名单未收录", g)) if f)
               for a, b, c, d, e, g in zip(over, non_resident, assisted, low, ~customer, unrecorded, strict=True)]
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


def _collateral(rng: np.random.Generator, hh: Households, holds: Holdings) -> np.ndarray:
    """What secures a line: the plan's 捕捞证/养殖证 pledges and house mortgages, a guarantor, or nothing (信用).

    A pledge or mortgage is only ever on something the household holds: 捕捞证质押 on a fishing household's
    licence, 养殖证抵押 on a mussel farmer's, 住房抵押 on an owned house.
    """
    u = rng.random(hh.n)
    fishing_permit = holds.licence & (hh.livelihood == "fishing")
    farm_permit = holds.licence & (hh.livelihood == "mussel")
    return np.select(
        [fishing_permit & (u < 0.41), farm_permit & (u < 0.47), holds.house & (u < 0.15), u < 0.5],
        ["捕捞证质押", "养殖证抵押", "住房抵押", "保证"], "信用")


def declared_income(rng: np.random.Generator, income: np.ndarray, discipline: np.ndarray, cap: np.ndarray,
                    ) -> np.ndarray:
    """Income as the visit form declares it: noisy, less honest with low discipline, and shaded under the cap.

    Over half of the households a little above the cap (up to 1.35 times it) declare under it: most just under
    it, a fifth of them only a third to a half of what they earn (the livelihood's cash left out); only the
    account flows give them away.
    """
    n = income.size
    declared = income * np.exp(rng.normal(0.0, 0.12, n) - 0.25 * np.minimum(discipline, 0))
    near_cap = (income > cap) & (income <= cap * 1.35) & (rng.random(n) < 0.6)
    blatant = rng.random(n) < 0.2
    shaded = np.where(blatant, income * rng.uniform(0.3, 0.5, n), cap * rng.uniform(0.85, 0.99, n))
    declared = np.where(near_cap, shaded, declared)
    return np.round(declared, -2)


def simulate_county(config: SimulationConfig) -> County:
    """Simulate households, their raw records and their loan outcomes; same config and seed, same county."""
    rng = _rng(config)
    n = config.households
    prefix = f"H{config.seed % 10_000:04d}"
    hh = draw_households(rng, n, prefix, config.id_offset)
    bank = simulate_bank(rng, hh)

    non_resident = ~hh.native & (rng.random(n) < 0.5)
    fixed_residence = ~non_resident & (rng.random(n) > 0.02)
    signed = rng.random(n) > 0.03
    base_list = _base_list(rng, hh, non_resident, bank.customer)
    listed = base_list["is_kuozhong"].to_numpy()
    m = hh.members
    head_civil = m.civil_capacity[m.start]
    app_month = app_month_index(hh.app_dates)
    months_idx = np.arange(FLOW_MONTHS)[None, :]
    last12 = (months_idx < app_month[:, None]) & (months_idx >= app_month[:, None] - 12)
    recent_bad = np.where((months_idx >= app_month[:, None] - 24) & (months_idx < app_month[:, None]),
                          bank.depth, 0).max(axis=1) >= 3
    eligible = (listed & fixed_residence & signed & (head_civil == "full")
                & (hh.head_age >= 18) & (hh.head_age <= 65) & ~recent_bad)
    # Stage 2 visits almost every listed household (and some others the bank serves); visited households that
    # meet the rules apply far more often than those that do not.
    visited = np.where(listed, rng.random(n) < 0.95, rng.random(n) < 0.08)
    # a household visited in the pilot's last weeks has no time left to apply within it
    in_time = hh.app_dates.to_numpy() >= hh.visit_dates.normalize().to_numpy()
    applies = visited & in_time & (rng.random(n) < np.where(eligible, config.application_rate,
                                                   config.ineligible_application_rate))

    business = np.isin(hh.livelihood, BUSINESS_LIVELIHOODS)
    purpose = np.where(business, "business", np.array(PURPOSES)[rng.integers(0, len(PURPOSES), n)])
    # A household asks for a credit line (授信) of about one to two years' income and draws part of it (用信).
    requested = np.round(np.clip(hh.annual_income * rng.uniform(1.0, 2.8, n), 10_000, 500_000), -4)
    draw_share = rng.uniform(0.1, 0.5, n)
    holds = draw_holdings(rng, hh)
    collateral = _collateral(rng, hh, holds)
    observed_income = np.where(last12, bank.inflow, 0.0).sum(axis=1) / bank.banked_share
    overdue_recent = np.where(last12, bank.depth, 0).sum(axis=1).astype(float)
    monthly_service = (bank.debt_balance + requested * draw_share) / 12 * 1.04
    worst_season_income = hh.annual_income / 12 * np.min(hh.season, axis=1).clip(0.05)
    declared = declared_income(rng, hh.annual_income, hh.discipline, HOUSEHOLD_INCOME_CAP * hh.size / 3)
    declared_gap = np.log(declared / np.maximum(observed_income, 1_000))
    serious = np.bincount(m.household, weights=m.health == "serious", minlength=n)
    # The typhoon season inside the loan's year (Aug-Sep of a typhoon year) hits fishing and mussel households.
    ahead = (months_idx >= app_month[:, None]) & (months_idx < app_month[:, None] + 12)
    typhoon_ahead = (hh.exposed & ahead).any(axis=1)

    logit = (
        -4.5
        - 0.95 * hh.discipline
        + 0.9 * np.tanh(monthly_service / np.maximum(hh.annual_income / 12, 500) - 1.2)
        + 0.5 * np.log1p(monthly_service / np.maximum(worst_season_income, 200)) * typhoon_ahead
        + 0.9 * typhoon_ahead
        + 0.35 * np.sqrt(overdue_recent)
        + 0.8 * np.clip(declared_gap, 0, 2) ** 2
        + 0.015 * np.abs(hh.head_age - 45)
        - 0.25 * (hh.size >= 3)
        + 0.3 * np.minimum(serious, 2)
        + config.risk_shift
    )
    true_pd = sigmoid(logit)
    outcome = rng.random(n) < true_pd

    bank_view = logit + rng.normal(0, 0.8, n)
    approved_hh = applies & eligible & (bank_view < np.quantile(bank_view, 0.85))

    plan = plan_visits(rng, hh, visited)
    apps_idx = np.flatnonzero(applies)
    application_ids = np.char.add("A", np.char.lstrip(hh.ids[apps_idx].astype(str), "H"))
    booked = approved_hh[apps_idx]
    applications = pd.DataFrame({
        "application_id": application_ids,
        "household_id": hh.ids[apps_idx],
        "application_date": hh.app_dates[apps_idx].normalize(),
        "product_code": [f"GF-{p}" for p in pd.Series(purpose[apps_idx]).map(
            {"business": "JY", "medical": "ZY", "education": "ZX", "housing": "AJ"})],
        "purpose": purpose[apps_idx],
        "requested_amount": requested[apps_idx],
        "account_manager_id": plan.manager[apps_idx],
        "approved": booked,
        # a bank sees how a loan it booked performed, never how a declined applicant would have
        "default_12m": pd.Series(outcome[apps_idx].astype(int), dtype="Int64").where(booked),
    })
    application_truth = pd.DataFrame({"application_id": application_ids, "true_pd": true_pd[apps_idx],
                                      "outcome_12m": outcome[apps_idx].astype(int), "booked": booked})
    report_dates = applications["application_date"] - pd.to_timedelta(rng.integers(1, 10, apps_idx.size), unit="D")
    reports = credit_reports(applications, bank, report_dates)
    ledger, events = loan_ledger(rng, applications, booked, plan.manager[apps_idx], draw_share[apps_idx],
                                 collateral[apps_idx])

    by_source = income_by_source(rng, hh, declared)
    visits = visit_forms(rng, hh, plan, declared, by_source, requested, purpose, bank.debt_balance, signed,
                         fixed_residence, holds)
    growth = income_growth(rng, n, pd.Series(hh.ids).isin(ledger["household_id"]).to_numpy())
    revisits, revisit_income = revisit_forms(rng, hh, plan, ledger, applications, by_source, growth)
    refresh = list_refresh(rng, base_list, hh.annual_income, growth, hh.head_age)
    pd_of = application_truth.set_index("application_id")["true_pd"]
    ledger, events = renew_lines(rng, ledger, events, pd_of, barred_from_new_loans(refresh, revisits), PILOT_END)
    guarantors = guarantor_records(rng, ledger, hh, bank)
    # The sources are the bank's records at the end of the pilot: what is scheduled after it is not data yet.
    mature = booked & applications["application_id"].isin(
        ledger.loc[(ledger["renewal_no"] == 0) & (ledger["maturity_on"] <= PILOT_END), "application_id"]).to_numpy()
    # A loan's 12-month outcome is known once its 12 months have passed: a loan booked less than a year before the
    # end has none in the bank's records (its arrears so far are in the ledger); the truth keeps every outcome.
    applications["default_12m"] = applications["default_12m"].where(mature)
    application_truth["mature"] = mature
    ledger, events = known_by(ledger, events, PILOT_END)
    revisits = [r for r in revisits if pd.Timestamp(r["visited_at"]) < PILOT_END + pd.Timedelta(days=1)]
    refresh = refresh[refresh["refreshed_on"] <= PILOT_END].reset_index(drop=True)
    truth = pd.DataFrame({
        "household_id": hh.ids, "discipline": hh.discipline, "annual_income": hh.annual_income,
        "livelihood": hh.livelihood, "typhoon_exposed": hh.exposed.any(axis=1), "eligible": eligible,
        "true_pd": true_pd, "income_growth": growth, "revisit_income": revisit_income,
        "upward_mobile": revisit_income > HOUSEHOLD_INCOME_CAP * hh.size / 3,
        "hurried_visit": plan.hurried & plan.visited, "visited": visited, "applied": applies,
        "under_declared": declared < hh.annual_income * 0.85,
    })
    county = County(base_list, _bank_customers(rng, hh, bank.customer), visits, bank.account_flows,
                    bank.loan_accounts, bank.repayment_history, bank.credit_queries, applications, reports, ledger,
                    events, guarantors, revisits, refresh, account_managers(), truth,
                    application_truth=application_truth)
    county.visits, county.bank_customers, county.base_list = make_messy(
        rng, county.visits, county.bank_customers, county.base_list, config.messiness)
    # its own random stream (features.simulate.review), so the sources above stay as they were
    county.review_events = review_events(config.seed if config.shard is None else config.seed + config.shard,
                                         county.visits, county.base_list)
    log.info("simulated %d households, %d applications, %d loans", n, len(applications), len(ledger))
    return county

