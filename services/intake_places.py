"""Typed addresses: resolve them through the configured geocoder.

The offline geocoder knows the names of grid units (at a point inside them) and of the ``Place`` rows; it
is rebuilt from the database for each lookup, so a grid import or a new place is found at once. An online
provider (geopy) is built once per process and kept on the services.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from geo.geocoding import Geocoder, GeocodeResult, GeocodingError, make_geocoder
from services.context import Services
from services.grids import offline_places
from services.i18n import N_
from services.intake_limits import IntakeRefused

log = logging.getLogger(__name__)

QUERY_MAX = 200


def online_geocoder(services: Services) -> Geocoder:
    """The configured geopy provider, built on first use."""
    geocoder = services.geocoder
    if geocoder is None:
        cfg = services.config.geocoding
        options: dict[str, Any] = {}
        if cfg.provider.lower() == "nominatim":
            options["user_agent"] = cfg.user_agent
        if cfg.api_key:
            options["api_key"] = cfg.api_key
        # "wgs84" is the default of the setting: let the provider's own coordinate system apply then.
        crs = None if cfg.crs == "wgs84" else cfg.crs
        geocoder = make_geocoder(cfg.provider, crs=crs, **options)
        services.geocoder = geocoder
    return geocoder


async def resolve_address(services: Services, session: AsyncSession, text: str) -> GeocodeResult | None:
    """The WGS-84 place the user typed, or None when nothing matches; refuses unusable queries."""
    query = " ".join(text.split())
    if len(query) > QUERY_MAX:
        raise IntakeRefused(
            N_("That is too long for an address (at most {limit} characters). Please type a shorter one."),
            limit=QUERY_MAX,
        )
    if services.config.geocoding.provider.lower() == "offline":
        geocoder: Geocoder = make_geocoder("offline", places=await offline_places(session))
    else:
        geocoder = online_geocoder(services)
    try:
        return await geocoder.geocode(query)
    except GeocodingError:
        log.warning("geocoding %r failed", query, exc_info=True)
        raise IntakeRefused(
            N_("The address search is not available right now. Please share the location with the button.")
        ) from None
