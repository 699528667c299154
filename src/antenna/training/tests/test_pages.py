"""Training pages: the upcoming events, an event with register / cancel / waiting list (plain
forms and htmx), and the iCalendar file and feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from antenna.testing import make_operator, make_user
from antenna.training.services import event_create, registration_create

pytestmark = pytest.mark.django_db


def _client(user=None, **headers) -> Client:
    client = Client(headers=headers)
    if user is not None:
        client.force_login(user)
    return client


def _event(capacity=1, days=10, **texts):
    starts = timezone.now() + dt.timedelta(days=days)
    return event_create(title=texts.pop("title", "ROCm for CUDA users"), starts_at=starts,
                        ends_at=starts + dt.timedelta(hours=3), capacity=capacity,
                        online=False, place="Leuven", level="intermediate",
                        by=make_operator(), **texts)


def test_the_list_shows_upcoming_events_only_with_places_left():
    soon = _event(capacity=3, title="Scaling PyTorch")
    past = _event(days=-10, title="Last year's course")
    registration_create(event=soon, by=make_user())
    html = _client().get("/events/").content.decode()
    assert "Scaling PyTorch" in html and f"/events/{soon.pk}/" in html
    assert past.title not in html
    assert ">2<" in html  # places left
    assert "/events/feed.ics" in html


def test_register_then_wait_then_promotion_on_the_pages():
    event = _event(capacity=1)
    first, second = make_user(), make_user()
    a, b = _client(first), _client(second)
    response = a.post(f"/events/{event.pk}/register/")
    assert response.status_code == 302 and response["Location"] == f"/events/{event.pk}/"
    assert "You have a place at this event." in a.get(f"/events/{event.pk}/").content.decode()
    page = b.get(f"/events/{event.pk}/").content.decode()
    assert "Join the waiting list" in page
    b.post(f"/events/{event.pk}/register/")
    page = b.get(f"/events/{event.pk}/").content.decode()
    assert "On the waiting list" in page and "number 1 on the waiting list" in page
    # htmx: the registration panel alone comes back
    fragment = a.post(f"/events/{event.pk}/cancel/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="registration"') and "<html" not in html
    assert "Your registration is cancelled." in html
    assert "You have a place at this event." in b.get(f"/events/{event.pk}/").content.decode()


def test_registering_twice_says_why_and_cancel_without_place_is_refused():
    event = _event(capacity=5)
    user = make_user()
    client = _client(user)
    client.post(f"/events/{event.pk}/register/")
    page = client.post(f"/events/{event.pk}/register/", follow=True).content.decode()
    assert "already registered" in page
    other = _client(make_user())
    page = other.post(f"/events/{event.pk}/cancel/", follow=True).content.decode()
    assert "You have no registration for this event." in page


def test_anonymous_reads_but_must_sign_in_to_register():
    event = _event()
    page = _client().get(f"/events/{event.pk}/").content.decode()
    assert "Sign in to register." in page and "Leuven" in page
    response = _client().post(f"/events/{event.pk}/register/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert _client(make_user()).get(f"/events/{event.pk}/register/").status_code == 405


def test_the_event_page_is_in_the_readers_language():
    event = _event(title="Fine-tuning", title_nl="Finetunen", description="Hands-on.",
                   description_nl="Praktijk.")
    html = _client(**{"Accept-Language": "nl"}).get(f"/events/{event.pk}/").content.decode()
    assert "Finetunen" in html and "Praktijk." in html
    assert "Fine-tuning" not in html and "Hands-on." not in html


def test_icalendar_file_and_feed():
    event = _event(title="ROCm", title_fr="ROCm pour les utilisateurs de CUDA")
    response = _client().get(f"/events/{event.pk}/event.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    [vevent] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "ROCm"
    assert vevent.decoded("DTSTART") == event.starts_at.replace(microsecond=0)
    assert str(vevent["LOCATION"]) == "Leuven"
    assert str(vevent["URL"]).endswith(f"/events/{event.pk}/")
    feed = _client(**{"Accept-Language": "fr"}).get("/events/feed.ics")
    summaries = [str(v["SUMMARY"]) for v in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert summaries == ["ROCm pour les utilisateurs de CUDA"]
    assert _client().get("/events/987654/event.ics").status_code == 404


def test_the_promotion_notice_names_the_event_in_the_recipients_language():
    from antenna.accounts.models import User
    from antenna.notifications.models import Notice
    from antenna.training.services import registration_cancel

    event = _event(capacity=1, title="Scaling PyTorch", title_nl="PyTorch opschalen")
    first, second = make_user(), make_user()
    User.objects.filter(pk=second.pk).update(preferred_language="nl")
    second.refresh_from_db()
    registration_create(event=event, by=first)
    registration_create(event=event, by=second)
    registration_cancel(event=event, by=first)
    notice = Notice.objects.get(user=second, kind="event_promoted")
    assert "PyTorch opschalen" in notice.body and "Scaling PyTorch" not in notice.body
