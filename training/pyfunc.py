"""The registered model as an MLflow pyfunc: takes what pandas reads, returns PDs, scores like the Python API.

A frame read by pandas may hold whole-number columns as int64, a categorical coded by numbers (an industry code,
56) as int64 or float64 (56.0 once a value is missing), and missing cells as None or NaN. MLflow's own schema
check would refuse int64 for a column declared double, and a typed signature would turn 56 into 56.0, a level
the trees never saw. So the signature declares every input column as ``any`` (the column names still checked),
and the model reads the values itself: ``CreditModel.canonical_frame`` turns every categorical value into the
text the trees learnt ("56" for 56, 56.0 and "56") and every numeric one into a float, naming a column and a
value it cannot read. ``predict`` returns the calibrated PD per row, as ``CreditModel.predict_pd`` does.
"""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import AnyType, ColSpec, Schema

from models.credit.model import CreditModel


class CreditPyfunc(PythonModel):
    """PDs of a fitted ``CreditModel`` for any frame of its feature columns."""

    def __init__(self, model: CreditModel) -> None:
        self.model = model

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> np.ndarray:
        """Calibrated probability of default of every row (the Python API's ``predict_pd``)."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return self.model.predict_pd(frame)


def signature_of(model: CreditModel) -> ModelSignature:
    """Every feature column, of any type (the model reads and checks the values); one double out, the PD."""
    return ModelSignature(inputs=Schema([ColSpec(AnyType(), name) for name in model.features]),
                          outputs=Schema([ColSpec("double")]))


def credit_model_of(loaded: Any) -> CreditModel:
    """The ``CreditModel`` inside a loaded pyfunc (or the model itself, for versions logged with the sklearn flavour)."""
    if isinstance(loaded, CreditModel):
        return loaded
    inner = loaded.unwrap_python_model() if hasattr(loaded, "unwrap_python_model") else loaded
    model = getattr(inner, "model", None)
    if not isinstance(model, CreditModel):
        raise TypeError(f"not a kuozhong credit model: {type(inner).__name__}")
    return model


def load_credit_model(uri: str) -> CreditModel:
    """Load a registered kuozhong model (``models:/NAME@alias`` or ``models:/NAME/version``) as a ``CreditModel``."""
    from mlflow.models import Model

    flavors = Model.load(uri).flavors
    if "sklearn" in flavors:  # versions registered before the pyfunc
        return credit_model_of(mlflow.sklearn.load_model(uri))
    return credit_model_of(mlflow.pyfunc.load_model(uri))
