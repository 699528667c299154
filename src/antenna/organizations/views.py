"""Organisation pages: my organisations, register one.

One organisation's page lists its proposals and allocations too, so it is composed above
those apps, in `portal.app_pages`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from antenna.accounts.access import current_user
from antenna.core.errors import AntennaError
from antenna.core.pages import error_status
from antenna.organizations.forms import OrganizationForm
from antenna.organizations.selectors import organization_list
from antenna.organizations.services import organization_create


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
