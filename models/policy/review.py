"""The policy file's ``list_review`` section: who reviews the 待审核名单, and how ON_LIST reads the final list.

四(二) 走访调查，名单审核: the bank submits the list formed from the visits, government staff review it online and
decide how it is confirmed locally, forming the 最终名单; loans may be made while the review goes on
(边审核确认边放款). Each choice the document leaves to the county is a setting here, never a constant in code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from features.county import TOWNSHIPS


class ListReviewPolicy(BaseModel):
    """Reviewer units and their scope, the final list's precedence, lending during review, confirmation methods."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Units whose reviewers see every township (the county finance bureau); any other unit is a township.
    county_units: tuple[str, ...] = ("县财政局",)
    # True: a township's reviewers see and act on their own township's entries only.
    township_scoped: bool = True
    # Where the final list has no entry for a household on the decision date, the provincial base list's
    # is-扩中 flag stands (True) or the rule cannot decide and a person checks (False).
    provincial_flag_fallback: bool = True
    # 边审核确认边放款: a household whose entry is still under review may get a loan (marked as such).
    lend_while_reviewing: bool = True
    # A loan made under review whose entry is later 不予确认: its subsidy stops from that day, or is kept.
    not_confirmed_subsidy: Literal["stop", "keep"] = "stop"
    confirmation_methods: tuple[str, ...] = Field(("短信通知", "村小组评议", "其他"), min_length=1)

    @model_validator(mode="after")
    def _units_not_townships(self) -> ListReviewPolicy:
        clash = [u for u in self.county_units if u in TOWNSHIPS]
        if clash:
            raise ValueError(f"county_units {clash} are townships; list county-level units only")
        return self

    @property
    def units(self) -> tuple[str, ...]:
        """Every reviewer unit: the county-level ones, then the seven townships."""
        return (*self.county_units, *TOWNSHIPS)

    def townships_of(self, unit: str) -> tuple[str, ...]:
        """The townships a reviewer of ``unit`` sees (every one for a county unit, or when not scoped)."""
        if unit in self.county_units or not self.township_scoped:
            return TOWNSHIPS
        return (unit,) if unit in TOWNSHIPS else ()
