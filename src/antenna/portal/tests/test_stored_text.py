"""Stored text in four languages: calls, factories, events and opportunities are written per
language (API, services) and shown in the page's language, falling back to English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation

from antenna import testing
from antenna.calls.models import Call
from antenna.calls.services import call_update
from antenna.testing import ApiClient, assert_error

pytestmark = pytest.mark.django_db

DUTCH_TITLE = "Snelle toegang tot GPU-uren"
ENGLISH_TITLE = "Fast access to GPU-hours"


def _call_with_dutch(operator, factory) -> int:
    response = ApiClient(operator).post("/calls", {
        "title": ENGLISH_TITLE, "mode": "fast_lane", "factories": [factory.pk],
        "description": "Three months of GPU-hours after a short check.",
        "title_nl": DUTCH_TITLE,
        "description_nl": "Drie maanden GPU-uren na een korte controle."})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_call_title_is_dutch_on_the_dutch_page_and_english_where_missing(operator, factory):
    pk = _call_with_dutch(operator, factory)
    dutch = Client(headers={"Accept-Language": "nl"})
    for url in ("/calls/", f"/calls/{pk}/", "/"):
        html = dutch.get(url).content.decode()
        assert DUTCH_TITLE in html, url
        assert ENGLISH_TITLE not in html, url
    assert "Drie maanden GPU-uren" in dutch.get(f"/calls/{pk}/").content.decode()
    # No French text: the French page falls back to English.
    french = Client(headers={"Accept-Language": "fr"}).get(f"/calls/{pk}/").content.decode()
    assert ENGLISH_TITLE in french and DUTCH_TITLE not in french
    assert 'lang="fr"' in french


def test_the_language_chosen_on_the_site_picks_the_stored_text(operator, factory):
    pk = _call_with_dutch(operator, factory)
    client = Client()
    assert ENGLISH_TITLE in client.get(f"/calls/{pk}/").content.decode()
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    html = client.get(f"/calls/{pk}/").content.decode()
    assert DUTCH_TITLE in html and ENGLISH_TITLE not in html


def test_the_api_answers_in_the_language_asked_for(operator, factory):
    pk = _call_with_dutch(operator, factory)
    client = ApiClient(operator)
    assert client.get(f"/calls/{pk}").json()["title"] == ENGLISH_TITLE
    client.headers["Accept-Language"] = "nl"
    assert client.get(f"/calls/{pk}").json()["title"] == DUTCH_TITLE
    client.headers["Accept-Language"] = "de"
    assert client.get(f"/calls/{pk}").json()["title"] == ENGLISH_TITLE


def test_a_translation_longer_than_a_title_is_refused(operator, factory):
    response = ApiClient(operator).post("/calls", {
        "title": "Short", "mode": "fast_lane", "factories": [factory.pk], "title_fr": "x" * 201})
    assert_error(response, 422, "title_fr")


def test_an_update_in_another_language_keeps_the_texts_apart(operator, factory):
    call = testing.make_call("fast_lane", factories=[factory], by=operator, title="English",
                             title_nl="Nederlands")
    with translation.override("nl"):
        call_update(call=call, by=operator, max_gpu_hours=5000)
        call_update(call=call, by=operator, title_fr="Français")
    stored = Call.objects.values("title_en", "title_fr", "title_nl", "title_de").get(pk=call.pk)
    assert stored == {"title_en": "English", "title_fr": "Français", "title_nl": "Nederlands",
                      "title_de": ""}
    call_update(call=call, by=operator, title="English, renamed")
    call.refresh_from_db()
    with translation.override("de"):
        assert call.title == "English, renamed"
    with translation.override("nl"):
        assert call.title == "Nederlands"


def test_factory_texts_follow_the_page_language(factory):
    factory.description_en = "The supercomputer of the north."
    factory.description_de = "Der Supercomputer des Nordens."
    factory.location_en = "Kajaani, Finland"
    factory.location_de = "Kajaani, Finnland"
    factory.save()
    html = Client(headers={"Accept-Language": "de"}).get("/").content.decode()
    assert "Der Supercomputer des Nordens." in html and "Kajaani, Finnland" in html
    assert "The supercomputer of the north." not in html
    html = Client(headers={"Accept-Language": "fr"}).get("/").content.decode()
    assert "The supercomputer of the north." in html


def test_events_and_opportunities_are_written_and_read_per_language(operator):
    client = ApiClient(operator)
    event = client.post("/events", {
        "title": "Scaling PyTorch", "title_fr": "Passer PyTorch à l'échelle",
        "description": "Hands-on.", "description_fr": "Travaux pratiques.",
        "starts_at": "2099-03-01T09:00:00Z", "ends_at": "2099-03-01T12:00:00Z", "capacity": 9})
    assert event.status_code == 201, event.content
    opportunity = client.post("/opportunities", {
        "title": "AI Factories access", "title_de": "Zugang zu den AI-Fabriken",
        "kind": "ai_factory", "deadline": "2099-01-31", "url": "https://example.org/"})
    assert opportunity.status_code == 201, opportunity.content
    client.headers["Accept-Language"] = "fr"
    [listed] = client.get("/events").json()
    assert (listed["title"], listed["description"]) == ("Passer PyTorch à l'échelle",
                                                       "Travaux pratiques.")
    client.headers["Accept-Language"] = "de"
    assert client.get("/events").json()[0]["title"] == "Scaling PyTorch"
    owner = testing.make_user()
    org = testing.make_org(owner)
    member = ApiClient(owner)
    member.headers["Accept-Language"] = "de"
    [match] = member.get(f"/opportunities?organization={org.pk}").json()
    assert match["title"] == "Zugang zu den AI-Fabriken"


def test_the_admin_edits_each_language(client, operator, factory):
    from antenna.accounts.models import User
    from antenna.opportunities.services import opportunity_create
    from antenna.training.services import event_create

    call = testing.make_call("fast_lane", factories=[factory], by=operator)
    starts = timezone.now() + dt.timedelta(days=3)
    event = event_create(title="E", starts_at=starts, ends_at=starts + dt.timedelta(hours=1),
                         capacity=3, by=operator)
    opportunity = opportunity_create(title="O", kind="tef", deadline=dt.date(2099, 1, 1),
                                     url="https://example.org/", by=operator)
    User.objects.filter(pk=operator.pk).update(is_staff=True, is_superuser=True)
    client.force_login(operator)
    for url, fields in ((f"/admin/calls/call/{call.pk}/change/", ("title", "description")),
                        (f"/admin/factories/factory/{factory.pk}/change/",
                         ("description", "location")),
                        (f"/admin/training/trainingevent/{event.pk}/change/",
                         ("title", "description")),
                        (f"/admin/opportunities/opportunity/{opportunity.pk}/change/",
                         ("title", "description"))):
        html = client.get(url).content.decode()
        for field in fields:
            for code in ("en", "fr", "nl", "de"):
                assert f'name="{field}_{code}"' in html, (url, field, code)
