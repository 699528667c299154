"""Reading notices and preferences: a person sees only their own."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from antenna.accounts.models import User
from antenna.notifications.models import (
    Delivery,
    DigestFrequency,
    DigestSetting,
    Notice,
    NoticeKind,
    NotificationPreference,
)

# A kind without a preference row is e-mailed at once.
DEFAULTS: dict[str, str] = dict.fromkeys(NoticeKind.values, Delivery.IMMEDIATE)


def notices_of(user: User) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user)


def unread_count(user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def preferences_of(user: User) -> dict[str, str]:
    """Every kind with the person's choice (off, immediate, digest), defaults filled in."""
    chosen = dict(NotificationPreference.objects.filter(user=user)
                  .values_list("kind", "delivery"))
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in NoticeKind.values}


def digest_frequency_of(user: User) -> str:
    setting = DigestSetting.objects.filter(user=user).first()
    return setting.frequency if setting else DigestFrequency.DAILY


def deliveries_for(users: Iterable[User], kind: str) -> dict[int, tuple[str, str]]:
    """For each user id: (their choice for `kind`, their digest frequency), in two queries."""
    ids = [u.pk for u in users]
    chosen = dict(NotificationPreference.objects.filter(user_id__in=ids, kind=kind)
                  .values_list("user_id", "delivery"))
    frequency = dict(DigestSetting.objects.filter(user_id__in=ids)
                     .values_list("user_id", "frequency"))
    return {pk: (chosen.get(pk, DEFAULTS[kind]), frequency.get(pk, DigestFrequency.DAILY))
            for pk in ids}
