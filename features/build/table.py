"""Household features from raw sources, each request at its own as-of date (nothing after it is read).

One path for training, batch and the API: ``FeatureBuilder`` indexes the sources by household once, then builds
any number of requests with the same array code. ``build_features`` (a batch) and ``FeatureBuilder.build_one``
(one application, the API's hot path) differ only in how many rows go through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.build.bank import (
    WINDOW,
    WORST_DSR_CAP,
    conduct_features,
    debt_features,
    flow_features,
    grid_features,
    query_features,
    zero_nan,
)
from features.build.final_list import FinalListIndex
from features.build.geo import gps_in_township
from features.build.ledger import LedgerIndex
from features.build.listing import ListIndex
from features.build.program import ProgramTerms
from features.build.sources import SourceIndex
from features.build.visit import INCOME_GROUP_NAMES, form_visit
from features.county import CATEGORIES, HOUSEHOLD_CLASSES
from features.ids import id_facts
from features.metadata import FEATURES, MODEL_FEATURES
from features.protect import Pseudonyms
from features.sources.load import RawSources

SAFETY_NET_INCOME_PER_HEAD = 20_000.0
STALE_VISIT_DAYS = 365
GOOD_VISIT_PHOTOS = 3
GOOD_VISIT_MINUTES = 20.0
_CLASS_BY_GROUP = {"business": "经营类", "wage": "就业类", "fishery": "农户类", "transfer": "托底类"}
_CLASS_BY_LIVELIHOOD = {"fishing": "农户类", "mussel": "农户类", "bnb": "经营类", "shop": "经营类",
                        "port": "就业类", "wage": "就业类", "pension": "托底类"}

# Columns the rule layer reads besides the model's features.
# The applicant's ID number itself never enters the table: ``applicant_key`` (a keyed pseudonym) joins, the masked
# ID is for display, and the rules read what they need of the ID (validity, birth date) from derived columns.
RULE_INPUT_COLUMNS = ("request_id", "household_id", "as_of", "applicant_key", "applicant_id_masked", "id_valid",
                      "applicant_birth_date", "applicant_age_from_id",
                      "fixed_residence", "residence_township", "civil_capacity", "declared_income",
                      "on_list", "declaration_signed", "requested_amount", "purpose", "bad_status_24m",
                      "lian3lei6", "worst_five_class", "applicant_age_on_form", "applicant_relation",
                      "list_status", "list_changed_on", "list_evidence", "upward_mobility_flagged_on",
                      "upward_mobility_evidence", "declared_income_total", "declared_income_sources",
                      "final_list_status", "final_list_version")
# Data-quality columns: which sources were missing for the request (codes joined by ';', '' when complete).
QUALITY_COLUMNS = ("dq_flags", "dq_flag_count")
DQ_CODES = {
    "NO_VISIT": "no visit form on or before the as-of date",
    "STALE_VISIT": f"the latest visit is more than {STALE_VISIT_DAYS} days old",
    "NO_FLOWS": "no account flows in the 12 months before the as-of month",
    "SHORT_FLOWS": "fewer than 12 months of account flows before the as-of month",
    "NO_BANK_RECORD": "the household is in no bank record (no flows, loans, grid or queries)",
    "NOT_ON_BASE_LIST": "the household is not on the base list",
    "NO_DECLARED_INCOME": "the visit form gives no declared income",
    "INVALID_ID": "the applicant's ID number is missing or fails GB 11643-1999",
}
# Credit features that are zero (not unknown) for a bank customer with no loan or query on record.
_ZERO_IF_CUSTOMER = ("debt_balance", "monthly_payment", "loan_count", "overdue_current", "overdue_months_6m",
                     "overdue_months_12m", "overdue_months_24m", "max_consecutive_overdue_24m", "worst_status_24m",
                     "bad_status_24m", "lian3lei6", "worst_five_class", "queries_3m", "queries_6m", "queries_12m",
                     "queries_24m", "grid_months_24m")
# applicant_sex is for fairness slices only, never a model feature.
OUTPUT_COLUMNS = tuple(dict.fromkeys([*RULE_INPUT_COLUMNS, "applicant_sex", *MODEL_FEATURES, *FEATURES,
                                      "monthly_payment", "request_monthly_service", "observed_income_12m",
                                      *QUALITY_COLUMNS]))


def household_class(livelihood: pd.Series, income_per_head: pd.Series) -> pd.Series:
    """经营类 / 就业类 / 农户类 / 托底类 from the main livelihood alone, and 托底类 below 20,000 per head."""
    cls = livelihood.map(_CLASS_BY_LIVELIHOOD).fillna("就业类")
    return cls.where(~(income_per_head < SAFETY_NET_INCOME_PER_HEAD), "托底类")


def classify_households(income_groups: dict[str, np.ndarray], livelihood: np.ndarray, income_per_head: np.ndarray,
                        has_boat: np.ndarray, has_business_licence: np.ndarray) -> np.ndarray:
    """The documented household-class rule (docs/features.md), first match wins.

    1. 托底类 (safety net): income per head under 20,000, or transfers (pensions, allowances) are the largest
       declared income group.
    2. 经营类 (business): business income is the largest group, or the household owns a fishing boat or holds a
       business licence (boat owners and licensed shops run a business).
    3. 农户类 (fishery/farm): fishery income (capture fishing crew, mussel farming) is the largest group.
    4. 就业类 (employment): wages are the largest group.
    Without declared income by source the main livelihood stands in for the largest group; with neither, NaN.
    """
    names = [g for g in INCOME_GROUP_NAMES if g != "other"]
    stacked = np.column_stack([np.where(np.isnan(income_groups[g]), -1.0, income_groups[g]) for g in names])
    known_groups = stacked.max(axis=1) > 0
    largest = np.array(names, dtype=object)[stacked.argmax(axis=1)]
    by_groups = np.array([_CLASS_BY_GROUP[g] for g in largest], dtype=object)
    by_livelihood = np.array([_CLASS_BY_LIVELIHOOD.get(str(v)) for v in livelihood], dtype=object)
    base = np.where(known_groups, by_groups, by_livelihood)
    business = (has_boat > 0) | (has_business_licence > 0)  # NaN compares False
    cls = np.where((base != "托底类") & (base != None) & business, "经营类", base)  # noqa: E711
    return np.where(income_per_head < SAFETY_NET_INCOME_PER_HEAD, "托底类", cls)


def _age(born: dt.date, as_of: dt.date) -> float:
    return float(as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day)))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """The ratio where the denominator is positive, NaN elsewhere (nothing is divided by zero or NaN)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast_shapes(num.shape, den.shape), np.nan)
    return np.divide(num, den, out=out, where=den > 0)


