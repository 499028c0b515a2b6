"""Errors for people: every 4xx the service gives has one JSON shape, declared in the OpenAPI of every route.

``{"error", "field", "message_zh", "code", "detail"}``: ``error`` names the field and the rule in English,
``message_zh`` says the same in Chinese, ``code`` is stable for clients to branch on, ``field`` is a JSON path
(``visit.members[2].age``), ``detail`` lists every problem found. Nothing here echoes an input value: values may
hold ID numbers or names.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from features.errors import KuozhongError
from serving.api.zh import pydantic_zh

log = logging.getLogger(__name__)


class ErrorItem(BaseModel):
    """One problem: where (path parts), what (message), and its kind."""

    loc: list[str | int]
    msg: str
    type: str = "invalid"


class ErrorPublic(BaseModel):
    """The one error shape of every 4xx answer."""

    error: str = Field(description="the field and the rule it broke, in English")
    field: str = Field(description="JSON path of the field at fault (`visit.members[2].age`), or `body`/`header`")
    message_zh: str = Field(description="the same message in Chinese")
    code: str = Field(description="a stable name of the kind of error")
    detail: list[ErrorItem] = Field(description="every problem found")


_STATUS_TEXT = {
    400: ("the request body cannot be read", "请求内容无法解析"),
    401: ("missing or unknown API key", "密钥无效：缺少、未知或已停用的 API 密钥"),
    403: ("this key's role may not do this", "该密钥的角色无权执行此操作"),
    404: ("not found", "未找到"),
    413: ("the request body is too large", "请求内容过大"),
    415: ("the request body must be JSON (Content-Type: application/json)", "请求内容必须为 JSON 格式"),
    422: ("a field is wrong; `field` names it", "字段有误，见 field"),
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": f"{en} · {zh}"} for status, (en, zh) in _STATUS_TEXT.items()}
_CODE_BY_STATUS = {400: "parse_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
                   422: "invalid_field"}
# Chinese for pydantic's error kinds (the English message is pydantic's own).
_ZH_BY_TYPE = {
    "missing": "缺少必填字段", "extra_forbidden": "不允许的字段", "string_too_long": "文本过长",
    "string_too_short": "文本过短", "string_pattern_mismatch": "格式不符", "literal_error": "取值不在允许范围内",
    "greater_than": "数值过小", "greater_than_equal": "数值过小", "less_than": "数值过大", "less_than_equal": "数值过大",
    "float_type": "应为数字", "int_type": "应为整数", "bool_type": "应为 true 或 false", "string_type": "应为文本",
    "date_from_datetime_parsing": "日期格式有误", "date_parsing": "日期格式有误", "datetime_parsing": "日期时间格式有误",
    "datetime_from_date_parsing": "日期时间格式有误", "finite_number": "数值必须为有限数",
    "too_long": "条目过多", "too_short": "条目过少", "union_tag_invalid": "source 取值应为 household 或 form",
    "union_tag_not_found": "缺少 source 字段", "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象", "list_type": "应为 JSON 数组", "value_error": "取值有误",
    "json_invalid": "JSON 格式有误", "date_type": "应为日期", "datetime_type": "应为日期时间",
}


def json_path(loc: Any) -> str:
    """A pydantic location as a JSON path: ('body', 'form', 'visit', 'members', 2, 'age') -> visit.members[2].age."""
    parts = list(loc) if isinstance(loc, list | tuple) else [loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    if parts and parts[0] in ("household", "form"):  # the discriminator tag pydantic adds for the union
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def error_response(status: int, field: str, message: str, message_zh: str, code: str | None = None,
                   detail: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """An answer in the one error shape."""
    body = {"error": f"field '{field}': {message}", "field": field, "message_zh": message_zh,
            "code": code or _CODE_BY_STATUS.get(status, "error"),
            "detail": detail or [{"loc": field.split("."), "msg": message, "type": code or "invalid"}]}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def problem(field: str, message: str, detail: list | None = None, status: int = 422,
            message_zh: str | None = None, code: str | None = None) -> JSONResponse:
    """An error answer (422 unless told) naming the field; Chinese beside the English."""
    zh = message_zh or f"字段 {field} 有误：{_STATUS_TEXT.get(status, ('', '请求有误'))[1]}"
    return error_response(status, field, message, zh, code, detail)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for RequestValidationError only
        raise exc
    errors = [{"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")),
               "type": str(e.get("type"))} for e in exc.errors()]
    first = errors[0] if errors else {"loc": ["body"], "msg": "invalid request", "type": "invalid"}
    field = json_path(first["loc"])
    raw = exc.errors()
    # the field's Chinese name and what its rule asks (the officer's page shows this), never the value sent
    zh = pydantic_zh(raw[0], field) if raw else f"字段 {field}：{_ZH_BY_TYPE.get(str(first['type']), '取值有误')}"
    for item in errors:
        item["loc"] = [p for p in item["loc"] if p not in ("household", "form")] or ["body"]
    return error_response(422, field, str(first["msg"]), zh, "invalid_field", errors)


async def _kuozhong(_: Request, exc: Exception) -> JSONResponse:
    """Any error of the one base: its field (``body`` when it names none), message, Chinese message, code, status."""
    if not isinstance(exc, KuozhongError):  # registered for KuozhongError only; anything else is a server fault
        raise exc
    field = exc.field or "body"
    zh = exc.message_zh or f"字段 {field} 有误：{exc.message}"
    return error_response(exc.status, field, exc.message, zh, exc.code)


def _allowed_methods(request: Request) -> str | None:
    """Every method the API declares at the request's path (a path can have one route per method)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, request.url.path):
            methods |= {m.upper() for m in operations if m in ("get", "post", "put", "patch", "delete")}
    return ", ".join(sorted(methods)) if methods else None


async def _http(request: Request, exc: Exception) -> JSONResponse:
    """401, 403, 404, 405 and any other HTTP error in the same shape (``field`` says where the fault lies)."""
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    status = exc.status_code
    field = {401: "header.X-API-Key", 403: "header.X-API-Key"}.get(status, "path" if status in (404, 405) else "body")
    message = str(exc.detail) if exc.detail else _STATUS_TEXT.get(status, ("error", ""))[0]
    zh = _STATUS_TEXT.get(status, ("", "请求有误"))[1]
    headers = dict(exc.headers) if exc.headers else {}
    allowed = _allowed_methods(request) if status == 405 else None
    if allowed:  # Starlette names only the first route that matched the path; the answer names them all
        headers["Allow"] = allowed
    return error_response(status, field, message, zh, _CODE_BY_STATUS.get(status, "error"), headers=headers or None)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into the one shape."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(KuozhongError, _kuozhong)
    app.add_exception_handler(StarletteHTTPException, _http)
