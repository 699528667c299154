"""Proposal pages: the form, the detail with its timeline and the actions of each role,
the reviewer's queue and review form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user, require_operator
from antenna.accounts.models import User
from antenna.accounts.selectors import active_reviewers
from antenna.allocations.selectors import allocation_of_proposal
from antenna.calls.modes import ReviewProcess
from antenna.calls.selectors import call_get
from antenna.core.audit import audit_timeline
from antenna.core.errors import AntennaError, NotEligible, NotFound, ValidationFailed
from antenna.core.pages import error_status, visible_or_404
from antenna.factories.models import Factory
from antenna.factories.selectors import factory_by_id, factory_list
from antenna.organizations.access import is_member
from antenna.organizations.selectors import organizations_of_user
from antenna.proposals.access import proposal_for_user
from antenna.proposals.eligibility import eligibility_problems
from antenna.proposals.estimator import DEFAULT_MARGIN, GPU_PROFILES, GpuProfile, estimate
from antenna.proposals.forms import (
    AssessForm,
    AssignForm,
    DecideForm,
    EstimatorForm,
    ProposalForm,
    ReviewForm,
    WithdrawForm,
    initial_from,
)
from antenna.proposals.models import Proposal
from antenna.proposals.selectors import (
    assignment_of,
    proposal_assessment,
    proposal_decision,
    proposal_list,
    proposal_reviews,
    review_queue,
)
from antenna.proposals.services import (
    proposal_assess,
    proposal_assign_reviewer,
    proposal_auto_assign_reviewers,
    proposal_create,
    proposal_decide,
    proposal_review,
    proposal_submit,
    proposal_update,
    proposal_withdraw,
)
from antenna.proposals.states import OPEN_STATES, ProposalState

TIMELINE_LABELS = {
    "proposal.create": gettext_lazy("Draft created"),
    "proposal.update": gettext_lazy("Draft edited"),
    "proposal.submit": gettext_lazy("Submitted"),
    "proposal.start_technical_review": gettext_lazy("Technical review started"),
    "proposal.assess": gettext_lazy("Technical assessment recorded"),
    "proposal.assign_reviewer": gettext_lazy("Reviewer assigned"),
    "proposal.start_peer_review": gettext_lazy("Peer review started"),
    "proposal.review": gettext_lazy("Peer review received"),
    "proposal.accept": gettext_lazy("Accepted"),
    "proposal.reject": gettext_lazy("Rejected"),
    "proposal.withdraw": gettext_lazy("Withdrawn"),
}


def _member_or_403(user: User, proposal: Proposal) -> None:
    if not is_member(user, proposal.organization):
        raise Forbidden(_("Only members of the applicant organisation can do this."))


@login_required
def proposal_index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    state = request.GET.get("state") or None
    if state not in ProposalState.values:
        state = None
    return render(request, "proposals/list.html", {
        "proposals": list(proposal_list(user=user, state=state)),
        "states": ProposalState.choices, "state": state,
    })


@login_required
def proposal_new(request: HttpRequest, call_pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        call = call_get(call_pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    organizations = organizations_of_user(user)
    if not organizations.exists():
        return render(request, "proposals/form.html", {"call": call, "form": None})
    initial: dict[str, Any] = {"duration_months": call.allowed_durations[0]
                               if call.allowed_durations else None}
    factory_pk = request.GET.get("factory", "")
    if factory_pk.isdigit() and any(f.pk == int(factory_pk) for f in call.factories.all()):
        initial["factory"] = factory_pk
    form = ProposalForm(request.POST or None, request.FILES or None, call=call,
                        organizations=organizations, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal = proposal_create(
                    by=user, call=call, organization=form.cleaned_data["organization"],
                    attachment=form.cleaned_data.get("attachment"), **form.service_fields(),
                )
            except AntennaError as exc:
                form.add_error(None, exc.message)
                status = error_status(exc.status_code)
            else:
                messages.success(request, _("Your draft is saved. Check it, then submit it."))
                return redirect("proposals:detail", pk=proposal.pk)
        else:
            status = 400
    return render(request, "proposals/form.html",
                  {"call": call, "form": form, **_estimator_context(call)}, status=status)


@login_required
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    _member_or_403(user, proposal)
    if proposal.state != ProposalState.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("proposals:detail", pk=proposal.pk)
    form = ProposalForm(request.POST or None, request.FILES or None, call=proposal.call,
                        initial=initial_from(proposal))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal_update(proposal=proposal, by=user,
                                attachment=form.cleaned_data.get("attachment"),
                                **form.service_fields())
            except AntennaError as exc:
                form.add_error(None, exc.message)
                status = error_status(exc.status_code)
            else:
                messages.success(request, _("Your draft is saved."))
                return redirect("proposals:detail", pk=proposal.pk)
        else:
            status = 400
    return render(request, "proposals/form.html",
                  {"call": proposal.call, "form": form, "proposal": proposal,
                   **_estimator_context(proposal.call)}, status=status)


def _detail(request: HttpRequest, proposal: Proposal, *, status: int = 200,
            error: AntennaError | None = None, **forms: Any) -> HttpResponse:
    """The proposal page; `forms` replace the blank action forms (to show their errors)."""
    user = current_user(request)
    member = is_member(user, proposal.organization)
    is_open = proposal.state in OPEN_STATES
    call = proposal.call
    context: dict[str, Any] = {
        "proposal": proposal,
        "call": call,
        "is_member": member,
        "is_operator": user.is_operator,
        "error": error,
        "error_rule": error.rule if isinstance(error, NotEligible) else "",
        "timeline": [(event, TIMELINE_LABELS.get(event.action, event.action))
                     for event in audit_timeline(proposal)],
        "decision": proposal_decision(proposal),
        "assessment": proposal_assessment(proposal),
        "allocation": allocation_of_proposal(user, proposal.pk),
        "problems": eligibility_problems(proposal)
        if member and proposal.state == ProposalState.DRAFT else [],
        "assignment": assignment_of(proposal, user) if user.is_reviewer else None,
        "can_withdraw": member and (is_open or proposal.state == ProposalState.DRAFT),
        "withdraw_causes": WithdrawForm.base_fields["cause"].choices,  # type: ignore[attr-defined]
        "peer_reviewed": call.review_process == ReviewProcess.PEER,
    }
    if user.sees_everything:
        context["reviews"] = list(proposal_reviews(proposal))
    if user.is_operator and is_open:
        context["assess_form"] = forms.get("assess_form") or AssessForm(call=call)
        context["decide_form"] = forms.get("decide_form") or DecideForm(call=call)
        if context["peer_reviewed"]:
            context["assign_form"] = (forms.get("assign_form")
                                      or AssignForm(reviewers=active_reviewers()))
    return render(request, "proposals/detail.html", context, status=status)


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = visible_or_404(proposal_for_user, current_user(request), pk)
    return _detail(request, proposal)


@login_required
@require_POST
def proposal_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    _member_or_403(user, proposal)
    try:
        submitted = proposal_submit(proposal=proposal, by=user)
    except AntennaError as exc:
        return _detail(request, proposal, status=error_status(exc.status_code), error=exc)
    if submitted.state == ProposalState.ACCEPTED:
        messages.success(request, _("Your proposal is accepted: your allocation is ready."))
    elif submitted.state == ProposalState.REJECTED:
        messages.error(request, _("Your proposal was refused by the automatic check; see the "
                                  "decision below."))
    else:
        messages.success(request, _("Your proposal is submitted."))
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    _member_or_403(user, proposal)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail(request, proposal, status=400, error=ValidationFailed(
            _("Choose the reason for withdrawing from the list.")))
    try:
        proposal_withdraw(proposal=proposal, by=user, reason=form.cleaned_data["reason"],
                          cause=form.cleaned_data["cause"])
    except AntennaError as exc:
        return _detail(request, proposal, status=error_status(exc.status_code), error=exc)
    messages.success(request, _("Your proposal is withdrawn."))
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_assess_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    require_operator(user)
    form = AssessForm(request.POST, call=proposal.call)
    if not form.is_valid():
        return _detail(request, proposal, status=400, assess_form=form)
    factory_pk = form.cleaned_data["factory"]
    try:
        proposal_assess(proposal=proposal, by=user, feasible=form.cleaned_data["feasible"],
                        comment=form.cleaned_data["comment"],
                        factory=factory_by_id(int(factory_pk)) if factory_pk else None)
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _detail(request, proposal, status=error_status(exc.status_code),
                       assess_form=form)
    messages.success(request, _("The technical assessment is recorded."))
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    require_operator(user)
    form = AssignForm(request.POST, reviewers=active_reviewers())
    if not form.is_valid():
        return _detail(request, proposal, status=400, assign_form=form)
    try:
        proposal_assign_reviewer(proposal=proposal, reviewer=form.cleaned_data["reviewer"],
                                 by=user)
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _detail(request, proposal, status=error_status(exc.status_code),
                       assign_form=form)
    messages.success(request, _("%(u)s is asked to review this proposal.")
                     % {"u": form.cleaned_data["reviewer"].username})
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_auto_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    require_operator(user)
    try:
        assigned = proposal_auto_assign_reviewers(proposal=proposal, by=user)
    except AntennaError as exc:
        return _detail(request, proposal, status=error_status(exc.status_code), error=exc)
    if assigned:
        messages.success(request, _("Reviewers assigned: %(names)s.")
                         % {"names": ", ".join(a.reviewer.username for a in assigned)})
    else:
        messages.info(request, _("The proposal already has enough reviewers."))
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
@require_POST
def proposal_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    require_operator(user)
    form = DecideForm(request.POST, call=proposal.call)
    if not form.is_valid():
        return _detail(request, proposal, status=400, decide_form=form)
    try:
        decided = proposal_decide(proposal=proposal, by=user, **form.service_fields())
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _detail(request, proposal, status=error_status(exc.status_code),
                       decide_form=form)
    messages.success(request, _("Decision recorded: %(state)s.")
                     % {"state": decided.get_state_display()})
    return redirect("proposals:detail", pk=proposal.pk)


@login_required
def reviewer_queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.is_reviewer:
        raise Forbidden(_("Only reviewers have a review queue."))
    return render(request, "proposals/review_queue.html",
                  {"assignments": list(review_queue(user))})


@login_required
def proposal_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    proposal = visible_or_404(proposal_for_user, user, pk)
    assignment = assignment_of(proposal, user)
    if assignment is None:
        raise Forbidden(_("Only reviewers assigned to this proposal can review it."))
    if hasattr(assignment, "review"):
        messages.info(request, _("You have already reviewed this proposal."))
        return redirect("proposals:detail", pk=proposal.pk)
    form = ReviewForm(request.POST or None, criteria=proposal.call.review_criteria)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                proposal_review(
                    proposal=proposal, by=user, recommendation=form.cleaned_data["recommendation"],
                    score=form.cleaned_data["score"], scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                    no_conflict=form.cleaned_data["no_conflict"],
                )
            except AntennaError as exc:
                form.add_error(None, exc.message)
                status = error_status(exc.status_code)
            else:
                messages.success(request, _("Thank you: your review is recorded."))
                return redirect("proposals:review_queue")
        else:
            status = 400
    return render(request, "proposals/review_form.html",
                  {"proposal": proposal, "assignment": assignment, "form": form},
                  status=status)


def _estimator_context(call: Any) -> dict[str, Any]:
    return {"estimator_form": EstimatorForm(), "estimator_call": call.pk}


def _profiles_of(factories: list[Factory]) -> list[tuple[Factory, GpuProfile]]:
    """Each factory with the GPU its default partition bills."""
    out = []
    for factory in factories:
        parts = sorted(factory.partitions.all(), key=lambda p: (not p.is_default, p.name))
        profile = GPU_PROFILES.get(parts[0].gpu_model.lower()) if parts else None
        if profile is not None:
            out.append((factory, profile))
    return out


def proposal_estimate(request: HttpRequest) -> HttpResponse:
    """htmx: GPU-hours to train or run a model, per factory of the call (or every factory)."""
    form = EstimatorForm(request.GET or None)
    call_pk = request.GET.get("call", "")
    factories: list[Factory] = []
    if call_pk.isdigit():
        try:
            factories = list(call_get(int(call_pk)).factories.prefetch_related("partitions"))
        except NotFound:
            factories = []
    if not factories:
        factories = list(factory_list())
    context: dict[str, Any] = {"form": form, "margin": int(DEFAULT_MARGIN * 100)}
    if form.is_valid():
        data = form.cleaned_data
        pairs = _profiles_of(factories)
        results = estimate(parameters=float(data["parameters_billion"]) * 1e9,
                           tokens=float(data["tokens_billion"]) * 1e9, method=data["method"],
                           epochs=data["epochs"], profiles=[p for _f, p in pairs])
        context["rows"] = [
            {"factory": f, "estimate": e,
             "units": (e.gpu_hours * f.units_per_gpu_hour).quantize(Decimal(1))}
            for (f, _p), e in zip(pairs, results, strict=True)
        ]
        context["flops"] = results[0].flops if results else None
    return render(request, "proposals/_estimate.html", context)
