"""Input schema rules shared by every app's API: no NUL bytes, web links only.

Every schema that parses what a client sends (a body or query filters) derives from
`InputSchema`, so a rule stated here holds on every endpoint. A broken rule is a pydantic
validation error, which the API answers with 422 and a message naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from ninja import Schema
from pydantic import AfterValidator, ValidationInfo, field_validator


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


class InputSchema(Schema):
    """Base of every input schema: refuses NUL characters in any text, at any depth."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any, info: ValidationInfo) -> Any:
        _without_nul(value, info.field_name or "")
        return value


def check_web_url(value: str) -> str:
    """An http(s) address with a host, or empty; anything else (javascript:, data:,
    file:, ftp:) is refused."""
    value = value.strip()
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(
            "Give a web address starting with https:// or http://, like "
            "https://example.org; other kinds of links are not accepted."
        )
    return value


WebUrl = Annotated[str, AfterValidator(check_web_url)]
