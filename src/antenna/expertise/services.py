"""Every write of the expertise desk: file, route and assign, answer, resolve, rate."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from antenna.accounts.models import PlatformRole, User
from antenna.allocations.models import Allocation
from antenna.core.audit import audit_record
from antenna.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from antenna.expertise.attachments import message_attachment_put
from antenna.expertise.models import ExpertiseMessage, ExpertiseRequest, Language, Topic
from antenna.expertise.routing import suggest_expert
from antenna.expertise.selectors import expert_candidates
from antenna.expertise.states import ASSIGNABLE_STATES, REQUEST_MACHINE, RequestState
from antenna.expertise.targets import first_response_due
from antenna.notifications.models import NoticeKind
from antenna.notifications.services import notice_send
from antenna.organizations.access import is_member, require_member
from antenna.organizations.models import Organization
from antenna.proposals.models import Proposal

R = RequestState


def _locked(request: ExpertiseRequest) -> ExpertiseRequest:
    return (ExpertiseRequest.objects.select_for_update(of=("self",))
            .select_related("organization", "requester", "expert").get(pk=request.pk))


def _move(r: ExpertiseRequest, target: str, *, by: User, action: str,
          fields: tuple[str, ...] = ()) -> None:
    before = r.state
    REQUEST_MACHINE.check(before, target)
    r.state = target
    r.save(update_fields=["state", *fields])
    audit_record(action=action, target=r, by=by, organization_id=r.organization_id,
                 before={"state": before}, after={"state": target})


def _link(r: ExpertiseRequest) -> str:
    return f"/expertise/{r.pk}/"


def _notify_assigned(r: ExpertiseRequest, by: User | None) -> None:
    if r.expert is None:
        return
    notice_send(users=[r.expert], kind=NoticeKind.EXPERT_ASSIGNED,
                subject=gettext_lazy("Expertise request #%(pk)s assigned to you"),
                body=gettext_lazy("%(org)s asks: %(title)s. A first answer is due by %(due)s."),
                params={"pk": r.pk, "org": r.organization.legal_name, "title": r.title,
                        "due": timezone.localtime(r.first_response_due).strftime(
                            "%Y-%m-%d %H:%M")},
                link=_link(r), by=by)


def expertise_request_create(*, organization: Organization, topic: str, title: str,
                             description: str, language: str = Language.EN,
                             proposal: Proposal | None = None,
                             allocation: Allocation | None = None,
                             by: User) -> ExpertiseRequest:
    """A member asks the experts for help; routing assigns the best-suited expert with room
    (the request stays `new` for an operator when nobody fits)."""
    require_member(by, organization)
    if topic not in Topic.values:
        raise ValidationFailed(_("topic: choose one of %(t)s.") % {"t": ", ".join(Topic.values)})
    if language not in Language.values:
        raise ValidationFailed(_("language: choose one of en, fr, nl, de."))
    if not title.strip() or not description.strip():
        raise ValidationFailed(_("Give the request a title and a description."))
    if proposal is not None and proposal.organization_id != organization.pk:
        raise ValidationFailed(_("proposal: not a proposal of %(org)s.")
                               % {"org": organization.legal_name})
    if allocation is not None and allocation.organization_id != organization.pk:
        raise ValidationFailed(_("allocation: not an allocation of %(org)s.")
                               % {"org": organization.legal_name})
    now = timezone.now()
    with transaction.atomic():
        r = ExpertiseRequest.objects.create(
            organization=organization, requester=by, topic=topic, title=title.strip(),
            description=description.strip(), language=language, proposal=proposal,
            allocation=allocation, created_at=now,
            first_response_due=first_response_due(timezone.localtime(now)),
        )
        audit_record(action="expertise.request", target=r, by=by,
                     organization_id=organization.pk,
                     after={"topic": topic, "language": language, "title": r.title})
        best = suggest_expert(expert_candidates(), topic=topic, language=language,
                              region=organization.region)
        if best is not None:
            expert = User.objects.get(username=best.username)
            r.expert = expert
            _move(r, R.ASSIGNED, by=by, action="expertise.route", fields=("expert",))
            _notify_assigned(r, by)
    return r


def expertise_request_assign(*, request: ExpertiseRequest, expert: User,
                             by: User) -> ExpertiseRequest:
    """An operator (re)assigns an open request to an expert."""
    if not by.is_operator:
        raise PermissionDenied(_("Only operators can assign expertise requests."))
    if expert.role != PlatformRole.EXPERT or not expert.is_active:  # a rule on stored data
        raise Conflict(_("username: %(u)s is not an active expert.")
                               % {"u": expert.username})
    with transaction.atomic():
        r = _locked(request)
        if r.state not in ASSIGNABLE_STATES:
            raise InvalidTransition(_("Only an open request can be assigned; this one is "
                                      "%(s)s.") % {"s": r.get_state_display()})
        previous = r.expert
        r.expert = expert
        if r.state == R.NEW:
            _move(r, R.ASSIGNED, by=by, action="expertise.assign", fields=("expert",))
        else:
            r.save(update_fields=["expert"])
            audit_record(action="expertise.assign", target=r, by=by,
                         organization_id=r.organization_id,
                         before={"expert": previous.username if previous else None},
                         after={"expert": expert.username})
        if previous != expert:
            _notify_assigned(r, by)
    return r


def _may_write(r: ExpertiseRequest, user: User) -> bool:
    return user.is_operator or r.expert_id == user.pk or is_member(user, r.organization)


def expertise_message_post(*, request: ExpertiseRequest, body: str, by: User,
                           attachment: UploadedFile | None = None) -> ExpertiseMessage:
    """Add a message to the thread, optionally with a file (`expertise.attachments`). The
    expert's first message is the first response; it moves an assigned request to in
    progress. A requester's reply to a request waiting for them moves it back to in
    progress."""
    if not body.strip() and attachment is None:
        raise ValidationFailed(_("body: write a message."))
    with transaction.atomic():
        r = _locked(request)
        if not _may_write(r, by):
            raise PermissionDenied(_("Only the requester's organisation, the assigned expert "
                                     "and operators can write on this request."))
        if REQUEST_MACHINE.is_terminal(r.state):
            raise InvalidTransition(_("This request is closed; file a new one."))
        message = ExpertiseMessage.objects.create(request=r, author=by, body=body.strip())
        if attachment is not None:
            message_attachment_put(message, attachment, r.organization)
        audit_record(action="expertise.message", target=r, by=by,
                     organization_id=r.organization_id,
                     after={"message": message.pk,
                            "attachment": message.attachment.name or None})
        from_expert = by.pk == r.expert_id
        if from_expert and r.first_response_at is None:
            r.first_response_at = message.created_at
            r.save(update_fields=["first_response_at"])
        if from_expert and r.state == R.ASSIGNED:
            _move(r, R.IN_PROGRESS, by=by, action="expertise.start")
        elif not from_expert and r.state in (R.WAITING, R.RESOLVED) and is_member(
                by, r.organization):
            _move(r, R.IN_PROGRESS, by=by, action="expertise.reply")
        recipients = [r.requester] if from_expert or by.is_operator else []
        if not from_expert and r.expert is not None:
            recipients.append(r.expert)
        notice_send(users=[u for u in recipients if u.pk != by.pk],
                    kind=NoticeKind.EXPERTISE_MESSAGE,
                    subject=gettext_lazy("New message on expertise request #%(pk)s"),
                    body=gettext_lazy("%(author)s wrote on \"%(title)s\":\n\n%(body)s"),
                    params={"pk": r.pk, "author": by.get_username(), "title": r.title,
                            "body": message.body},
                    link=_link(r), by=by)
    return message


def expertise_request_wait(*, request: ExpertiseRequest, by: User) -> ExpertiseRequest:
    """The assigned expert (or an operator) waits for the requester's answer."""
    with transaction.atomic():
        r = _locked(request)
        if not (by.is_operator or r.expert_id == by.pk):
            raise PermissionDenied(_("Only the assigned expert or an operator can do this."))
        _move(r, R.WAITING, by=by, action="expertise.wait")
        notice_send(users=[r.requester] if r.requester_id != by.pk else [],
                    kind=NoticeKind.EXPERTISE_MESSAGE,
                    subject=gettext_lazy("Expertise request #%(pk)s waits for your answer"),
                    body=gettext_lazy("%(expert)s waits for your answer on \"%(title)s\": "
                                      "reply on the request's page."),
                    params={"pk": r.pk, "expert": by.get_username(), "title": r.title},
                    link=_link(r), by=by)
    return r


