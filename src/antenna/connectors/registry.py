"""Which connector class serves which `Factory.connector` value."""

from __future__ import annotations

from typing import Any

from antenna.connectors.base import Connector, ConnectorTarget

_REGISTRY: dict[str, type[Connector]] = {}


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
    """A connector instance for `factory`, built from its stored (secret-free) settings."""
    cls = connector_class(factory.connector)
    settings = dict(factory.connector_settings or {})
    # Whose account jobs run under (`Factory.identity_mode`): community or per_user.
    settings["identity_mode"] = str(getattr(factory, "identity_mode", "") or "community")
    settings.update(overrides)
    return cls(factory.name, settings)


def _load_builtin() -> None:
    if _REGISTRY:
        return
    from antenna.connectors.local import LocalConnector
    from antenna.connectors.slurmrest import SlurmRestConnector

    register_connector("local", LocalConnector)
    register_connector("slurmrest", SlurmRestConnector)
