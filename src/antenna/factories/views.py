"""Public page listing the linked AI factories and the sandbox, with their partitions; a
person's own usernames at them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from antenna.accounts.access import current_user
from antenna.core.errors import AntennaError
from antenna.core.pages import error_status
from antenna.factories.forms import SiteAccountForm
from antenna.factories.selectors import factory_list, site_accounts_visible_to
from antenna.factories.services import site_account_link


def factory_index(request: HttpRequest) -> HttpResponse:
    return render(request, "factories/list.html", {"factories": list(factory_list())})


@login_required
def site_accounts(request: HttpRequest) -> HttpResponse:
    """Your usernames at the factories, and a form to link one."""
    user = current_user(request)
    form = SiteAccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = site_account_link(user=user, factory=form.cleaned_data["factory"],
                                            username=form.cleaned_data["username"], by=user)
            except AntennaError as exc:
                form.add_error(None, exc.message)
                status = error_status(exc.status_code)
            else:
                messages.success(request, _("%(u)s at %(f)s is linked; it is used once verified.")
                                 % {"u": account.username, "f": account.factory.display_name})
                return redirect("factories:site_accounts")
        else:
            status = 400
    accounts = site_accounts_visible_to(user).filter(user=user)
    return render(request, "factories/site_accounts.html",
                  {"accounts": list(accounts), "form": form}, status=status)
