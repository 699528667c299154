"""The pieces every app's router shares: errors as JSON, list envelopes.

Authentication needs users, so it lives in `accounts.auth` and is wired in `config/api.py`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from antenna.core.errors import AntennaError, NotEligible
from antenna.core.schemas import pattern_message

T = TypeVar("T")

# An id as the database stores it (a 64-bit key): anything larger is a 422, not a crash.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
MAX_OFFSET = 1_000_000_000


class ErrorOut(Schema):
    """Every error answer: `detail` says what to do; `code` names the error; `retryable` says
    whether the same request may succeed later; `rule` names a failed eligibility rule."""

    detail: str
    code: str | None = None
    retryable: bool | None = None
    rule: str | None = None


class ValidationErrorOut(ErrorOut):
    """422: the request does not match the operation's schema; `errors` as pydantic gives them
    (`type`, `loc`, `ctx`), each `msg` a sentence saying what to send instead; `detail` all of
    them in one line, each prefixed with its field (`kind: use one of sme, startup, ...`)."""

    errors: list[dict[str, Any]]


# Answers any operation can give, documented on every operation (see document_errors):
# 401 without valid credentials; 422 when a parameter or the body does not match the schema;
# 413 when the body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.
_ERROR_DESCRIPTIONS = {
    "400": "Bad request: the values are valid but refused (see detail)",
    "401": "Authentication required or token invalid/expired",
    "403": "Not allowed for your role",
    "404": "Not found (or not visible to you)",
    "409": "Conflict with the current state (e.g. an illegal state transition)",
    "413": "Request body too large",
    "422": "The request does not match the schema",
    "503": "A factory is not reachable right now (retry later)",
}


class ListParams(Schema):
    limit: int = 100
    offset: int = 0


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


def page_bounds(params: ListParams) -> tuple[int, int]:
    """(limit, offset) of a list page: limit 1-500, offset 0-MAX_OFFSET."""
    return min(max(params.limit, 1), 500), min(max(params.offset, 0), MAX_OFFSET)


def paginate(qs: QuerySet[Any], params: ListParams) -> dict[str, Any]:
    """The list envelope `{"items": [...], "count": N}` with limit (1-500) and offset."""
    limit, offset = page_bounds(params)
    return {"items": list(qs[offset: offset + limit]), "count": qs.count()}


def _field_path(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form")]
    return ".".join(parts) or "request"


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a, b, c" (an empty choice said in words)."""
    names = re.findall(r"'([^']*)'", expected)
    shown = [name for name in names if name]
    text = ", ".join(shown) or expected
    if "" in names:
        text = _("%(choices)s, or leave it empty") % {"choices": text}
    return text


def human_validation_message(error: dict[str, Any]) -> str:
    """One pydantic error as a sentence that says what to send instead: the pattern's own
    sentence (`core.schemas.explained_pattern`), the accepted choices, the bounds. Validators'
    own sentences (a `ValueError`) are kept, without pydantic's "Value error, " prefix."""
    kind = str(error.get("type", ""))
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind == "string_pattern_mismatch":
        return pattern_message(str(ctx.get("pattern", ""))) or _(
            "this text is not in an accepted form.")
    if kind in ("literal_error", "enum"):
        return _("use one of %(choices)s.") % {"choices": _choices(str(ctx.get("expected", "")))}
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    bound = next((ctx[key] for key in ("min_length", "max_length", "ge", "gt", "le", "lt")
                  if key in ctx), 0)
    count = bound if isinstance(bound, int) else 0
    counted = {
        "string_too_short": ngettext("write at least %(n)s character.",
                                     "write at least %(n)s characters.", count),
        "string_too_long": ngettext("write at most %(n)s character.",
                                    "write at most %(n)s characters.", count),
        "too_short": ngettext("give at least %(n)s item.", "give at least %(n)s items.", count),
        "too_long": ngettext("give at most %(n)s item.", "give at most %(n)s items.", count),
    }
    messages: dict[str, str] = {
        **counted,
        "missing": _("this field is required."),
        "greater_than_equal": _("give a number of at least %(n)s."),
        "greater_than": _("give a number greater than %(n)s."),
        "less_than_equal": _("give a number of at most %(n)s."),
        "less_than": _("give a number less than %(n)s."),
        "int_parsing": _("give a whole number, like 10."),
        "int_type": _("give a whole number, like 10."),
        "int_from_float": _("give a whole number, like 10, without decimals."),
        "float_parsing": _("give a number, like 2.5."),
        "float_type": _("give a number, like 2.5."),
        "finite_number": _("give a finite number, like 2.5."),
        "bool_parsing": _("give true or false."),
        "bool_type": _("give true or false."),
        "string_type": _("give text, between double quotes."),
        "date_parsing": _("give a date like 2026-03-31."),
        "date_from_datetime_parsing": _("give a date like 2026-03-31."),
        "date_from_datetime_inexact": _("give a date like 2026-03-31, without a time."),
        "date_type": _("give a date like 2026-03-31."),
        "list_type": _("give a list, between [ and ]."),
        "dict_type": _("send a JSON object, like {\"name\": \"value\"}."),
        "model_type": _("send a JSON object, like {\"name\": \"value\"}."),
        "model_attributes_type": _("send a JSON object, like {\"name\": \"value\"}."),
        "json_invalid": _("the body is not valid JSON."),
    }
    if kind in messages:
        return messages[kind] % {"n": bound} if "%(n)s" in messages[kind] else messages[kind]
    return str(error.get("msg", _("invalid value.")))


