"""`core.sql.update_rows`: many objects' fields in one UPDATE per 500 (the worker's record of
a batch of answers), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from antenna.core.models import AuditEvent
from antenna.core.sql import update_rows
from antenna.factories.models import Factory
from antenna.testing import make_factory

pytestmark = pytest.mark.django_db


def test_shared_and_varying_values_of_several_types_in_one_statement():
    factories = [make_factory(f"upd{i}") for i in range(3)]
    untouched = make_factory("upd-other")
    when = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)
    for i, factory in enumerate(factories):
        factory.consecutive_failures = 10 + i  # varies
        factory.retry_after = when  # shared, a datetime
        factory.last_error = "" if i else "it's down; «quoted»"  # varies, with quotes
    with CaptureQueriesContext(connection) as ctx:
        assert update_rows(factories, ["consecutive_failures", "retry_after", "last_error"]) == 3
    assert len(ctx) == 1
    for i, factory in enumerate(Factory.objects.filter(name__startswith="upd")
                                .exclude(pk=untouched.pk).order_by("pk")):
        assert factory.consecutive_failures == 10 + i
        assert factory.retry_after == when
        assert factory.last_error == ("" if i else "it's down; «quoted»")
    untouched.refresh_from_db()
    assert untouched.consecutive_failures == 0 and untouched.retry_after is None
    # None is stored as NULL.
    factories[0].retry_after = None
    update_rows(factories[:1], ["retry_after"])
    assert Factory.objects.get(pk=factories[0].pk).retry_after is None


def test_more_than_500_rows_are_written_in_chunks():
    AuditEvent.objects.bulk_create([AuditEvent(action="x", target_type="t", target_id=str(i))
                                    for i in range(1201)])
    events = list(AuditEvent.objects.order_by("pk"))
    for event in events:
        event.message = f"m{event.target_id}"
        event.organization_id = 7
    with CaptureQueriesContext(connection) as ctx:
        assert update_rows(events, ["message", "organization_id"]) == 1201
    assert len(ctx) == 3
    stored = dict(AuditEvent.objects.values_list("target_id", "message"))
    assert stored == {str(i): f"m{i}" for i in range(1201)}
    assert set(AuditEvent.objects.values_list("organization_id", flat=True)) == {7}
