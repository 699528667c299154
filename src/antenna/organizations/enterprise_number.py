"""Belgian enterprise numbers (KBO/BCE): ten digits, the last two a mod-97 check."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from antenna.core.errors import ValidationFailed


def normalize_enterprise_number(raw: str) -> str:
    """Return the ten digits of a Belgian enterprise number, or raise ValidationFailed.

    Accepts the usual spellings: `0123.456.749`, `BE0123456749`, `0123 456 749`; a
    nine-digit number gets its leading 0 back (old style).
    """
    cleaned = re.sub(r"[\s.\-/]", "", raw.strip().upper())
    if cleaned.startswith("BE"):
        cleaned = cleaned[2:]
    if len(cleaned) == 9 and cleaned.isdigit():
        cleaned = "0" + cleaned
    if len(cleaned) != 10 or not cleaned.isdigit():
        raise ValidationFailed(
            _("A Belgian enterprise number has 10 digits, like 0123.456.749; got '%(v)s'.")
            % {"v": raw}
        )
    if cleaned[0] not in "01":
        raise ValidationFailed(
            _("A Belgian enterprise number starts with 0 or 1; got '%(v)s'.") % {"v": raw}
        )
    body, check = int(cleaned[:8]), int(cleaned[8:])
    if 97 - body % 97 != check:
        raise ValidationFailed(
            _(
                "The enterprise number '%(v)s' is not valid: its last two digits must be "
                "97 minus the first eight modulo 97. Check it on the KBO/BCE register."
            )
            % {"v": raw}
        )
    return cleaned


def format_enterprise_number(digits: str) -> str:
    """`0123456749` -> `0123.456.749`."""
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}" if len(digits) == 10 else digits
