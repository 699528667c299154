"""The pieces every app's router shares: errors as JSON, list envelopes.

Authentication needs users, so it lives in `accounts.auth` and is wired in `config/api.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from antenna.core.errors import AntennaError, NotEligible

T = TypeVar("T")

# An id as the database stores it (a 64-bit key): anything larger is a 422, not a crash.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
MAX_OFFSET = 1_000_000_000


class ErrorOut(Schema):
    detail: str


class ListParams(Schema):
    limit: int = 100
    offset: int = 0


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


def paginate(qs: QuerySet[Any], params: ListParams) -> dict[str, Any]:
    """The list envelope `{"items": [...], "count": N}` with limit (1-500) and offset."""
    limit = min(max(params.limit, 1), 500)
    offset = min(max(params.offset, 0), MAX_OFFSET)
    return {"items": list(qs[offset: offset + limit]), "count": qs.count()}


def _field_path(loc: list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form")]
    return ".".join(parts) or "request"


def install_error_handlers(api: NinjaAPI) -> None:
    """Map Antenna's error hierarchy and framework errors to `{"detail": "..."}` answers."""

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
        for error in exc.errors:
            where = _field_path(list(error.get("loc", [])))
            messages.append(f"{where}: {error.get('msg', 'invalid value')}")
        return api.create_response(
            request,
            {"detail": "; ".join(messages) or _("Invalid request."), "code": "invalid",
             "errors": exc.errors},
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
    "install_error_handlers",
    "paginate",
]
