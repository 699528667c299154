"""Country codes Antenna knows about (ISO 3166-1 alpha-2)."""

from __future__ import annotations

import pycountry

EU_MEMBER_STATES = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)

# Participating states of the EuroHPC Joint Undertaking outside the EU (configurable per
# call: operators edit a call's eligible countries).
EUROHPC_ASSOCIATED = ("IS", "ME", "MK", "NO", "RS", "TR", "CH")

DEFAULT_ELIGIBLE_COUNTRIES = EU_MEMBER_STATES + EUROHPC_ASSOCIATED


def is_country_code(value: str) -> bool:
    """An assigned ISO 3166-1 alpha-2 code (from pycountry's ISO tables), in capitals."""
    return (
        len(value) == 2 and value.isupper()
        and pycountry.countries.get(alpha_2=value) is not None
    )
