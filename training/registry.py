"""Loading models from the MLflow registry by alias, never by path."""

from __future__ import annotations

from dataclasses import dataclass

import mlflow

from features.errors import NotFoundError
from models.credit.model import CreditModel
from models.decision.builder import ModelRef
from training.pyfunc import load_credit_model
from training.tracking import MODEL_NAME, configure


class ModelNotFound(NotFoundError):
    """No model version carries the alias asked for."""


@dataclass(frozen=True)
class LoadedModel:
    """A model and which registry version it is."""

    model: CreditModel
    ref: ModelRef


def load_by_alias(alias: str = "champion", name: str = MODEL_NAME) -> LoadedModel:
    """Load ``models:/NAME@alias`` with its version and run id."""
    client = configure()
    try:
        version = client.get_model_version_by_alias(name, alias)
    except mlflow.exceptions.MlflowException as err:
        raise ModelNotFound(f"no model '{name}' with alias '@{alias}'; run `kuozhong train` first",
                            field="alias", value=alias, rule="a registered alias") from err
    try:
        model = load_credit_model(f"models:/{name}@{alias}")
    except TypeError as err:
        raise ModelNotFound(f"model '{name}@{alias}' is not a kuozhong CreditModel") from err
    return LoadedModel(model, ModelRef(name=name, version=str(version.version), run_id=str(version.run_id)))


def set_alias(alias: str, version: str, name: str = MODEL_NAME) -> None:
    """Point ``alias`` at a model version."""
    configure().set_registered_model_alias(name, alias, version)
