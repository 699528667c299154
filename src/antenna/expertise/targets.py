"""Response targets of the expertise desk, in Belgian working days (Monday to Friday, without
Belgium's public holidays from the `holidays` package)."""

from __future__ import annotations

import datetime as dt

from antenna.core.workdays import add_working_days
from antenna.core.workdays import is_working_day as is_belgian_working_day

__all__ = ["FIRST_RESPONSE_WORKING_DAYS", "first_response_due", "is_belgian_working_day"]

FIRST_RESPONSE_WORKING_DAYS = 2


def first_response_due(created_at: dt.datetime) -> dt.datetime:
    """When the first answer of an expert is due: 2 Belgian working days after the request."""
    return add_working_days(created_at, FIRST_RESPONSE_WORKING_DAYS)
