"""Opportunity pages: an organisation's open matching opportunities with the reason; another
organisation's page is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from antenna.opportunities.services import opportunity_create
from antenna.testing import make_operator, make_org, make_user

pytestmark = pytest.mark.django_db


def _client(user=None, **headers) -> Client:
    client = Client(headers=headers)
    if user is not None:
        client.force_login(user)
    return client


def _publish(title, days=30, **criteria):
    return opportunity_create(title=title, kind="horizon_europe", url="https://example.org/",
                              deadline=dt.date.today() + dt.timedelta(days=days),
                              by=make_operator(), **criteria)


def test_an_sme_in_wallonia_sees_its_matches_with_the_reason():
    owner = make_user()
    org = make_org(owner, kind="sme", region="wallonia")
    _publish("Digital SMEs", eligible_kinds=["sme", "startup"], regions=["wallonia"])
    _publish("For universities", eligible_kinds=["university"])
    _publish("Open call")
    _publish("Closed last month", days=-30)
    html = _client(owner).get(f"/opportunities/{org.pk}/").content.decode()
    assert "Digital SMEs" in html and "Open call" in html
    assert "For universities" not in html and "Closed last month" not in html
    assert "organisation kind: SME" in html and "region: Wallonia" in html
    assert "open to every organisation" in html
    index = _client(owner).get("/opportunities/").content.decode()
    assert org.legal_name in index and "Digital SMEs" in index


def test_the_reason_and_the_title_are_in_the_readers_language():
    owner = make_user()
    org = make_org(owner, kind="sme", region="wallonia")
    _publish("Digital SMEs", title_fr="PME numériques", eligible_kinds=["sme"])
    html = _client(owner, **{"Accept-Language": "fr"}).get(
        f"/opportunities/{org.pk}/").content.decode()
    assert "PME numériques" in html and "Digital SMEs" not in html
    assert ": PME</td>" in html  # the organisation's kind, in French


def test_without_organisation_the_page_says_how_to_get_one():
    html = _client(make_user()).get("/opportunities/").content.decode()
    assert "/organisations/new/" in html or "Register an organisation" in html
