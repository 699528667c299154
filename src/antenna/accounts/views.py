"""Account pages: sign up, profile with personal API tokens, federated sign-in (OpenID
Connect) and sign-out. Local sign-in is Django's view."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.accounts.federation import end_session_endpoint, oidc_client, oidc_enabled
from antenna.accounts.forms import SignUpForm, TokenForm
from antenna.accounts.models import ApiToken
from antenna.accounts.services import token_create, token_revoke, user_create
from antenna.accounts.signals import federated_sign_in_done
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


class SignInView(LoginView):
    """Local sign-in (username and password), and the federated sign-in link when configured."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_name"] = settings.ANTENNA_OIDC_NAME if oidc_enabled() else ""
        return context


_NEXT_KEY = "antenna_oidc_next"
_ID_TOKEN_KEY = "antenna_oidc_id_token"


def _provider_unreachable(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("The identity provider %(name)s cannot be reached; try again later "
                              "or sign in with a local account.")
                   % {"name": settings.ANTENNA_OIDC_NAME})
    return redirect("accounts:login")


def oidc_login(request: HttpRequest) -> HttpResponse:
    """Send the person to the identity provider's sign-in page."""
    if not oidc_enabled():
        raise Http404(_("Federated sign-in is not configured."))
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        request.session[_NEXT_KEY] = next_url
    callback = request.build_absolute_uri(reverse("accounts:oidc_callback"))
    import requests  # with Authlib, loaded on first use (accounts/federation.py)

    try:
        response: HttpResponse = oidc_client().authorize_redirect(request, callback)
    except requests.RequestException:
        return _provider_unreachable(request)
    return response


def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the person back here with a code: exchange it, verify the ID token,
    sign the person in (creating the account at the first visit)."""
    if not oidc_enabled():
        raise Http404(_("Federated sign-in is not configured."))
    import requests
    from authlib.integrations.base_client import OAuthError

    try:
        token = oidc_client().authorize_access_token(request)
    except OAuthError as exc:
        messages.error(request, _("Sign-in with %(name)s did not complete (%(reason)s); "
                                  "try again.")
                       % {"name": settings.ANTENNA_OIDC_NAME,
                          "reason": exc.description or exc.error})
        return redirect("accounts:login")
    except requests.RequestException:
        return _provider_unreachable(request)
    claims = dict(token.get("userinfo") or {})
    try:
        user = authenticate(request, oidc_issuer=str(claims.get("iss", "")), oidc_claims=claims)
    except AntennaError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:login")
    if user is None:
        messages.error(request, _("This account is disabled; ask the operators."))
        return redirect("accounts:login")
    next_url = request.session.pop(_NEXT_KEY, "")
    login(request, user)
    federated_sign_in_done.send(sender=SignInView, user=user, claims=claims)
    if token.get("id_token"):
        request.session[_ID_TOKEN_KEY] = token["id_token"]
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the local session and, after a federated sign-in, the provider's session where it
    offers end_session (it sends the person back to the home page)."""
    id_token = request.session.get(_ID_TOKEN_KEY, "")
    logout(request)
    home = resolve_url(settings.LOGOUT_REDIRECT_URL)
    if id_token and oidc_enabled():
        import requests

        try:
            endpoint = end_session_endpoint()
        except requests.RequestException:
            endpoint = ""
        if endpoint:
            query = urlencode({"id_token_hint": id_token,
                               "client_id": settings.ANTENNA_OIDC_CLIENT_ID,
                               "post_logout_redirect_uri": request.build_absolute_uri(home)})
            return redirect(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}")
    return redirect(home)
