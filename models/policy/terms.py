"""The policy file's ``terms`` section: how limits and rates are set (capacity, grade shares, band positions)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TermsPolicy(BaseModel):
    """Limit and pricing parameters; every figure of a loan offer is computed from these and explained."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    program_cap: float = Field(500_000, gt=0)  # 最高不超过50万元
    amount_step: float = Field(1_000, gt=0)  # limits are whole multiples of this, rounded down
    living_cost_per_head: float = Field(12_000, ge=0)  # yearly basic living cost per member, kept out of capacity
    debt_service_share: float = Field(0.6, gt=0, le=1)  # share of income after living costs that may service debt
    capacity_multiple: float = Field(4.0, gt=0)  # limit ≤ this × the yearly room (renewable one-year loans)
    default_household_size: int = Field(3, ge=1)  # used (and said) when the household size is unknown
    grade_limit_share: dict[str, float] = Field(
        default_factory=lambda: {"A": 1.0, "B": 1.0, "C": 0.8, "D": 0.6, "E": 0.0})
    grade_rate_position: dict[str, float] = Field(
        default_factory=lambda: {"A": 0.0, "B": 0.25, "C": 0.5, "D": 1.0, "E": 1.0})
    # 整村授信: a listed household's pre-approved line is granted under its class's product for the first of these
    # purposes that is open to it (a household that has not asked for a loan has no purpose of its own)
    credit_line_purposes: tuple[str, ...] = ("business", "housing", "education", "medical")

    @model_validator(mode="after")
    def _shares_in_range(self) -> TermsPolicy:
        for name, table in (("grade_limit_share", self.grade_limit_share),
                            ("grade_rate_position", self.grade_rate_position)):
            bad = {g: v for g, v in table.items() if not 0.0 <= v <= 1.0}
            if bad:
                raise ValueError(f"{name}: values must lie in [0, 1]; got {bad}")
        return self
