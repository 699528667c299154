"""The admin changes a factory's status only through factory_set_status (audited)."""

from __future__ import annotations

import pytest

from antenna import testing
from antenna.accounts.models import User
from antenna.core.models import AuditEvent
from antenna.factories.models import Factory

pytestmark = pytest.mark.django_db

URL = "/admin/factories/factory/"


def _staff(client, user):
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_status_action_goes_through_the_service_and_is_audited(client, operator, factory):
    response = _staff(client, operator).post(
        URL, {"action": "set_status_maintenance", "_selected_action": [factory.pk]})
    assert response.status_code == 302
    assert Factory.objects.get(pk=factory.pk).status == "maintenance"
    event = AuditEvent.objects.get(action="factory.set_status")
    assert (event.actor, event.before, event.after) == (
        operator, {"status": "online"}, {"status": "maintenance"})


def test_a_staff_user_who_is_not_an_operator_is_refused_by_the_service(client, factory):
    staff = testing.make_user()
    response = _staff(client, staff).post(
        URL, {"action": "set_status_offline", "_selected_action": [factory.pk]}, follow=True)
    assert b"Only operators change a factory" in response.content
    assert Factory.objects.get(pk=factory.pk).status == "online"
    assert not AuditEvent.objects.filter(action="factory.set_status").exists()


def test_the_change_form_does_not_edit_the_status(client, operator, factory):
    page = _staff(client, operator).get(f"{URL}{factory.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content