def expertise_request_resolve(*, request: ExpertiseRequest, by: User) -> ExpertiseRequest:
    """The assigned expert (or an operator) marks the request resolved; the resolution time
    runs from filing to now."""
    with transaction.atomic():
        r = _locked(request)
        if not (by.is_operator or r.expert_id == by.pk):
            raise PermissionDenied(_("Only the assigned expert or an operator can resolve "
                                     "this request."))
        if r.state == R.NEW:
            raise InvalidTransition(_("Assign the request to an expert before resolving it."))
        r.resolved_at = timezone.now()
        _move(r, R.RESOLVED, by=by, action="expertise.resolve", fields=("resolved_at",))
        notice_send(users=[r.requester], kind=NoticeKind.EXPERTISE_RESOLVED,
                    subject=gettext_lazy("Expertise request #%(pk)s resolved"),
                    body=gettext_lazy("\"%(title)s\" is resolved. Tell us how satisfied you "
                                      "are (1 to 5) on the request's page."),
                    params={"pk": r.pk, "title": r.title}, link=_link(r), by=by)
    return r


def expertise_request_rate(*, request: ExpertiseRequest, satisfaction: int,
                           by: User) -> ExpertiseRequest:
    """A member of the requesting organisation rates a resolved request (1 to 5); this
    closes it."""
    require_member(by, request.organization)
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise ValidationFailed(_("satisfaction: a whole number from 1 to 5."))
    with transaction.atomic():
        r = _locked(request)
        if r.state != R.RESOLVED:
            raise InvalidTransition(_("Only a resolved request can be rated; this one is "
                                      "%(s)s.") % {"s": r.get_state_display()})
        r.satisfaction = satisfaction
        _move(r, R.CLOSED, by=by, action="expertise.rate", fields=("satisfaction",))
    return r
