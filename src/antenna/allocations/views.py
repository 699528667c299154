"""Allocation pages: my allocations with their budgets, one allocation and its final report."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.allocations.forms import FinalReportForm
from antenna.allocations.models import Allocation
from antenna.allocations.selectors import allocation_for_user, allocation_list
from antenna.allocations.services import allocation_submit_final_report
from antenna.allocations.states import AllocationState
from antenna.core.errors import AntennaError
from antenna.jobs.selectors import job_list
from antenna.organizations.access import is_member
from antenna.portal.burndown import allocation_burndowns
from antenna.portal.pages import current_user, error_status, visible_or_404


@login_required
def allocation_index(request: HttpRequest) -> HttpResponse:
    return render(request, "allocations/list.html",
                  {"allocations": list(allocation_list(user=current_user(request)))})


def _detail(request: HttpRequest, allocation: Allocation, form: FinalReportForm,
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
    }, status=status)


@login_required
def allocation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = visible_or_404(allocation_for_user, current_user(request), pk)
    return _detail(request, allocation, FinalReportForm())


@login_required
@require_POST
def allocation_final_report(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    allocation = visible_or_404(allocation_for_user, user, pk)
    form = FinalReportForm(request.POST)
    if not form.is_valid():
        return _detail(request, allocation, form, status=400)
    try:
        allocation_submit_final_report(allocation=allocation, report=form.cleaned_data["report"],
                                       by=user)
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _detail(request, allocation, form, status=error_status(exc.status_code))
    messages.success(request, _("Thank you: the final report is filed."))
    return redirect("allocations:detail", pk=allocation.pk)
