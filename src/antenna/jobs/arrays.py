"""Slurm job arrays: the `array` field of a job ("0-99", "0-99%10", "1,3,8-15:2") (pure).

One array is one submit; Slurm runs one task per index, each with the job's GPUs and
walltime, so the reservation is tasks x GPUs x walltime and each task is charged its own
elapsed time.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

MAX_ARRAY_TASKS = 1000
MAX_ARRAY_INDEX = 1_000_000

_ITEM = re.compile(r"^(\d{1,7})(?:-(\d{1,7})(?::(\d{1,7}))?)?$")


def array_indexes(spec: str) -> list[int]:
    """The task indexes an array spec names, sorted and without repeats; ValueError with a
    sentence that says what to write instead. `%N` (at most N tasks at a time) is kept for
    Slurm and does not change the tasks."""
    text = spec.strip()
    body, _sep, limit = text.partition("%")
    if _sep and (not limit.isdigit() or int(limit) < 1):
        raise ValueError(_("array: after %(sign)s give how many tasks may run at once, like "
                           "%(example)s.") % {"sign": "%", "example": "0-99%10"})
    indexes: set[int] = set()
    for item in body.split(","):
        match = _ITEM.match(item.strip())
        if match is None:
            raise ValueError(_("array: write task indexes like %(examples)s.")
                             % {"examples": "0-99, 0-99%10, 1,3,8-15:2"})
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        step = int(match.group(3)) if match.group(3) is not None else 1
        if last < first or step < 1:
            raise ValueError(_("array: in a range like 0-99 the second index must not be "
                               "smaller than the first, and a step must be at least 1."))
        if last > MAX_ARRAY_INDEX:
            raise ValueError(_("array: task indexes go up to %(max)s.")
                             % {"max": MAX_ARRAY_INDEX})
        if (last - first) // step + 1 + len(indexes) > MAX_ARRAY_TASKS:
            raise ValueError(_("array: at most %(max)s tasks in one job.")
                             % {"max": MAX_ARRAY_TASKS})
        indexes.update(range(first, last + 1, step))
        if len(indexes) > MAX_ARRAY_TASKS:
            raise ValueError(_("array: at most %(max)s tasks in one job.")
                             % {"max": MAX_ARRAY_TASKS})
    return sorted(indexes)


def array_task_count(spec: str) -> int:
    """How many tasks an array spec runs (1 for a job that is not an array)."""
    return len(array_indexes(spec)) if spec.strip() else 1
