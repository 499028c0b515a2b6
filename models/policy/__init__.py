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
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from features.county import HOUSEHOLD_CLASSES
from features.errors import KuozhongError
from models.policy.grading import GradeBand, grade_bands, grade_index, grade_labels
from models.policy.postloan import PostLoan
from models.policy.review import ListReviewPolicy
from models.policy.stress import Cycle
from models.policy.targets import Targets
from models.policy.terms import TermsPolicy

DEFAULT_POLICY = "shengsi-2023-41.yaml"

FIVE_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
# The repayment-grid statuses the feature builder counts as bad (features.build.bank.BAD_STATUSES).
BUILDER_BAD_STATUSES = frozenset("BDZ")
BUILDER_CREDIT_WINDOW = 24
RepaymentMethod = Literal["按月付息到期还本", "等额本息"]
KNOWN_RULES = ("ID_VALID", "AGE", "RESIDENCE", "CIVIL_CAPACITY", "CREDIT", "INCOME_CAP", "INCOME_CONSISTENT",
               "INCOME_OBSERVED", "ON_LIST", "UPWARD_MOBILITY", "AMOUNT_CAP", "DECLARATION")


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


class IncomeChecks(_Strict):
    """How far declared income may stray: total against its sources, and against what flows into the accounts."""

    # Declared total and the sum declared by source may differ by this share of the larger (rounding on the form);
    # beyond it the income cannot be read and a person must settle it (INCOME_CONSISTENT).
    sources_tolerance: float = Field(0.05, ge=0, lt=1)
    # Declared income below this share of the income observed flowing into the household's accounts over the last
    # 12 months is referred with both figures (INCOME_OBSERVED): under-declaring to pass the cap is the main misuse.
    declared_to_observed_min: float = Field(0.5, gt=0, le=1)


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
    income_checks: IncomeChecks = Field(default_factory=lambda: IncomeChecks.model_validate({}))
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
    """One product of the catalogue: who may take it, for what, how much, at what rate, from when."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    classes: tuple[str, ...] = Field(min_length=1)
    rate_min: float = Field(gt=0, lt=1)
    rate_max: float = Field(gt=0, lt=1)
    min_amount: float = Field(gt=0)
    max_amount: float = Field(gt=0)
    term_months: int = Field(ge=1)
    # 按月付息到期还本: interest monthly, the principal at maturity; 等额本息: equal monthly instalments
    repayment_method: RepaymentMethod = "按月付息到期还本"
    launched_on: dt.date | None = None  # the day the bank put it on offer (推出); None: from the policy's start

    def open_to(self, household_class: object, on: dt.date | None = None) -> bool:
        """True when a household of this class may take the product on the date (launched by then)."""
        launched = self.launched_on is None or on is None or self.launched_on <= on
        return household_class in self.classes and launched

    def rate_in_band(self, rate: float) -> bool:
        """True when a rate lies inside the product's band (to a millionth)."""
        return self.rate_min - 1e-9 <= rate <= self.rate_max + 1e-9

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
        if self.min_amount > self.max_amount:
            raise ValueError(f"min_amount ({self.min_amount}) must not exceed max_amount ({self.max_amount})")
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


class Records(_Strict):
    """How old the newest record of a household may be before the officer's card warns about it."""

    stale_after_days: int = Field(180, ge=1, le=3650)


