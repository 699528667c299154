"""Browser tests: a real Antenna (server and worker as subprocesses) driven by Debian's Chromium.

The portal runs on a fresh data directory (SQLite), or, when ANTENNA_DATABASE_URL is set, on a
database of its own named after it with `_e2e` appended (dropped and created here). Playwright
drives /usr/bin/chromium (ANTENNA_CHROMIUM to change it) and never downloads a browser: without
Chromium or Playwright every test here is skipped with the reason (and CI, which sets
ANTENNA_FAIL_ON_SKIP=1, fails).

These tests touch no database themselves: everything goes through the pages, and the few
fixtures that prepare data use the JSON API with tokens from `antenna create_token`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from antenna.portal.management.commands.screenshots import (
    CHROMIUM,
    LivePortal,
    launch_chromium,
    sign_in,
    wait_for_job,
)

E2E_DIR = Path(__file__).resolve().parent
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 20_000
# Screenshots of the pages of a failed test.
ARTIFACTS = Path(os.environ.get("ANTENNA_E2E_ARTIFACTS", E2E_DIR.parent / "var" / "e2e-failures"))


def _missing() -> str:
    """Why the browser tests cannot run here ('' if they can)."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install -e '.[test]')"
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "axe-playwright-python is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set ANTENNA_CHROMIUM)"
    return ""


def _is_e2e(item: pytest.Item) -> bool:
    return E2E_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Browser tests run last: while Playwright's sync API is running, this thread has an
    # event loop, and Django refuses ORM calls from the other tests' fixtures in that state.
    items.sort(key=_is_e2e)
    reason = _missing()
    if reason:
        skip = pytest.mark.skip(reason=f"browser tests: {reason}")
        for item in items:
            if _is_e2e(item):
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the portal ----------------------------------------------------------------------------

def _maintenance_url(url: str) -> str:
    """The same server's `postgres` database: the one named in the URL may not exist (the
    unit tests' pytest-django makes `test_<name>` from `postgres` too)."""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


