"""The floor's one table (no migrations: `antenna migrate --run-syncdb` creates it)."""

from __future__ import annotations

from django.db import models


class FloorRow(models.Model):
    """One accepted request of the floor view: who sent it and what it carried (the job
    submit's JSON body, as text). Benchmark-only; never in the product's database schema."""

    user_id = models.BigIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects: models.Manager[FloorRow] = models.Manager()

    def __str__(self) -> str:
        return f"floor row {self.pk}"
