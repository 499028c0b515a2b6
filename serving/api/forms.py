"""Turn an application (household id, or visit form + bank records) into the pipeline's request and sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from features.build.index import Records
from features.build.table import FeatureBuilder
from features.ids import mask_name
from features.sources.load import RawSources, visits_frame
from serving.api.schemas.requests import BankRecords, FormApplication, HouseholdApplication
from serving.pipeline import ApplicationRequest

_BANK_COLUMNS = {
    "account_flows": ("household_id", "month", "inflow", "outflow", "balance"),
    "loan_accounts": ("account_id", "household_id", "opened", "closed", "balance", "monthly_payment"),
    "repayment_history": ("account_id", "household_id", "month", "status", "five_class"),
    "credit_queries": ("household_id", "query_date", "reason"),
}
_DATE_COLUMNS = ("month", "opened", "closed", "query_date")


def pipeline_request(application: HouseholdApplication | FormApplication) -> ApplicationRequest:
    """The pipeline's application request (the same one the CLI reads from a file)."""
    return ApplicationRequest(household_id=application.household_id, application_date=application.application_date,
                              requested_amount=application.requested_amount, purpose=application.purpose)


def _bank_frame(name: str, household_id: str, records: list) -> pd.DataFrame:
    rows = [{"household_id": household_id, **r.model_dump()} for r in records]
    frame = pd.DataFrame(rows, columns=list(_BANK_COLUMNS[name]))
    for column in _DATE_COLUMNS:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    for column in ("inflow", "outflow", "balance", "monthly_payment"):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return frame


def form_record(application: FormApplication, dumped: dict[str, Any] | None = None) -> dict[str, Any]:
    """The application's visit form as a record shaped like an imported visit (``dumped``: its JSON dump, if made)."""
    hh = application.household_id
    visit = application.visit.model_dump(mode="json") if dumped is None else dumped
    return {**visit, "household_id": hh, "visit_id": f"FORM-{hh}"}


def form_sources(application: FormApplication, bank_data: RawSources) -> RawSources:
    """Sources for a form application.

    The new visit form, the bank's base-list row (list status is never self-declared: a household the list does
    not hold has no row, and the ON_LIST rule asks a person) and the bank records sent along, or else the bank's
    own records of the household (none for a household the bank has never seen: the credit rule then asks a
    person too, nothing is read as zero).
    """
    hh = application.household_id
    held = bank_data.for_households([hh])
    visit = form_record(application)
    bank = application.bank
    if bank is None:
        frames = {name: getattr(held, name) for name in _BANK_COLUMNS}
    else:
        frames = {name: _bank_frame(name, hh, getattr(bank, name)) for name in BankRecords.model_fields}
    return RawSources(visits=visits_frame([visit]), base_list=held.base_list, applications=held.applications,
                      **frames)


def missing_held(builder: FeatureBuilder, household_id: str) -> list[str]:
    """``missing_sources`` for a household read from the service's indexed sources (no frame is filtered)."""
    index = builder.index
    code = np.array([index.code_of.get(household_id, -1)])
    def holds(records: Records) -> bool:
        return bool(records.count_for(code)[0] > 0)

    missing = [] if holds(index.base) else ["BASE_LIST"]
    if not holds(index.flows):
        missing.append("FLOWS")
    if not (holds(index.grid) or holds(index.loans) or holds(index.queries)):
        missing.append("CREDIT")
    return missing


def missing_sources(sources: RawSources, household_id: str) -> list[str]:
    """Which of the bank's sources hold nothing about the household (codes: BASE_LIST, FLOWS, CREDIT)."""
    def holds(frame: pd.DataFrame) -> bool:
        return bool((frame["household_id"].astype(str) == household_id).any()) if not frame.empty else False

    missing = [] if holds(sources.base_list) else ["BASE_LIST"]
    if not holds(sources.account_flows):
        missing.append("FLOWS")
    if not (holds(sources.repayment_history) or holds(sources.loan_accounts) or holds(sources.credit_queries)):
        missing.append("CREDIT")
    return missing


def masked_name(application: HouseholdApplication | FormApplication, names: Mapping[str, str]) -> str:
    """The applicant's name, masked to the surname, for the decision card (``names``: the base list's, by household)."""
    if isinstance(application, FormApplication):
        return mask_name(application.visit.applicant.name)
    name = names.get(application.household_id)
    return mask_name(name) if name is not None else ""
