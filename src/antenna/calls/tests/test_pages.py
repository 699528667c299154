"""Public call pages."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing

pytestmark = pytest.mark.django_db


def test_call_list_grouped_by_mode_with_bounded_queries(operator, factory,
                                                        django_assert_max_num_queries):
    calls = [testing.make_call(mode, factories=[factory], by=operator)
             for mode in ("playground", "fast_lane", "large_scale", "ai_for_science")]
    with django_assert_max_num_queries(4):
        response = Client().get("/calls/")
    assert response.status_code == 200
    html = response.content.decode()
    assert all(call.title in html for call in calls)
    assert "Large Scale" in html


def test_call_detail_shows_rules(operator, factory):
    call = testing.make_call("large_scale", factories=[factory], by=operator)
    response = Client().get(f"/calls/{call.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert factory.display_name in html
    assert "working days" in html
    assert f"/calls/{call.pk}/apply/" in html


def test_unknown_call_is_404():
    assert Client().get("/calls/424242/").status_code == 404


def test_apply_needs_login(operator, factory):
    call = testing.make_call("playground", factories=[factory], by=operator)
    response = Client().get(f"/calls/{call.pk}/apply/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