@dataclass
class FeatureBuilder:
    """Features of requests against one set of sources, indexed by household once (API: build it at startup).

    ``program`` is the policy the ratios are taken against (``models.policy.Policy``): the income cap behind
    ``income_to_cap`` and the rate a requested loan is priced at. ``pseudonyms`` makes ``applicant_key`` (by
    default under ``KUOZHONG_KEY_PEPPER``, the service's secret).
    """

    sources: RawSources
    program: ProgramTerms
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms.from_environment)

    def __post_init__(self) -> None:
        self.index = SourceIndex.from_sources(self.sources)
        self.listing = ListIndex.from_sources(self.sources, self.program)
        self.final_list = FinalListIndex.from_table(getattr(self.sources, "final_list", None))
        self.ledger = LedgerIndex.from_sources(self.sources)

    def knows(self, household_id: str) -> bool:
        """True when any source holds a record of the household."""
        return household_id in self.index.code_of

    def listed(self, household_id: str) -> bool:
        """True when the base list has a row for the household."""
        code = self.index.code_of.get(household_id, -1)
        return code >= 0 and bool(self.index.base.count_for(np.array([code]))[0] > 0)

    def build(self, requests: pd.DataFrame) -> pd.DataFrame:
        """Features for each request, one row per request in request order.

        ``requests`` holds ``household_id`` and ``as_of``, optionally ``request_id``, ``requested_amount`` and
        ``purpose``.
        """
        n = len(requests)
        request_id = (requests["request_id"].astype(str).to_numpy(dtype=object) if "request_id" in requests
                      else np.arange(n).astype(str).astype(object))
        amount = (pd.to_numeric(requests["requested_amount"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                  if "requested_amount" in requests else np.full(n, np.nan))
        purpose = (requests["purpose"].to_numpy(dtype=object) if "purpose" in requests
                   else np.full(n, None, dtype=object))
        households = requests["household_id"].astype(str).to_numpy(dtype=object)
        return self._build(request_id, households, pd.to_datetime(requests["as_of"]).to_numpy().astype("datetime64[D]").astype("datetime64[ns]"), amount, purpose)

    def build_one(self, household_id: str, as_of: dt.date | pd.Timestamp, requested_amount: float | None = None,
                  purpose: str | None = None, request_id: str | None = None) -> pd.DataFrame:
        """Features of one application: the same code as ``build``, on a one-row request."""
        return self.build_one_with_arrays(household_id, as_of, requested_amount, purpose, request_id)[0]

    def build_one_with_arrays(self, household_id: str, as_of: dt.date | pd.Timestamp,
                              requested_amount: float | None = None, purpose: str | None = None,
                              request_id: str | None = None, visit: Mapping[str, Any] | None = None,
                              ) -> tuple[pd.DataFrame, list[tuple[str, Any]]]:
        """``build_one`` and the frame's columns as (name, array) pairs, in order, as ``FrameColumns.read`` reads them.

        The decision reads a one-row frame's columns again for its fingerprint and rule inputs; taking them from
        here saves reading them out of pandas. ``visit``: a visit form filled in now (a record shaped like an
        imported one, with ``household_id`` and ``visited_at``), read in place of the household's visits on file,
        beside the indexed bank records and lists; the household need not be known to any source.
        """
        day = np.datetime64(as_of, "D")  # a date, or a timestamp's calendar day
        stamp = np.array([day], dtype="datetime64[ns]")
        cols = self._columns(np.array([request_id or f"{household_id}@{day}"], dtype=object),
                             np.array([household_id], dtype=object), stamp,
                             np.array([np.nan if requested_amount is None else float(requested_amount)]),
                             np.array([purpose], dtype=object), None if visit is None else form_visit(visit))
        arrays = self._arrays(cols, 1)
        return self._frame(arrays, 1), list(zip(_FRAME_INDEX, arrays, strict=True))

    def _build(self, request_id: np.ndarray, households: np.ndarray, as_of: np.ndarray, amount: np.ndarray,
               purpose: np.ndarray) -> pd.DataFrame:
        return self._frame(self._arrays(self._columns(request_id, households, as_of, amount, purpose),
                                        households.size), households.size)

    def _columns(self, request_id: np.ndarray, households: np.ndarray, as_of: np.ndarray, amount: np.ndarray,
                 purpose: np.ndarray, form: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        ix = self.index
        n = households.size
        codes = np.array([ix.code_of.get(h, -1) for h in households], dtype=np.int64)
        as_of_day = as_of.astype("datetime64[D]").astype(np.int64)
        as_of_month = as_of.astype("datetime64[M]").astype(np.int64)
        cols: dict[str, np.ndarray] = {"request_id": request_id, "household_id": households,
                                       "as_of": as_of.astype("datetime64[ns]"), "requested_amount": amount,
                                       "purpose": purpose}
        visit = ix.latest_visits(codes, as_of_day) if form is None else form
        base = ix.base_rows(codes, as_of_day)
        cols |= flow_features(ix.flows, codes, as_of_month)
        cols |= conduct_features(ix.flows, codes, as_of_month)
        cols |= grid_features(ix.grid, codes, as_of_month)
        cols |= debt_features(ix.loans, ix.grid, codes, as_of_day, as_of_month)
        cols |= query_features(ix.queries, codes, as_of_day)
        # the bank's own 共富 lines, renewals and guarantees: none for a household the ledger lacks but a source
        # knows (a visit form filled now is one), unknown for a household no source knows
        known = codes >= 0 if form is None else np.ones(n, dtype=bool)
        cols |= {name: np.where(known, values, np.nan)
                 for name, values in self.ledger.features(households, as_of_day).items()}
        # The government's final list beside the base list's status: ON_LIST reads it first.
        cols |= self.final_list.lookup(households, as_of_day)
        customer = ix.bank_customer[np.where(codes >= 0, codes, 0)] & (codes >= 0)
        missing = np.full(n, np.nan)
        credit = np.vstack([cols.get(name, missing) for name in _ZERO_IF_CUSTOMER])
        credit = np.where(customer, np.where(np.isnan(credit), 0.0, credit), np.nan)
        cols |= dict(zip(_ZERO_IF_CUSTOMER, credit, strict=True))
        ms = cols.get("months_since_overdue", np.full(n, np.nan))
        cols["months_since_overdue"] = np.where(customer & np.isnan(ms), WINDOW + 1.0, np.where(customer, ms, np.nan))
        self._household(cols, visit, base, as_of_day, self.pseudonyms)
        cols |= self.listing.status_on(households, as_of_day, base["on_list"])
        self._money(cols, visit, self.program)
        flags = self._quality(cols, visit, base, customer, as_of_day)
        cols["dq_flags"] = np.array([";".join(f) for f in flags], dtype=object)
        cols["dq_flag_count"] = np.array([float(len(f)) for f in flags])
        return cols

    @staticmethod
    def _household(cols: dict[str, np.ndarray], visit: dict[str, np.ndarray], base: dict[str, np.ndarray],
                   as_of_day: np.ndarray, pseudonyms: Pseudonyms) -> None:
        size = np.where(np.isnan(visit["household_size"]), base["household_size"], visit["household_size"])
        cols["household_size"] = size
        for name in ("elderly_count", "children_count", "working_age_count", "health_burden",
                     "serious_illness_count", "has_fishing_boat", "has_house", "has_fishing_licence",
                     "has_business_licence", "licence_count", "income_source_count"):
            cols[name] = visit[name]
        cols["dependants_count"] = visit["children_count"] + visit["elderly_count"]
        cols["dependency_ratio"] = _ratio(cols["dependants_count"], visit["household_size"])
        elapsed = (as_of_day - visit["visited_at"]).astype(float)
        cols["years_at_address"] = visit["years_at_address"] + np.floor(elapsed / 365.25)
        cols["visit_age_days"] = elapsed
        for name in ("fixed_residence", "civil_capacity", "declaration_signed"):
            cols[name] = visit[name]
        id_numbers = np.where(pd.isna(visit["id_number"]), base["id_number"], visit["id_number"])
        facts = [id_facts(v) for v in id_numbers]
        cols["applicant_key"] = pseudonyms.keys_of(id_numbers)
        cols["applicant_id_masked"] = np.array([f.masked for f in facts], dtype=object)
        cols["applicant_sex"] = np.array([f.sex for f in facts], dtype=object)
        cols["applicant_birth_date"] = np.array([np.datetime64("NaT") if f.born is None else np.datetime64(f.born)
                                                 for f in facts], dtype="datetime64[D]").astype("datetime64[ns]")
        cols["residence_township"] = visit["residence_township"]
        cols["township"] = np.where(pd.isna(visit["residence_township"]), base["township"],
                                    visit["residence_township"])
        cols["livelihood"] = visit["livelihood"]
        cols["id_valid"] = np.array([f.valid for f in facts], dtype=bool)
        days = as_of_day.astype("datetime64[D]")
        ages = [np.nan if f.born is None else _age(f.born, d.astype(dt.date)) for f, d in zip(facts, days, strict=True)]
        cols["applicant_age_from_id"] = np.array(ages, dtype=float)
        cols["applicant_age"] = cols["applicant_age_from_id"]
        cols["applicant_age_on_form"] = visit["applicant_age_on_form"]  # cross-checked by the AGE rule
        cols["applicant_relation"] = visit["applicant_relation"]
        cols["declared_income_total"] = visit["declared_income_total"]  # held against the sum by source
        cols["declared_income_sources"] = visit["declared_income_sources"]
        gps = gps_in_township(visit["gps_lat"], visit["gps_lon"], visit["residence_township"])
        cols["visit_gps_in_township"] = gps
        cols["visit_photo_count"] = visit["photo_count"]
        cols["visit_duration_min"] = visit["duration_min"]
        checks = np.column_stack([gps, np.where(np.isnan(visit["photo_count"]), np.nan,
                                                (visit["photo_count"] >= GOOD_VISIT_PHOTOS).astype(float)),
                                  np.where(np.isnan(visit["duration_min"]), np.nan,
                                           (visit["duration_min"] >= GOOD_VISIT_MINUTES).astype(float))])
        known = ~np.isnan(checks)
        cols["visit_quality_score"] = np.where(known.any(axis=1), np.nansum(checks, axis=1), np.nan)

    @staticmethod
    def _money(cols: dict[str, np.ndarray], visit: dict[str, np.ndarray], program: ProgramTerms) -> None:
        declared, size = visit["declared_income"], cols["household_size"]
        observed = cols.get("observed_income_12m", np.full(size.size, np.nan))
        cols["observed_income_12m"] = observed
        cols["declared_income"] = declared
        cols["income_per_head"] = _ratio(declared, size) if size.size else size
        cols["income_per_head"] = np.where(np.isnan(declared), np.nan, cols["income_per_head"])
        cols["income_to_cap"] = _ratio(declared, program.household_income_caps(size))
        cols["income_to_cap"] = np.where(np.isnan(declared), np.nan, cols["income_to_cap"])
        cols["observed_income_per_head"] = _ratio(observed, size)
        cols["declared_observed_ratio"] = _ratio(declared, observed)
        for group in INCOME_GROUP_NAMES[:-1]:
            cols[f"income_share_{group}"] = _ratio(visit[f"income_{group}"], declared)
        cols["expense_to_income"] = _ratio(visit["declared_expenses"], declared)
        monthly = observed / 12.0
        payment = cols["monthly_payment"]
        cols["debt_service_ratio"] = _ratio(payment, monthly)
        low = cols.get("low_season_inflow_3m", np.full(size.size, np.nan))
        worst = _ratio(payment, low)
        cols["debt_service_ratio_low_season"] = np.where(
            (payment > 0) & ~(low > 0) & ~np.isnan(low), WORST_DSR_CAP, np.minimum(worst, WORST_DSR_CAP))
        # The request is serviced as its product is repaid (a one-year 按月付息到期还本 loan: interest only), not
        # as if its principal were repaid in twelve instalments (docs/features.md, "Debt service").
        new_payment = program.monthly_service(zero_nan(cols["requested_amount"]), cols["purpose"])
        cols["request_monthly_service"] = new_payment
        cols["debt_service_ratio_with_request"] = _ratio(payment + new_payment, monthly)
        cols["debt_service_ratio_with_request_declared"] = _ratio(payment + new_payment, declared / 12.0)
        cols["debt_to_income"] = _ratio(cols["debt_balance"], declared)
        cols["informal_debt_to_income"] = _ratio(visit["informal_debt_balance"], declared)
        cols["declared_debt_service_ratio"] = _ratio(12.0 * visit["declared_debt_payment"], declared)
        cols["requested_to_income"] = _ratio(cols["requested_amount"], declared)
        cols["household_class"] = classify_households(
            {g: visit[f"income_{g}"] for g in INCOME_GROUP_NAMES}, visit["livelihood"], cols["income_per_head"],
            visit["has_fishing_boat"], visit["has_business_licence"])
        unknown = np.isnan(declared) & pd.isna(visit["livelihood"])
        cols["household_class"] = np.where(unknown, np.full(unknown.size, None, dtype=object),
                                           cols["household_class"])

    @staticmethod
    def _quality(cols: dict[str, np.ndarray], visit: dict[str, np.ndarray], base: dict[str, np.ndarray],
                 customer: np.ndarray, as_of_day: np.ndarray) -> list[list[str]]:
        no_visit = np.isnan(visit["visited_at"])
        months = cols.get("flow_months_12m", np.zeros(customer.size))
        checks = {
            "NO_VISIT": no_visit,
            "STALE_VISIT": ~no_visit & (cols["visit_age_days"] > STALE_VISIT_DAYS),
            "NO_FLOWS": months == 0,
            "SHORT_FLOWS": (months > 0) & (months < 12),
            "NO_BANK_RECORD": ~customer,
            "NOT_ON_BASE_LIST": pd.isna(base["on_list"]),
            "NO_DECLARED_INCOME": ~no_visit & np.isnan(visit["declared_income"]),
            "INVALID_ID": ~cols["id_valid"],
        }
        return [[code for code, hit in checks.items() if hit[i]] for i in range(customer.size)]

    @staticmethod
    def _frame(arrays: list[Any], n: int) -> pd.DataFrame:
        # The frame is assembled from its column arrays in one call (pandas groups them into blocks by dtype).
        return pd.DataFrame._from_arrays(arrays, columns=_FRAME_INDEX, index=pd.RangeIndex(n),
                                         verify_integrity=False)

    @staticmethod
    def _arrays(cols: dict[str, np.ndarray], n: int) -> list[Any]:
        # Text columns stay object dtype: inferring pandas' string dtype would cost more than all the features.
        missing = np.full(n, np.nan)
        arrays: list[Any] = [np.asarray(cols[name], dtype=object) for name in _TEXT_COLUMNS]
        arrays += [cols["as_of"], cols["applicant_birth_date"], cols["id_valid"].astype(bool),
                   pd.array(cols["on_list"], dtype="boolean")]
        arrays += [pd.Categorical.from_codes(_codes(cols[name], dtype), dtype=dtype)
                   for name, dtype in _CATEGORY_DTYPES.items()]
        arrays += [np.asarray(cols.get(name, missing), dtype=float) for name in _FLOAT_COLUMNS]
        return arrays


def _codes(values: np.ndarray, dtype: pd.CategoricalDtype) -> np.ndarray:
    lookup = _CATEGORY_CODES[id(dtype)]
    return np.array([lookup.get(v, -1) for v in values], dtype=np.int8)


_TEXT_COLUMNS = ("request_id", "household_id", "applicant_key", "applicant_id_masked", "applicant_sex",
                 "fixed_residence", "residence_township", "civil_capacity", "declaration_signed", "purpose",
                 "dq_flags", "applicant_relation", "list_status", "list_changed_on", "list_evidence",
                 "upward_mobility_flagged_on", "upward_mobility_evidence", "final_list_status", "final_list_version")
_OTHER_COLUMNS = (*_TEXT_COLUMNS, "as_of", "applicant_birth_date", "id_valid", "on_list")
_CATEGORY_DTYPES = {name: pd.CategoricalDtype(list(cats)) for name, cats in CATEGORIES.items()}
_CATEGORY_CODES = {id(dtype): {c: i for i, c in enumerate(dtype.categories)} for dtype in _CATEGORY_DTYPES.values()}
_FLOAT_COLUMNS = tuple(name for name in OUTPUT_COLUMNS if name not in _OTHER_COLUMNS and name not in CATEGORIES)
_FRAME_INDEX = pd.Index([*_TEXT_COLUMNS, "as_of", "applicant_birth_date", "id_valid", "on_list", *_CATEGORY_DTYPES,
                         *_FLOAT_COLUMNS],
                        dtype=object)


def build_features(sources: RawSources, requests: pd.DataFrame, program: ProgramTerms) -> pd.DataFrame:
    """Features for each request (``household_id``, ``as_of``; optional ``request_id``, ``requested_amount``).

    Only records dated before the as-of month (flows, repayment grid) or on/before the as-of date (visits,
    queries, loan openings) are read. Returns one row per request, in request order, with the rule inputs,
    MODEL_FEATURES, the other catalogued features and the data-quality columns.
    """
    return FeatureBuilder(sources, program).build(requests)


def training_table(sources: RawSources, program: ProgramTerms) -> pd.DataFrame:
    """Features of every application at its own date, with the outcome ``default_12m`` where known."""
    apps = sources.applications
    requests = pd.DataFrame({"request_id": apps["application_id"], "household_id": apps["household_id"],
                             "as_of": apps["application_date"], "requested_amount": apps["requested_amount"],
                             "purpose": apps.get("purpose")})
    table = build_features(sources, requests, program)
    if "default_12m" in apps:  # known for booked loans only: NaN for the others (training drops those rows)
        table["default_12m"] = apps["default_12m"].to_numpy(dtype=float, na_value=np.nan)
    return table


__all__ = ["HOUSEHOLD_CLASSES", "OUTPUT_COLUMNS", "QUALITY_COLUMNS", "RULE_INPUT_COLUMNS", "FeatureBuilder",
           "build_features", "classify_households", "household_class", "training_table"]
