"""Accessibility (axe-core: no serious or critical violation) of the key pages, and that they
fit a phone's width (375 x 812) without scrolling sideways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

PHONE = {"width": 375, "height": 812}

# (id, signed-in user or None, path from the demo data, a selector to wait for)
PAGES: list[tuple[str, str | None, Callable[[Any], str], str]] = [
    ("home-anonymous", None, lambda d: "/", "main h1"),
    ("sign-up", None, lambda d: "/accounts/signup/", "#id_username"),
    ("sign-in", None, lambda d: "/accounts/login/", "#id_username"),
    ("triage", None, lambda d: "/triage/", "main h1"),
    ("calls", None, lambda d: "/calls/", "main h1"),
    ("call", None, lambda d: f"/calls/{d.calls['playground']}/", "main h1"),
    ("applicant-home", "demo-applicant", lambda d: "/", "main h1"),
    ("organisation-form", "demo-applicant", lambda d: "/organisations/new/",
     "#id_enterprise_number"),
    ("proposal-form", "demo-applicant", lambda d: f"/calls/{d.calls['fast_lane']}/apply/",
     "#id_title"),
    ("proposal-page", "demo-applicant", lambda d: f"/proposals/{d.playground_proposal}/",
     "main h1"),
    ("proposal-page-operator", "demo-operator",
     lambda d: f"/proposals/{d.large_scale_in_review}/", "form[action$='/decide/']"),
    ("allocation", "demo-applicant", lambda d: f"/allocations/{d.allocation}/", "main h1"),
    ("job-submit", "demo-applicant", lambda d: f"/allocations/{d.allocation}/jobs/new/",
     "main form"),
    ("job-templates", "demo-applicant",
     lambda d: f"/allocations/{d.allocation}/jobs/templates/", "main h1"),
    ("job-template-form", "demo-applicant",
     lambda d: f"/allocations/{d.allocation}/jobs/templates/shell/", "#recipe-preview"),
    ("job", "demo-applicant", lambda d: f"/jobs/{d.job}/", "#job-log"),
    ("operator-console", "demo-operator", lambda d: "/console/", "main h1"),
    ("review-queue", "demo-reviewer", lambda d: "/reviews/", "main h1"),
    ("overview", "demo-observer", lambda d: "/overview/?group_by=month", "#kpi-hours"),
    ("outlook", "demo-observer", lambda d: "/reports/outlook/", "#outlook-chart"),
    ("transparency", None, lambda d: "/transparency/", "main h1"),
    ("events", None, lambda d: "/events/", "main h1"),
    ("event", "demo-applicant", lambda d: f"/events/{d.event}/", "#registration"),
    ("opportunities", "demo-applicant", lambda d: "/opportunities/", "main h1"),
    ("review-form", "demo-reviewer", lambda d: f"/proposals/{d.large_scale_in_review}/review/",
     "input[name=no_conflict]"),
]


def _open(open_page, demo, settled, user, path, ready, **options):
    page = open_page(user, **options)
    response = page.goto(path(demo))
    assert response is not None and response.ok, f"{path(demo)}: {response and response.status}"
    page.locator(ready).first.wait_for()
    settled(page)
    return page


@pytest.mark.parametrize(("user", "path", "ready"), [p[1:] for p in PAGES],
                         ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violation(open_page, demo, settled, axe, user, path, ready):
    page = _open(open_page, demo, settled, user, path, ready)
    violations = axe(page)
    assert not violations, f"{page.url}:\n" + "\n".join(violations)


@pytest.mark.parametrize(("user", "path", "ready"), [p[1:] for p in PAGES],
                         ids=[p[0] for p in PAGES])
def test_fits_a_phone_without_sideways_scrolling(open_page, demo, settled, horizontal_overflow,
                                                 user, path, ready):
    page = _open(open_page, demo, settled, user, path, ready, viewport=PHONE)
    problem = horizontal_overflow(page)
    assert not problem, f"{page.url} at 375 px: {problem}"
