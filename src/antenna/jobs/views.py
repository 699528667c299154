"""Job pages: submit a job (with the budget it reserves), follow it (live log), list them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.allocations.models import Allocation, hours
from antenna.allocations.selectors import allocation_for_user
from antenna.core.audit import audit_timeline
from antenna.core.errors import AntennaError
from antenna.core.pages import error_status, visible_or_404
from antenna.factories.models import Factory
from antenna.jobs.access import job_for_user, job_may_cancel
from antenna.jobs.forms import JobForm, RecipeForm
from antenna.jobs.recipes import (
    FLAVOUR_LABELS,
    RECIPES,
    Recipe,
    RecipeValueError,
    Target,
    container_for,
    flavour_of,
    render_script,
)
from antenna.jobs.selectors import job_list, job_log_location, job_log_tail
from antenna.jobs.services import candidate_factories, job_cancel, job_cost_seconds, job_submit
from antenna.jobs.states import JOB_MACHINE


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


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    job = visible_or_404(job_for_user, user, pk)
    can_cancel = (not JOB_MACHINE.is_terminal(job.state) and job.cancel_requested_at is None
                  and job_may_cancel(user, job))
    template = "jobs/_status.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    return render(request, template, {"job": job, "timeline": list(audit_timeline(job)),
                                      "can_cancel": can_cancel,
                                      "finished": JOB_MACHINE.is_terminal(job.state)})


@login_required
def job_log(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the tail of the job's output, polled while the job runs."""
    job = visible_or_404(job_for_user, current_user(request), pk)
    location = job_log_location(job)
    text = "" if location is not None else job_log_tail(job, max_bytes=16384)[0]
    return render(request, "jobs/_log.html",
                  {"job": job, "text": text, "location": location,
                   "finished": JOB_MACHINE.is_terminal(job.state)})


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


def _target(factory: Factory) -> Target:
    partitions = sorted(factory.partitions.all(), key=lambda p: (not p.is_default, p.name))
    part = partitions[0] if partitions else None
    return Target(flavour=flavour_of(factory, part.gpu_model if part else ""),
                  gpus_per_node=part.gpus_per_node if part else 4)


def _recipe_or_404(slug: str) -> Recipe:
    recipe = RECIPES.get(slug)
    if recipe is None:
        raise Http404(_("No job template is called %(slug)s.") % {"slug": slug})
    return recipe


def _script(form: RecipeForm) -> tuple[str, Target | None]:
    """The script the valid form describes; errors are added to the form."""
    if not form.is_valid():
        return "", None
    target = _target(form.cleaned_data["factory"])
    try:
        script = render_script(form.recipe, form.recipe_values(),
                               gpus=form.cleaned_data["gpus"], target=target)
    except RecipeValueError as exc:
        name = f"r_{exc.field_name}" if exc.field_name != "gpus" else "gpus"
        form.add_error(name if name in form.fields else None, exc.message)
        return "", None
    return script, target


def _recipe_defaults(recipe: Recipe, factories: list[Factory]) -> dict[str, object]:
    """The template's fields as a first-time user sees them: its defaults, one GPU."""
    return {"name": recipe.slug, "factory": factories[0].pk if factories else "", "gpus": 1,
            "walltime_minutes": 30, **{f"r_{f.name}": f.default for f in recipe.fields}}


@login_required
def recipe_index(request: HttpRequest, allocation_pk: int) -> HttpResponse:
    """Job templates for people who do not know Slurm."""
    allocation = visible_or_404(allocation_for_user, current_user(request), allocation_pk)
    return render(request, "jobs/recipes.html",
                  {"allocation": allocation, "recipes": list(RECIPES.values())})


@login_required
def recipe_job(request: HttpRequest, allocation_pk: int, slug: str) -> HttpResponse:
    """One template: its fields, the script it writes (previewed), and the submit button."""
    user = current_user(request)
    allocation = visible_or_404(allocation_for_user, user, allocation_pk)
    recipe = _recipe_or_404(slug)
    factories = candidate_factories(allocation)
    data = request.POST if request.method == "POST" else _recipe_defaults(recipe, factories)
    form = RecipeForm(data, recipe=recipe, factories=factories)
    context: dict[str, object] = {"allocation": allocation, "recipe": recipe, "form": form}
    script, target = _script(form)
    context.update({"script": script, "target": target,
                    "variant": FLAVOUR_LABELS[target.flavour] if target else ""})
    if request.method != "POST":
        return render(request, "jobs/recipe_form.html", context)
    if not script:
        return render(request, "jobs/recipe_form.html", context, status=400)
    try:
        job = job_submit(by=user, allocation=allocation, name=form.cleaned_data["name"],
                         script=script, gpus=form.cleaned_data["gpus"],
                         walltime_minutes=form.cleaned_data["walltime_minutes"],
                         factory=form.cleaned_data["factory"],
                         container_image=container_for(recipe, target) if target else "")
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return render(request, "jobs/recipe_form.html", context,
                      status=error_status(exc.status_code))
    messages.success(request, _("Job submitted from the template: Antenna is placing it."))
    return redirect("jobs:detail", pk=job.pk)


@login_required
def recipe_preview(request: HttpRequest, allocation_pk: int, slug: str) -> HttpResponse:
    """htmx: the script the template writes with the fields as they are now."""
    allocation = visible_or_404(allocation_for_user, current_user(request), allocation_pk)
    recipe = _recipe_or_404(slug)
    form = RecipeForm(request.GET, recipe=recipe, factories=candidate_factories(allocation))
    script, target = _script(form)
    return render(request, "jobs/_recipe_preview.html",
                  {"form": form, "script": script, "target": target, "recipe": recipe,
                   "variant": FLAVOUR_LABELS[target.flavour] if target else ""})
