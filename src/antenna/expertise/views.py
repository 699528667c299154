"""Expertise desk pages: the requests list, the form, a request's thread, the expert's queue."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.accounts.models import PlatformRole
from antenna.core.errors import AntennaError
from antenna.core.pages import visible_or_404
from antenna.expertise.access import expertise_request_for_user
from antenna.expertise.forms import MessageForm, RatingForm, RequestForm
from antenna.expertise.selectors import expert_queue, expertise_request_list, thread_of
from antenna.expertise.services import (
    expertise_message_post,
    expertise_request_create,
    expertise_request_rate,
    expertise_request_resolve,
    expertise_request_wait,
)
from antenna.organizations.access import is_member
from antenna.organizations.selectors import organizations_of_user


@login_required
def request_index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    requests = list(expertise_request_list(user=user)[:200])
    return render(request, "expertise/list.html", {"requests": requests})


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    organizations = organizations_of_user(user)
    form = RequestForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            created = expertise_request_create(by=user, **form.cleaned_data)
        except AntennaError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your request is filed."))
            return redirect("expertise:detail", created.pk)
    return render(request, "expertise/form.html", {"form": form})


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    r = visible_or_404(expertise_request_for_user, user, pk)
    member = is_member(user, r.organization)
    return render(request, "expertise/detail.html", {
        "r": r, "thread": list(thread_of(r)), "message_form": MessageForm(),
        "rating_form": RatingForm(), "is_member": member,
        "may_resolve": user.is_operator or r.expert_id == user.pk,
        "may_wait": (user.is_operator or r.expert_id == user.pk)
        and r.state in ("assigned", "in_progress"),
        "may_write": member or user.is_operator or r.expert_id == user.pk,
    })


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = current_user(request)
    r = visible_or_404(expertise_request_for_user, user, pk)
    try:
        if action == "message":
            form = MessageForm(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, _("Write a message or attach a file."))
                return redirect("expertise:detail", pk)
            expertise_message_post(request=r, body=form.cleaned_data["body"] or "",
                                   attachment=form.cleaned_data.get("attachment"), by=user)
        elif action == "resolve":
            expertise_request_resolve(request=r, by=user)
        elif action == "wait":
            expertise_request_wait(request=r, by=user)
        else:
            rating = RatingForm(request.POST)
            if not rating.is_valid():
                messages.error(request, _("Choose a rating from 1 to 5."))
                return redirect("expertise:detail", pk)
            expertise_request_rate(request=r, satisfaction=rating.cleaned_data["satisfaction"],
                                   by=user)
    except AntennaError as exc:
        messages.error(request, exc.message)
    return redirect("expertise:detail", pk)


@login_required
@require_POST
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "message")


@login_required
@require_POST
def request_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "resolve")


@login_required
@require_POST
def request_wait(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "wait")


@login_required
def message_attachment(request: HttpRequest, pk: int, message_pk: int) -> FileResponse:
    """A message's file, as a download, for those who see the request (others: 404)."""
    r = visible_or_404(expertise_request_for_user, current_user(request), pk)
    message = thread_of(r).filter(pk=message_pk).exclude(attachment="").first()
    if message is None:
        raise Http404(_("No such attachment."))
    try:
        handle = message.attachment.open("rb")
    except OSError as exc:
        raise Http404(_("The file is no longer stored.")) from exc
    response = FileResponse(handle, as_attachment=True,
                            filename=PurePath(message.attachment.name).name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def request_rate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "rate")


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The expert's open requests, the most urgent first; overdue ones marked."""
    user = current_user(request)
    if user.role != PlatformRole.EXPERT:
        raise Forbidden(_("Only experts have a queue."))
    return render(request, "expertise/queue.html", {"requests": list(expert_queue(user))})
