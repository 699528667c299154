"""Fill `allocations.UsageMonth` and `Allocation.first_job_started_at` from the existing jobs
and external usages (the settle path keeps them current from here on). The same computation
as `jobs.services.usage_months_rebuild`, on the historical models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import Min, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone


def backfill(apps: Any, schema_editor: Any) -> None:
    Job = apps.get_model("jobs", "Job")
    ExternalUsage = apps.get_model("allocations", "ExternalUsage")
    UsageMonth = apps.get_model("allocations", "UsageMonth")
    Allocation = apps.get_model("allocations", "Allocation")
    rows: dict[tuple[int, int | None, dt.date], Any] = {}

    def row(allocation_id: int, factory_id: int | None, month: Any) -> Any:
        day = timezone.localtime(month).date() if isinstance(month, dt.datetime) else month
        key = (allocation_id, factory_id, day)
        if key not in rows:
            rows[key] = UsageMonth(allocation_id=allocation_id, factory_id=factory_id,
                                   month=day, jobs_gpu_seconds=0, external_gpu_seconds=0)
        return rows[key]

    for r in (Job.objects.filter(gpu_seconds_charged__gt=0)
              .annotate(m=TruncMonth(Coalesce("finished_at", "created_at")))
              .values("allocation_id", "factory_id", "m")
              .annotate(t=Sum("gpu_seconds_charged")).order_by()):
        row(r["allocation_id"], r["factory_id"], r["m"]).jobs_gpu_seconds += r["t"]
    for r in (ExternalUsage.objects.filter(charged_gpu_seconds__gt=0)
              .annotate(m=TruncMonth(Coalesce("finished_at", "created_at")))
              .values("allocation_id", "factory_id", "m")
              .annotate(t=Sum("charged_gpu_seconds")).order_by()):
        row(r["allocation_id"], r["factory_id"], r["m"]).external_gpu_seconds += r["t"]
    UsageMonth.objects.bulk_create(rows.values(), batch_size=5_000)
    firsts = (Job.objects.filter(started_at__isnull=False).values_list("allocation_id")
              .annotate(m=Min("started_at")).values_list("allocation_id", "m").order_by())
    Allocation.objects.bulk_update(
        [Allocation(pk=pk, first_job_started_at=at) for pk, at in firsts],
        ["first_job_started_at"], batch_size=2_000)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0004_job_job_charged_used_at"),
        ("allocations", "0003_allocation_first_job_started_at_usagemonth"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
