"""The program's policy as data: one YAML file per program document, validated by a strict schema.

Unknown keys are refused and every error names the key it is about, so a typo in a cap or a bound is caught when
the file is read, not when a household is declined. Every Decision records the policy's version and content hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from features.county import HOUSEHOLD_CLASSES
from features.errors import KuozhongError
from models.policy.review import ListReviewPolicy
from models.policy.targets import Targets
from models.policy.terms import TermsPolicy

DEFAULT_POLICY = "shengsi-2023-41.yaml"

FIVE_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
# The repayment-grid statuses the feature builder counts as bad (features.build.bank.BAD_STATUSES).
BUILDER_BAD_STATUSES = frozenset("BDZ")
BUILDER_CREDIT_WINDOW = 24
KNOWN_RULES = ("ID_VALID", "AGE", "RESIDENCE", "CIVIL_CAPACITY", "CREDIT", "INCOME_CAP", "ON_LIST",
               "UPWARD_MOBILITY", "AMOUNT_CAP", "DECLARATION")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreditRules(_Strict):
    """Industry reading of 信用状况良好 (连三累六 over a window, bad statuses, worst 五级分类)."""

    allow_current_overdue: bool = False
    consecutive_overdue_months: int = Field(3, ge=1)
    cumulative_overdue_months: int = Field(6, ge=1)
    window_months: int = Field(BUILDER_CREDIT_WINDOW, ge=1)
    bad_statuses: tuple[str, ...] = ("B", "D", "Z")
    worst_five_class_allowed: Literal["正常", "关注", "次级", "可疑", "损失"] = "关注"

    @field_validator("window_months")
    @classmethod
    def _window_built(cls, value: int) -> int:
        if value != BUILDER_CREDIT_WINDOW:
            raise ValueError(f"the feature builder reads the repayment grid over {BUILDER_CREDIT_WINDOW} months; "
                             f"got {value}")
        return value

    @field_validator("bad_statuses")
    @classmethod
    def _statuses_known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - BUILDER_BAD_STATUSES)
        if unknown or not value:
            raise ValueError(f"bad statuses must be a non-empty subset of B, D, Z; got {list(value)}")
        return value


class Eligibility(_Strict):
    """项目对象 parameters."""

    min_age: int = Field(ge=0, le=120)
    max_age: int = Field(ge=0, le=120)
    age_counted_from: Literal["birthday", "day_after_birthday"] = "birthday"
    form_age_tolerance_years: int = Field(1, ge=0, le=5)
    residence_region: str = Field(pattern=r"^\d{6}$")
    residence_townships: tuple[str, ...] = Field(min_length=1)
    income_cap: float = Field(gt=0)
    income_cap_base_size: int = Field(ge=1)
    income_cap_scaling: Literal["per_head", "flat"]
    credit: CreditRules

    @model_validator(mode="after")
    def _ages_ordered(self) -> Eligibility:
        if self.min_age > self.max_age:
            raise ValueError(f"min_age ({self.min_age}) must not exceed max_age ({self.max_age})")
        return self

    def household_income_cap(self, household_size: float) -> float:
        """The income cap for a household of the given size under the policy's reading."""
        if self.income_cap_scaling == "flat":
            return self.income_cap
        return self.income_cap * household_size / self.income_cap_base_size


class UpwardMobility(_Strict):
    """跃迁 households: normal terms, no new subsidised loan; the program rules they fail do not decline them."""

    program_rules: tuple[str, ...] = ("ON_LIST", "INCOME_CAP", "DECLARATION")


