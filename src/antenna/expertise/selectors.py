"""Reading the expertise desk: request lists, threads, experts and their load."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from antenna.accounts.models import PlatformRole, User
from antenna.expertise.models import ExpertiseMessage, ExpertiseRequest, ExpertProfile
from antenna.expertise.routing import ExpertCandidate
from antenna.expertise.states import OPEN_STATES


def expertise_request_list(*, user: User, state: str | None = None) -> QuerySet[ExpertiseRequest]:
    qs = (ExpertiseRequest.objects.visible_to(user)
          .select_related("organization", "requester", "expert"))
    if state:
        qs = qs.filter(state=state)
    return qs


def expert_queue(expert: User) -> QuerySet[ExpertiseRequest]:
    """The open requests assigned to `expert`, the most urgent first."""
    return (ExpertiseRequest.objects.filter(expert=expert, state__in=OPEN_STATES)
            .select_related("organization", "requester").order_by("first_response_due", "pk"))


def overdue_requests() -> QuerySet[ExpertiseRequest]:
    """Open requests whose first response is late (operator console)."""
    return (ExpertiseRequest.objects.overdue()
            .select_related("organization", "expert").order_by("first_response_due", "pk"))


def thread_of(request: ExpertiseRequest) -> QuerySet[ExpertiseMessage]:
    return request.messages.select_related("author")


def expert_profiles() -> QuerySet[ExpertProfile]:
    """Active experts with `open_load`, the number of open requests they hold."""
    return (ExpertProfile.objects.filter(active=True, user__is_active=True,
                                         user__role=PlatformRole.EXPERT)
            .select_related("user")
            .annotate(open_load=Count("user__assigned_requests",
                                      filter=Q(user__assigned_requests__state__in=OPEN_STATES))))


def expert_candidates() -> list[ExpertCandidate]:
    return [
        ExpertCandidate(username=p.user.username, skills=frozenset(p.skills),
                        languages=frozenset(p.languages), regions=frozenset(p.regions),
                        capacity=p.capacity, load=p.open_load)  # type: ignore[attr-defined]
        for p in expert_profiles()
    ]
