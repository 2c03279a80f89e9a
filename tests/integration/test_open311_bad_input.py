"""Bad input to the Open311 API: every refusal is the specification's error document with a reason, and nothing
(no case, no photo file) is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from models.cases import Case, Photo
from models.db import Database
from models.uow import UnitOfWork
from services.apikeys import revoke_key
from services.clock import ManualClock
from tests.conftest import make_services
from tests.integration.open311_world import INSIDE, Api, jpeg_bytes, running_api

SQL = "x'; DROP TABLE cases; --"
HTML = "<script>alert(1)</script>"


@pytest.fixture
async def api(sqlite_database: Database, clock: ManualClock, tmp_path: Path) -> AsyncIterator[Api]:
    """The API over grid G-1; photos up to 0.05 MB so oversize uploads stay small."""
    services = make_services(sqlite_database, clock, tmp_path)
    services.config.reporting.max_file_mb = 0.05
    services.config.reporting.photo_required = ["0505"]
    async with running_api(services, rate="1000/min") as running:
        yield running


def valid(api: Api, **changes: str | None) -> dict[str, str]:
    """A good request's fields with ``changes`` applied (None removes a field)."""
    fields = {
        "api_key": api.key,
        "service_code": "0201",
        "lat": str(INSIDE[0]),
        "long": str(INSIDE[1]),
        "description": "Posters on the lamp post",
    }
    fields.update(changes)  # type: ignore[arg-type]
    return {k: v for k, v in fields.items() if v is not None}


async def post(
    api: Api, fields: dict[str, str] | list[tuple[str, str]], media: tuple[bytes, str] | None = None, fmt: str = "json"
) -> tuple[int, Any, aiohttp.ClientResponse]:
    """POST requests.{fmt}; returns status, the decoded body and the response."""
    form = aiohttp.FormData(fields)
    if media is not None:
        form.add_field("media", media[0], filename="upload", content_type=media[1])
    async with aiohttp.ClientSession() as http, http.post(f"{api.url}/requests.{fmt}", data=form) as resp:
        body = await (resp.json() if fmt == "json" else resp.text())
        return resp.status, body, resp


async def nothing_stored(api: Api) -> None:
    async with UnitOfWork(api.services.db) as uow:
        assert await uow.session.scalar(select(func.count(Case.id))) == 0
        assert await uow.session.scalar(select(func.count(Photo.id))) == 0
    photos = api.services.data_dir / "photos"
    assert not photos.exists() or [p for p in photos.rglob("*") if p.is_file()] == []


async def refused(api: Api, status: int, description: str, fields: Any, media: Any = None) -> None:
    got, body, _resp = await post(api, fields, media)
    assert (got, body) == (status, [{"code": status, "description": description}])
    await nothing_stored(api)


FIELD_ERRORS = {
    "service_code": "service_code is not valid.",
    "lat": "lat must be a number.",
    "long": "long must be a number.",
    "crs": "crs must be one of wgs84, gcj02, bd09.",
    "email": "email is not valid.",
    "first_name": "first_name is not valid.",
    "last_name": "last_name is not valid.",
    "phone": "phone is not valid.",
    "device_id": "device_id is not valid.",
    "account_id": "account_id is not valid.",
    "media_url": "media_url must be an http or https URL.",
    "jurisdiction_id": "jurisdiction_id is not valid.",
}


@pytest.mark.parametrize("payload", [SQL, HTML], ids=["sql", "html"])
@pytest.mark.parametrize("field", [*FIELD_ERRORS, "description", "address_string", "api_key"])
async def test_sql_or_html_in_any_field_is_refused(api: Api, field: str, payload: str) -> None:
    if field == "api_key":
        await refused(api, 403, "api_key is not valid.", valid(api, api_key=payload))
        return
    if field in ("description", "address_string"):
        kind = "SQL" if payload == SQL else "HTML"
        message = f"{field} must be plain text: {kind} is not accepted."
    else:
        message = FIELD_ERRORS[field]
    await refused(api, 400, message, valid(api, **{field: payload}))


@pytest.mark.parametrize(
    ("changes", "status", "description"),
    [
        ({"service_code": None}, 400, "service_code is required."),
        ({"service_code": "9999"}, 404, "There is no service with service_code 9999."),
        ({"lat": None, "long": None}, 400, "A location is required: lat and long, or address_string."),
        ({"long": None}, 400, "lat and long must be sent together."),
        ({"lat": "91"}, 400, "lat must be within ±90 and long within ±180 degrees."),
        ({"long": "-180.5"}, 400, "lat must be within ±90 and long within ±180 degrees."),
        ({"lat": "NaN"}, 400, "lat must be a number."),
        ({"lat": "1e400"}, 400, "lat must be a number."),
        ({"lat": "39,91"}, 400, "lat must be a number."),
        ({"description": "x" * 501}, 400, "description is too long (at most 500 characters)."),
        ({"description": "bad\x00byte"}, 400, "description contains characters that are not allowed."),
        ({"lat": None, "long": None, "address_id": "545483"}, 400,
         "address_id is not supported here: send lat and long, or address_string."),
        ({"lat": None, "long": None, "address_string": "Nowhere Street 1"}, 400,
         "address_string could not be found: send lat and long instead."),
        ({"crs": "epsg3857"}, 400, "crs must be one of wgs84, gcj02, bd09."),
        ({"service_code": "0505"}, 400, "Reports of this category need a photo."),
        ({"api_key": None}, 403, "api_key is required to create a request."),
    ],
)  # fmt: skip
async def test_wrong_or_missing_fields_are_refused_with_the_reason(
    api: Api, changes: dict[str, str | None], status: int, description: str
) -> None:
    await refused(api, status, description, valid(api, **changes))


