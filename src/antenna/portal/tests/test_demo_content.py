"""`antenna seed_demo`: the stored texts in four languages, the expertise desk, training events
and opportunities; anonymous pages in fr, nl and de show none of the English texts."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from antenna.calls.models import Call
from antenna.expertise.models import ExpertiseRequest, ExpertProfile
from antenna.opportunities.models import Opportunity
from antenna.portal.demo_content import CALL_TEXTS, EVENTS, FACTORY_TEXTS, OPPORTUNITIES
from antenna.portal.management.commands.seed_demo import CALLS, FACTORIES
from antenna.training.models import Registration, TrainingEvent

pytestmark = pytest.mark.django_db


def _english_texts() -> dict[str, dict[str, str]]:
    """Each English stored text of the demo -> its translations."""
    texts: dict[str, dict[str, str]] = {}
    for mode, title, _factories in CALLS:
        texts[title] = CALL_TEXTS[mode]["title"]
        description = CALL_TEXTS[mode]["description"]
        texts[description["en"]] = description
    for spec in FACTORIES:
        for field in ("description", "location"):
            texts[spec[field]] = FACTORY_TEXTS[spec["name"]][field]
    for all_texts in [*(e.texts for e in EVENTS), *(o.texts for o in OPPORTUNITIES)]:
        for by_language in all_texts.values():
            texts[by_language["en"]] = by_language
    return texts


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_fills_four_languages_and_the_new_apps(demo):
    for call in Call.objects.all():
        for code in ("en", "fr", "nl", "de"):
            assert getattr(call, f"title_{code}") and getattr(call, f"description_{code}")
    for model in (TrainingEvent, Opportunity):
        for row in model.objects.all():
            assert all(getattr(row, f"title_{code}") for code in ("en", "fr", "nl", "de"))
    assert TrainingEvent.objects.count() == len(EVENTS)
    assert Opportunity.objects.count() == len(OPPORTUNITIES)
    porting = ExpertiseRequest.objects.get(topic="porting")
    assert porting.state == "assigned"
    assert "porting" in ExpertProfile.objects.get(user=porting.expert).skills
    assert ExpertiseRequest.objects.filter(state="resolved").exists()
    assert set(Registration.objects.values_list("state", flat=True)) == {"registered",
                                                                         "waiting"}
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert TrainingEvent.objects.count() == len(EVENTS)
    assert ExpertiseRequest.objects.count() == 2


@pytest.mark.parametrize("language", ["fr", "nl", "de"])
def test_anonymous_pages_show_no_english_stored_text(demo, language):
    client = Client(headers={"Accept-Language": language})
    urls = ["/", "/calls/", "/factories/", "/events/"]
    urls += [f"/calls/{pk}/" for pk in Call.objects.values_list("pk", flat=True)]
    urls += [f"/events/{pk}/" for pk in TrainingEvent.objects.values_list("pk", flat=True)]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    for english, translations in _english_texts().items():
        if translations[language] == english:
            continue  # the same words in both ("Kajaani, Finland" in Dutch)
        # whole texts only: "Kajaani, Finland" is not in "Kajaani, Finlande"
        pattern = re.compile(rf"(?<!\w){re.escape(escape(english))}(?!\w)")
        shown = [url for url, html in pages.items() if pattern.search(html)]
        assert shown == [], f"{english!r} in English on {shown}"
    assert any(escape(CALL_TEXTS["fast_lane"]["title"][language]) in html
               for html in pages.values())


def test_the_home_page_promises_link_to_the_real_pages(demo):
    html = Client().get("/").content.decode()
    for url in ("/expertise/", "/events/", "/opportunities/"):
        assert f'href="{url}"' in html


def test_the_applicants_opportunities_are_in_their_language(demo):
    from antenna.accounts.models import User

    client = Client(headers={"Accept-Language": "nl"})
    client.force_login(User.objects.get(username="demo-applicant"))
    html = client.get("/opportunities/").content.decode()
    sme_call = OPPORTUNITIES[1].texts["title"]
    assert escape(sme_call["nl"]) in html and escape(sme_call["en"]) not in html
    # the Walloon SME sees the Walloon hub, not the universities' topic
    assert escape(OPPORTUNITIES[3].texts["title"]["nl"]) in html
    assert escape(OPPORTUNITIES[2].texts["title"]["nl"]) not in html
