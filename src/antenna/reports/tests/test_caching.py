"""The public transparency page, its open-data CSV and the outlook are kept in the cache for
ANTENNA_REPORTS_CACHE_SECONDS, per reader scope and language: an applicant never gets another
reader's cached figures, and 0 turns the cache off."""

from __future__ import annotations

import pytest
from django.test import Client

from antenna.proposals.models import Proposal
from antenna.reports.outlook import outlook
from antenna.testing import ApiClient, add_member, make_user

pytestmark = pytest.mark.django_db


def test_transparency_is_computed_once_then_served_from_the_cache(
        kpi_world, settings, django_assert_max_num_queries):
    settings.ANTENNA_REPORTS_CACHE_SECONDS = 600
    assert "Open vision model" in Client().get("/transparency/").content.decode()
    Proposal.objects.filter(title="Open vision model").update(title="Renamed vision model")
    with django_assert_max_num_queries(0):  # nothing recomputed
        html = Client().get("/transparency/").content.decode()
    assert "Open vision model" in html and "Renamed vision model" not in html
    # the CSV likewise (its own entry): computed once, then the same bytes without queries
    first = Client().get("/transparency/indicators.csv").content
    with django_assert_max_num_queries(0):
        assert Client().get("/transparency/indicators.csv").content == first
    # in another language: its own entry, computed from the records of now
    html_fr = Client(headers={"accept-language": "fr"}).get("/transparency/?lang=fr")
    assert "Renamed vision model" in html_fr.content.decode()
    # turned off: always the records of now
    settings.ANTENNA_REPORTS_CACHE_SECONDS = 0
    assert "Renamed vision model" in Client().get("/transparency/").content.decode()


def test_the_cached_outlook_is_per_reader_scope(kpi_world, settings):
    settings.ANTENNA_REPORTS_CACHE_SECONDS = 600
    single = make_user()
    add_member(kpi_world.startup, single)  # a member of the startup only
    everyone = ApiClient(kpi_world.operator).get("/outlook").json()
    own = ApiClient(single).get("/outlook").json()
    expected = outlook(organizations=frozenset({kpi_world.startup.pk}))
    assert [m["requested"] for m in own["history"]] == [m.requested for m in expected.history]
    assert sum(m["requested"] for m in own["history"]) < sum(
        m["requested"] for m in everyone["history"])
    # the operator's page reads the entry the API filled: the same history
    again = ApiClient(kpi_world.observer).get("/outlook").json()
    assert again["history"] == everyone["history"]


def _hours_chart(html: str) -> dict:
    import json

    marker = 'id="kpi-hours-data" type="application/json">'
    return json.loads(html.split(marker)[1].split("</script>")[0])


def test_the_overview_of_everyone_is_cached_per_filter_and_says_so(
        kpi_world, settings, django_assert_max_num_queries):
    """Operators and observers: computed once per filter (about twenty queries), then served
    from the cache (the session and the user only) with the time it was computed; a member's
    page is always computed from the records of now."""
    settings.ANTENNA_REPORTS_CACHE_SECONDS = 600
    operator, observer = Client(), Client()
    operator.force_login(kpi_world.operator)
    observer.force_login(kpi_world.observer)
    first = operator.get("/overview/?group_by=kind").content.decode()
    assert "up to 10 minutes behind the records" in first
    kpi_world.p3.__class__.objects.filter(pk=kpi_world.p3.pk).update(requested_gpu_hours=5000)
    with django_assert_max_num_queries(2):  # session, user: nothing recomputed
        again = observer.get("/overview/?group_by=kind").content.decode()
    assert _hours_chart(again) == _hours_chart(first)
    # another filter: its own entry, from the records of now
    other = operator.get("/overview/?group_by=kind&mode=fast_lane").content.decode()
    assert sum(_hours_chart(other)["requested"]) == sum(_hours_chart(first)["requested"]) \
        - 100 - 200 - 1000 + 5000
    # a bad filter is refused before anything is cached or computed for it
    assert "YYYY-MM-DD" in operator.get("/overview/?from=yesterday", follow=True
                                        ).content.decode()
    # a member: never from the cache
    single = make_user()
    add_member(kpi_world.university, single)
    member = Client()
    member.force_login(single)
    mine = _hours_chart(member.get("/overview/?group_by=kind").content.decode())
    assert mine["requested"] == [5000.0]
    assert "behind the records" not in member.get("/overview/").content.decode()
    # turned off: the records of now, and no sentence about the cache
    settings.ANTENNA_REPORTS_CACHE_SECONDS = 0
    fresh = operator.get("/overview/?group_by=kind").content.decode()
    assert sum(_hours_chart(fresh)["requested"]) == sum(_hours_chart(first)["requested"]) + 4000
    assert "behind the records" not in fresh
