"""The slurmrestd OpenAPI versions the connector speaks: version string -> its mapping.

`api_version: auto` (the default) takes the newest of these that the server offers, read from
its `GET /openapi/v3` (see `newest_offered`).
"""

from __future__ import annotations

import re
from typing import Any

from antenna.connectors.slurmrest import v0_0_38, v0_0_40, v0_0_41, v0_0_42
from antenna.connectors.slurmrest.protocol import SlurmApi

AUTO = "auto"
VERSIONS: dict[str, SlurmApi] = {
    api.version: api for api in (v0_0_38.API, v0_0_40.API, v0_0_41.API, v0_0_42.API)
}
_OFFERED = re.compile(r"^/slurm/(v\d+\.\d+\.\d+)/")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def api_for(version: str) -> SlurmApi:
    """The request/response mapping of `version` (e.g. "v0.0.38")."""
    try:
        return VERSIONS[version]
    except KeyError as exc:
        raise ValueError(f"slurmrest api_version '{version}' is not supported; known: "
                         f"{AUTO}, {', '.join(sorted(VERSIONS, key=_key))}") from exc


def offered_versions(openapi: dict[str, Any]) -> list[str]:
    """The versions a server's OpenAPI document has `/slurm/<version>/...` paths for, oldest
    first (slurmdb paths alone do not count: jobs are submitted under /slurm/)."""
    found = {m.group(1) for path in (openapi.get("paths") or {}) if (m := _OFFERED.match(path))}
    return sorted(found, key=_key)


def newest_offered(openapi: dict[str, Any]) -> str | None:
    """The newest version both the server (its OpenAPI document) and Antenna speak."""
    common = [v for v in offered_versions(openapi) if v in VERSIONS]
    return common[-1] if common else None
