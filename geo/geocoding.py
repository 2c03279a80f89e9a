"""Turn a typed place name into WGS-84 coordinates and back: offline from a list, or through geopy.

Every geocoder answers in WGS-84 whatever its provider speaks. Baidu's geocoding API answers in BD-09
and reads reverse-geocoding input as BD-09 unless told otherwise, and geopy's Baidu classes do not tell
it otherwise, so the adapter converts both ways.
"""

from __future__ import annotations

import asyncio
import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from geopy.adapters import AioHTTPAdapter
from geopy.distance import geodesic
from geopy.exc import GeopyError
from geopy.geocoders import get_geocoder_for_service
from rapidfuzz import fuzz, process

from geo.crs import CRS_NAMES, from_wgs84, to_wgs84, validate_latlon

# Coordinate system each geopy provider answers in, where it is not WGS-84.
_PROVIDER_CRS = {"baidu": "bd09", "baiduv3": "bd09"}
# Providers whose geocode answer carries no address (Baidu returns a precision level such as "门址").
_NO_ADDRESS_IN_ANSWER = {"baidu", "baiduv3"}
_M_PER_DEG = 111_320.0


@dataclass(frozen=True, slots=True)
class GeocodeResult:
    """A geocoded place: WGS-84 position and the address to show the user."""

    lat: float
    lon: float
    address: str


@dataclass(frozen=True, slots=True)
class Place:
    """A named place in WGS-84 that the offline geocoder knows, with other names it goes by."""

    name: str
    lat: float
    lon: float
    aliases: tuple[str, ...] = ()


class GeocodingError(Exception):
    """The geocoding service failed (network, quota, credentials); distinct from "no such place"."""


class Geocoder(Protocol):
    """Resolves place names to WGS-84 positions and positions to addresses."""

    async def geocode(self, query: str) -> GeocodeResult | None:
        """The best match for ``query``, or None when nothing matches."""
        ...

    async def reverse(self, lat: float, lon: float) -> str | None:
        """An address for the WGS-84 point, or None when there is none nearby."""
        ...


def _normalise(text: str) -> str:
    """Fold width, case and spacing, so "  ＤＯＮＧ Si " and "dong si" compare equal."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class OfflineGeocoder:
    """Looks names up in a fixed list: exact name or alias first, then substring, then fuzzy.

    Build it once per list (a city's tens of thousands of names take a while to normalise) and keep it: the
    caller rebuilds it when the list changes. Lookups run in a worker thread, off the event loop.
    """

    def __init__(self, places: Iterable[Place], *, reverse_radius_m: float = 300.0, fuzzy_cutoff: float = 0.6) -> None:
        self._places = list(places)
        for place in self._places:
            validate_latlon(place.lat, place.lon)
        self._keys: dict[str, Place] = {}
        for place in self._places:
            for name in (place.name, *place.aliases):
                self._keys.setdefault(_normalise(name), place)
        self._names = list(self._keys)
        self._reverse_radius_m = reverse_radius_m
        self._fuzzy_cutoff = fuzzy_cutoff

    def __len__(self) -> int:
        return len(self._places)

    async def geocode(self, query: str) -> GeocodeResult | None:
        """The place named by ``query``, or None."""
        key = _normalise(query)
        place = self._keys.get(key) if key else None
        if place is None and key:
            place = await asyncio.to_thread(self._match, key)
        return None if place is None else GeocodeResult(place.lat, place.lon, place.name)

    def _match(self, query: str) -> Place | None:
        # One character ("路", "a") is in too many names to mean anything.
        contained = [k for k in self._names if len(query) >= 2 and (query in k or k in query)]
        if contained:
            best = process.extractOne(query, contained, scorer=fuzz.ratio)
            return self._keys[best[0]]
        # rapidfuzz's ratio is difflib's similarity (2 * matches / total length), computed in C.
        close = process.extractOne(query, self._names, scorer=fuzz.ratio, score_cutoff=self._fuzzy_cutoff * 100)
        return self._keys[close[0]] if close else None

    async def reverse(self, lat: float, lon: float) -> str | None:
        """The name of the nearest known place within the reverse radius, or None."""
        if not self._places:
            return None
        cos_lat = math.cos(math.radians(lat))
        nearest = min(self._places, key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * cos_lat) ** 2)
        distance = geodesic((lat, lon), (nearest.lat, nearest.lon)).meters
        return nearest.name if distance <= self._reverse_radius_m else None


class GeopyGeocoder:
    """Adapts an async geopy geocoder to ``Geocoder``, converting its coordinates to and from WGS-84."""

    def __init__(self, provider: Any, *, crs: str = "wgs84", address_from_query: bool = False) -> None:
        if crs not in CRS_NAMES:
            raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")
        self.provider = provider
        self.crs = crs
        self._address_from_query = address_from_query

    @classmethod
    def for_service(
        cls,
        service: str,
        *,
        crs: str | None = None,
        adapter_factory: Callable[..., Any] = AioHTTPAdapter,
        **options: Any,
    ) -> GeopyGeocoder:
        """Build geopy's geocoder for ``service`` (e.g. "nominatim", "baiduv3") in async mode."""
        key = service.lower()
        provider = get_geocoder_for_service(key)(adapter_factory=adapter_factory, **options)
        return cls(
            provider, crs=crs or _PROVIDER_CRS.get(key, "wgs84"), address_from_query=key in _NO_ADDRESS_IN_ANSWER
        )

    async def geocode(self, query: str) -> GeocodeResult | None:
        """The provider's best match for ``query``, in WGS-84; raises GeocodingError if it fails."""
        text = " ".join(query.split())
        if not text:
            return None
        try:
            location = await self.provider.geocode(text)
        except GeopyError as exc:
            raise GeocodingError(f"{type(exc).__name__}: {exc}") from exc
        if location is None:
            return None
        lat, lon = to_wgs84(location.latitude, location.longitude, self.crs)
        address = text if self._address_from_query else (_text(location.address) or text)
        return GeocodeResult(lat, lon, address)

    async def reverse(self, lat: float, lon: float) -> str | None:
        """The provider's address for the WGS-84 point; raises GeocodingError if it fails."""
        query = from_wgs84(lat, lon, self.crs)
        try:
            location = await self.provider.reverse(query)
        except GeopyError as exc:
            raise GeocodingError(f"{type(exc).__name__}: {exc}") from exc
        return None if location is None else _text(location.address)

    async def aclose(self) -> None:
        """Close the provider's HTTP session."""
        adapter = getattr(self.provider, "adapter", None)
        if adapter is not None and hasattr(adapter, "__aexit__"):
            await adapter.__aexit__(None, None, None)


def _text(value: Any) -> str | None:
    # geopy's Baidu reverse parser hands the address over UTF-8 encoded.
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    return value.strip() or None


def make_geocoder(provider: str = "offline", **options: Any) -> OfflineGeocoder | GeopyGeocoder:
    """A geocoder by name: "offline" (options: places, ...) or any geopy service with its options."""
    if provider.lower() == "offline":
        return OfflineGeocoder(options.pop("places", ()), **options)
    return GeopyGeocoder.for_service(provider, **options)
