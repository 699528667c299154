"""Template tags of the portal: the GPU-hour budget bar, time left before a deadline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from antenna.allocations.models import Allocation

register = template.Library()


def _percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "0"
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
    return str(max(Decimal(0), min(Decimal(100), value)))


@register.inclusion_tag("portal/budget_bar.html")
def budget_bar(allocation: Allocation) -> dict[str, Any]:
    """Granted, reserved, used and remaining GPU-hours, as numbers and a stacked bar."""
    granted = allocation.granted_gpu_seconds
    return {
        "allocation": allocation,
        "used_pct": _percent(allocation.used_gpu_seconds, granted),
        "reserved_pct": _percent(allocation.reserved_gpu_seconds, granted),
        "remaining_pct": _percent(max(allocation.remaining_gpu_seconds, 0), granted),
    }


@register.inclusion_tag("portal/deadline.html")
def deadline(due_at: dt.datetime | None) -> dict[str, Any]:
    """Time left before a decision or review target, with a "late" badge once it is past."""
    if due_at is None:
        return {"due_at": None}
    left = due_at - timezone.now()
    late = left.total_seconds() < 0
    span = -left if late else left
    days = span.days
    hours = span.seconds // 3600
    if days:
        text = ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    else:
        text = ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    label = _("%(t)s late") % {"t": text} if late else _("%(t)s left") % {"t": text}
    return {"due_at": due_at, "late": late, "label": label}


@register.inclusion_tag("portal/proposal_steps.html")
def proposal_steps(proposal: Any) -> dict[str, Any]:
    """A proposal's way from draft to decision, as steps done, current and to come."""
    from antenna.calls.modes import ReviewProcess
    from antenna.proposals.states import ProposalState as S

    process = proposal.call.review_process
    steps: list[tuple[str, str]] = [(S.DRAFT, _("Draft")), (S.SUBMITTED, _("Submitted"))]
    if process != ReviewProcess.AUTOMATIC:
        steps.append((S.TECHNICAL_REVIEW, _("Technical review")))
    if process == ReviewProcess.PEER:
        steps.append((S.PEER_REVIEW, _("Peer review")))
    final = {S.ACCEPTED: _("Accepted"), S.REJECTED: _("Rejected"), S.WITHDRAWN: _("Withdrawn")}
    steps.append(("decision", str(final.get(proposal.state, _("Decision")))))
    names = [name for name, _label in steps]
    current = names.index(proposal.state) if proposal.state in names else len(names) - 1
    terminal = proposal.state in final
    out = []
    for n, (_name, label) in enumerate(steps):
        status = "done" if n < current or (terminal and n == current) else (
            "current" if n == current else "todo")
        out.append({"label": label, "status": status})
    return {"steps": out, "outcome": proposal.state if terminal else ""}


@register.inclusion_tag("portal/_burndown.html")
def burndown_chart(allocation: Allocation, burndown: Any) -> dict[str, Any]:
    """An allocation's burn-down chart (Chart.js) with the same numbers in a table."""
    from antenna.allocations.models import hours

    rows = [{"day": p.day, "granted": hours(p.granted), "reserved": hours(p.reserved),
             "used": hours(p.used), "remaining": hours(p.remaining)}
            for p in burndown.changes]
    return {"allocation": allocation, "chart": burndown.chart(), "rows": rows,
            "canvas_id": f"burndown-{allocation.pk}", "data_id": f"burndown-{allocation.pk}-data"}
