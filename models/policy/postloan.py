"""Stage-4 settings of the policy: revisit schedule, misuse signal from account flows, the yearly 贴息 budget."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PostLoan(BaseModel):
    """贷后跟进: the revisit schedule, the misuse signal's window and size, the 贴息 budget by year (元)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_revisit_days: int = Field(ge=1)       # first revisit due this many days after disbursement
    revisit_every_days: int = Field(ge=1)       # then one every this many days while the loan is outstanding
    due_ahead_days: int = Field(ge=0)           # the due list shows revisits falling due within this many days
    misuse_window_weeks: int = Field(ge=1)      # account flows read for this many weeks after disbursement
    misuse_outflow_share: float = Field(gt=0, le=1)  # unusual outflow of at least this share of the loan
    subsidy_budget_by_year: dict[int, float] = Field(default_factory=dict)  # county 贴息 budget, 元