def _error_response(code: str, ref: str) -> dict[str, Any]:
    return {"description": _ERROR_DESCRIPTIONS.get(code, "Error"),
            "content": {"application/json": {"schema": {"$ref": ref}}}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add to every operation of an OpenAPI document the errors the framework itself gives
    (401, 422, 413), with the body shapes really sent, and fix the declared error bodies to
    `ErrorOut`."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    template = "#/components/schemas/{model}"
    for model in (ErrorOut, ValidationErrorOut):
        components[model.__name__] = model.model_json_schema(ref_template=template)
    error_ref = template.format(model="ErrorOut")
    invalid_ref = template.format(model="ValidationErrorOut")
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            # ninja keys its responses by int, `openapi_extra` by str: one key per code, the
            # str one (written by hand for the operation) winning.
            raw = operation.get("responses", {})
            responses = {str(code): response for code, response in raw.items()
                         if not isinstance(code, str)}
            responses.update({code: r for code, r in raw.items() if isinstance(code, str)})
            operation["responses"] = responses
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["description"] = _ERROR_DESCRIPTIONS.get(code, "Error")
            if operation.get("security"):
                responses.setdefault("401", _error_response("401", error_ref))
            if operation.get("parameters") or operation.get("requestBody"):
                responses["422"] = _error_response("422", invalid_ref)
            if operation.get("requestBody"):
                responses.setdefault("413", _error_response("413", error_ref))
    return schema


def install_error_handlers(api: NinjaAPI) -> None:
    """Map Antenna's error hierarchy and framework errors to `{"detail": "..."}` answers, and
    document them on every operation of the API's OpenAPI document."""
    build_schema = api.get_openapi_schema

    def get_openapi_schema(**kwargs: Any) -> Any:
        return document_errors(build_schema(**kwargs))

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return api.create_response(
            request,
            {"detail": _("The request body is larger than the limit of %(limit)s MB.")
             % {"limit": round(limit / 1e6, 1)}, "code": "too_large", "retryable": False},
            status=413,
        )

    @api.exception_handler(AntennaError)
    def _antenna_error(request: HttpRequest, exc: AntennaError) -> HttpResponse:
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code,
                                "retryable": exc.retryable}
        if isinstance(exc, NotEligible):
            body["rule"] = exc.rule
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(NinjaValidationError)
    def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        messages = []
        errors = []
        for error in exc.errors:
            where = _field_path(list(error.get("loc", [])))
            sentence = human_validation_message(error)
            messages.append(f"{where}: {sentence}")
            errors.append({**error, "msg": sentence})
        return api.create_response(
            request,
            {"detail": "; ".join(messages) or _("Invalid request."), "code": "invalid",
             "errors": errors},
            status=422,
        )

    @api.exception_handler(DataError)
    def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # The last line of defence: a value the database cannot store (a NUL character, a
        # number or text too large for its column) is bad input, not a server error.
        return api.create_response(
            request,
            {"detail": _("A value in the request cannot be stored: check for text that is too "
                         "long, numbers out of range or NUL characters."), "code": "invalid"},
            status=400,
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request,
            {"detail": _("Authentication required: send 'Authorization: Bearer <token>' "
                         "(create a token with `antenna create_token` or on your profile page)."),
             "code": "unauthenticated"},
            status=401,
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": _("Not found."), "code": "not_found"},
                                   status=404)

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc), "code": "error"},
                                   status=exc.status_code)


__all__ = [
    "DbId",
    "ErrorOut",
    "ListParams",
    "Page",
    "Query",
    "ValidationErrorOut",
    "document_errors",
    "install_error_handlers",
    "paginate",
]
