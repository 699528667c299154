"""Pytest rules for CI: a skipped test is a failure, and the database must be the one asked for.

ANTENNA_FAIL_ON_SKIP=1        any skipped test fails the run (CI sets it).
ANTENNA_EXPECT_DATABASE=X     the run fails unless the tests ran on X (sqlite or postgresql).

Tests marked `postgres` (PostgreSQL only, e.g. LISTEN/NOTIFY) are skipped on another database,
so a run with ANTENNA_FAIL_ON_SKIP=1 fails there, except in CI's run that names SQLite
(ANTENNA_EXPECT_DATABASE=sqlite), where they are deselected: CI runs them in its PostgreSQL run.
"""

from __future__ import annotations

import os

import pytest


def _on_postgresql() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ANTENNA_EXPECT_DATABASE") != "sqlite" or _on_postgresql():
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not _on_postgresql():
        pytest.skip("needs PostgreSQL: run with ANTENNA_DATABASE_URL=postgres://... "
                    "(scripts/postgres.sh)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("ANTENNA_FAIL_ON_SKIP") == "1" and skipped:
        terminalreporter.write_line(
            f"ANTENNA_FAIL_ON_SKIP: {len(skipped)} test(s) skipped; CI counts that as a failure.",
            red=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("ANTENNA_FAIL_ON_SKIP") == "1" and skipped and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def _expected_database(django_db_setup: None, django_db_blocker: object) -> None:
    expected = os.environ.get("ANTENNA_EXPECT_DATABASE")
    if not expected:
        return
    from django.db import connection

    if connection.vendor != expected:
        pytest.exit(f"Tests ran on {connection.vendor}, expected {expected}.", returncode=3)
