"""The floor's Django app: one bench-owned table, created by `migrate --run-syncdb`."""

from django.apps import AppConfig


class FloorConfig(AppConfig):
    name = "antenna_bench.floor"
    label = "bench_floor"
    default_auto_field = "django.db.models.BigAutoField"