class Product(_Strict):
    """One 共富 product of the catalogue."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    classes: tuple[str, ...] = Field(min_length=1)
    rate_min: float = Field(gt=0, lt=1)
    rate_max: float = Field(gt=0, lt=1)
    max_amount: float = Field(gt=0)
    term_months: int = Field(ge=1)

    @field_validator("classes")
    @classmethod
    def _classes_known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in HOUSEHOLD_CLASSES]
        if unknown:
            raise ValueError(f"unknown household class(es) {unknown}; use {', '.join(HOUSEHOLD_CLASSES)}")
        return value

    @model_validator(mode="after")
    def _band_ordered(self) -> Product:
        if self.rate_min > self.rate_max:
            raise ValueError(f"rate_min ({self.rate_min}) must not exceed rate_max ({self.rate_max})")
        return self


class Subsidy(_Strict):
    """贴息: the gap between the reference rate and the cap, split between county finance and the bank."""

    rate_cap: float = Field(gt=0, lt=1)
    reference_rate: float = Field(gt=0, lt=1)
    finance_points: float = Field(ge=0, lt=1)
    bank_points: float = Field(ge=0, lt=1)

    @model_validator(mode="after")
    def _split_adds_up(self) -> Subsidy:
        gap = round(self.reference_rate - self.rate_cap, 6)
        split = round(self.finance_points + self.bank_points, 6)
        if gap < 0 or abs(gap - split) > 1e-6:
            raise ValueError(f"finance_points + bank_points ({split}) must equal reference_rate - rate_cap ({gap})")
        return self


class Scoring(_Strict):
    """Score scaling: base points at base odds (good:bad), points to double the odds."""

    base_points: float
    base_odds: float = Field(gt=0)
    pdo: float = Field(gt=0)


class Grade(_Strict):
    """A grade band and what it recommends."""

    grade: str = Field(min_length=1)
    min_score: float
    recommendation: Literal["approve", "refer", "decline"]


class Policy(_Strict):
    """A whole program document, as the rule layer and the Decision read it."""

    document: str
    version: str
    effective_from: dt.date
    eligibility: Eligibility
    upward_mobility: UpwardMobility = UpwardMobility()
    rules: tuple[str, ...] = Field(min_length=1)
    products: tuple[Product, ...] = Field(min_length=1)
    subsidy: Subsidy
    scoring: Scoring
    grades: tuple[Grade, ...] = Field(min_length=1)
    targets: Targets | None = None
    terms: TermsPolicy = Field(default_factory=lambda: TermsPolicy.model_validate({}))  # limits and pricing (models.policy.terms)
    list_review: ListReviewPolicy = ListReviewPolicy.model_validate({})  # 名单审核 and the final list (models.policy.review)
    content_hash: str = ""

    @field_validator("rules")
    @classmethod
    def _rules_known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in KNOWN_RULES]
        if unknown:
            raise ValueError(f"unknown rule code(s) {unknown}; known: {', '.join(KNOWN_RULES)}")
        if len(set(value)) != len(value):
            raise ValueError("a rule code is listed twice")
        return value

    @field_validator("grades")
    @classmethod
    def _grades_descend(cls, value: tuple[Grade, ...]) -> tuple[Grade, ...]:
        scores = [g.min_score for g in value]
        if scores != sorted(scores, reverse=True) or len(set(scores)) != len(scores):
            raise ValueError("grades must be listed best first with strictly descending min_score")
        return value

    @field_validator("products")
    @classmethod
    def _codes_unique(cls, value: tuple[Product, ...]) -> tuple[Product, ...]:
        codes = [p.code for p in value]
        if len(set(codes)) != len(codes):
            raise ValueError(f"product codes must be unique; got {codes}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        over = [p.code for p in self.products if p.rate_max > self.subsidy.rate_cap + 1e-12]
        if over:
            raise ValueError(f"products {over}: rate_max above the program's rate cap {self.subsidy.rate_cap}")
        stray = [c for c in self.upward_mobility.program_rules if c not in KNOWN_RULES]
        if stray:
            raise ValueError(f"upward_mobility.program_rules: unknown rule code(s) {stray}")
        return self

    def grade_for(self, score: float) -> Grade:
        """The first grade band whose lower bound the score reaches (the last band below every bound)."""
        for grade in self.grades:
            if score >= grade.min_score:
                return grade
        return self.grades[-1]

    @property
    def program_rate(self) -> float:
        """The highest customer rate of a subsidised 共富 loan (the subsidy's rate cap), for the features."""
        return self.subsidy.rate_cap

    def household_income_caps(self, household_size: np.ndarray) -> np.ndarray:
        """The income cap of each household size (vectorised ``eligibility.household_income_cap``)."""
        size = np.asarray(household_size, dtype=float)
        rules = self.eligibility
        if rules.income_cap_scaling == "flat":
            return np.where(np.isnan(size), np.nan, rules.income_cap)
        return rules.income_cap * size / rules.income_cap_base_size

    @property
    def max_amount(self) -> float:
        """The largest amount any product of the catalogue lends."""
        return max(p.max_amount for p in self.products)


class PolicyError(KuozhongError):
    """A policy file that cannot be used; the message names the key."""


def _where(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + part)
    return "".join(parts) or "(top level)"


def parse_policy(text: str, where: str = "<text>") -> Policy:
    """Validate a policy's YAML text; PolicyError names the file, the key and what is wrong with it."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise PolicyError(f"policy file '{where}' is not valid YAML{line}") from err
    if not isinstance(raw, dict):
        raise PolicyError(f"policy file '{where}' must be a mapping of keys")
    if "content_hash" in raw:
        raise PolicyError(f"policy file '{where}': key 'content_hash' is computed on load and may not be written")
    try:
        return Policy(**raw, content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    except ValidationError as err:
        problems = []
        for item in err.errors()[:3]:
            key = _where(tuple(item["loc"]))
            msg = "unknown key (not in the policy schema)" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append(f"key '{key}': {msg}")
        more = f" (and {err.error_count() - 3} more)" if err.error_count() > 3 else ""
        raise PolicyError(f"policy file '{where}': " + "; ".join(problems) + more) from err


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy YAML (the packaged 41号 policy by default)."""
    if path is None:
        text = resources.files("models.policy").joinpath(DEFAULT_POLICY).read_text(encoding="utf-8")
        return parse_policy(text, DEFAULT_POLICY)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise PolicyError(f"policy file '{path}' cannot be read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise PolicyError(f"policy file '{path}' is not UTF-8 text") from err
    return parse_policy(text, str(path))
