"""What an applicant should do next, from what they have: always at least one step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from antenna.allocations.models import Allocation
from antenna.allocations.states import AllocationState
from antenna.calls.models import Call
from antenna.calls.modes import AccessMode
from antenna.jobs.models import Job
from antenna.organizations.models import Organization
from antenna.portal.selectors import is_under_used, used_share
from antenna.proposals.models import Proposal
from antenna.proposals.states import OPEN_STATES, ProposalState


@dataclass(frozen=True)
class Step:
    text: str
    url: str
    action: str
    urgent: bool = False


def _apply_url(calls: Sequence[Call], mode: str) -> str:
    call = next((c for c in calls if c.mode == mode), None)
    return reverse("proposals:create", args=[call.pk]) if call else reverse("calls:list")


def next_steps(*, organizations: Sequence[Organization], proposals: Sequence[Proposal],
               allocations: Sequence[Allocation], jobs: Sequence[Job],
               open_calls: Sequence[Call], today: dt.date) -> list[Step]:
    steps: list[Step] = []
    if not organizations:
        return [
            Step(_("You apply on behalf of an organisation: register yours (or ask its owner "
                   "to add you)."), reverse("organizations:create"),
                 _("Register your organisation")),
            Step(_("Not sure which route fits? Four questions tell you."),
                 reverse("portal:triage"), _("Find my route")),
        ]
    for a in allocations:
        if a.final_report_submitted_at is None and a.ends_on < today:
            steps.append(Step(
                _("The allocation “%(name)s” has ended: its final report is due on %(due)s. "
                  "Without it, your organisation cannot apply again.")
                % {"name": _allocation_name(a), "due": a.final_report_due_on.isoformat()},
                reverse("allocations:detail", args=[a.pk]) + "#report-title",
                _("File your final report"), urgent=a.final_report_due_on < today))
    for p in proposals:
        if p.state == ProposalState.DRAFT:
            steps.append(Step(_("Your draft “%(title)s” is not sent yet.") % {"title": p.title},
                              reverse("proposals:detail", args=[p.pk]),
                              _("Check and submit it")))
    active = [a for a in allocations if a.state == AllocationState.ACTIVE]
    job_allocations = {j.allocation_id for j in jobs}
    for a in active:
        if a.pk not in job_allocations and a.used_gpu_seconds == 0 \
                and a.reserved_gpu_seconds == 0:
            steps.append(Step(
                _("Your allocation “%(name)s” is ready. A template writes the job script for "
                  "you.") % {"name": _allocation_name(a)},
                reverse("jobs:recipes", args=[a.pk]), _("Submit your first job")))
        elif is_under_used(a, today):
            steps.append(Step(
                _("“%(name)s” has used %(pct)s%% of its GPU-hours after half its time: unused "
                  "hours may be cut.") % {"name": _allocation_name(a),
                                           "pct": round(used_share(a) * 100)},
                reverse("jobs:recipes", args=[a.pk]), _("Run your jobs"), urgent=True))
    waiting = [p for p in proposals if p.state in OPEN_STATES]
    for p in waiting:
        steps.append(Step(_("“%(title)s” is with the antenna (%(state)s): nothing to do but "
                            "wait for the decision.")
                          % {"title": p.title, "state": p.get_state_display()},
                          reverse("proposals:detail", args=[p.pk]), _("Follow it")))
    if not proposals and not allocations:
        steps.append(Step(_("A Playground project is the quickest start: a short form, an "
                            "automatic check, access within two working days."),
                          _apply_url(open_calls, AccessMode.PLAYGROUND),
                          _("Apply to Playground")))
        steps.append(Step(_("Need more? Four questions tell you which route fits."),
                          reverse("portal:triage"), _("Find my route")))
    if not steps:
        steps.append(Step(_("All is in order. Ready for more compute, or a new project?"),
                          reverse("calls:list"), _("See the open calls")))
    return sorted(steps, key=lambda s: not s.urgent)


def _allocation_name(a: Allocation) -> str:
    return a.proposal.title if a.proposal_id and a.proposal else _("Allocation %(pk)s") % {
        "pk": a.pk}
