"""The admin changes a platform role only through user_set_role (audited)."""

from __future__ import annotations

import pytest

from antenna import testing
from antenna.accounts.models import User
from antenna.core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/admin/accounts/user/"


def test_role_action_goes_through_the_service_and_is_audited(client, operator):
    User.objects.filter(pk=operator.pk).update(is_staff=True, is_superuser=True)
    client.force_login(operator)
    someone = testing.make_user()
    response = client.post(URL, {"action": "set_role_reviewer",
                                 "_selected_action": [someone.pk]})
    assert response.status_code == 302
    assert User.objects.get(pk=someone.pk).role == "reviewer"
    event = AuditEvent.objects.get(action="user.set_role")
    assert (event.actor, event.target_id, event.after) == (operator, str(someone.pk),
                                                          {"role": "reviewer"})
    client.post(URL, {"action": "set_role_applicant", "_selected_action": [someone.pk]})
    assert User.objects.get(pk=someone.pk).role == ""


def test_the_change_form_does_not_edit_the_role(client, operator):
    User.objects.filter(pk=operator.pk).update(is_staff=True, is_superuser=True)
    client.force_login(operator)
    page = client.get(f"{URL}{operator.pk}/change/")
    assert page.status_code == 200
    assert b'name="role"' not in page.content
