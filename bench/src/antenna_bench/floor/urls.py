"""Antenna's URLs with the floor route in front (`POST /bench/floor`)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from antenna.config.urls import urlpatterns as antenna_urlpatterns
from antenna_bench.floor.views import floor_submit

urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/floor", floor_submit),
    *antenna_urlpatterns,
]
