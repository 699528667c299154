"""The access contract of the training and opportunity pages, driven by one table (the API's
is core/tests/test_api_contract.py).

For each page: what an anonymous visitor gets (200 for public pages, else the sign-in
redirect), the role that gets through and its status, and for pages of one organisation or
event: another organisation's user gets the same 404 as a missing id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from antenna.testing import World
from antenna.training.services import registration_create

pytestmark = pytest.mark.django_db

MISSING_ID = 987654


@dataclass(frozen=True)
class Page:
    """One page URL: `path` names World ids in braces; `anonymous` is the status an anonymous
    visitor gets (302: sent to sign in); `ok` the role that gets through and its status;
    `scoped` the ids an outsider gets 404 for, exactly like a missing id; `missing` the ids
    that answer 404 when missing (public objects)."""

    method: str
    path: str
    anonymous: int
    ok: tuple[str, int]
    scoped: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    prepare: Callable[[World], Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _register_owner(w: World) -> None:
    assert w.event is not None
    registration_create(event=w.event, by=w.owner)


PAGES: tuple[Page, ...] = (
    # training events: public to read; registering needs an account
    Page("get", "/events/", anonymous=200, ok=("member", 200)),
    Page("get", "/events/feed.ics", anonymous=200, ok=("member", 200)),
    Page("get", "/events/{event}/", anonymous=200, ok=("outsider", 200), missing=("event",)),
    Page("get", "/events/{event}/event.ics", anonymous=200, ok=("member", 200),
         missing=("event",)),
    Page("post", "/events/{event}/register/", anonymous=302, ok=("member", 302),
         missing=("event",)),
    Page("post", "/events/{event}/cancel/", anonymous=302, ok=("owner", 302),
         missing=("event",), prepare=_register_owner),
    # opportunities: matched to the user's organisations
    Page("get", "/opportunities/", anonymous=302, ok=("member", 200)),
    Page("get", "/opportunities/{org}/", anonymous=302, ok=("member", 200), scoped=("org",)),
)
ALL = [pytest.param(p, id=p.id) for p in PAGES]


def _get(client: Client, page: Page, ids: dict[str, int]) -> Any:
    return getattr(client, page.method)(page.path.format(**ids))


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", ALL)
def test_anonymous(page, world):
    response = _get(Client(), page, world.ids())
    assert response.status_code == page.anonymous
    if page.anonymous == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ALL)
def test_the_right_role_gets_through(page, world):
    if page.prepare:
        page.prepare(world)
    role, status = page.ok
    response = _get(_as(world.user(role)), page, world.ids())
    assert response.status_code == status


@pytest.mark.parametrize("page", [pytest.param(p, id=p.id) for p in PAGES if p.scoped])
def test_another_organisation_gets_the_same_404_as_a_missing_id(page, world):
    ids = world.ids()
    assert _get(_as(world.outsider), page, ids).status_code == 404
    missing = {**ids, **dict.fromkeys(page.scoped, MISSING_ID)}
    assert _get(_as(world.owner), page, missing).status_code == 404


@pytest.mark.parametrize("page", [pytest.param(p, id=p.id) for p in PAGES if p.missing])
def test_a_missing_object_is_404(page, world):
    ids = {**world.ids(), **dict.fromkeys(page.missing, MISSING_ID)}
    assert _get(_as(world.member), page, ids).status_code == 404


@pytest.mark.parametrize("role", ["operator", "observer"])
def test_operators_and_observers_see_any_organisations_opportunities(role, world):
    assert _get(_as(world.user(role)), PAGES[-1], world.ids()).status_code == 200


def test_every_page_of_these_apps_is_in_the_table():
    from django.urls import get_resolver

    from antenna.opportunities import urls as opportunity_urls
    from antenna.training import urls as training_urls

    routes = {str(p.pattern) for p in [*training_urls.urlpatterns,
                                       *opportunity_urls.urlpatterns]}
    table = {p.path.replace("{event}", "<int:pk>").replace("{org}", "<int:pk>").lstrip("/")
             for p in PAGES}
    assert routes == table
    assert get_resolver().resolve("/events/").url_name == "list"
