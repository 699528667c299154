"""Reading notices: a person sees only their own."""

from __future__ import annotations

from django.db.models import QuerySet

from antenna.accounts.models import User
from antenna.notifications.models import Notice


def notices_of(user: User) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user)


def unread_count(user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()
