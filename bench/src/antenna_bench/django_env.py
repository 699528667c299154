"""Set Django up for the parts of the benchmark that use Antenna's database."""

from __future__ import annotations

import os

DEFAULT_SETTINGS = "antenna.config.settings"


def setup_django() -> None:
    """`django.setup()` with `DJANGO_SETTINGS_MODULE` (default: Antenna's settings)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    import django

    django.setup()
