"""Writes on proposals: create, edit, submit, withdraw, assess, assign reviewers, review, decide.

Every function is one transaction that checks the move against the state machine, writes an
audit event, and raises an AntennaError (mapped to HTTP 4xx) when something is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antenna.accounts.models import PlatformRole, User
from antenna.allocations.services import allocation_grant
from antenna.calls.models import Call
from antenna.calls.modes import ReviewProcess
from antenna.calls.services import MAX_GPU_HOURS
from antenna.core.audit import audit_record
from antenna.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from antenna.core.workdays import add_working_days
from antenna.factories.models import Factory
from antenna.factories.selectors import factory_can_run
from antenna.notifications.models import NoticeKind
from antenna.notifications.services import notice_send
from antenna.organizations.access import is_member, require_member
from antenna.organizations.models import Organization
from antenna.organizations.selectors import organization_insiders
from antenna.proposals.attachments import attachment_put
from antenna.proposals.conflicts import require_no_conflict
from antenna.proposals.eligibility import check_eligibility
from antenna.proposals.models import (
    Decision,
    Openness,
    OutcomeReason,
    Proposal,
    Recommendation,
    Review,
    ReviewAssignment,
    TechnicalAssessment,
)
from antenna.proposals.states import OPEN_STATES, PROPOSAL_MACHINE, ProposalState

P = ProposalState

EDITABLE_FIELDS = (
    "title", "abstract", "objectives", "requested_gpu_hours", "gpu_hours_justification",
    "factory", "duration_months", "gpus_per_job", "storage_tb", "software_stack",
    "data_description", "personal_data", "licences", "openness", "civilian_use",
    "pi_contract_ends_on", "principal_investigator",
)


def _move(proposal: Proposal, target: str, *, by: User | None, action: str,
          message: str = "", after: dict[str, Any] | None = None) -> None:
    PROPOSAL_MACHINE.check(proposal.state, target)
    before = proposal.state
    proposal.state = target
    proposal.save(update_fields=["state", "updated_at", "submitted_at", "decided_at",
                                 "decision_due_at", "withdrawal_reason"])
    audit_record(action=action, target=proposal, by=by, organization_id=proposal.organization_id,
                 before={"state": before}, after={"state": target, **(after or {})},
                 message=message)


def _reason(value: str | None, name: str) -> str:
    """An optional reason from the fixed set (OutcomeReason); a clear 422 otherwise."""
    value = (value or "").strip()
    if value and value not in OutcomeReason.values:
        raise ValidationFailed(_("%(name)s must be one of: %(allowed)s.")
                               % {"name": name, "allowed": ", ".join(OutcomeReason.values)},
                               field=name)
    return value


def _locked(proposal: Proposal) -> Proposal:
    return (
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
        # (the optional factory); only the proposal row needs the lock.
        Proposal.objects.select_for_update(of=("self",))
        .select_related("call", "organization", "factory")
        .get(pk=proposal.pk)
    )


def _require_operator(by: User, what: str) -> None:
    if not by.is_operator:
        raise PermissionDenied(_("Only operators can %(what)s.") % {"what": what})


def _clean_fields(values: dict[str, Any], call: Call) -> dict[str, Any]:
    """Check the shape of proposal fields (rules of the call are checked at submission)."""
    out = dict(values)
    if "title" in out:
        out["title"] = str(out["title"]).strip()
        if not out["title"]:
            raise ValidationFailed(_("Give the proposal a title."))
        if len(out["title"]) > 200:
            raise ValidationFailed(_("Keep the title under 200 characters."))
    if "requested_gpu_hours" in out:
        hours = out["requested_gpu_hours"]
        if not isinstance(hours, int) or isinstance(hours, bool) or hours < 1:
            raise ValidationFailed(_("requested_gpu_hours must be a whole number of at least 1."))
        if hours > MAX_GPU_HOURS:
            raise ValidationFailed(_("requested_gpu_hours must be at most %(n)s.")
                                   % {"n": MAX_GPU_HOURS})
    if "duration_months" in out:
        months = out["duration_months"]
        if not isinstance(months, int) or not 1 <= months <= 36:
            raise ValidationFailed(_("duration_months must be a whole number from 1 to 36."))
    if "gpus_per_job" in out:
        gpus = out["gpus_per_job"]
        if not isinstance(gpus, int) or not 1 <= gpus <= 4096:
            raise ValidationFailed(_("gpus_per_job must be a whole number from 1 to 4096."))
    if "storage_tb" in out:
        try:
            storage = Decimal(str(out["storage_tb"]))
        except InvalidOperation as exc:
            raise ValidationFailed(_("storage_tb must be a number of terabytes.")) from exc
        if storage < 0 or storage > Decimal("999999"):
            raise ValidationFailed(_("storage_tb must be between 0 and 999999."))
        out["storage_tb"] = storage
    if "openness" in out and out["openness"] not in Openness.values:
        raise ValidationFailed(_("openness must be one of: open, partial, closed."))
    if "factory" in out and out["factory"] is not None:
        factory = out["factory"]
        if not isinstance(factory, Factory):
            factory = Factory.objects.filter(pk=factory).first()
            if factory is None:
                raise ValidationFailed(_("factory: no such factory."))
        if not call.factories.filter(pk=factory.pk).exists():
            raise ValidationFailed(
                _("factory: %(f)s is not offered by this call; choose one of: %(all)s.")
                % {"f": factory.display_name,
                   "all": ", ".join(f.display_name for f in call.factories.all())}
            )
        out["factory"] = factory
    return out


def _check_attachment(attachment: UploadedFile | None) -> None:
    if attachment is None:
        return
    limit = settings.ANTENNA_MAX_ATTACHMENT_BYTES
    if attachment.size is not None and attachment.size > limit:
        raise ValidationFailed(
            _("The attachment is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(attachment.size / 1e6, 1), "limit": round(limit / 1e6, 1)}
        )
    head = attachment.read(5)
    attachment.seek(0)
    if head != b"%PDF-":
        raise ValidationFailed(_("Attach a PDF file (it must start with %PDF-)."))


def proposal_create(
    *,
    by: User,
    call: Call,
    organization: Organization,
    title: str,
    abstract: str,
    requested_gpu_hours: int,
    duration_months: int,
    civilian_use: bool = False,
    attachment: UploadedFile | None = None,
    **fields: Any,
) -> Proposal:
    """Start a proposal in `draft` for an organisation the user belongs to."""
    require_member(by, organization)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown proposal fields: %(f)s.")
                               % {"f": ", ".join(sorted(unknown))})
    values = _clean_fields(
        {"title": title, "abstract": abstract, "requested_gpu_hours": requested_gpu_hours,
         "duration_months": duration_months, "civilian_use": civilian_use, **fields},
        call,
    )
    pi = values.pop("principal_investigator", None) or by
    if not isinstance(pi, User):
        pi = User.objects.filter(username=pi).first()
        if pi is None:
            raise NotFound(_("principal_investigator: no such user."))
    if not is_member(pi, organization):  # a rule on stored data: a conflict, not bad input
        raise Conflict(_("The principal investigator must be a member of %(org)s.")
                       % {"org": organization.legal_name})
    _check_attachment(attachment)
    with transaction.atomic():
        proposal = Proposal(call=call, organization=organization, principal_investigator=pi,
                            created_by=by, **values)
        if attachment is not None:
            proposal.save()  # a pk first: the quota counts the other proposals' files
            attachment_put(proposal, attachment)
        proposal.save()
        audit_record(action="proposal.create", target=proposal, by=by,
                     organization_id=organization.pk,
                     after={"call": call.pk, "title": proposal.title,
                            "requested_gpu_hours": proposal.requested_gpu_hours})
    return proposal


def proposal_update(*, proposal: Proposal, by: User, attachment: UploadedFile | None = None,
                    **fields: Any) -> Proposal:
    """Edit a draft."""
    require_member(by, proposal.organization)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown proposal fields: %(f)s.")
                               % {"f": ", ".join(sorted(unknown))})
    values = _clean_fields(fields, proposal.call)
    if "principal_investigator" in values:
        pi = values["principal_investigator"]
        if not isinstance(pi, User):
            pi = User.objects.filter(username=pi).first()
        if pi is None:
            raise NotFound(_("principal_investigator: no such user."))
        if not is_member(pi, proposal.organization):
            raise Conflict(_("The principal investigator must be a member of the "
                             "organisation."))
        values["principal_investigator"] = pi
    _check_attachment(attachment)
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.state != P.DRAFT:
            raise InvalidTransition(_("Only a draft can be edited; this proposal is %(s)s.")
                                    % {"s": locked.get_state_display()})
        for key, value in values.items():
            setattr(locked, key, value)
        if attachment is not None:
            attachment_put(locked, attachment)  # quota, then the file; the old one goes
        locked.save()
        audit_record(action="proposal.update", target=locked, by=by,
                     organization_id=locked.organization_id,
                     after=dict(values))
    return locked


def _decision_due(call: Call, submitted_at: dt.datetime) -> dt.datetime:
    """Decision target: working days from submission, or from the next cut-off if any."""
    start = submitted_at
    cutoff = call.next_cutoff(timezone.localdate(submitted_at))
    if cutoff is not None and call.review_process == ReviewProcess.PEER:
        start = timezone.make_aware(dt.datetime.combine(cutoff, dt.time(23, 59)))
    return add_working_days(start, call.decision_target_days)


def _automatic_technical_check(proposal: Proposal) -> tuple[Factory | None, str]:
    """Playground: find a factory of the call that is up and can run the GPUs per job."""
    candidates = list(proposal.call.factories.prefetch_related("partitions"))
    if proposal.factory_id is not None:
        candidates = [f for f in candidates if f.pk == proposal.factory_id]
    for factory in candidates:
        if factory.is_available and factory_can_run(factory, gpus_per_job=proposal.gpus_per_job):
            return factory, _("Automatic technical check passed: %(f)s can run jobs of "
                              "%(g)s GPUs.") % {"f": factory.display_name,
                                               "g": proposal.gpus_per_job}
    return None, _("Automatic technical check failed: no available factory of this call runs "
                   "jobs of %(g)s GPUs.") % {"g": proposal.gpus_per_job}


def proposal_submit(*, proposal: Proposal, by: User) -> Proposal:
    """Submit a draft: eligibility is checked; Playground proposals are decided at once."""
    require_member(by, proposal.organization)
    try:
        with transaction.atomic():
            p = _locked(proposal)
            PROPOSAL_MACHINE.check(p.state, P.SUBMITTED)
            check_eligibility(p)
            now = timezone.now()
            p.submitted_at = now
            p.decision_due_at = _decision_due(p.call, now)
            _move(p, P.SUBMITTED, by=by, action="proposal.submit")
            _move(p, P.TECHNICAL_REVIEW, by=None, action="proposal.start_technical_review")
            _notify_submitted(p, by=by)
            if p.call.review_process == ReviewProcess.AUTOMATIC:
                _decide_automatically(p)
    except IntegrityError as exc:  # the one-per-call constraint under a concurrent submit
        raise Conflict(
            _("Not eligible (one_proposal_per_call): this organisation already has a proposal "
              "in this call.")
        ) from exc
    return p


def _notify_submitted(p: Proposal, *, by: User) -> None:
    """Tell the organisation's members and the operators that a proposal is submitted."""
    people = list(User.objects.filter(memberships__organization_id=p.organization_id)) + list(
        User.objects.filter(role=PlatformRole.OPERATOR))
    notice_send(users=people, kind=NoticeKind.PROPOSAL_SUBMITTED,
                subject=gettext_lazy("Proposal submitted: %(title)s"),
                body=gettext_lazy("%(org)s submitted \"%(title)s\" to %(call)s."),
                params={"title": p.title, "org": p.organization.legal_name,
                        "call": p.call.title},
                link=f"/proposals/{p.pk}/", by=by, target=p, occasion="submitted")


