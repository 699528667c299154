"""The in-portal notice list, and each person's notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.core.errors import AntennaError
from antenna.notifications.forms import PreferencesForm
from antenna.notifications.selectors import digest_frequency_of, notices_of, preferences_of
from antenna.notifications.services import notice_mark_read, notification_preferences_set


@login_required
def notice_index(request: HttpRequest) -> HttpResponse:
    notices = list(notices_of(current_user(request))[:100])
    return render(request, "notifications/list.html", {"notices": notices})


@login_required
@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    notice_mark_read(user=current_user(request))
    return redirect("notifications:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Off, immediately or in the digest, per kind of notice; and the digest's frequency."""
    user = current_user(request)
    initial = {f"kind_{kind}": delivery for kind, delivery in preferences_of(user).items()}
    initial["digest"] = digest_frequency_of(user)
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                notification_preferences_set(user=user, choices=form.choices(),
                                             digest=form.cleaned_data["digest"])
            except AntennaError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("notifications:preferences")
        return render(request, "notifications/preferences.html", {"form": form}, status=400)
    return render(request, "notifications/preferences.html", {"form": form})
