"""Pages that belong to no single app: home with its dashboard, operator console, overview."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from antenna.accounts.models import User
from antenna.allocations.models import Allocation, hours
from antenna.allocations.selectors import allocation_list
from antenna.calls.modes import MODE_DEFAULTS, AccessMode
from antenna.calls.selectors import call_list
from antenna.core.models import AuditEvent
from antenna.factories.models import FactoryKind
from antenna.factories.selectors import factory_list
from antenna.organizations.models import Organization
from antenna.organizations.selectors import organizations_of_user
from antenna.portal.pages import current_user, require_operator, require_operator_or_observer
from antenna.proposals.models import Proposal
from antenna.proposals.selectors import decision_queue, proposal_list
from antenna.proposals.states import ProposalState

DASHBOARD_ROWS = 10


def access_modes() -> list[dict[str, Any]]:
    """The four access modes in plain words, each with its open calls."""
    open_calls = list(call_list(open_only=True))
    return [
        {
            "value": mode.value,
            "label": mode.label,
            "summary": MODE_DEFAULTS[mode.value].summary,
            "defaults": MODE_DEFAULTS[mode.value],
            "calls": [c for c in open_calls if c.mode == mode.value],
        }
        for mode in AccessMode
    ]


def _dashboard(user: User) -> dict[str, Any]:
    mine = {"organization__memberships__user": user}
    return {
        "organizations": list(organizations_of_user(user)),
        "proposals": list(proposal_list(user=user).filter(**mine)[:DASHBOARD_ROWS]),
        "allocations": list(allocation_list(user=user).filter(**mine)[:DASHBOARD_ROWS]),
    }


def home(request: HttpRequest) -> HttpResponse:
    factories = list(factory_list())
    context: dict[str, Any] = {
        "factories": [f for f in factories if f.kind == FactoryKind.AI_FACTORY],
        "sandboxes": [f for f in factories if f.kind == FactoryKind.SANDBOX],
        "modes": access_modes(),
    }
    if request.user.is_authenticated:
        context.update(_dashboard(current_user(request)))
    return render(request, "portal/home.html", context)


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """Operators: proposals waiting for a decision (late first), the latest audit events."""
    require_operator(current_user(request))
    return render(request, "portal/console.html", {
        "queue": list(decision_queue()),
        "events": list(AuditEvent.objects.select_related("actor").order_by("-created_at",
                                                                             "-id")[:20]),
    })


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Operators and observers: read-only counts across the antenna."""
    require_operator_or_observer(current_user(request))
    per_state = dict(
        Proposal.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    totals = Allocation.objects.aggregate(granted=Sum("granted_gpu_seconds"),
                                          used=Sum("used_gpu_seconds"), n=Count("id"))
    return render(request, "portal/overview.html", {
        "organization_count": Organization.objects.count(),
        "proposal_states": [(state.label, per_state.get(state.value, 0))
                            for state in ProposalState],
        "proposal_count": sum(per_state.values()),
        "allocation_count": totals["n"] or 0,
        "gpu_hours_granted": hours(totals["granted"] or 0),
        "gpu_hours_used": hours(totals["used"] or 0),
    })
