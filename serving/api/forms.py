"""Turn an application (household id, or visit form + bank records) into the pipeline's request and sources."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from features.ids import mask_name
from features.sources.load import RawSources, visits_frame
from serving.api.schemas.requests import BankRecords, FormApplication, HouseholdApplication
from serving.pipeline import ApplicationRequest, InputError

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


def form_sources(application: FormApplication, bank_data: RawSources) -> RawSources:
    """Sources for a form application.

    The new visit form, the bank's base-list row (list status is never self-declared) and the bank records sent
    along, or else the bank's own records of the household.
    """
    hh = application.household_id
    held = bank_data.for_households([hh])
    visit = {**application.visit.model_dump(mode="json"), "household_id": hh, "visit_id": f"FORM-{hh}"}
    base = held.base_list
    if base.empty:  # not on the list: the ON_LIST rule will say so
        base = pd.DataFrame([{"household_id": hh, "name": "", "id_number": application.visit.applicant.id_number,
                              "household_size": len(application.visit.members), "region_code": "",
                              "township": application.visit.residence.township, "is_kuozhong": False,
                              "non_kuozhong_reasons": "NOT_ON_BASE_LIST"}]).astype({"is_kuozhong": bool})
    bank = application.bank
    if bank is None:
        if not (set(held.account_flows["household_id"]) | set(held.loan_accounts["household_id"])):
            raise InputError(f"field 'bank': the bank holds no records of household '{hh}'; send them in 'bank'")
        frames = {name: getattr(held, name) for name in _BANK_COLUMNS}
    else:
        frames = {name: _bank_frame(name, hh, getattr(bank, name)) for name in BankRecords.model_fields}
    return RawSources(visits=visits_frame([visit]), base_list=base, applications=held.applications, **frames)


def masked_name(application: HouseholdApplication | FormApplication, names: Mapping[str, str]) -> str:
    """The applicant's name, masked to the surname, for the decision card (``names``: the base list's, by household)."""
    if isinstance(application, FormApplication):
        return mask_name(application.visit.applicant.name)
    name = names.get(application.household_id)
    return mask_name(name) if name is not None else ""
