"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest

from antenna import testing


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (reports keep figures there: reports/caching.py)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Uploaded attachments go to a per-test directory, never to the data directory."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def operator(db):
    return testing.make_operator()


@pytest.fixture
def reviewer(db):
    return testing.make_reviewer()


@pytest.fixture
def observer(db):
    return testing.make_observer()


@pytest.fixture
def factory(db):
    return testing.make_factory("jupiter-test")


@pytest.fixture
def applicant(db):
    return testing.make_user()


@pytest.fixture
def world(db):
    """One of everything in every workflow state (see testing.World)."""
    return testing.make_world()


@pytest.fixture
def api():
    """api(user) -> an ApiClient authenticated as `user` (None: anonymous)."""
    return testing.ApiClient
