"""A small explicit state-machine helper shared by the apps' `states.py` modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from django.utils.translation import gettext as _

from antenna.core.errors import InvalidTransition


class StateMachine:
    """An explicit transition map: which state may follow which, and which are terminal."""

    def __init__(self, name: str, transitions: Mapping[str, Iterable[str]]) -> None:
        self.name = name
        self.transitions: dict[str, frozenset[str]] = {
            str(k.value if isinstance(k, Enum) else k): frozenset(
                str(v.value if isinstance(v, Enum) else v) for v in vs
            )
            for k, vs in transitions.items()
        }

    def can(self, current: str, target: str) -> bool:
        return target in self.transitions.get(str(current), frozenset())

    def is_terminal(self, state: str) -> bool:
        return not self.transitions.get(str(state))

    def check(self, current: str, target: str) -> None:
        """Raise InvalidTransition (HTTP 409) when `current -> target` is not allowed."""
        if not self.can(current, target):
            raise InvalidTransition(
                _("A %(name)s in state '%(current)s' cannot move to '%(target)s'.")
                % {"name": self.name, "current": current, "target": target},
                current=current,
                target=target,
            )
