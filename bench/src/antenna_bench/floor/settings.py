"""Antenna's settings (the same environment variables, middleware and database) plus the
floor app and its route. Only the load benchmark uses it."""

from __future__ import annotations

from antenna.config.settings import *  # noqa: F403
from antenna.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "antenna_bench.floor.apps.FloorConfig"]
ROOT_URLCONF = "antenna_bench.floor.urls"
