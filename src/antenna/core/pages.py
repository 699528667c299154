"""What every page module shares: access errors as HTTP answers, refused actions' status.

Generic on purpose (core sits below every app): who the user is and which roles exist
belong to `accounts.access`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404

from antenna.core.errors import NotFound

T = TypeVar("T")
U = TypeVar("U")


def visible_or_404(finder: Callable[[U, int], T], user: U, pk: int) -> T:
    """Call an access function; "missing" and "not yours" both become a 404."""
    try:
        return finder(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def error_status(status_code: int) -> int:
    """The HTTP status to answer a refused action with: the error's own 4xx, else 400."""
    return status_code if 400 <= status_code < 500 else 400