class Policy(_Strict):
    """A whole program document, as the rule layer and the Decision read it."""

    document: str
    version: str
    effective_from: dt.date
    eligibility: Eligibility
    upward_mobility: UpwardMobility = UpwardMobility()
    rules: tuple[str, ...] = Field(min_length=1)
    products: tuple[Product, ...] = Field(min_length=1)
    # The bank's ordinary (unsubsidised) products: what a 跃迁 household may borrow, at the ordinary price.
    ordinary_products: tuple[Product, ...] = ()
    subsidy: Subsidy
    scoring: Scoring
    grades: tuple[Grade, ...] = Field(min_length=1)
    targets: Targets | None = None
    post_loan: PostLoan | None = None  # stage 4: revisit schedule, misuse signals, the yearly 贴息 budget
    records: Records = Field(default_factory=lambda: Records.model_validate({}))
    terms: TermsPolicy = Field(default_factory=lambda: TermsPolicy.model_validate({}))  # limits and pricing (models.policy.terms)
    list_review: ListReviewPolicy = ListReviewPolicy.model_validate({})  # 名单审核 and the final list (models.policy.review)
    cycle: Cycle = Cycle.model_validate({})  # stress periods training weighs back to their long-run share (models.policy.stress)
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

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        codes = [p.code for p in (*self.products, *self.ordinary_products)]
        if len(set(codes)) != len(codes):
            raise ValueError(f"product codes must be unique across products and ordinary_products; got {codes}")
        over = [p.code for p in self.products if p.rate_max > self.subsidy.rate_cap + 1e-12]
        if over:
            raise ValueError(f"products {over}: rate_max above the program's rate cap {self.subsidy.rate_cap}")
        cheap = [p.code for p in self.ordinary_products if p.rate_min <= self.subsidy.rate_cap + 1e-12]
        if cheap:
            raise ValueError(f"ordinary_products {cheap}: an unsubsidised rate must lie above the program's rate cap "
                             f"{self.subsidy.rate_cap}")
        stray = [c for c in self.upward_mobility.program_rules if c not in KNOWN_RULES]
        if stray:
            raise ValueError(f"upward_mobility.program_rules: unknown rule code(s) {stray}")
        return self

    def grade_for(self, score: float) -> Grade:
        """The grade of a score as stated (2 decimals): the first band whose lower bound it reaches, else the last."""
        return self.grades[int(grade_index(score, [g.min_score for g in self.grades])[0])]

    def grades_of(self, scores: np.ndarray) -> np.ndarray:
        """The grade label of every score (``grade_for`` on a whole array)."""
        return grade_labels(scores, [(g.grade, g.min_score) for g in self.grades])

    def grade_bands(self) -> list[GradeBand]:
        """Every grade's score bounds and the PD range they stand for under the policy's scorecard scaling."""
        return grade_bands([(g.grade, g.min_score, g.recommendation) for g in self.grades],
                           self.scoring.base_points, self.scoring.base_odds, self.scoring.pdo)

    def grade_band(self, grade: str) -> GradeBand:
        """One grade's band (``grade_bands``) by its label."""
        for band in self.grade_bands():
            if band.grade == grade:
                return band
        raise KeyError(f"no grade {grade!r} in the policy's grades")

    @property
    def program_rate(self) -> float:
        """The highest customer rate of a subsidised 共富 loan (the subsidy's rate cap), for the features."""
        return self.subsidy.rate_cap

    def monthly_service(self, amount: np.ndarray, purpose: np.ndarray) -> np.ndarray:
        """Monthly debt service of a requested 共富 loan at the program rate, by its product's repayment method.

        按月付息到期还本 pays interest only each month (amount × rate / 12; the principal falls due at maturity);
        等额本息 pays the annuity amount × r / (1 − (1 + r)^−n) with r = rate / 12 and n the term in months. The
        product is the first of the catalogue lending for the purpose (the first product for an unknown purpose).
        """
        factors: dict[object, float] = {}
        for product in self.products:
            factors.setdefault(product.purpose, _monthly_factor(product, self.program_rate))
        default = _monthly_factor(self.products[0], self.program_rate)
        codes, uniques = pd.factorize(pd.Series(np.asarray(purpose, dtype=object)), use_na_sentinel=False)
        per_code = np.array([factors.get(u, default) for u in uniques] or [default], dtype=float)
        return np.asarray(amount, dtype=float) * per_code[codes]

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

    def products_for(self, household_class: object, on: dt.date | None = None, *,
                     subsidised: bool = True) -> list[Product]:
        """The products a household class may take on a date, in catalogue order.

        ``subsidised=False``: the bank's ordinary products (a 跃迁 household), never a 共富 product.
        """
        catalogue = self.products if subsidised else self.ordinary_products
        return [p for p in catalogue if p.open_to(household_class, on)]

    def product(self, code: str) -> Product | None:
        """A product of either catalogue by its code."""
        return next((p for p in (*self.products, *self.ordinary_products) if p.code == code), None)


def _monthly_factor(product: Product, annual_rate: float) -> float:
    """Monthly service per yuan borrowed under the product's repayment method."""
    monthly = annual_rate / 12.0
    if product.repayment_method == "按月付息到期还本":
        return monthly
    if monthly == 0.0:
        return 1.0 / product.term_months
    return monthly / (1.0 - (1.0 + monthly) ** -product.term_months)


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
