"""Typed addresses: resolve them through the configured geocoder.

The offline geocoder knows the names of grid units (at a point inside them) and of the ``Place`` rows. Its
index is built once and kept on the services beside the grid index: it is rebuilt whenever the grid index is
(a grid import in this process at once, one in another process within the grid index's re-check interval),
never per query. Places added to the database without a grid import are found after the next one or a
restart. An online provider (geopy) is built once per process and kept on the services.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from geo.geocoding import Geocoder, GeocodeResult, GeocodingError, OfflineGeocoder, make_geocoder
from models.uow import UnitOfWork
from services.context import Services
from services.grids import offline_places
from services.i18n import N_
from services.intake_limits import IntakeRefused
from services.routing import refresh_grid_index

log = logging.getLogger(__name__)

QUERY_MAX = 200


def is_offline(services: Services) -> bool:
    """Whether typed addresses are looked up in the database's names rather than by a service."""
    return services.config.geocoding.provider.lower() == "offline"


async def offline_geocoder(services: Services, session: AsyncSession) -> OfflineGeocoder:
    """The offline geocoder over the current units and places, rebuilt only when the grid index was."""
    await refresh_grid_index(services, session)
    grid = services.grid_index
    cached = services.offline_geocoder
    if cached is not None and cached[0] is grid:
        return cached[1]
    places = await offline_places(session)
    # Normalising a city's names takes a while (about 0.3 s for 100k): not on the event loop.
    geocoder = await asyncio.to_thread(OfflineGeocoder, places)
    services.offline_geocoder = (grid, geocoder)
    log.info("offline geocoder built with %d places", len(geocoder))
    return geocoder


async def load_offline_geocoder(services: Services) -> None:
    """Start-up hook: build the offline geocoder's index before the first address is typed."""
    if is_offline(services):
        async with UnitOfWork(services.db) as uow:
            await offline_geocoder(services, uow.session)


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
    if is_offline(services):
        geocoder: Geocoder = await offline_geocoder(services, session)
    else:
        geocoder = online_geocoder(services)
    try:
        return await geocoder.geocode(query)
    except GeocodingError:
        log.warning("geocoding %r failed", query, exc_info=True)
        raise IntakeRefused(
            N_("The address search is not available right now. Please share the location with the button.")
        ) from None
