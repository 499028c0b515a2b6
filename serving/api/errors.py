"""Errors for people: every bad request is a 422 JSON body naming the field, never a 500 with a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from features.errors import KuozhongError
from serving.api.zh import field_zh, pydantic_zh

log = logging.getLogger(__name__)


def problem(field: str, message: str, detail: list | None = None, status: int = 422, *,
            message_zh: str | None = None, code: str = "invalid_input") -> JSONResponse:
    """An error answer (422 unless told): ``error`` names the field and the rule, ``detail`` lists every problem.

    ``message_zh`` says the same in Chinese (what the officer's page shows), ``code`` names the kind of error.
    """
    body = {"error": f"field '{field}': {message}", "field": field,
            "detail": detail or [{"loc": field.split("."), "msg": message}],
            "message_zh": message_zh or f"{field_zh(field)}有误，请核对后重试", "code": code}
    return JSONResponse(jsonable_encoder(body), status_code=status)


def _field_of(loc: object) -> str:
    parts = [str(p) for p in loc] if isinstance(loc, list | tuple) else [str(loc)]
    if parts and parts[0] == "body":
        parts = parts[1:]
    # drop the discriminator tag pydantic adds for unions ('household' / 'form')
    if parts and parts[0] in ("household", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for RequestValidationError only
        raise exc
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    # input values are never echoed: they may hold ID numbers or names
    first = exc.errors()[0] if errors else {"loc": ["body"], "msg": "invalid request", "type": "invalid"}
    field = _field_of(first["loc"])
    return problem(field, str(first["msg"]), errors, message_zh=pydantic_zh(first, field))


async def _kuozhong(_: Request, exc: Exception) -> JSONResponse:
    """Any error of the one base: its field (``body`` when it names none), its message, its status."""
    if not isinstance(exc, KuozhongError):  # registered for KuozhongError only; anything else is a server fault
        raise exc
    return problem(exc.field or "body", exc.message, status=exc.status, message_zh=exc.message_zh, code=exc.code)


def install(app: FastAPI) -> None:
    """Register the handlers that turn bad input into 422."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(KuozhongError, _kuozhong)


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with a 422 naming the body, before reading them into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting body bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem("body", f"request body is larger than {self.max_bytes:,} bytes",
                           message_zh=f"提交的内容超过{self.max_bytes:,}字节，请减少或压缩照片后重试",
                           code="too_large")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
