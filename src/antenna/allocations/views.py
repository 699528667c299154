"""Allocation pages: my allocations with their budgets.

One allocation's page (with its final report) lists its jobs too, so it is composed above
the jobs app, in `portal.app_pages`.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from antenna.accounts.access import current_user
from antenna.allocations.selectors import allocation_list


@login_required
def allocation_index(request: HttpRequest) -> HttpResponse:
    return render(request, "allocations/list.html",
                  {"allocations": list(allocation_list(user=current_user(request)))})
