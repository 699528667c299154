"""Fill `allocations.UsageDay` (the usage roll-up by day and week of the month) from the
existing jobs and external usages, each charge on its local end day (creation if none): the
same computation as `jobs.services.usage_months_rebuild`, on the historical models. From
here on the settle path keeps it current with `UsageMonth`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import Sum
from django.db.models.functions import Coalesce, TruncDate

DAY, WEEK = 1, 7


def backfill(apps: Any, schema_editor: Any) -> None:
    Job = apps.get_model("jobs", "Job")
    ExternalUsage = apps.get_model("allocations", "ExternalUsage")
    UsageDay = apps.get_model("allocations", "UsageDay")
    rows: dict[tuple[int, int | None, int, dt.date], Any] = {}

    def add(allocation_id: int, factory_id: int | None, day: dt.date, field: str,
            total: int) -> None:
        week = day.replace(day=min(day.day - (day.day - 1) % 7, 29))
        for span, start in ((DAY, day), (WEEK, week)):
            key = (allocation_id, factory_id, span, start)
            if key not in rows:
                rows[key] = UsageDay(allocation_id=allocation_id, factory_id=factory_id,
                                     span=span, day=start, jobs_gpu_seconds=0,
                                     external_gpu_seconds=0)
            setattr(rows[key], field, getattr(rows[key], field) + total)

    for r in (Job.objects.filter(gpu_seconds_charged__gt=0)
              .annotate(d=TruncDate(Coalesce("finished_at", "created_at")))
              .values("allocation_id", "factory_id", "d")
              .annotate(t=Sum("gpu_seconds_charged")).order_by()):
        add(r["allocation_id"], r["factory_id"], r["d"], "jobs_gpu_seconds", r["t"])
    for r in (ExternalUsage.objects.filter(charged_gpu_seconds__gt=0)
              .annotate(d=TruncDate(Coalesce("finished_at", "created_at")))
              .values("allocation_id", "factory_id", "d")
              .annotate(t=Sum("charged_gpu_seconds")).order_by()):
        add(r["allocation_id"], r["factory_id"], r["d"], "external_gpu_seconds", r["t"])
    UsageDay.objects.bulk_create(rows.values(), batch_size=5_000)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0005_usage_months_backfill"),
        ("allocations", "0004_usage_day"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
