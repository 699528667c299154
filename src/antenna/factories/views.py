"""Public page listing the linked AI factories and the sandbox, with their partitions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from antenna.factories.selectors import factory_list


def factory_index(request: HttpRequest) -> HttpResponse:
    return render(request, "factories/list.html", {"factories": list(factory_list())})
