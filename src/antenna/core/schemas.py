"""Input schema rules shared by every app's API: no NUL bytes, web links only.

Every schema that parses what a client sends (a body or query filters) derives from
`InputSchema`, so a rule stated here holds on every endpoint. A broken rule is a pydantic
validation error, which the API answers with 422 and a message naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, get_args
from urllib.parse import urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)


def _without_nul(value: Any, path: str = "") -> None:
    if isinstance(value, str):
        if "\x00" in value:
            where = f" in '{path}'" if path else ""
            raise ValueError(
                f"Text{where} contains a NUL character (\\u0000); remove it and send again."
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key, path)
            _without_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _without_nul(item, f"{path}[{index}]")


# Each pattern an input field declares carries the sentence that tells the user what to
# write instead: the API's 422 handler (core.api) answers with it, never with pydantic's
# "String should match pattern '...'". A pattern without a sentence fails the tests.
_PATTERN_MESSAGES: dict[str, str | Promise] = {}


def explained_pattern(pattern: str, message: str | Promise) -> str:
    """Register the sentence (lazily translated) that explains `pattern` to whoever breaks
    it, and return the pattern, for `Field(pattern=explained_pattern(...))`."""
    _PATTERN_MESSAGES[pattern] = message
    return pattern


def pattern_message(pattern: str) -> str | None:
    """The sentence registered for `pattern`, in the active language (None if none)."""
    message = _PATTERN_MESSAGES.get(pattern)
    return None if message is None else str(message)


# What the OpenAPI document says of every text an input accepts: anything but NUL.
NO_NUL_PATTERN = explained_pattern(
    r"^[^\x00]*$", _("remove the NUL character (\\u0000) and send again."))
# A text that must say something: at least one character that is not blank (nor NUL).
NOT_BLANK_PATTERN = explained_pattern(
    r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]*$",
    _("write something here: it cannot be empty or only spaces."))


def _document_no_nul(schema: Any) -> None:
    """Give every string in a JSON schema without a pattern, enum or const the NUL-free
    pattern, so the document says what `_refuse_nul` enforces (references are left alone:
    the schemas they point to document themselves)."""
    if isinstance(schema, list):
        for item in schema:
            _document_no_nul(item)
        return
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if (schema.get("type") == "string" and "pattern" not in schema and "enum" not in schema
            and "const" not in schema):
        schema["pattern"] = NO_NUL_PATTERN
    if schema.get("type") == "object" and "additionalProperties" in schema:
        # A mapping: its keys are text too.
        schema.setdefault("propertyNames", {"pattern": NO_NUL_PATTERN})
    for key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            _document_no_nul(schema[key])
    for sub in schema.get("properties", {}).values():
        _document_no_nul(sub)


def _input_json_schema(schema: dict[str, Any], cls: Any = None) -> None:
    _document_no_nul(schema)
    rules = cls.document_rules() if cls is not None else []
    if rules:
        schema.setdefault("allOf", []).extend(rules)


def _is_full_date(value: Any) -> bool:
    """A date as the document's `format: date` says (2026-03-31), or no date at all."""
    if value is None or isinstance(value, dt.date):
        return True
    return isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) is not None


_INTEGER_TEXT = re.compile(r"-?[0-9]+")


