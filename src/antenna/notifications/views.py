"""The in-portal notice list: what the portal told the signed-in person."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from antenna.accounts.access import current_user
from antenna.notifications.selectors import notices_of
from antenna.notifications.services import notice_mark_read


@login_required
def notice_index(request: HttpRequest) -> HttpResponse:
    notices = list(notices_of(current_user(request))[:100])
    return render(request, "notifications/list.html", {"notices": notices})


@login_required
@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    notice_mark_read(user=current_user(request))
    return redirect("notifications:list")
