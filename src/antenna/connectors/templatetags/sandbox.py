"""`{% load sandbox %}`: what pages say about how a factory runs jobs."""

from __future__ import annotations

from typing import Any

from django import template

from antenna.connectors.registry import connector_for

register = template.Library()


@register.filter
def simulated(factory: Any) -> bool:
    """The factory is simulated on this machine (the `local` connector), not a real cluster."""
    return factory is not None and factory.connector == "local"


@register.filter
def unisolated(factory: Any) -> bool:
    """Jobs on this factory run without a sandbox (the demo without bubblewrap)."""
    if factory is None:
        return False
    try:
        return not connector_for(factory).isolated
    except ValueError:  # an unknown connector: nothing runs there at all
        return False
