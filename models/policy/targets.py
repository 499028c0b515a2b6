"""The program's KPI targets (附件1): cumulative figures by year end and the pilot-wide aims."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class YearTargets(BaseModel):
    """Cumulative targets to reach by the end of one year (附件1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(ge=2000, le=2100)
    products_launched: int = Field(ge=0)
    households_visited: int = Field(ge=0)      # 走访、建档
    households_signed: int = Field(ge=0)       # 签约、授信
    credit_granted: float = Field(ge=0)        # 总授信金额, RMB
    households_benefiting: int = Field(ge=0)   # 惠及 (with loans)
    loan_balance: float = Field(ge=0)          # 各项贷款余额, RMB
    interest_saved: float = Field(ge=0)        # interest saved for households that year, RMB


class Targets(BaseModel):
    """附件1 as data: a row per year plus the aims that span the pilot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by_year: tuple[YearTargets, ...] = Field(min_length=1)
    industry_funds_leveraged: float = Field(ge=0)          # 撬动产业资金, RMB over the pilot
    income_growth_per_year: float = Field(ge=0)            # borrowing households' income growth a year
    income_growth_over_pilot: float = Field(ge=0)          # aim over the three years
    interest_saved_per_household: float = Field(ge=0)      # average over the three years, RMB
    # the targets' own arithmetic (附件1): interest saved = loan balance × these points (7.6% brought down to
    # 3.8%: 1,750万 × 3.8% = 66.5万), funds leveraged = this multiple × loan balance (2 × 5,000万 = 1亿)
    interest_saved_points: float | None = Field(default=None, gt=0, lt=1)
    leverage: float | None = Field(default=None, gt=0)

    @field_validator("by_year")
    @classmethod
    def _cumulative(cls, value: tuple[YearTargets, ...]) -> tuple[YearTargets, ...]:
        years = [t.year for t in value]
        if years != sorted(set(years)):
            raise ValueError(f"years must be listed once each in ascending order; got {years}")
        for earlier, later in zip(value, value[1:], strict=False):
            for name in ("products_launched", "households_visited", "households_signed", "credit_granted",
                         "households_benefiting", "loan_balance"):
                if getattr(later, name) < getattr(earlier, name):
                    raise ValueError(f"{name} is cumulative and may not fall from {earlier.year} to {later.year}")
        return value

    def for_year(self, year: int) -> YearTargets | None:
        """The targets of a year, or None when the document sets none for it."""
        return next((t for t in self.by_year if t.year == year), None)
