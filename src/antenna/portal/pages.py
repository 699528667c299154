"""What every page module shares: turning access errors into HTTP answers, role checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.errors import NotFound

T = TypeVar("T")


def current_user(request: HttpRequest) -> User:
    """The signed-in user (views using this are behind login_required)."""
    user = request.user
    assert isinstance(user, User) and not isinstance(user, AnonymousUser)
    return user


def visible_or_404(finder: Callable[[User, int], T], user: User, pk: int) -> T:
    """Call an access function; "missing" and "not yours" both become a 404."""
    try:
        return finder(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise Forbidden(_("Only operators can open this page."))


def require_operator_or_observer(user: User) -> None:
    if not user.sees_everything:
        raise Forbidden(_("Only operators and observers can open this page."))


def error_status(status_code: int) -> int:
    """The HTTP status to answer a refused action with: the error's own 4xx, else 400."""
    return status_code if 400 <= status_code < 500 else 400
