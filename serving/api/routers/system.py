"""The model in use (and swapping it), liveness, and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from serving.api.deps import Admin, AnyRole, RuntimeDep
from serving.api.runtime import Runtime
from serving.api.schemas.requests import AliasReload
from serving.api.schemas.responses import Health, ModelPublic

router = APIRouter(tags=["system"])


def model_public(runtime: Runtime) -> ModelPublic:
    """The active model as the API shows it."""
    active = runtime.active
    ref = active.service.loaded.ref
    return ModelPublic(name=ref.name, version=ref.version, run_id=ref.run_id, alias=active.alias,
                       policy_version=runtime.policy.version, policy_document=runtime.policy.document,
                       loaded_at=active.loaded_at)


@router.get("/v1/model", response_model=ModelPublic)
def read_model(runtime: RuntimeDep, caller: AnyRole) -> ModelPublic:
    """Model name, version and run, and the policy version, answering requests now."""
    return model_public(runtime)


@router.post("/v1/admin/model", response_model=ModelPublic)
def reload_model(body: AliasReload, runtime: RuntimeDep, caller: Admin, request: Request) -> ModelPublic:
    """Load the model under an alias and swap it in; requests in flight finish on the old one."""
    runtime.swap(body.alias)  # an unknown alias is ModelNotFound: 404 in the one error shape
    request.app.state.metrics.model_version.set(float(runtime.active.service.loaded.ref.version))
    return model_public(runtime)


@router.get("/healthz", response_model=Health)
def healthz(runtime: RuntimeDep) -> Health:
    """Ready when the model is loaded and the store answers."""
    with runtime.store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return Health(status="ok", model_version=runtime.active.service.loaded.ref.version,
                  store=runtime.store.engine.dialect.name)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
