"""The program's policy as data: one YAML file per program document, validated by a strict schema."""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.terms_policy import TermsPolicy

DEFAULT_POLICY = "shengsi-2023-41.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreditRules(_Strict):
    """Industry reading of 信用状况良好."""

    allow_current_overdue: bool = False
    consecutive_overdue_months: int = Field(3, ge=1)
    cumulative_overdue_months: int = Field(6, ge=1)
    window_months: int = Field(24, ge=1)
    bad_statuses: tuple[str, ...] = ("B", "D", "Z")
    worst_five_class_allowed: Literal["正常", "关注", "次级", "可疑", "损失"] = "关注"


class Eligibility(_Strict):
    """项目对象 parameters."""

    min_age: int = Field(ge=0, le=120)
    max_age: int = Field(ge=0, le=120)
    residence_region: str = Field(pattern=r"^\d{6}$")
    income_cap: float = Field(gt=0)
    income_cap_base_size: int = Field(ge=1)
    income_cap_scaling: Literal["per_head", "flat"]
    credit: CreditRules

    def household_income_cap(self, household_size: float) -> float:
        """The income cap for a household of the given size under the policy's reading."""
        if self.income_cap_scaling == "flat":
            return self.income_cap
        return self.income_cap * household_size / self.income_cap_base_size


class Product(_Strict):
    """One 共富 product of the catalogue."""

    code: str
    name: str
    purpose: str
    classes: tuple[str, ...]
    rate_min: float = Field(gt=0, lt=1)
    rate_max: float = Field(gt=0, lt=1)
    max_amount: float = Field(gt=0)
    term_months: int = Field(ge=1)


class Subsidy(_Strict):
    """贴息: the gap between the reference rate and the cap, split between county finance and the bank."""

    rate_cap: float
    reference_rate: float
    finance_points: float
    bank_points: float


class Scoring(_Strict):
    """Score scaling: base points at base odds (good:bad), points to double the odds."""

    base_points: float
    base_odds: float = Field(gt=0)
    pdo: float = Field(gt=0)


class Grade(_Strict):
    """A grade band and what it recommends."""

    grade: str
    min_score: float
    recommendation: Literal["approve", "refer", "decline"]


class Policy(_Strict):
    """A whole program document, as the rule layer and the Decision read it."""

    document: str
    version: str
    effective_from: dt.date
    eligibility: Eligibility
    rules: tuple[str, ...]
    products: tuple[Product, ...]
    subsidy: Subsidy
    scoring: Scoring
    grades: tuple[Grade, ...]
    terms: TermsPolicy = TermsPolicy()  # limits and pricing (models.terms_policy)
    content_hash: str = ""

    @model_validator(mode="after")
    def _grades_descend(self) -> Policy:
        scores = [g.min_score for g in self.grades]
        if scores != sorted(scores, reverse=True):
            raise ValueError("grades must be listed best first with descending min_score")
        return self

    def grade_for(self, score: float) -> Grade:
        """The first grade band whose lower bound the score reaches."""
        for grade in self.grades:
            if score >= grade.min_score:
                return grade
        return self.grades[-1]


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the key."""


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy YAML (the packaged 41号 policy by default)."""
    if path is None:
        text = resources.files("models.policy").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
        where = DEFAULT_POLICY
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise PolicyError(f"policy file '{path}' cannot be read: {err.strerror}") from err
        where = str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PolicyError(f"policy file '{where}' is not valid YAML") from err
    if not isinstance(raw, dict):
        raise PolicyError(f"policy file '{where}' must be a mapping of keys")
    try:
        return Policy(**raw, content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"policy file '{where}': key '{key}': {first['msg']}") from err
