"""Stress events of the policy: named events (a typhoon season) that hit some livelihoods, and how often they come.

Training reads them to weigh the loans whose performance window overlaps an occurrence back to the event's
long-run share, so that one bad season in the training years does not become every year's risk
(``training.cycle``).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Occurrence(BaseModel):
    """One occurrence of a stress event: its first and last day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Occurrence:
        if self.end < self.start:
            raise ValueError(f"end {self.end} before start {self.start}")
        return self


class StressEvent(BaseModel):
    """A kind of stress: the livelihoods (and townships; none listed: all) it hits, its frequency, when it came."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)                      # 台风
    livelihoods: tuple[str, ...] = Field(min_length=1)   # main livelihoods it hits (fishing, mussel)
    townships: tuple[str, ...] = ()                      # townships it hits; empty: the whole county
    once_in_years: float = Field(gt=1)                   # expected frequency: a loan year holds one with 1/N chance
    occurrences: tuple[Occurrence, ...] = Field(min_length=1)


class Cycle(BaseModel):
    """Through-the-cycle training: the stress events and the loan performance window they are matched against."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_months: int = Field(12, ge=1, le=60)          # a loan's performance window from its application date
    stress_events: tuple[StressEvent, ...] = ()

    @model_validator(mode="after")
    def _names_unique(self) -> Cycle:
        names = [e.name for e in self.stress_events]
        if len(set(names)) != len(names):
            raise ValueError(f"stress_events: each name once; got {names}")
        return self
