"""What clients send: applications (by household id, or a visit form with bank records) and reviews.

Types are as declared: numbers, booleans and counts are strict (the string "50000" is not an amount). A township
outside the county is accepted as text so that the RESIDENCE rule can decide and record the decline; names and
other short texts refuse control and direction-override characters (they would reach masked names and the PDF).
Dates that cannot be (after the application, in the future) are checked in ``serving.api.plausibility``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from features.county import TOWNSHIPS
from features.ids import InvalidIdNumber, validate_id_number

# Cc controls (but tab and line breaks), bidirectional embeddings/overrides/isolates, zero-width marks and the BOM.
_UNSAFE = {chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x200B, 0x200C, 0x200D, 0x200E, 0x200F,
                             *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF)}


def _plain_text(value: str) -> str:
    """Text without control or direction-override characters (refused, not stripped: the sender should know)."""
    bad = next((c for c in value if c in _UNSAFE), None)
    if bad is not None:
        raise ValueError(f"control or direction-override character U+{ord(bad):04X} is not allowed in text")
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
Township = Annotated[str, Field(min_length=1, max_length=20, examples=list(TOWNSHIPS),
                                 description="the township lived in; one outside 嵊泗 is decided (RESIDENCE fails)"),
                     AfterValidator(_plain_text)]
Livelihood = Literal["fishing", "mussel", "bnb", "port", "shop", "wage", "pension"]
Purpose = Literal["business", "medical", "education", "housing"]
HouseholdId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Money = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False, strict=True)]
Balance = Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
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
    requested_amount: float = Field(gt=0, le=10_000_000, allow_inf_nan=False, strict=True)
    purpose: Purpose


class HouseholdApplication(ApplicationTerms):
    """An application for a household whose visit form and bank records the bank already holds."""

    source: Literal["household"]
    household_id: HouseholdId


class Applicant(_Strict):
    """The applicant's identity as written on the visit form (kept masked once decided)."""

    id_number: IdNumber
    name: PlainText = Field(default="", max_length=40)
    phone: str = Field(default="", max_length=20, pattern=r"^[0-9+\- ]*$")
    relation: str | None = Field(default=None, max_length=20,
                                 description="the applicant's relation to the head (户主, 配偶, 子女 …): which member "
                                             "applies, whose age and civil capacity the rules read")


class Member(_Open):
    """One household member."""

    age: int = Field(ge=0, le=120, strict=True)
    relation: PlainText = Field(max_length=20)
    civil_capacity: Literal["full", "limited", "none", "minor"] = "full"
    health: str = Field(default="good", max_length=20)
    sex: Literal["M", "F"] | None = None


class Residence(_Open):
    """Where the household lives."""

    fixed_residence: Flag
    township: Township
    years_at_address: int = Field(ge=0, le=120, strict=True)


class DeclaredIncome(_Open):
    """Declared annual income: a main amount, a total, and amounts by source."""

    main: Money | None = None
    total: Money | None = None
    by_source: dict[Annotated[str, Field(max_length=40)], Money] = Field(default_factory=dict, max_length=30)


class Assets(_Open):
    """Productive assets and licences."""

    fishing_boat: Flag = False
    house: Flag = False
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
    declaration_signed: Flag = False
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
    reason: PlainText = Field(min_length=2, max_length=2000)


class AliasReload(_Strict):
    """Which registry alias to load (admin)."""

    alias: str = Field(default="champion", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
