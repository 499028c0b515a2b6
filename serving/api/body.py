"""The request body read once before any route: size, media type, JSON syntax, nesting depth and number sanity.

Every refusal is in the one error shape (``serving.api.errors``): a body over the limit 413, a body that is not
JSON 415, JSON that does not parse 400 naming line and column, nesting deeper than ``MAX_DEPTH`` 422, a number
that is not finite (``NaN``, ``Infinity``) or beyond any amount the program knows 422 naming its JSON path — in
free-form visit fields too, which no schema types. The body is then handed on to the route unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.api.errors import error_response

MAX_DEPTH = 32  # the visit form nests 4 deep; free-form PAD fields get room, a 255-deep body does not
MAX_ABS_NUMBER = 1e12  # no amount, count or age the program reads comes near a trillion
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class _NonFinite:
    """Stands in for NaN / Infinity while parsing, so the walk can name where it was."""

    def __init__(self, token: str) -> None:
        self.token = token


def _non_finite(token: str) -> _NonFinite:
    return _NonFinite(token)


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def check_value(value: Any) -> tuple[str, str, str, str, str] | None:
    """The first problem in a parsed body: (path, code, English, Chinese, type), or None."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, parts = stack.pop()
        if len(parts) > MAX_DEPTH:
            return (_path(parts[:MAX_DEPTH]), "too_deep", f"nesting deeper than {MAX_DEPTH} levels is refused",
                    f"嵌套层级超过{MAX_DEPTH}层，不予受理", "too_deep")
        if isinstance(item, dict):
            stack.extend((v, [*parts, str(k)]) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, [*parts, i]) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, _NonFinite):
            return (_path(parts), "non_finite_number", f"{item.token} is not a number; send a finite number",
                    f"{item.token} 不是有效数字，应为有限数值", "finite_number")
        elif isinstance(item, float) and not math.isfinite(item) or (
                isinstance(item, int | float) and not isinstance(item, bool) and abs(item) > MAX_ABS_NUMBER):
            return (_path(parts), "absurd_number", f"a number beyond ±{MAX_ABS_NUMBER:g} is refused",
                    f"数值超出±{MAX_ABS_NUMBER:g}，不予受理", "absurd_number")
    return None


class BodyGuard:
    """Reads a request's body (refusing it early when too large), checks it, and replays it to the app."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the body of POST/PUT/PATCH requests, then pass the request on."""
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        refusal = self._refusal(body, headers.get(b"content-type", b"").decode("latin-1"))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _refusal(body: bytes, content_type: str) -> Any:
        if not body.strip():
            return None
        media = content_type.split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            return error_response(415, "header.Content-Type", f"the body is '{media or 'untyped'}'; send "
                                  "application/json", "请求内容必须为 JSON（Content-Type: application/json）",
                                  "unsupported_media_type")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as err:
            line = body[:err.start].count(b"\n") + 1
            column = err.start - (body.rfind(b"\n", 0, err.start) + 1) + 1
            return _parse_error(line, column, "the body is not valid UTF-8")
        try:
            parsed = json.loads(text, parse_constant=_non_finite)
        except json.JSONDecodeError as err:
            return _parse_error(err.lineno, err.colno, err.msg)
        except RecursionError:
            return error_response(422, "body", f"nesting deeper than {MAX_DEPTH} levels is refused",
                                  f"嵌套层级超过{MAX_DEPTH}层，不予受理", "too_deep")
        found = check_value(parsed)
        if found is None:
            return None
        path, code, message, zh, kind = found
        return error_response(422, path, message, f"字段 {path}：{zh}", code,
                              [{"loc": path.replace("[", ".").replace("]", "").split("."), "msg": message,
                                "type": kind}])

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "body", f"the request body is larger than {self.max_bytes:,} bytes",
                                   f"请求内容超过 {self.max_bytes:,} 字节", "body_too_large")
        await response(scope, receive, send)


def _parse_error(line: int, column: int, reason: str) -> Any:
    message = f"invalid JSON at line {line}, column {column}: {reason}"
    return error_response(400, "body", message, f"JSON 格式有误：第{line}行第{column}列（{reason}）", "parse_error",
                          [{"loc": ["body", f"line {line}", f"column {column}"], "msg": message,
                            "type": "json_invalid"}])
