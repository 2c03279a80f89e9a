"""Offline name lookup, and the geopy adapter driven through a canned transport (no network)."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from geopy.adapters import AioHTTPAdapter, BaseAsyncAdapter
from geopy.distance import geodesic

from geo.crs import InvalidCoordinates, wgs84_to_bd09
from geo.geocoding import (
    GeocodeResult,
    GeocodingError,
    GeopyGeocoder,
    OfflineGeocoder,
    Place,
    make_geocoder,
)

PLACES = [
    Place("东四十条地铁站", 39.9337, 116.4342, aliases=("Dongsishitiao Station",)),
    Place("王府井大街", 39.9138, 116.4108, aliases=("Wangfujing Street", "王府井")),
    Place("Brandenburger Tor", 52.5163, 13.3777, aliases=("Brandenburg Gate",)),
    Place("Alexanderplatz", 52.5219, 13.4132),
]
TIANANMEN_WGS84 = (39.9087, 116.3975)


def offline() -> OfflineGeocoder:
    return OfflineGeocoder(PLACES)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("王府井大街", "王府井大街"),
        ("  王府井  ", "王府井大街"),  # alias, surrounding whitespace
        ("brandenburg gate", "Brandenburger Tor"),  # alias, case-insensitive
        ("ＡＬＥＸＡＮＤＥＲＰＬＡＴＺ", "Alexanderplatz"),  # full-width input from a Chinese keyboard
        ("东四十条", "东四十条地铁站"),  # part of a name
        ("东四十条地铁站A口", "东四十条地铁站"),  # a name inside a longer query
        ("Alexanderplaz", "Alexanderplatz"),  # typo
        ("Brandenburger Toor", "Brandenburger Tor"),
    ],
)
async def test_offline_geocoder_finds_places(query: str, name: str) -> None:
    result = await offline().geocode(query)
    place = next(p for p in PLACES if p.name == name)
    assert result == GeocodeResult(place.lat, place.lon, place.name)


@pytest.mark.parametrize("query", ["", "   ", "路", "Eiffel Tower", "上海外滩"])
async def test_offline_geocoder_says_none_when_nothing_matches(query: str) -> None:
    assert await offline().geocode(query) is None


async def test_exact_match_beats_a_longer_name_that_contains_it() -> None:
    geocoder = OfflineGeocoder([Place("Mitte Nord", 52.53, 13.39), Place("Mitte", 52.52, 13.40)])
    result = await geocoder.geocode("mitte")
    assert result is not None and result.address == "Mitte"


async def test_offline_reverse_names_the_nearest_place_within_the_radius() -> None:
    geocoder = offline()
    assert await geocoder.reverse(52.5165, 13.3780) == "Brandenburger Tor"  # ~30 m away
    assert await geocoder.reverse(52.5000, 13.3000) is None  # km from anything
    assert await OfflineGeocoder([]).reverse(52.5, 13.4) is None


def test_offline_geocoder_refuses_a_place_with_impossible_coordinates() -> None:
    with pytest.raises(InvalidCoordinates):
        OfflineGeocoder([Place("nowhere", 0.0, 0.0)])


class CannedTransport(BaseAsyncAdapter):
    """A geopy async adapter that answers from a list instead of the network, and records the URLs."""

    answers: ClassVar[list[Any]] = []
    urls: ClassVar[list[str]] = []

    def __init__(self, *, proxies: Any, ssl_context: Any) -> None:
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    # geopy's adapter interface fixes these signatures, timeout included.
    async def get_json(self, url: str, *, timeout: Any, headers: Any) -> Any:  # noqa: ASYNC109
        type(self).urls.append(url)
        return type(self).answers.pop(0)

    async def get_text(self, url: str, *, timeout: Any, headers: Any) -> str:  # noqa: ASYNC109
        raise AssertionError("JSON expected")


def canned(*answers: Any) -> type[CannedTransport]:
    return type("Transport", (CannedTransport,), {"answers": list(answers), "urls": []})


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


async def test_baidu_answers_are_converted_from_bd09_to_wgs84() -> None:
    bd_lat, bd_lon = wgs84_to_bd09(*TIANANMEN_WGS84)
    transport = canned({"status": 0, "result": {"location": {"lng": bd_lon, "lat": bd_lat}, "level": "门址"}})
    geocoder = make_geocoder("baiduv3", api_key="test-ak", user_agent="citybot", adapter_factory=transport)
    result = await geocoder.geocode(" 天安门广场 ")
    # Baidu answers with a precision level ("门址") rather than an address, so the query is shown.
    assert result is not None and result.address == "天安门广场"
    assert geodesic((result.lat, result.lon), TIANANMEN_WGS84).meters < 0.01
    (url,) = transport.urls
    assert "/geocoding/v3/" in url and query_of(url)["address"] == ["天安门广场"]


async def test_baidu_reverse_sends_bd09_and_decodes_the_address() -> None:
    transport = canned(
        {
            "status": 0,
            "result": {"location": {"lng": 116.40, "lat": 39.91}, "formatted_address": "北京市东城区东长安街"},
        }
    )
    geocoder = GeopyGeocoder.for_service("baiduv3", api_key="test-ak", adapter_factory=transport)
    assert await geocoder.reverse(*TIANANMEN_WGS84) == "北京市东城区东长安街"
    sent_lat, sent_lon = (float(v) for v in query_of(transport.urls[0])["location"][0].split(","))
    assert geodesic((sent_lat, sent_lon), wgs84_to_bd09(*TIANANMEN_WGS84)).meters < 0.01


async def test_baidu_failures_raise_geocoding_error_and_empty_answers_are_none() -> None:
    geocoder = make_geocoder("baiduv3", api_key="bad", adapter_factory=canned({"status": 302}, {"status": 0}))
    with pytest.raises(GeocodingError, match="Quota"):
        await geocoder.geocode("天安门")
    assert await geocoder.geocode("不存在的地方") is None


async def test_nominatim_answers_pass_through_in_wgs84() -> None:
    transport = canned(
        [{"lat": "52.5162746", "lon": "13.3777041", "display_name": "Brandenburger Tor, Pariser Platz, Berlin"}],
        {"lat": "52.5162746", "lon": "13.3777041", "display_name": "Pariser Platz, Mitte, Berlin"},
    )
    geocoder = make_geocoder("nominatim", user_agent="citybot-tests", adapter_factory=transport)
    result = await geocoder.geocode("Brandenburger Tor")
    assert result == GeocodeResult(52.5162746, 13.3777041, "Brandenburger Tor, Pariser Platz, Berlin")
    assert await geocoder.reverse(52.5162746, 13.3777041) == "Pariser Platz, Mitte, Berlin"
    assert query_of(transport.urls[1])["lat"] == ["52.5162746"]


async def test_geopy_geocoder_uses_aiohttp_by_default_and_closes_without_network() -> None:
    geocoder = make_geocoder("nominatim", user_agent="citybot-tests")
    assert isinstance(geocoder, GeopyGeocoder) and isinstance(geocoder.provider.adapter, AioHTTPAdapter)
    assert geocoder.crs == "wgs84"
    await geocoder.aclose()
    assert await geocoder.geocode("   ") is None  # nothing to ask, so nothing is sent


def test_factory_defaults_to_offline_and_knows_baidu_speaks_bd09() -> None:
    assert isinstance(make_geocoder(places=PLACES), OfflineGeocoder)
    baidu = make_geocoder("BaiduV3", api_key="k", adapter_factory=canned())
    assert isinstance(baidu, GeopyGeocoder) and baidu.crs == "bd09"
    with pytest.raises(ValueError):
        make_geocoder("no-such-service")
