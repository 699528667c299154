"""One hierarchy of business errors, mapped to HTTP in one place (core.api).

Every error carries a message for the user that says what to do, an HTTP status, and
whether retrying the same request later may succeed.
"""

from __future__ import annotations

from typing import Any


class AntennaError(Exception):
    """Base of every business error raised by services."""

    status_code = 400
    retryable = False
    code = "error"

    def __init__(self, message: Any, *, retryable: bool | None = None, **context: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if retryable is not None:
            self.retryable = retryable
        self.context = context


class ValidationFailed(AntennaError):
    """The input is well-formed but breaks a rule (a value out of range, a bad number)."""

    status_code = 400
    code = "invalid"


class NotEligible(AntennaError):
    """A proposal breaks an eligibility rule at submission; the message names the rule.

    409: the submit request itself carries nothing wrong; the proposal or its organisation as
    stored does (fix it, then submit again).
    """

    status_code = 409
    code = "not_eligible"

    def __init__(self, message: Any, *, rule: str, **context: Any) -> None:
        super().__init__(message, **context)
        self.rule = rule


class Unauthenticated(AntennaError):
    """The request carries no valid credentials (a missing, wrong, revoked or expired token)."""

    status_code = 401
    code = "unauthenticated"


class TokenExpired(Unauthenticated):
    """The API token is right but past its expiry: make a new one."""

    code = "token_expired"


class PermissionDenied(AntennaError):
    """The user may see the object but lacks the role for this action."""

    status_code = 403
    code = "forbidden"


class NotFound(AntennaError):
    """Missing, or belonging to someone the user may not see: the same answer for both."""

    status_code = 404
    code = "not_found"


class InvalidTransition(AntennaError):
    """The object's current state does not allow this action."""

    status_code = 409
    code = "invalid_transition"


class Conflict(AntennaError):
    """The request clashes with existing data (a duplicate, a conflict of interest)."""

    status_code = 409
    code = "conflict"


class BudgetExceeded(AntennaError):
    """The allocation cannot cover the GPU-hours asked for."""

    status_code = 400
    code = "budget_exceeded"


class QuotaExceeded(AntennaError):
    """An upload would take an organisation over its storage quota (not retryable as is)."""

    status_code = 413
    code = "quota_exceeded"


class FactoryUnavailable(AntennaError):
    """A factory could not be reached; trying again later may work."""

    status_code = 503
    retryable = True
    code = "factory_unavailable"
