"""Who may see a job, and who may cancel it. Views and endpoints fetch jobs only through
here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from antenna.accounts.models import User
from antenna.core.errors import NotFound
from antenna.jobs.models import Job
from antenna.organizations.access import is_member


def job_for_user(user: User, pk: int) -> Job:
    """The job if `user` may see it; NotFound otherwise (missing or not theirs)."""
    job = (
        Job.objects.visible_to(user)
        .select_related("allocation", "allocation__organization", "factory", "partition")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise NotFound(_("Job %(pk)s not found.") % {"pk": pk})
    return job


def job_may_cancel(user: User, job: Job) -> bool:
    """Members of the job's organisation and operators may cancel it."""
    return user.is_operator or is_member(user, job.allocation.organization)
