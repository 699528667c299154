"""Which connector class serves which `Factory.connector` value."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from antenna.connectors.base import Connector, ConnectorTarget

T = TypeVar("T")
R = TypeVar("R")

_REGISTRY: dict[str, type[Connector]] = {}
# The connectors of the open `connector_scope`, one per factory and settings (None: no scope).
_SCOPE: ContextVar[dict[tuple[Any, ...], Connector] | None] = ContextVar(
    "antenna_connector_scope", default=None)


def register_connector(kind: str, cls: type[Connector]) -> None:
    cls.kind = kind
    _REGISTRY[kind] = cls


def connector_kinds() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def connector_class(kind: str) -> type[Connector]:
    _load_builtin()
    try:
        return _REGISTRY[kind]
    except KeyError as exc:
        raise ValueError(f"Unknown connector '{kind}'; known: {', '.join(sorted(_REGISTRY))}") \
            from exc


def connector_for(factory: ConnectorTarget, **overrides: Any) -> Connector:
    """A connector instance for `factory`, built from its stored (secret-free) settings.

    Inside a `connector_scope`, the same instance for the same factory and settings (a
    change of settings gives a new one): its HTTP session stays open between calls."""
    cls = connector_class(factory.connector)
    settings = dict(factory.connector_settings or {})
    # Whose account jobs run under (`Factory.identity_mode`): community or per_user.
    settings["identity_mode"] = str(getattr(factory, "identity_mode", "") or "community")
    settings.update(overrides)
    scope = _SCOPE.get()
    if scope is None:
        return cls(factory.name, settings)
    key = (cls, factory.name, json.dumps(settings, sort_keys=True, default=str))
    connector = scope.get(key)
    if connector is None:
        connector = scope[key] = cls(factory.name, settings)
        connector.cycle_start()
    return connector


@contextmanager
def connector_scope() -> Iterator[None]:
    """Keep one connector per factory (and settings) while it is open, in this thread: the
    worker opens one for its whole life, so each factory's HTTP session is kept alive
    between cycles; `run_cycle` opens one for the cycle when none is open. Inside an open
    scope, a nested one changes nothing. On leaving, the connectors are closed."""
    if _SCOPE.get() is not None:
        yield
        return
    scope: dict[tuple[Any, ...], Connector] = {}
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        for connector in scope.values():
            connector.close()


def connectors_cycle_start() -> None:
    """A new worker cycle: each connector of the open scope forgets what it read for the
    last one (`Connector.cycle_start`)."""
    for connector in (_SCOPE.get() or {}).values():
        connector.cycle_start()


def _load_builtin() -> None:
    if _REGISTRY:
        return
    from antenna.connectors.local import LocalConnector
    from antenna.connectors.slurmrest import SlurmRestConnector

    register_connector("local", LocalConnector)
    register_connector("slurmrest", SlurmRestConnector)


def each_at_once(items: list[T], call: Callable[[T], R], name: str = "factory") -> list[R]:
    """`call` on each item (one factory's HTTP calls each), the items' calls awaited
    together in threads when there are several: a cycle then waits for its slowest factory,
    not for the sum of them. The results in the items' order; `call` must not touch the
    database (the threads have no transaction of the caller's) and should turn a factory's
    failure into a result (an exception propagates, after every call has ended)."""
    if len(items) < 2:
        return [call(item) for item in items]
    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix=name) as pool:
        return list(pool.map(call, items))