def _decide_automatically(p: Proposal) -> None:
    factory, comment = _automatic_technical_check(p)
    TechnicalAssessment.objects.create(proposal=p, feasible=factory is not None, comment=comment,
                                       recommended_factory=factory, automatic=True)
    if factory is None:
        _record_decision(p, outcome=Decision.Outcome.REJECT, gpu_hours=0, factory=None,
                         comment=comment, by=None)
        return
    _record_decision(p, outcome=Decision.Outcome.ACCEPT, gpu_hours=p.requested_gpu_hours,
                     factory=factory, comment=comment, by=None)


def _record_decision(p: Proposal, *, outcome: str, gpu_hours: int, factory: Factory | None,
                     comment: str, by: User | None, reason: str = "") -> None:
    Decision.objects.create(proposal=p, outcome=outcome, gpu_hours=gpu_hours, factory=factory,
                            comment=comment, reason=reason, decided_by=by)
    p.decided_at = timezone.now()
    extra = {"reason": reason} if reason else None
    if outcome == Decision.Outcome.ACCEPT:
        _move(p, P.ACCEPTED, by=by, action="proposal.accept", message=comment, after=extra)
        allocation_grant(proposal=p, gpu_hours=gpu_hours, factory=factory, by=by)
    else:
        _move(p, P.REJECTED, by=by, action="proposal.reject", message=comment, after=extra)
    _notify_decided(p, outcome=outcome, gpu_hours=gpu_hours, by=by)


