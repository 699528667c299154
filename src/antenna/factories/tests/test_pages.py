"""Public factory list."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna import testing

pytestmark = pytest.mark.django_db


def test_factory_list(django_assert_max_num_queries):
    factories = [testing.make_factory() for _ in range(3)]
    with django_assert_max_num_queries(3):
        response = Client().get("/factories/")
    assert response.status_code == 200
    assert all(f.display_name in response.content.decode() for f in factories)
