"""The one path from an application to a Decision, shared by the CLI, the API and batch scoring."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from features.build.table import FeatureBuilder
from features.errors import InputError
from features.sources.load import RawSources
from models.decision.builder import Decision, decide
from models.decision.fingerprint import FrameColumns
from models.policy import Policy
from training.registry import LoadedModel


class NotFoundInData(InputError):
    """A household no source holds (answered 422 like any bad field, as before)."""

    code = "unknown_household"


class ApplicationRequest(BaseModel):
    """A loan application for a household whose records the bank holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    household_id: str = Field(min_length=1, max_length=64)
    application_date: dt.date
    requested_amount: float = Field(gt=0, le=10_000_000)
    purpose: Literal["business", "medical", "education", "housing"]


def read_application(path: Path) -> ApplicationRequest:
    """Parse an application JSON file, naming the first field that is wrong."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"application file '{path}' does not exist") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"application file '{path}' is not valid JSON") from err
    return parse_application(raw)


def parse_application(raw: object) -> ApplicationRequest:
    """Validate an application mapping into an ApplicationRequest."""
    try:
        return ApplicationRequest.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(body)"
        raise InputError(f"field '{field}': {first['msg']}") from err


@dataclass
class DecisionService:
    """Model, policy and sources held together, deciding one application at a time."""

    loaded: LoadedModel
    policy: Policy
    sources: RawSources

    @cached_property
    def feature_builder(self) -> FeatureBuilder:
        """The sources indexed by household once; each application then takes the one-row fast path."""
        return FeatureBuilder(self.sources, self.policy)

    @cached_property
    def applicant_names(self) -> dict[str, str]:
        """The base list's name of each household (its first row), looked up once rather than per request."""
        base = self.sources.base_list
        ids, names = base["household_id"].astype(str).tolist(), base["name"].astype(str).tolist()
        return dict(zip(reversed(ids), reversed(names), strict=True))

    def features_for(self, application: ApplicationRequest) -> pd.DataFrame:
        """The single-record feature frame of one application (the same builder as training)."""
        return self.features_with_columns(application)[0]

    def decide(self, application: ApplicationRequest) -> Decision:
        """A full Decision for one application."""
        features, columns = self.features_with_columns(application)
        return decide(features, self.loaded.model, self.loaded.ref, self.policy, columns=columns)

    def decide_form(self, application: ApplicationRequest, visit: Mapping[str, Any]) -> Decision:
        """A full Decision for an application with a visit form filled in now, read beside the indexed records.

        The form stands in for the household's visits on file; bank records, base list, final list and list
        status come from the sources this service indexed at start-up (none for a household the bank never saw).
        """
        features, arrays = self.feature_builder.build_one_with_arrays(
            application.household_id, application.application_date, application.requested_amount,
            application.purpose, visit=visit)
        return decide(features, self.loaded.model, self.loaded.ref, self.policy, columns=FrameColumns.from_pairs(arrays))

    def features_with_columns(self, application: ApplicationRequest) -> tuple[pd.DataFrame, FrameColumns]:
        """``features_for`` and the frame's columns (which the decision would otherwise read again)."""
        builder = self.feature_builder
        if not builder.knows(application.household_id):
            raise NotFoundInData(
                f"field 'household_id': household '{application.household_id}' is not in the data",
                message_zh=f"家庭编号{application.household_id}在本行数据和走访记录中都查不到；请核对编号，"
                           "或先到户走访填写采集表")
        features, arrays = builder.build_one_with_arrays(application.household_id, application.application_date,
                                                         application.requested_amount, application.purpose)
        return features, FrameColumns.from_pairs(arrays)
