"""FastAPI dependencies: the runtime, and the caller's key and role checked against what a route allows."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from features.errors import InputError
from serving.api.runtime import Runtime
from serving.review.service import Actor
from serving.store.keys import AuthError, authenticate

_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (`kuozhong keys create`)")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's public id and its role."""

    key_id: str
    role: str


async def get_runtime(request: Request) -> Runtime:
    """The runtime the lifespan started (async: nothing blocks, so no trip through the thread pool)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def known_query_only(request: Request) -> None:
    """422 for a query parameter the route does not declare (a mistyped name would otherwise be ignored)."""
    if not request.query_params or not request.url.path.startswith("/v1/"):
        return  # the pages' own query parameters are read by the page's script, not by the server
    known: set[str] = set()
    pending = [getattr(request.scope.get("route"), "dependant", None)]
    while pending:  # the route's own query parameters and those of every dependency it declares
        dependant = pending.pop()
        if dependant is not None:
            known |= {p.alias for p in dependant.query_params}
            pending.extend(dependant.dependencies)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        name = unknown[0][:40]
        raise InputError(f"field 'query.{name}': this route takes no such query parameter"
                         + (f"; it takes {', '.join(sorted(known))}" if known else ""),
                         field=f"query.{name}", message_zh=f"查询参数 {name} 不被接受")


async def get_caller(runtime: RuntimeDep, key: Annotated[str | None, Security(_key_header)] = None) -> Caller:
    """401 unless the key is known and active (one indexed lookup, done on the event loop: no thread hop)."""
    try:
        key_id, role = authenticate(runtime.store, key, runtime.settings.key_pepper.get_secret_value())
    except AuthError as err:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "API-Key"}) from err
    return Caller(key_id, role)


def require(*roles: str) -> Callable[[Caller], Coroutine[Any, Any, Caller]]:
    """A dependency that answers 403 unless the caller has one of ``roles``."""

    async def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if caller.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role '{caller.role}' may not do this; needs one of: {', '.join(roles)}")
        return caller

    return check


Officer = Annotated[Caller, Depends(require("officer", "admin"))]
Reader = Annotated[Caller, Depends(require("officer", "risk", "auditor", "admin"))]
RulesReader = Annotated[Caller, Depends(require("officer", "risk", "admin"))]
AnyRole = Annotated[Caller, Depends(get_caller)]
Admin = Annotated[Caller, Depends(require("admin"))]
ReviewReader = Annotated[Caller, Depends(require("reviewer", "officer", "program", "auditor", "admin"))]


async def get_review_actor(runtime: RuntimeDep, caller: ReviewReader) -> Actor:
    """The caller as an actor of list review: a reviewer's unit and townships (403 when the key has no unit)."""
    if runtime.review is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "list review is not running")
    return runtime.review.actor(caller.key_id, caller.role)


ReviewActor = Annotated[Actor, Depends(get_review_actor)]
