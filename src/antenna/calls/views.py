"""Public call pages: the open calls grouped by access mode, and one call's rules."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from antenna.calls.modes import CRITERION_LABELS
from antenna.calls.selectors import access_modes, call_get
from antenna.core.errors import NotFound
from antenna.organizations.models import OrganizationKind


def call_index(request: HttpRequest) -> HttpResponse:
    return render(request, "calls/list.html", {"modes": access_modes()})


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        call = call_get(pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    kind_labels = dict(OrganizationKind.choices)
    return render(request, "calls/detail.html", {
        "call": call,
        "eligible_kinds": [kind_labels.get(k, k) for k in call.eligible_kinds],
        "criteria": [CRITERION_LABELS.get(c, c) for c in call.review_criteria],
        "durations": ", ".join(str(d) for d in call.allowed_durations),
        "is_open": call.is_open(),
        "next_cutoff": call.next_cutoff(),
    })