def _notify_decided(p: Proposal, *, outcome: str, gpu_hours: int, by: User | None) -> None:
    """Tell the organisation's members (in the portal; the worker e-mails it)."""
    members = User.objects.filter(memberships__organization_id=p.organization_id)
    if outcome == Decision.Outcome.ACCEPT:
        subject = gettext_lazy("Proposal accepted: %(title)s")
        body = gettext_lazy("Your proposal \"%(title)s\" is accepted with %(hours)s GPU-hours.")
    else:
        subject = gettext_lazy("Proposal not accepted: %(title)s")
        body = gettext_lazy("Your proposal \"%(title)s\" is not accepted. The decision's "
                            "comment is on the proposal's page.")
    notice_send(users=members, kind=NoticeKind.PROPOSAL_DECIDED, subject=subject, body=body,
                params={"title": p.title, "hours": gpu_hours}, link=f"/proposals/{p.pk}/",
                by=by)


def proposal_withdraw(*, proposal: Proposal, by: User, reason: str = "",
                      cause: str = "") -> Proposal:
    """The applicant withdraws a proposal that is not yet decided: `reason` is free text,
    `cause` an optional OutcomeReason (`capacity` counts as unmet demand in the outlook)."""
    require_member(by, proposal.organization)
    cause = _reason(cause, "cause")
    with transaction.atomic():
        p = _locked(proposal)
        p.withdrawal_reason = cause
        _move(p, P.WITHDRAWN, by=by, action="proposal.withdraw", message=reason,
              after={"cause": cause} if cause else None)
    return p


