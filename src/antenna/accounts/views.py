"""Account pages: sign up, profile with personal API tokens. Sign in/out are Django's views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.accounts.forms import SignUpForm, TokenForm
from antenna.accounts.models import ApiToken
from antenna.accounts.services import token_create, token_revoke, user_create
from antenna.core.errors import AntennaError
from antenna.core.pages import error_status


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = user_create(
                    username=data["username"], email=data["email"], password=data["password1"],
                    first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
                    check_password=False,  # the form has run the password validators
                )
            except AntennaError as exc:
                form.add_error(None, exc.message)
                status = error_status(exc.status_code)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome! Your account is ready."))
                return redirect("portal:home")
        else:
            status = 400
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def _tokens_of(request: HttpRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=current_user(request)).order_by("-created_at"))


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html",
                  {"tokens": _tokens_of(request), "form": TokenForm()})


@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html",
                      {"tokens": _tokens_of(request), "form": form}, status=400)
    token, key = token_create(user=user, name=form.cleaned_data["name"], by=user)
    return render(request, "accounts/profile.html", {
        "tokens": _tokens_of(request), "form": TokenForm(), "new_token": token, "new_key": key,
    })


@login_required
@require_POST
def token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    token = ApiToken.objects.filter(user=user, pk=pk, revoked_at__isnull=True).first()
    if token is None:
        raise Http404(_("Token not found."))
    token_revoke(token=token, by=user)
    messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("accounts:profile")
