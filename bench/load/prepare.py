"""Tokens and targets for the load test: one client per organisation (its owner, one of its
allocations, a few of its job ids), and the big organisation's members on one allocation.

Run with Django configured (bench/load/run.sh does): `antenna shell -c "..."` is avoided so
that the fixture is plain JSON on stdout's last line.
"""

from __future__ import annotations

import json
import sys

import django


def main(path: str, clients: int) -> None:
    django.setup()
    from antenna.accounts.services import token_create
    from antenna.allocations.models import Allocation
    from antenna.jobs.models import Job
    from antenna.organizations.models import Membership

    out: dict[str, list[dict[str, object]]] = {"clients": [], "hot": []}
    allocations = (Allocation.objects.filter(organization__legal_name__startswith="Scale org")
                   .exclude(organization__legal_name="Scale org 0")
                   .order_by("organization_id", "id").distinct("organization_id")
                   [:clients])
    for a in allocations:
        owner = Membership.objects.filter(organization_id=a.organization_id,
                                          role="owner").select_related("user").first()
        assert owner is not None
        _, key = token_create(user=owner.user, name="load bench")
        jobs = list(Job.objects.filter(allocation=a).values_list("pk", flat=True)[:20])
        out["clients"].append({"token": key, "allocation": a.pk, "jobs": jobs})
    hot = Allocation.objects.filter(organization__legal_name="Scale org 0").order_by("id").first()
    assert hot is not None
    hot_jobs = list(Job.objects.filter(allocation=hot).values_list("pk", flat=True)[:20])
    for m in Membership.objects.filter(organization_id=hot.organization_id).select_related("user"):
        _, key = token_create(user=m.user, name="load bench")
        out["hot"].append({"token": key, "allocation": hot.pk, "jobs": hot_jobs})
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    print(f"{len(out['clients'])} clients on their own allocations, {len(out['hot'])} on "
          f"allocation {hot.pk}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
