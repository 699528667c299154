"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest

from antenna.core import testing


@pytest.fixture
def operator(db):
    return testing.make_operator()


@pytest.fixture
def factory(db):
    return testing.make_factory("jupiter-test")


@pytest.fixture
def applicant(db):
    return testing.make_user()


@pytest.fixture
def api():
    """api(user) -> an ApiClient authenticated as `user` (None: anonymous)."""
    return testing.ApiClient
