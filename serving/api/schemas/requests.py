"""What clients send: applications (by household id, or a visit form with bank records) and reviews."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from features.ids import InvalidIdNumber, validate_id_number

Township = Literal["菜园镇", "嵊山镇", "洋山镇", "五龙乡", "黄龙乡", "枸杞乡", "花鸟乡"]
Livelihood = Literal["fishing", "mussel", "bnb", "port", "shop", "wage", "pension"]
Purpose = Literal["business", "medical", "education", "housing"]
HouseholdId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]
Balance = Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
ApplicationDate = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]


def _valid_id(value: str) -> str:
    try:
        return validate_id_number(value)
    except InvalidIdNumber as err:  # the message names the rule, never the number; Chinese travels in the context
        raise PydanticCustomError("id_number", str(err), {"message_zh": err.message_zh or ""}) from None


IdNumber = Annotated[str, Field(min_length=18, max_length=18), AfterValidator(_valid_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Open(BaseModel):
    """Visit-form parts: known fields are checked, further PAD fields travel on to the feature builders."""

    model_config = ConfigDict(extra="allow", frozen=True)


class ApplicationTerms(_Strict):
    """What the household asks for and when."""

    application_date: ApplicationDate
    requested_amount: float = Field(gt=0, le=10_000_000, allow_inf_nan=False)
    purpose: Purpose


class HouseholdApplication(ApplicationTerms):
    """An application for a household whose visit form and bank records the bank already holds."""

    source: Literal["household"] = "household"
    household_id: HouseholdId


class Applicant(_Strict):
    """The applicant's identity as written on the visit form (kept masked once decided)."""

    id_number: IdNumber
    name: str = Field(default="", max_length=40)
    phone: str = Field(default="", max_length=20, pattern=r"^[0-9+\- ]*$")


class Member(_Open):
    """One household member."""

    age: int = Field(ge=0, le=120)
    relation: str = Field(max_length=20)
    civil_capacity: Literal["full", "limited", "none", "minor"] = "full"
    health: str = Field(default="good", max_length=20)
    sex: Literal["M", "F"] | None = None


class Residence(_Open):
    """Where the household lives."""

    fixed_residence: bool
    township: Township
    years_at_address: int = Field(ge=0, le=120)


class DeclaredIncome(_Open):
    """Declared annual income: a main amount, a total, and amounts by source."""

    main: Money | None = None
    total: Money | None = None
    by_source: dict[Annotated[str, Field(max_length=40)], Money] = Field(default_factory=dict, max_length=30)


class Assets(_Open):
    """Productive assets and licences."""

    fishing_boat: bool = False
    house: bool = False
    licences: list[dict[Annotated[str, Field(max_length=40)], str | None]] = Field(
        default_factory=list, max_length=20)


class VisitForm(_Open):
    """The 扩中家庭信息采集表 as the PAD records it."""

    visited_at: dt.datetime
    applicant: Applicant
    livelihood: Livelihood
    residence: Residence
    members: list[Member] = Field(min_length=1, max_length=30)
    declared_income: DeclaredIncome
    assets: Assets = Field(default_factory=Assets)
    declaration_signed: bool = False
    account_manager_id: str = Field(default="", max_length=20)


class FlowMonth(_Strict):
    """One month of account flows."""

    month: dt.date
    inflow: Money
    outflow: Money
    balance: Balance


class LoanAccount(_Strict):
    """An existing loan."""

    account_id: str = Field(min_length=1, max_length=40)
    opened: dt.date
    closed: dt.date | None = None
    balance: Money
    monthly_payment: Money


class RepaymentMonth(_Strict):
    """One month of a loan's repayment grid (PBOC codes)."""

    account_id: str = Field(min_length=1, max_length=40)
    month: dt.date
    status: Literal["N", "1", "2", "3", "4", "5", "6", "7", "C", "G", "D", "Z", "B", "*", "#", "/"]
    five_class: Literal["正常", "关注", "次级", "可疑", "损失"] = "正常"


class CreditQuery(_Strict):
    """A credit-report query."""

    query_date: dt.date
    reason: str = Field(default="", max_length=40)


class BankRecords(_Strict):
    """The bank's records of the household (at most 10 years of months)."""

    account_flows: list[FlowMonth] = Field(default_factory=list, max_length=120)
    loan_accounts: list[LoanAccount] = Field(default_factory=list, max_length=50)
    repayment_history: list[RepaymentMonth] = Field(default_factory=list, max_length=1200)
    credit_queries: list[CreditQuery] = Field(default_factory=list, max_length=200)


class FormApplication(ApplicationTerms):
    """An application with the visit form filled in now; bank records sent along or taken from the bank's data."""

    source: Literal["form"]
    household_id: HouseholdId
    visit: VisitForm
    bank: BankRecords | None = None


DecisionCreate = Annotated[HouseholdApplication | FormApplication, Field(discriminator="source")]


class ReviewCreate(_Strict):
    """A loan officer confirms or overrides a decision, always with a reason."""

    action: Literal["confirm", "override"]
    final_recommendation: Literal["approve", "refer", "decline"] | None = Field(
        default=None, description="required for an override: the outcome the officer decides")
    reason: str = Field(min_length=2, max_length=2000)


class AliasReload(_Strict):
    """Which registry alias to load (admin)."""

    alias: str = Field(default="champion", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
