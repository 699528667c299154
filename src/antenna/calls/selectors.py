"""Reads on calls. Published calls are public; unpublished ones are the operators'."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.calls.models import Call
from antenna.calls.modes import MODE_DEFAULTS, AccessMode
from antenna.core.errors import NotFound


def call_list(*, mode: str | None = None, open_only: bool = False,
              include_unpublished: bool = False) -> QuerySet[Call]:
    qs = Call.objects.prefetch_related("factories")
    if not include_unpublished:
        qs = qs.filter(is_published=True)
    if mode:
        qs = qs.filter(mode=mode)
    if open_only:
        qs = qs.open_on(timezone.localdate())
    return qs.order_by("mode", "title", "id")


def call_get(pk: int, *, include_unpublished: bool = False) -> Call:
    call = call_list(include_unpublished=include_unpublished).filter(pk=pk).first()
    if call is None:
        raise NotFound(_("Call %(pk)s not found.") % {"pk": pk})
    return call


def access_modes(open_calls: list[Call] | None = None) -> list[dict[str, Any]]:
    """The four access modes in plain words, each with its open calls."""
    calls = open_calls if open_calls is not None else list(call_list(open_only=True))
    return [
        {
            "value": mode.value,
            "label": mode.label,
            "summary": MODE_DEFAULTS[mode.value].summary,
            "defaults": MODE_DEFAULTS[mode.value],
            "calls": [c for c in calls if c.mode == mode.value],
        }
        for mode in AccessMode
    ]
