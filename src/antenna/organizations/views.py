"""Organisation pages: my organisations, register one, invitations, member changes.

One organisation's page lists its proposals and allocations too, so it is composed above
those apps, in `portal.app_pages`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.core.errors import AntennaError
from antenna.core.pages import error_status, visible_or_404
from antenna.organizations.access import (
    invitation_for_invitee,
    invitation_of_organization,
    organization_for_user,
)
from antenna.organizations.forms import MemberRoleForm, OrganizationForm
from antenna.organizations.models import MembershipRole
from antenna.organizations.selectors import invitations_for, organization_list
from antenna.organizations.services import (
    invitation_accept,
    invitation_decline,
    invitation_revoke,
    membership_remove,
    membership_set_role,
    organization_create,
)


@login_required
def organization_index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    organizations = organization_list(user=user)
    if user.sees_everything:  # "my organisations" stays mine; the overview shows everyone's
        organizations = organizations.filter(memberships__user=user)
    return render(request, "organizations/list.html", {
        "organizations": list(organizations),
        "invitation_count": invitations_for(user).count(),
    })


@login_required
def organization_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = OrganizationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                organization = organization_create(by=user, **form.cleaned_data)
            except AntennaError as exc:
                form.add_error(None, exc.message)
                status = error_status(exc.status_code)
            else:
                messages.success(request, _("%(org)s is registered; you are its owner.")
                                 % {"org": organization.legal_name})
                return redirect("organizations:detail", pk=organization.pk)
        else:
            status = 400
    return render(request, "organizations/create.html", {"form": form}, status=status)


@login_required
def invitation_index(request: HttpRequest) -> HttpResponse:
    """The invitations waiting for the signed-in person's answer."""
    invitations = list(invitations_for(current_user(request)))
    return render(request, "organizations/invitations.html", {"invitations": invitations})


@login_required
@require_POST
def invitation_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    user = current_user(request)
    invitation = visible_or_404(invitation_for_invitee, user, pk)
    try:
        if answer == "accept":
            invitation_accept(invitation=invitation, by=user)
        else:
            invitation_decline(invitation=invitation, by=user)
    except AntennaError as exc:
        messages.error(request, exc.message)
        return redirect("organizations:invitations")
    if answer == "accept":
        messages.success(request, _("You are now a member of %(org)s.")
                         % {"org": invitation.organization.legal_name})
        return redirect("organizations:detail", pk=invitation.organization_id)
    messages.success(request, _("You declined the invitation to %(org)s.")
                     % {"org": invitation.organization.legal_name})
    return redirect("organizations:invitations")


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, username: str) -> HttpResponse:
    user = current_user(request)
    organization = visible_or_404(organization_for_user, user, pk)
    try:
        membership_remove(organization=organization, username=username, by=user)
    except AntennaError as exc:
        messages.error(request, exc.message)
        return redirect("organizations:detail", pk=organization.pk)
    messages.success(request, _("%(u)s is no longer a member of %(org)s.")
                     % {"u": username, "org": organization.legal_name})
    if username == user.username and not user.sees_everything:
        return redirect("organizations:list")
    return redirect("organizations:detail", pk=organization.pk)


@login_required
@require_POST
def member_set_role(request: HttpRequest, pk: int, username: str) -> HttpResponse:
    user = current_user(request)
    organization = visible_or_404(organization_for_user, user, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the role: owner or member."))
        return redirect("organizations:detail", pk=organization.pk)
    try:
        membership = membership_set_role(organization=organization, username=username,
                                         role=form.cleaned_data["role"], by=user)
    except AntennaError as exc:
        messages.error(request, exc.message)
        return redirect("organizations:detail", pk=organization.pk)
    names = {"u": username, "org": organization.legal_name}
    if membership.role == MembershipRole.OWNER:
        messages.success(request, _("%(u)s is now an owner of %(org)s.") % names)
    else:
        messages.success(request, _("%(u)s is now a member of %(org)s, no longer an owner.")
                         % names)
    return redirect("organizations:detail", pk=organization.pk)


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    """An owner revokes a pending invitation from the organisation page."""
    user = current_user(request)
    organization = visible_or_404(organization_for_user, user, pk)
    invitation = visible_or_404(lambda _u, i: invitation_of_organization(organization, i),
                                user, invitation_pk)
    try:
        invitation_revoke(invitation=invitation, by=user)
    except AntennaError as exc:
        messages.error(request, exc.message)
        return redirect("organizations:detail", pk=organization.pk)
    messages.success(request, _("The invitation of %(u)s is revoked.")
                     % {"u": invitation.username})
    return redirect("organizations:detail", pk=organization.pk)
