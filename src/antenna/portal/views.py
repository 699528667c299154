"""Pages that belong to no single app: home (first visit or dashboard), the intake triage,
the operator console and the observers' overview."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from antenna.accounts.access import current_user, require_operator
from antenna.accounts.models import User
from antenna.allocations.burndown import allocation_burndowns
from antenna.allocations.selectors import allocation_list, allocations_over_grant
from antenna.calls.models import Call
from antenna.calls.selectors import access_modes, call_list
from antenna.core.errors import ValidationFailed
from antenna.core.models import AuditEvent
from antenna.expertise.selectors import overdue_requests
from antenna.factories.models import Factory, FactoryKind
from antenna.factories.selectors import factory_list
from antenna.organizations.selectors import organizations_of_user
from antenna.portal.forms import TriageForm
from antenna.portal.next_steps import next_steps
from antenna.portal.selectors import (
    CONSOLE_LIMIT,
    allocations_to_watch,
    factory_queues,
    overview_of_everyone,
    recent_jobs_of,
)
from antenna.portal.triage import Recommendation, Route, recommend
from antenna.proposals.selectors import decision_queue, proposal_list
from antenna.reports.filters import scope_of
from antenna.reports.pages import overview_kpis

DASHBOARD_ROWS = 10
CHARTED_ALLOCATIONS = 4


def _dashboard(user: User, open_calls: list[Call]) -> dict[str, Any]:
    mine = {"organization__memberships__user": user}
    organizations = list(organizations_of_user(user))
    proposals = list(proposal_list(user=user).filter(**mine)[:DASHBOARD_ROWS])
    allocations = list(allocation_list(user=user).filter(**mine)[:DASHBOARD_ROWS])
    jobs = recent_jobs_of(user)
    charted = allocations[:CHARTED_ALLOCATIONS]
    burndowns = allocation_burndowns(charted)
    return {
        "organizations": organizations,
        "proposals": proposals,
        "allocations": [(a, burndowns.get(a.pk)) for a in allocations],
        "jobs": jobs,
        "steps": next_steps(organizations=organizations, proposals=proposals,
                            allocations=allocations, jobs=jobs, open_calls=open_calls,
                            today=timezone.localdate()),
    }


def home(request: HttpRequest) -> HttpResponse:
    factories = list(factory_list())
    open_calls = list(call_list(open_only=True))
    context: dict[str, Any] = {
        "factories": [f for f in factories if f.kind == FactoryKind.AI_FACTORY],
        "sandboxes": [f for f in factories if f.kind == FactoryKind.SANDBOX],
        "modes": access_modes(open_calls),
    }
    if request.user.is_authenticated:
        context.update(_dashboard(current_user(request), open_calls))
    else:
        context["triage_form"] = TriageForm(auto_id="triage_%s")
    return render(request, "portal/home.html", context)


def _route_context(rec: Recommendation, open_calls: list[Call],
                   factories: list[Factory]) -> dict[str, Any]:
    """Where the recommendation's button goes: the open call of its mode, pre-filled."""
    call = next((c for c in open_calls if c.mode == rec.mode), None) if rec.mode else None
    url = reverse("proposals:create", args=[call.pk]) if call else ""
    sandbox = next((f for f in factories if f.kind == FactoryKind.SANDBOX), None)
    if rec.route == Route.SANDBOX and call and sandbox:
        url += f"?factory={sandbox.pk}"
    return {"recommendation": rec, "call": call, "apply_url": url, "sandbox": sandbox,
            "calls_url": reverse("calls:list")}


def triage(request: HttpRequest) -> HttpResponse:
    """Four questions, one recommended route with its reason and the button to apply."""
    form = TriageForm(request.GET or None, auto_id="triage_%s")
    context: dict[str, Any] = {"triage_form": form}
    if form.is_bound and form.is_valid():
        context.update(_route_context(recommend(form.answers()),
                                      list(call_list(open_only=True)), list(factory_list())))
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers: the fragment carries the errors itself.
        return render(request, "portal/_triage_result.html", context)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "portal/triage.html", context, status=status)


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """Operators: decisions waiting (late first), factories and their queues, allocations to
    watch (ending soon, under-used), the latest audit events."""
    require_operator(current_user(request))
    queues, unplaced = factory_queues()
    waiting = decision_queue()
    queue = list(waiting[:CONSOLE_LIMIT])
    return render(request, "portal/console.html", {
        "queue": queue,
        "queue_total": waiting.count() if len(queue) == CONSOLE_LIMIT else len(queue),
        "factory_queues": queues,
        "unplaced": unplaced,
        "watch": allocations_to_watch(),
        "over_grant": allocations_over_grant(),
        "overdue_expertise": list(overdue_requests()[:CONSOLE_LIMIT]),
        "events": list(AuditEvent.objects.select_related("actor").order_by("-created_at",
                                                                             "-id")[:20]),
    })


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Operators and observers (the ministry): read-only counts across the antenna and the
    indicators. Anyone else signed in: the indicators of their own organisations only."""
    user = current_user(request)
    scope = scope_of(user)
    if scope is not None:
        try:
            kpis = overview_kpis(request.GET, scope)
        except ValidationFailed as exc:
            messages.error(request, exc.message)
            kpis = overview_kpis({}, scope)
        return render(request, "portal/overview.html", {"o": None, "k": kpis})
    try:
        figures = overview_of_everyone(request.GET)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        figures = overview_of_everyone({})
    return render(request, "portal/overview.html", figures)