def _refuse_bool_int_mixup(cls: Any, value: Any, name: str | None) -> None:
    """JSON `true`/`false` is not a number and `0`/`1` is not a yes/no: pydantic would take
    either for the other, so an input would accept what its document says it refuses.
    (Query strings are text, so this never touches them.)"""
    field = cls.model_fields.get(name or "")
    if field is None:
        return
    kinds = set(get_args(field.annotation)) | {field.annotation}
    if isinstance(value, list):
        # A list of dates: a number is not a date (pydantic would read it as a timestamp).
        items = {arg for kind in kinds for arg in get_args(kind)}
        if dt.date in items and not all(_is_full_date(v) for v in value):
            raise ValueError(gettext_now("Give dates as text, like 2026-03-31."))
        return
    if dt.date in kinds and not _is_full_date(value):
        # Also in a query string, where "0" would be read as a timestamp.
        raise ValueError(gettext_now("Give dates as text, like 2026-03-31."))
    if dt.datetime in kinds and isinstance(value, int | float):
        # A number is not a date and time either (pydantic would read it as a timestamp).
        raise ValueError(gettext_now("Give the date and time as text, like "
                                     "2026-03-31T14:00:00+02:00."))
    if (isinstance(value, str) and int in kinds and not kinds & {str, float}
            and not _INTEGER_TEXT.fullmatch(value)):
        # A query string's number is text: pydantic would read "+0.0", " 7 " or "1_000" as
        # whole numbers, which the document (type integer) does not allow.
        raise ValueError(gettext_now("Give a whole number, like 20."))
    if not isinstance(value, bool | int):
        return
    if isinstance(value, bool) and bool not in kinds and kinds & {int, float}:
        raise ValueError(gettext_now("Give a number, not true or false."))
    if not isinstance(value, bool) and bool in kinds and not kinds & {int, float}:
        raise ValueError(gettext_now("Give true or false, not a number."))


def _nests_input(annotation: Any) -> bool:
    """Whether a field holds InputSchemas (one, or a list of them)."""
    kinds = [annotation, *get_args(annotation)]
    return any(isinstance(kind, type) and issubclass(kind, InputSchema) for kind in kinds)


class InputSchema(Schema):
    """Base of every input schema: refuses NUL characters in any text, at any depth."""

    model_config = ConfigDict(json_schema_extra=_input_json_schema)

    @classmethod
    def document_rules(cls) -> list[dict[str, Any]]:
        """JSON-schema rules between fields (`if`/`then`) the document states beside the
        fields' own; the validators or the service enforce them."""
        return []

    @model_validator(mode="before")
    @classmethod
    def _refuse_non_object(cls, value: Any) -> Any:
        # A body or query is a JSON object; ninja's Schema would otherwise read the fields of
        # anything (`false`, `[null]`) as attributes and take the defaults.
        # (ninja hands the validators its DjangoGetter wrapper of the input.)
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(raw, dict):
            raise ValueError(gettext_now("Send a JSON object, like {\"name\": \"value\"}."))
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _nests_input(field.annotation):
            # Inputs nested in this one (the jobs of a batch) check their own fields; their
            # unknown keys are ignored, as at the top level, so they are not scanned here.
            return value
        _without_nul(value, info.field_name or "")
        _refuse_bool_int_mixup(cls, value, info.field_name)
        return value


def check_web_url(value: str) -> str:
    """An http(s) address with a host, or empty; anything else (javascript:, data:,
    file:, ftp:) is refused."""
    value = value.strip()
    if not value:
        return value
    parts = urlsplit(value) if re.match(WEB_URL_PATTERN, value) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(str(_WEB_URL_MESSAGE))
    return value


_WEB_URL_MESSAGE = _("Give a web address starting with https:// or http://, like "
                     "https://example.org; other kinds of links are not accepted.")
# What the document says of a web link (empty, or http(s):// and a host, blanks around it
# trimmed); `check_web_url` refuses anything this pattern does not match, so the document and
# the server agree. (\x1c-\x1f: blanks to Python, not to the server's regex engine.)
WEB_URL_PATTERN = explained_pattern(
    r"^[\s\x1c-\x1f]*(|[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+"
    r"([/?#][^\x00\s\x1c-\x1f]*)?)[\s\x1c-\x1f]*$",
    _WEB_URL_MESSAGE)

# The constraints come before the validator, so that the document states them.
WebUrl = Annotated[str, Field(pattern=WEB_URL_PATTERN, max_length=200),
                   AfterValidator(check_web_url)]