async def test_a_field_given_twice_is_refused(api: Api) -> None:
    fields = [*valid(api).items(), ("service_code", "0102")]
    await refused(api, 400, "service_code was given more than once.", fields)


async def test_media_that_is_not_an_image_or_too_large_is_refused(api: Api) -> None:
    await refused(
        api, 400, "The media is not a photo (JPEG, PNG, WebP...).", valid(api), (b"%PDF-1.4 not a photo", "image/jpeg")
    )
    await refused(api, 400, "The media is not a photo (JPEG, PNG, WebP...).", valid(api), (b"hello", "text/plain"))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    await refused(api, 400, "The media is not a photo (JPEG, PNG, WebP...).", valid(api), (svg, "image/svg+xml"))
    big = jpeg_bytes((600, 600)) + b"\0" * 60_000  # a real JPEG padded past 0.05 MB
    await refused(api, 400, "The photo is too large (at most 0.05 MB).", valid(api), (big, "image/jpeg"))
    huge = b"\xff\xd8" + b"\0" * 400_000  # past the body limit itself
    await refused(
        api, 400, "The request is too large (a photo may be at most 0.05 MB).", valid(api), (huge, "image/jpeg")
    )
    await refused(api, 400, "media must be an uploaded file.", valid(api, media="just text"))


async def test_errors_follow_the_requested_format_and_language(api: Api) -> None:
    status, body, resp = await post(api, valid(api, lat="abc", locale="zh"), fmt="xml")
    assert status == 400 and resp.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert body == (
        '<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>400</code>'
        "<description>lat 必须是数字。</description></error></errors>"
    )


async def test_a_revoked_key_is_refused_and_a_busy_key_waits(
    sqlite_database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    services = make_services(sqlite_database, clock, tmp_path)
    async with running_api(services, rate="2/min") as api:
        assert (await post(api, valid(api)))[0] == 200
        assert (await post(api, valid(api, lat="39.9105")))[0] == 200
        status, body, resp = await post(api, valid(api, lat="39.911"))
        assert status == 429 and 1 <= int(resp.headers["Retry-After"]) <= 60
        assert body[0]["description"].startswith("Too many requests for this api_key (2/min): try again in ")
        await revoke_key(services, "hotline")
        status, body, _ = await post(api, valid(api))
        assert (status, body) == (403, [{"code": 403, "description": "api_key is not valid."}])


@pytest.mark.parametrize(
    ("query", "status", "description"),
    [
        ("start_date=yesterday", 400, "start_date must be a date and time like 2010-01-01T00:00:00Z."),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400,
         "start_date and end_date may be at most 90 days apart."),
        ("start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", 400, "end_date is before start_date."),
        ("status=pending", 400, "status must be open or closed."),
        ("service_request_id=1,abc", 400, "service_request_id must be whole numbers, comma separated."),
        ("service_code=" + SQL, 400, "service_code is not valid."),
    ],
)  # fmt: skip
async def test_bad_filters_are_refused(api: Api, query: str, status: int, description: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{api.url}/requests.json?{query}") as resp:
        assert (resp.status, await resp.json()) == (status, [{"code": status, "description": description}])


async def test_unknown_paths_and_methods_answer_in_the_specification_format(api: Api) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api.url}/requests/abc.xml") as resp:
            assert resp.status == 404 and "<code>404</code>" in await resp.text()
        async with http.put(f"{api.url}/requests.json") as resp:
            assert resp.status == 405 and (await resp.json())[0]["code"] == 405
        async with http.get(f"{api.url}/services.html") as resp:
            assert resp.status == 404 and (await resp.json())[0]["code"] == 404


async def test_media_url_is_fetched_once_and_only_from_where_the_city_allows(
    sqlite_database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    from aiohttp import web

    from bot.servers import Site

    photo = jpeg_bytes()
    app = web.Application()

    async def jpeg(_request: web.Request) -> web.Response:
        return web.Response(body=photo, content_type="image/jpeg")

    async def notes(_request: web.Request) -> web.Response:
        return web.Response(text="not a photo")

    app.router.add_get("/p.jpg", jpeg)
    app.router.add_get("/notes.txt", notes)
    site = Site("media host", app)
    here = await site.start()
    services = make_services(sqlite_database, clock, tmp_path)
    try:
        async with running_api(services) as api:
            # By default a media_url may not point into the city's own network (nor at this machine).
            await refused(api, 400, "media_url could not be fetched.", valid(api, media_url=f"{here}/p.jpg"))
            services.config.open311.media_private_hosts = True
            await refused(
                api, 400, "media_url could not be fetched (HTTP 404).", valid(api, media_url=f"{here}/gone.jpg")
            )
            await refused(
                api, 400, "The media is not a photo (JPEG, PNG, WebP...).", valid(api, media_url=f"{here}/notes.txt")
            )
            status, _body, _ = await post(api, valid(api, media_url=f"{here}/p.jpg"))
            assert status == 200
            async with UnitOfWork(services.db) as uow:
                stored = list(await uow.session.scalars(select(Photo)))
            assert len(stored) == 1 and stored[0].local_path is not None and stored[0].file_id == ""
            assert (services.data_dir / stored[0].local_path).read_bytes() == photo
    finally:
        await site.stop()
