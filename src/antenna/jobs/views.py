"""Job pages: submit a job (with the budget it reserves), follow it (live log), list them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.allocations.models import Allocation, hours
from antenna.allocations.selectors import allocation_for_user
from antenna.connectors.registry import connector_for
from antenna.core.errors import AntennaError, FactoryUnavailable
from antenna.core.models import AuditEvent
from antenna.jobs.access import job_for_user
from antenna.jobs.forms import JobForm
from antenna.jobs.models import Job
from antenna.jobs.selectors import job_list
from antenna.jobs.services import candidate_factories, job_cancel, job_cost_seconds, job_submit
from antenna.jobs.states import JOB_MACHINE
from antenna.organizations.access import is_member
from antenna.portal.pages import current_user, error_status, visible_or_404


def _submit_page(request: HttpRequest, allocation: Allocation, form: JobForm,
                 status: int = 200) -> HttpResponse:
    return render(request, "jobs/submit.html", {"allocation": allocation, "form": form},
                  status=status)


@login_required
def job_submit_page(request: HttpRequest, allocation_pk: int) -> HttpResponse:
    user = current_user(request)
    allocation = visible_or_404(allocation_for_user, user, allocation_pk)
    factories = candidate_factories(allocation)
    if request.method != "POST":
        return _submit_page(request, allocation, JobForm(factories=factories))
    form = JobForm(request.POST, factories=factories)
    if not form.is_valid():
        return _submit_page(request, allocation, form, status=400)
    try:
        job = job_submit(by=user, allocation=allocation, name=form.cleaned_data["name"],
                         script=form.cleaned_data["script"].replace("\r\n", "\n"),
                         gpus=form.cleaned_data["gpus"],
                         walltime_minutes=form.cleaned_data["walltime_minutes"],
                         factory=form.cleaned_data["factory"])
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _submit_page(request, allocation, form, status=error_status(exc.status_code))
    messages.success(request, _("Job submitted: Antenna is placing it on a factory."))
    return redirect("jobs:detail", pk=job.pk)


@login_required
def job_estimate(request: HttpRequest, allocation_pk: int) -> HttpResponse:
    """htmx: the GPU-hours the job in the form would reserve, shown before submitting."""
    allocation = visible_or_404(allocation_for_user, current_user(request), allocation_pk)
    context: dict[str, object] = {"allocation": allocation}
    try:
        gpus = int(request.GET.get("gpus", "1"))
        walltime = int(request.GET.get("walltime_minutes", "60"))
        cost, _fit = job_cost_seconds(allocation=allocation, gpus=gpus,
                                      walltime_minutes=walltime)
        context.update({"cost": hours(cost), "fits": cost <= allocation.remaining_gpu_seconds,
                        "gpus": gpus, "walltime": walltime})
    except (ValueError, AntennaError) as exc:
        context["problem"] = exc.message if isinstance(exc, AntennaError) else \
            _("Give whole numbers for GPUs and walltime.")
    return render(request, "jobs/_estimate.html", context)


def _timeline(job: Job) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_type="jobs.job", target_id=str(job.pk))
                .select_related("actor").order_by("created_at", "id"))


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    job = visible_or_404(job_for_user, user, pk)
    can_cancel = (not JOB_MACHINE.is_terminal(job.state) and job.cancel_requested_at is None
                  and (user.is_operator or is_member(user, job.allocation.organization)))
    template = "jobs/_status.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    return render(request, template, {"job": job, "timeline": _timeline(job),
                                      "can_cancel": can_cancel,
                                      "finished": JOB_MACHINE.is_terminal(job.state)})


@login_required
def job_log(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the tail of the job's output, polled while the job runs."""
    job = visible_or_404(job_for_user, current_user(request), pk)
    text = ""
    if job.factory is not None and job.scheduler_job_id:
        try:
            text = connector_for(job.factory).read_log(job.scheduler_job_id, max_bytes=16384)
        except FactoryUnavailable as exc:
            text = _("(the log is not reachable right now: %(e)s)") % {"e": exc.message}
    return render(request, "jobs/_log.html",
                  {"job": job, "text": text, "finished": JOB_MACHINE.is_terminal(job.state)})


@login_required
@require_POST
def job_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    job = visible_or_404(job_for_user, user, pk)
    try:
        job_cancel(job=job, by=user)
    except AntennaError as exc:
        messages.error(request, exc.message)
        return redirect("jobs:detail", pk=pk)
    messages.success(request, _("Cancellation requested."))
    return redirect("jobs:detail", pk=pk)


@login_required
def job_index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    allocation_pk = request.GET.get("allocation")
    allocation = None
    qs = job_list(user=user)
    if allocation_pk and allocation_pk.isdigit():
        allocation = visible_or_404(allocation_for_user, user, int(allocation_pk))
        qs = qs.filter(allocation=allocation)
    return render(request, "jobs/list.html", {"jobs": list(qs[:200]), "allocation": allocation})
