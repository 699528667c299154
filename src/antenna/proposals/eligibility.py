"""Eligibility rules checked automatically when a proposal is submitted.

Each rule has a stable name; a refusal raises NotEligible naming the rule and saying what to
change. The rules read their limits from the call, so operators change them per call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from antenna.allocations.selectors import organizations_with_overdue_report
from antenna.core.errors import NotEligible
from antenna.core.workdays import add_months
from antenna.proposals.models import Proposal
from antenna.proposals.states import COUNTS_FOR_CALL

PI_CONTRACT_MARGIN_MONTHS = 3


def _call_open(p: Proposal, today: dt.date) -> str | None:
    if p.call.is_open(today):
        return None
    return _("The call '%(call)s' is not open for submissions today.") % {"call": p.call.title}


def _kind(p: Proposal, today: dt.date) -> str | None:
    if p.organization.kind in p.call.eligible_kinds:
        return None
    return _(
        "Organisations of kind '%(kind)s' cannot apply to this call; it is open to: %(kinds)s."
    ) % {"kind": p.organization.get_kind_display(), "kinds": ", ".join(p.call.eligible_kinds)}


def _country(p: Proposal, today: dt.date) -> str | None:
    if p.organization.country in p.call.eligible_countries:
        return None
    return _(
        "Organisations established in %(country)s cannot apply: the call is open to "
        "organisations in the EU and EuroHPC participating countries."
    ) % {"country": p.organization.country}


def _gpu_hours(p: Proposal, today: dt.date) -> str | None:
    c = p.call
    if c.min_gpu_hours <= p.requested_gpu_hours <= c.max_gpu_hours:
        return None
    return _(
        "This call grants between %(min)s and %(max)s GPU-hours; you asked for %(asked)s."
    ) % {"min": c.min_gpu_hours, "max": c.max_gpu_hours, "asked": p.requested_gpu_hours}


def _duration(p: Proposal, today: dt.date) -> str | None:
    if p.duration_months in p.call.allowed_durations:
        return None
    return _("Choose a duration of %(allowed)s months; you asked for %(asked)s.") % {
        "allowed": ", ".join(str(d) for d in p.call.allowed_durations),
        "asked": p.duration_months,
    }


def _civilian(p: Proposal, today: dt.date) -> str | None:
    if p.civilian_use:
        return None
    return _(
        "EuroHPC systems serve civilian applications only: declare that the work is for "
        "civilian use."
    )


def _factory_offered(p: Proposal, today: dt.date) -> str | None:
    if p.factory_id is None or p.call.factories.filter(pk=p.factory_id).exists():
        return None
    return _("The factory you chose is not offered by this call.")


def _one_per_call(p: Proposal, today: dt.date) -> str | None:
    others = Proposal.objects.filter(
        call_id=p.call_id, organization_id=p.organization_id, state__in=COUNTS_FOR_CALL
    ).exclude(pk=p.pk)
    if not others.exists():
        return None
    return _(
        "%(org)s already has a proposal in this call; one proposal per organisation per call."
    ) % {"org": p.organization.legal_name}


def _final_report(p: Proposal, today: dt.date) -> str | None:
    if p.organization_id not in organizations_with_overdue_report([p.organization_id]):
        return None
    return _(
        "%(org)s has a final report overdue for an earlier allocation: file it before applying "
        "again."
    ) % {"org": p.organization.legal_name}


def _pi_contract(p: Proposal, today: dt.date) -> str | None:
    if not p.call.require_pi_contract_margin or p.pi_contract_ends_on is None:
        return None
    needed = add_months(add_months(today, p.duration_months), PI_CONTRACT_MARGIN_MONTHS)
    if p.pi_contract_ends_on >= needed:
        return None
    return _(
        "The principal investigator's contract must run until at least %(date)s (three months "
        "after the allocation would end)."
    ) % {"date": needed.isoformat()}


def _complete(p: Proposal, today: dt.date) -> str | None:
    missing = [name for name, value in (("title", p.title), ("abstract", p.abstract))
               if not value.strip()]
    if not missing:
        return None
    return _("Fill in before submitting: %(fields)s.") % {"fields": ", ".join(missing)}


RULES: tuple[tuple[str, Callable[[Proposal, dt.date], str | None]], ...] = (
    ("complete", _complete),
    ("call_open", _call_open),
    ("organization_country", _country),
    ("organization_kind", _kind),
    ("civilian_use", _civilian),
    ("gpu_hours", _gpu_hours),
    ("duration", _duration),
    ("factory_offered", _factory_offered),
    ("one_proposal_per_call", _one_per_call),
    ("final_report_overdue", _final_report),
    ("pi_contract", _pi_contract),
)


def check_eligibility(proposal: Proposal, today: dt.date | None = None) -> None:
    """Raise NotEligible for the first rule the proposal breaks."""
    today = today or timezone.localdate()
    for rule, check in RULES:
        problem = check(proposal, today)
        if problem:
            raise NotEligible(
                _("Not eligible (%(rule)s): %(problem)s") % {"rule": rule, "problem": problem},
                rule=rule,
            )


def eligibility_problems(proposal: Proposal, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Every rule the proposal breaks, for showing on the form before submitting."""
    today = today or timezone.localdate()
    return [(rule, problem) for rule, check in RULES if (problem := check(proposal, today))]
