"""Organisation pages: my organisations, register one, its members."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.allocations.selectors import allocation_list
from antenna.core.errors import AntennaError
from antenna.organizations.access import is_owner, organization_for_user
from antenna.organizations.enterprise_number import format_enterprise_number
from antenna.organizations.forms import MemberForm, OrganizationForm
from antenna.organizations.models import Organization
from antenna.organizations.selectors import memberships_of, organization_list
from antenna.organizations.services import organization_add_member, organization_create
from antenna.portal.pages import current_user, error_status, visible_or_404
from antenna.proposals.selectors import proposal_list


@login_required
def organization_index(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    organizations = organization_list(user=user)
    if user.sees_everything:  # "my organisations" stays mine; the overview shows everyone's
        organizations = organizations.filter(memberships__user=user)
    return render(request, "organizations/list.html", {"organizations": list(organizations)})


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


def _detail(request: HttpRequest, organization: Organization, member_form: MemberForm,
            status: int = 200) -> HttpResponse:
    user = current_user(request)
    context: dict[str, Any] = {
        "organization": organization,
        "enterprise_number": format_enterprise_number(organization.enterprise_number),
        "memberships": list(memberships_of(organization)),
        "can_manage": user.is_operator or is_owner(user, organization),
        "member_form": member_form,
        "proposals": list(proposal_list(user=user, organization=organization.pk)),
        "allocations": list(allocation_list(user=user, organization=organization.pk)),
    }
    return render(request, "organizations/detail.html", context, status=status)


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = visible_or_404(organization_for_user, current_user(request), pk)
    return _detail(request, organization, MemberForm())


@login_required
@require_POST
def organization_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    organization = visible_or_404(organization_for_user, user, pk)
    form = MemberForm(request.POST)
    if not form.is_valid():
        return _detail(request, organization, form, status=400)
    try:
        organization_add_member(organization=organization, by=user, **form.cleaned_data)
    except AntennaError as exc:
        form.add_error(None, exc.message)
        return _detail(request, organization, form, status=error_status(exc.status_code))
    messages.success(request, _("%(u)s is now a member of %(org)s.")
                     % {"u": form.cleaned_data["username"], "org": organization.legal_name})
    return redirect("organizations:detail", pk=organization.pk)