def proposal_assess(*, proposal: Proposal, by: User, feasible: bool, comment: str = "",
                    factory: Factory | None = None) -> TechnicalAssessment:
    """An operator records the technical assessment (Fast Lane, Large Scale, AI for Science)."""
    _require_operator(by, _("record technical assessments"))
    with transaction.atomic():
        p = _locked(proposal)
        if p.state != P.TECHNICAL_REVIEW:
            raise InvalidTransition(
                _("A technical assessment is recorded during technical review; this proposal "
                  "is %(s)s.") % {"s": p.get_state_display()}
            )
        if TechnicalAssessment.objects.filter(proposal=p).exists():
            raise Conflict(_("This proposal already has its technical assessment."))
        if factory is not None and not p.call.factories.filter(pk=factory.pk).exists():
            raise ValidationFailed(_("factory: not offered by this call."))
        assessment = TechnicalAssessment.objects.create(
            proposal=p, feasible=feasible, comment=comment.strip(),
            recommended_factory=factory, assessed_by=by,
        )
        audit_record(action="proposal.assess", target=p, by=by,
                     organization_id=p.organization_id,
                     after={"feasible": feasible, "comment": comment})
    return assessment


def _ensure_assessment(p: Proposal, by: User, comment: str) -> None:
    """An operator who moves a proposal on without a separate assessment records it now."""
    if not TechnicalAssessment.objects.filter(proposal=p).exists():
        TechnicalAssessment.objects.create(proposal=p, feasible=True, comment=comment,
                                           assessed_by=by)


def _open_review_load() -> dict[int, int]:
    rows = (
        ReviewAssignment.objects.filter(review__isnull=True, proposal__state__in=OPEN_STATES)
        .values("reviewer_id").annotate(n=Count("id"))
    )
    return {r["reviewer_id"]: r["n"] for r in rows}