def _database_url_for_e2e() -> str | None:
    """ANTENNA_DATABASE_URL with `_e2e` appended to the database name, created afresh."""
    url = os.environ.get("ANTENNA_DATABASE_URL", "")
    if not url:
        return None
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'antenna'}_e2e"
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                           .format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _drop_database(e2e_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urllib.parse.urlsplit(e2e_url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(e2e_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                           .format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """The running portal with the demo data: server and worker, stopped at the end."""
    database_url = _database_url_for_e2e()
    live = LivePortal(tmp_path_factory.mktemp("e2e-portal"), database_url=database_url)
    live.start()
    try:
        yield live
    finally:
        live.stop()
        if database_url:
            _drop_database(database_url)


@dataclass(frozen=True)
class Demo:
    """Ids of the data the tests read, made through the API on top of `seed_demo`."""

    calls: dict[str, int]              # mode -> call id
    playground_proposal: int           # demo-applicant's, accepted by seed_demo
    allocation: int                    # its allocation
    job: int                           # a completed job on it
    large_scale_for_ui: int            # in technical review; the review test assigns reviewers
    large_scale_in_review: int         # in peer review, demo-reviewer assigned
    fast_lane: int                     # in technical review; the decision test decides it
    event: int                         # the full training event, demo-applicant waiting


@pytest.fixture(scope="session")
def demo(portal: LivePortal) -> Demo:
    applicant = portal.token("demo-applicant")
    operator = portal.token("demo-operator")
    calls = {c["mode"]: c["id"] for c in portal.api(applicant, "GET", "/calls")["items"]}
    orgs = {o["legal_name"]: o["id"]
            for o in portal.api(applicant, "GET", "/organizations")["items"]}

    def proposal(mode: str, org: str, title: str, hours: int, months: int) -> int:
        created = portal.api(applicant, "POST", "/proposals", {
            "call": calls[mode], "organization": orgs[org], "title": title,
            "abstract": f"{title}: what we want to do, in a few sentences.",
            "objectives": "A model that works.", "requested_gpu_hours": hours,
            "duration_months": months, "civilian_use": True, "gpus_per_job": 8,
            "gpu_hours_justification": "8 GPUs x 24 h x runs, measured on a test run.",
        })
        submitted = portal.api(applicant, "POST", f"/proposals/{created['id']}/submit")
        assert submitted["state"] == "technical_review", submitted
        return int(created["id"])

    large_ui = proposal("large_scale", "Brightvision AI", "Foundation model for radiology",
                        80_000, 6)
    large_review = proposal("large_scale", "Usine Robotique Liégeoise",
                            "Vision models for robotic welding", 60_000, 6)
    portal.api(operator, "POST", f"/proposals/{large_review}/reviewers",
               {"username": "demo-reviewer"})
    fast = proposal("fast_lane", "Usine Robotique Liégeoise", "Defect detection at scale",
                    8_000, 2)
    allocation = portal.api(applicant, "GET", "/allocations")["items"][0]
    job = portal.api(applicant, "POST", "/jobs", {
        "allocation": allocation["id"], "name": "hello-e2e",
        "script": "#!/bin/bash\necho hello from the e2e suite\n",
        "gpus": 1, "walltime_minutes": 5,
    })
    assert wait_for_job(portal, applicant, job["id"]) == "completed"
    event = min(portal.api(applicant, "GET", "/events"), key=lambda e: e["capacity"])
    return Demo(calls=calls, playground_proposal=int(allocation["proposal"]),
                allocation=int(allocation["id"]), job=int(job["id"]),
                large_scale_for_ui=large_ui, large_scale_in_review=large_review,
                fast_lane=fast, event=int(event["id"]))


# --- the browser ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def signed_in_state(browser: Any, portal: LivePortal) -> Callable[[str], dict[str, Any]]:
    """The cookies of a demo user signed in through the form (once per user per run)."""
    states: dict[str, dict[str, Any]] = {}

    def state(username: str) -> dict[str, Any]:
        if username not in states:
            context = browser.new_context(base_url=portal.base_url)
            try:
                sign_in(context.new_page(), portal.base_url, username)
                states[username] = context.storage_state()
            finally:
                context.close()
        return states[username]

    return state


OpenPage = Callable[..., Any]


@pytest.fixture
def open_page(browser: Any, portal: LivePortal, signed_in_state: Callable[[str], Any],
              request: pytest.FixtureRequest) -> Iterator[OpenPage]:
    """open_page(user=None, viewport=DESKTOP, locale="en-GB"): a page in a new context, signed
    in as `user` (a demo user) or anonymous. On failure its screenshot goes to ARTIFACTS."""
    contexts: list[Any] = []

    def open_(user: str | None = None, viewport: dict[str, int] = DESKTOP,
              locale: str = "en-GB") -> Any:
        context = browser.new_context(
            base_url=portal.base_url, viewport=viewport, device_scale_factor=1, locale=locale,
            storage_state=signed_in_state(user) if user else None,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        return page

    page_errors: list[str] = []
    yield open_
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                path = ARTIFACTS / f"{stem}-{n}-{m}.png"
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of {page.url}: {path}")
        print(f"server log:\n{portal.log_tail('server', 15)}\n"
              f"worker log:\n{portal.log_tail('worker', 15)}")
    for context in contexts:
        context.close()
    assert not page_errors, f"JavaScript errors on the pages: {page_errors}"


# --- checks --------------------------------------------------------------------------------

def _axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "axe.min.js"


@pytest.fixture(scope="session")
def axe() -> Callable[[Any], list[str]]:
    """axe(page): the serious and critical axe-core violations of the page, one line each:
    rule id, impact, what it means, and the CSS selectors of the offending elements."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
    # not govern: a <script> tag with axe inline would be (rightly) blocked by it.
    source = _axe_script().read_text()

    def run(page: Any) -> list[str]:
        page.evaluate(f"() => {{ {source}\n; window.axe = axe; }}")
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        found = []
        for violation in result["violations"]:
            if violation["impact"] not in ("serious", "critical"):
                continue
            targets = ["/".join(map(str, node["target"])) for node in violation["nodes"]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                         f"-> {', '.join(targets[:8])}{' …' if len(targets) > 8 else ''}")
        return found

    return run


OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      let name = el.tagName.toLowerCase();
      if (el.id) name += '#' + el.id;
      else if (el.classList.length) name += '.' + [...el.classList].join('.');
      wide.push(name + ' (right edge ' + Math.round(box.right) + ')');
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(0, 8)};
}"""


@pytest.fixture(scope="session")
def horizontal_overflow() -> Callable[[Any], str]:
    """horizontal_overflow(page): '' if the page fits its viewport's width, else the widths and
    the elements that stick out."""

    def check(page: Any) -> str:
        found = page.evaluate(OVERFLOW_JS)
        if found["scrollWidth"] <= found["clientWidth"]:
            return ""
        return (f"scrollWidth {found['scrollWidth']} > clientWidth {found['clientWidth']}; "
                f"wide elements: {', '.join(found['wide'])}")

    return check


def settle(page: Any) -> None:
    """Wait until the page's htmx requests are done (a loaded log, a computed estimate)."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")



@pytest.fixture(scope="session")
def settled() -> Callable[[Any], None]:
    return settle
