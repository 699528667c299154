"""`antenna check --deploy`: a factory on the `local` connector needs a working sandbox."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from antenna.connectors.registry import connector_for


@checks.register(checks.Tags.security, deploy=True)
def check_local_sandbox(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Error for each `local` factory whose jobs could not run in a bubblewrap sandbox."""
    # Through the app registry, not an import: connectors depend only on core.
    factory_model = apps.get_model("factories", "Factory")
    try:
        factories = list(factory_model.objects.filter(connector="local"))
    except DatabaseError:  # no tables yet (before migrate): nothing runs jobs either
        return []
    errors: list[checks.CheckMessage] = []
    if settings.ANTENNA_UNISOLATED_LOCAL_JOBS:
        errors.append(checks.Error(
            "ANTENNA_UNISOLATED_LOCAL_JOBS is on: local jobs would run without a sandbox "
            "wherever bubblewrap is missing.",
            hint="Unset ANTENNA_UNISOLATED_LOCAL_JOBS (and ANTENNA_DEBUG) in production.",
            id="connectors.E002",
        ))
    for factory in factories:
        problem = connector_for(factory).isolation_problem()  # type: ignore[attr-defined]
        if problem is None:
            continue
        errors.append(checks.Error(
            f"Factory '{factory.name}' runs jobs with the local connector, and {problem}.",
            hint=("Install bubblewrap (apt-get install bubblewrap) or set ANTENNA_BWRAP; "
                  "without it production refuses every job of this factory. "
                  "See docs/security.md."),
            obj=factory.name, id="connectors.E001",
        ))
    return errors
