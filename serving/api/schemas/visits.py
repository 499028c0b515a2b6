"""What the PAD page sends and gets back: a visit form filled at the door, with position, photos and times."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from serving.api.schemas.requests import HouseholdId, IdNumber, Member, Money, Purpose, VisitForm

MAX_PHOTOS = 6
# A data URL of a JPEG or PNG the page took from the camera (scaled down on the device before sending).
PhotoData = Annotated[str, Field(max_length=400_000, pattern=r"^data:image/(jpeg|png);base64,[A-Za-z0-9+/=]+$")]


class Gps(BaseModel):
    """The browser's position fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)


class PadMember(Member):
    """A member as the PAD lists them: the form's questions, and the member's own ID number where given."""

    id_number: IdNumber | None = None


class Debt(BaseModel):
    """A debt the household declares (bank or informal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lender: str = Field(default="", max_length=40)
    balance: Money
    monthly_payment: Money = 0.0


class PadVisitForm(VisitForm):
    """The 采集表 as the PAD page fills it: the form, when the visit started and ended, where, what is asked for."""

    visited_at: dt.datetime | None = None  # type: ignore[assignment]  # set from started_at by the service
    started_at: dt.datetime
    ended_at: dt.datetime
    members: list[PadMember] = Field(min_length=1, max_length=30)  # type: ignore[assignment]  # members with IDs
    debts: list[Debt] = Field(default_factory=list, max_length=20)
    gps: Gps | None = None
    requested_amount: float | None = Field(default=None, gt=0, le=10_000_000, allow_inf_nan=False)
    purpose: Purpose | None = None


class VisitCreate(BaseModel):
    """A visit sent from the device: its draft id (sent once, stored once), the household and the form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draft_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    household_id: HouseholdId | None = None
    form: PadVisitForm
    photos: list[PhotoData] = Field(default_factory=list, max_length=MAX_PHOTOS)


class VisitPublic(BaseModel):
    """A stored visit: where, when, by whom, how many photos; identity masked."""

    model_config = ConfigDict(frozen=True)

    visit_id: str
    household_id: str
    township: str
    account_manager_id: str
    visited_at: dt.datetime
    ended_at: dt.datetime
    duration_min: float
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    photo_count: int
    id_masked: str
    replayed: bool = False
    doubtful_reasons: str = ""  # the 过程考核's checks ('' when the visit is sound)


class HouseholdFound(BaseModel):
    """A search result: masked identity only."""

    model_config = ConfigDict(frozen=True)

    household_id: str
    name_masked: str
    id_masked: str
    phone_masked: str
    township: str
    newest_record: str | None


class SessionPublic(BaseModel):
    """Who the key belongs to, as the pages need it."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    role: str
    township: str | None
    may_decide: bool
