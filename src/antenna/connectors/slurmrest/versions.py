"""The slurmrestd OpenAPI versions the connector speaks: version string -> its mapping."""

from __future__ import annotations

from antenna.connectors.slurmrest import v0_0_38
from antenna.connectors.slurmrest.protocol import SlurmApi

VERSIONS: dict[str, SlurmApi] = {v0_0_38.API.version: v0_0_38.API}


def api_for(version: str) -> SlurmApi:
    """The request/response mapping of `version` (e.g. "v0.0.38")."""
    try:
        return VERSIONS[version]
    except KeyError as exc:
        raise ValueError(f"slurmrest api_version '{version}' is not supported; known: "
                         f"{', '.join(sorted(VERSIONS))}") from exc
