"""Who is asking, and the platform-role checks of pages (used by every app's views and API)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest
from django.utils.translation import gettext as _

from antenna.accounts.models import User


def current_user(request: HttpRequest) -> User:
    """The signed-in user: pages behind login_required, API calls behind the API's auth."""
    user = request.user
    assert isinstance(user, User)  # AnonymousUser is not a User: login/auth guarantee one
    return user


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise Forbidden(_("Only operators can open this page."))


def require_operator_or_observer(user: User) -> None:
    if not user.sees_everything:
        raise Forbidden(_("Only operators and observers can open this page."))
