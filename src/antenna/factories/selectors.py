"""Reads on factories. Factories and partitions are public reference data."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from antenna.factories.models import Factory, Partition


def factory_list(*, kind: str | None = None, status: str | None = None) -> QuerySet[Factory]:
    qs = Factory.objects.prefetch_related(
        Prefetch("partitions", queryset=Partition.objects.order_by("-is_default", "name"))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("kind", "display_name")


def factory_can_run(factory: Factory, *, gpus_per_job: int) -> bool:
    """Whether one of the factory's partitions fits a job of that many GPUs (prefetched)."""
    return any(p.can_run(gpus=gpus_per_job, walltime_minutes=None)
               for p in factory.partitions.all())


def factory_by_id(pk: int | None) -> Factory | None:
    """The factory a request names by id (None when it names none); 400 if there is no such."""
    from django.utils.translation import gettext as _

    from antenna.core.errors import ValidationFailed

    if pk is None:
        return None
    factory = Factory.objects.filter(pk=pk).first()
    if factory is None:
        raise ValidationFailed(_("factory: no factory with id %(pk)s.") % {"pk": pk})
    return factory