def proposal_assign_reviewer(*, proposal: Proposal, reviewer: User | str,
                             by: User) -> ReviewAssignment:
    """Ask a reviewer to peer-review; refused on a conflict of interest."""
    _require_operator(by, _("assign reviewers"))
    if not isinstance(reviewer, User):
        found = User.objects.filter(username=reviewer, is_active=True).first()
        if found is None:
            raise NotFound(_("No user '%(u)s'.") % {"u": reviewer})
        reviewer = found
    if reviewer.role != PlatformRole.REVIEWER:
        raise Conflict(_("%(u)s is not a reviewer: give them the reviewer role first.")
                               % {"u": reviewer.username})
    with transaction.atomic():
        p = _locked(proposal)
        if p.call.review_process != ReviewProcess.PEER:
            raise InvalidTransition(_("Proposals to %(mode)s calls are not peer reviewed.")
                                    % {"mode": p.call.get_mode_display()})
        if p.state not in (P.TECHNICAL_REVIEW, P.PEER_REVIEW):
            raise InvalidTransition(_("Reviewers are assigned during technical or peer review; "
                                      "this proposal is %(s)s.") % {"s": p.get_state_display()})
        require_no_conflict(reviewer, p)
        if ReviewAssignment.objects.filter(proposal=p, reviewer=reviewer).exists():
            raise Conflict(_("%(u)s is already assigned to this proposal.")
                           % {"u": reviewer.username})
        assessment = TechnicalAssessment.objects.filter(proposal=p).first()
        if assessment is not None and not assessment.feasible:
            raise InvalidTransition(_("The technical assessment found the proposal infeasible: "
                                      "decide on it instead of sending it to peer review."))
        due = add_working_days(timezone.now(), max(1, p.call.decision_target_days - 2))
        if p.decision_due_at:
            due = min(due, p.decision_due_at)
        assignment = ReviewAssignment.objects.create(proposal=p, reviewer=reviewer,
                                                     assigned_by=by, due_at=due)
        audit_record(action="proposal.assign_reviewer", target=p, by=by,
                     organization_id=p.organization_id, after={"reviewer": reviewer.username})
        notice_send(users=[reviewer], kind=NoticeKind.REVIEW_ASSIGNED,
                    subject=gettext_lazy("Review assigned: %(title)s"),
                    body=gettext_lazy("You are asked to review \"%(title)s\" by %(due)s."),
                    params={"title": p.title,
                            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                    link=f"/proposals/{p.pk}/", by=by)
        if p.state == P.TECHNICAL_REVIEW:
            _ensure_assessment(p, by, _("Technically feasible: sent to peer review."))
            _move(p, P.PEER_REVIEW, by=by, action="proposal.start_peer_review")
    return assignment


def proposal_auto_assign_reviewers(*, proposal: Proposal, by: User,
                                   count: int | None = None) -> list[ReviewAssignment]:
    """Assign the least-loaded reviewers without a conflict until the call's quota is met."""
    _require_operator(by, _("assign reviewers"))
    needed = (count if count is not None else proposal.call.reviews_required) - \
        proposal.review_assignments.count()
    if needed <= 0:
        return []
    load = _open_review_load()
    conflicted = organization_insiders(proposal.organization_id)
    already = set(proposal.review_assignments.values_list("reviewer_id", flat=True))
    candidates = [
        u for u in User.objects.filter(role=PlatformRole.REVIEWER, is_active=True)
        .order_by("username")
        if u.pk not in conflicted and u.pk not in already
    ]
    candidates.sort(key=lambda u: (load.get(u.pk, 0), u.username))
    if len(candidates) < needed:
        raise Conflict(_("Not enough reviewers without a conflict of interest: %(n)s needed, "
                         "%(m)s available.") % {"n": needed, "m": len(candidates)})
    return [proposal_assign_reviewer(proposal=proposal, reviewer=u, by=by)
            for u in candidates[:needed]]


def proposal_review(
    *,
    proposal: Proposal,
    by: User,
    recommendation: str,
    score: int | None = None,
    scores: dict[str, int] | None = None,
    comment: str = "",
    no_conflict: bool = True,
) -> Review:
    """An assigned reviewer submits scores (1-5 per criterion and overall) and a recommendation."""
    assignment = ReviewAssignment.objects.filter(proposal=proposal, reviewer=by).first()
    if assignment is None:
        raise PermissionDenied(_("Only reviewers assigned to this proposal can review it."))
    if not no_conflict:
        raise Conflict(_("You declared a conflict of interest: ask an operator to reassign the "
                         "review."))
    if recommendation not in Recommendation.values:
        raise ValidationFailed(_("recommendation must be 'accept' or 'reject'."))
    scores = dict(scores or {})
    criteria = proposal.call.review_criteria
    for name, value in scores.items():
        if criteria and name not in criteria:
            raise ValidationFailed(_("Unknown criterion '%(c)s'; score: %(all)s.")
                                   % {"c": name, "all": ", ".join(criteria)})
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationFailed(_("Scores are whole numbers from 1 to 5 (%(c)s: %(v)s).")
                                   % {"c": name, "v": value})
    if score is None:
        if not scores:
            raise ValidationFailed(_("Give an overall score from 1 to 5, or a score per "
                                     "criterion."))
        score = int((Decimal(sum(scores.values())) / len(scores)).to_integral_value())
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(_("score must be a whole number from 1 to 5."))
    with transaction.atomic():
        p = _locked(proposal)
        if p.state != P.PEER_REVIEW:
            raise InvalidTransition(_("Reviews are accepted during peer review; this proposal "
                                      "is %(s)s.") % {"s": p.get_state_display()})
        if Review.objects.filter(assignment=assignment).exists():
            raise Conflict(_("You have already reviewed this proposal."))
        require_no_conflict(by, p)
        review = Review.objects.create(assignment=assignment, scores=scores, score=score,
                                       recommendation=recommendation, comment=comment.strip(),
                                       no_conflict_declared=True)
        audit_record(action="proposal.review", target=p, by=by,
                     organization_id=p.organization_id,
                     after={"score": score, "recommendation": recommendation})
    return review


def proposal_decide(
    *,
    proposal: Proposal,
    by: User,
    decision: str,
    gpu_hours: int | None = None,
    factory: Factory | None = None,
    pooled: bool = False,
    comment: str = "",
    reason: str = "",
) -> Proposal:
    """An operator accepts (granting at most the requested GPU-hours) or rejects. `reason`
    (optional, an OutcomeReason) says why a proposal was refused or granted less than asked:
    `capacity` counts as unmet demand in the outlook."""
    _require_operator(by, _("decide on proposals"))
    if decision not in Decision.Outcome.values:
        raise ValidationFailed(_("decision must be 'accept' or 'reject'."))
    reason = _reason(reason, "reason")
    with transaction.atomic():
        p = _locked(proposal)
        if p.state not in (P.TECHNICAL_REVIEW, P.PEER_REVIEW):
            raise InvalidTransition(
                _("Only a proposal under review can be decided; this one is %(s)s.")
                % {"s": p.get_state_display()}
            )
        require_no_conflict(by, p)
        if decision == Decision.Outcome.REJECT:
            _record_decision(p, outcome=decision, gpu_hours=0, factory=None,
                             comment=comment.strip(), by=by, reason=reason)
            return p
        if p.call.review_process == ReviewProcess.PEER:
            done = Review.objects.filter(assignment__proposal=p).count()
            needed = p.call.reviews_required
            if p.state != P.PEER_REVIEW or done < needed:
                raise InvalidTransition(
                    _("Accepting needs at least %(n)s completed peer reviews; %(d)s so far.")
                    % {"n": needed, "d": done}
                )
        assessment = TechnicalAssessment.objects.filter(proposal=p).first()
        if assessment is not None and not assessment.feasible:
            raise InvalidTransition(_("The technical assessment found the proposal infeasible; "
                                      "it can only be rejected."))
        hours = p.requested_gpu_hours if gpu_hours is None else gpu_hours
        if not isinstance(hours, int) or hours < 1:
            raise ValidationFailed(_("gpu_hours must be a whole number of at least 1."))
        if hours > p.requested_gpu_hours:
            # The body is valid on its own; it clashes with the stored proposal's request.
            raise Conflict(
                _("A decision grants at most the requested %(req)s GPU-hours; got %(got)s.")
                % {"req": p.requested_gpu_hours, "got": hours}
            )
        chosen: Factory | None
        if pooled:
            chosen = None
        else:
            chosen = factory or p.factory or (assessment.recommended_factory if assessment
                                              else None)
            if chosen is not None and not p.call.factories.filter(pk=chosen.pk).exists():
                raise ValidationFailed(_("factory: %(f)s is not offered by this call.")
                                       % {"f": chosen.display_name})
        _ensure_assessment(p, by, _("Technically feasible: recorded with the decision."))
        _record_decision(p, outcome=decision, gpu_hours=hours, factory=chosen,
                         comment=comment.strip(), by=by, reason=reason)
    return p

