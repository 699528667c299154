"""Pages of one app's object that also list other apps' rows, composed here above them.

The organisation page lists the organisation's proposals and allocations; the allocation page
lists its jobs. Their URLs keep the owning app's namespace (`organizations:detail`,
`allocations:detail`): config/urls.py mounts these views under it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.allocations.burndown import allocation_burndowns
from antenna.allocations.forms import FinalReportForm
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import (
    allocation_for_user,
    allocation_list,
    external_usage_of,
    factory_accounts_of,
)
from antenna.allocations.services import allocation_submit_final_report
from antenna.allocations.states import AllocationState
from antenna.core.errors import AntennaError
from antenna.core.pages import error_status, visible_or_404
from antenna.jobs.selectors import job_list
from antenna.organizations.access import is_member, is_owner, organization_for_user
from antenna.organizations.enterprise_number import format_enterprise_number
from antenna.organizations.forms import MemberForm
from antenna.organizations.models import Organization
from antenna.organizations.selectors import memberships_of, pending_invitations_of
from antenna.organizations.services import invitation_create
from antenna.proposals.selectors import proposal_list


def _organization_page(request: HttpRequest, organization: Organization, member_form: MemberForm,
            status: int = 200) -> HttpResponse:
    user = current_user(request)
    can_manage = user.is_operator or is_owner(user, organization)
    context: dict[str, Any] = {
        "organization": organization,
        "enterprise_number": format_enterprise_number(organization.enterprise_number),
        "memberships": list(memberships_of(organization)),
        "can_manage": can_manage,
        "invitations": list(pending_invitations_of(organization)) if can_manage else [],
        "member_form": member_form,
        "proposals": list(proposal_list(user=user, organization=organization.pk)),
        "allocations": list(allocation_list(user=user, organization=organization.pk)),
    }
    return render(request, "organizations/detail.html", context, status=status)


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = visible_or_404(organization_for_user, current_user(request), pk)
    return _organization_page(request, organization, MemberForm())


@login_required
@require_POST
def organization_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    organization = visible_or_404(organization_for_user, user, pk)
    form = MemberForm(request.POST)
    if not form.is_valid():
        return _organization_page(request, organization, form, status=400)
    try:
        invitation_create(organization=organization, by=user, **form.cleaned_data)
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _organization_page(request, organization, form, status=error_status(exc.status_code))
    messages.success(request, _("%(u)s is invited to %(org)s: they become a member when they "
                                "accept.")
                     % {"u": form.cleaned_data["username"], "org": organization.legal_name})
    return redirect("organizations:detail", pk=organization.pk)


def _allocation_page(request: HttpRequest, allocation: Allocation, form: FinalReportForm,
            status: int = 200) -> HttpResponse:
    user = current_user(request)
    return render(request, "allocations/detail.html", {
        "allocation": allocation,
        "form": form,
        "can_report": (is_member(user, allocation.organization)
                       and allocation.final_report_submitted_at is None),
        "report_overdue": (allocation.final_report_submitted_at is None
                           and allocation.final_report_due_on < timezone.localdate()),
        "can_submit_jobs": (allocation.state == AllocationState.ACTIVE
                            and is_member(user, allocation.organization)),
        "jobs": list(job_list(user=user, allocation=allocation.pk)[:20]),
        "burndown": allocation_burndowns([allocation])[allocation.pk],
        "factory_accounts": factory_accounts_of(allocation),
        "external_usage": external_usage_of(allocation),
    }, status=status)


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = visible_or_404(allocation_for_user, current_user(request), pk)
    return _allocation_page(request, allocation, FinalReportForm())


@login_required
@require_POST
def allocation_final_report(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    allocation = visible_or_404(allocation_for_user, user, pk)
    form = FinalReportForm(request.POST)
    if not form.is_valid():
        return _allocation_page(request, allocation, form, status=400)
    try:
        allocation_submit_final_report(allocation=allocation, report=form.cleaned_data["report"],
                                       by=user)
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _allocation_page(request, allocation, form, status=error_status(exc.status_code))
    messages.success(request, _("Thank you: the final report is filed."))
    return redirect("allocations:detail", pk=allocation.pk)
