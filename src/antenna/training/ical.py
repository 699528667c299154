"""iCalendar files of training events (the `icalendar` package): one per event, and a feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar, Event

from antenna.training.models import TrainingEvent

PRODID = "-//Belgian AI Factory Antenna//Training events//EN"


def calendar_of(events: Iterable[TrainingEvent], *, url_of: dict[int, str], host: str,
                name: str, online_label: str, now: dt.datetime) -> bytes:
    """A VCALENDAR with one VEVENT per event, texts in the active language; `url_of` maps
    an event's id to its page's absolute address; `host` makes the UIDs stable; an online
    event's location is `online_label`."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for e in events:
        item = Event()
        item.add("uid", f"training-event-{e.pk}@{host}")
        item.add("dtstamp", now)
        item.add("dtstart", e.starts_at)
        item.add("dtend", e.ends_at)
        item.add("summary", e.title)
        if e.description:
            item.add("description", e.description)
        item.add("location", e.place or online_label)
        if e.pk in url_of:
            item.add("url", url_of[e.pk])
        calendar.add_component(item)
    return bytes(calendar.to_ical())
