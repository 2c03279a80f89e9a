"""Contract: unmodified Open311 client libraries from PyPI against the running API, and the shape of every resource.

georeport (GET: services, definitions, requests in JSON and XML) and civicbot's Open311Client (POST: filing a
request as a 311 app does) talk to the server over HTTP exactly as they would to a city's endpoint.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport
from sqlalchemy import select

from models.cases import Case
from models.db import Database
from models.uow import UnitOfWork
from services.clock import ManualClock
from services.users import user_by_identity
from tests.conftest import make_services
from tests.integration.open311_world import INSIDE, OUTSIDE, Api, jpeg_bytes, running_api
from tests.world import tg_user

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
async def api(sqlite_database: Database, clock: ManualClock, tmp_path: Path) -> Any:
    """The API over a city with grid G-1 and its officer."""
    services = make_services(sqlite_database, clock, tmp_path)
    async with running_api(services) as running:
        yield running


def civic(api: Api) -> Open311Client:
    """civicbot's client pointed at the API, without its politeness delay between calls."""
    endpoint = Endpoint(id="citybot", name="citybot", base_url=api.url, write=True)
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)))


async def file(api: Api, **fields: Any) -> Any:
    """POST a request with civicbot, really sending it."""
    client = civic(api)
    return await asyncio.to_thread(
        lambda: client.create_request(dry_run=False, confirm="SEND", api_key=api.key, **fields).response
    )


async def test_georeport_lists_the_catalog_in_both_formats(api: Api) -> None:
    for fmt in ("json", "xml"):
        client = GeoReport(api.url, output_format=fmt)
        services = await asyncio.to_thread(client.get_service_list)
        assert [s["service_code"] for s in services][:3] == ["0201", "0204", "0102"]
        first = services[0]
        assert first["service_name"] == "Illegal small ads / posters" and first["type"] == "realtime"
        assert str(first["metadata"]).lower() == "false"
        definition = await asyncio.to_thread(client.get_service_definition, "0505")
        assert definition["service_code"] == "0505"


async def test_a_request_filed_by_civicbot_reads_back_through_georeport(api: Api) -> None:
    answer = await file(
        api,
        service_code="0201",
        lat=INSIDE[0],
        lng=INSIDE[1],
        description="Posters all over the lamp post",
        email="citizen@example.org",
        first_name="Ming",
        last_name="Li",
        phone="+86 10 1234 5678",
    )
    request_id = answer[0]["service_request_id"]
    assert "东华门网格一" in answer[0]["service_notice"]
    for fmt in ("json", "xml"):
        client = GeoReport(api.url, output_format=fmt)
        one = await asyncio.to_thread(client.get_service_request, request_id)
        assert one["service_request_id"] == request_id and one["status"] == "open"
        assert one["agency_responsible"] == "东华门网格一" and one["service_code"] == "0201"
        assert one["description"] == "Posters all over the lamp post"
        assert "citizen@example.org" not in str(one) and "Ming" not in str(one) and "1234" not in str(one)
    listed = await asyncio.to_thread(GeoReport(api.url).get_service_requests, status="open", service_code="0201")
    assert [r["service_request_id"] for r in listed] == [request_id]
    async with UnitOfWork(api.services.db) as uow:
        case = await uow.session.scalar(select(Case).where(Case.id == int(request_id)))
    assert case is not None and case.source == "open311:hotline" and case.unit_id == "G-1"


async def test_a_point_no_grid_covers_is_accepted_for_a_dispatcher(api: Api) -> None:
    answer = await file(api, service_code="0102", lat=OUTSIDE[0], lng=OUTSIDE[1])
    assert answer[0]["service_notice"] == "No grid covers this place: a dispatcher will assign the request."
    one = await asyncio.to_thread(GeoReport(api.url).get_service_request, answer[0]["service_request_id"])
    assert one["status"] == "open" and one["status_notes"] == "waiting for a dispatcher"
    assert one["agency_responsible"] is None


async def test_the_same_problem_twice_is_a_duplicate_that_reads_closed(api: Api) -> None:
    first = await file(api, service_code="0201", lat=INSIDE[0], lng=INSIDE[1])
    second = await file(api, service_code="0201", lat=INSIDE[0] + 0.0001, lng=INSIDE[1])
    first_id = first[0]["service_request_id"]
    assert f"request {first_id}" in second[0]["service_notice"]
    again = await asyncio.to_thread(GeoReport(api.url).get_service_request, second[0]["service_request_id"])
    assert again["status"] == "closed" and again["status_notes"] == f"Duplicate of request {first_id}."


async def test_chinese_names_and_answers_follow_the_locale(api: Api) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api.url}/services.json", headers={"Accept-Language": "zh-CN,zh;q=0.9"}) as resp:
            assert (await resp.json())[0]["service_name"] == "非法小广告（牛皮癣）"
        async with http.post(f"{api.url}/requests.json", data={"api_key": "nope", "locale": "zh"}) as resp:
            assert resp.status == 403 and (await resp.json()) == [{"code": 403, "description": "api_key 无效。"}]


# ---------------------------------------------------------------- schema of every resource, both formats
def _xml_records(body: bytes, root: str, item: str | None) -> list[dict[str, Any]]:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    top = ET.fromstring(body)
    assert top.tag == root
    elements = [top] if item is None else list(top)
    assert all(e.tag == item for e in elements) or item is None
    return [{child.tag: child for child in element} for element in elements]


def _same_fields(json_record: dict[str, Any], xml_record: dict[str, Any], fields: list[str]) -> None:
    assert list(json_record) == fields and list(xml_record) == fields
    for name in fields:
        value = json_record[name]
        if isinstance(value, (list, dict)):
            continue
        text = xml_record[name].text
        expected = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
        assert (text or "") == expected, name


async def _both(api: Api, path: str) -> tuple[Any, bytes]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api.url}/{path}.json") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "application/json; charset=utf-8"
            data = await resp.json()
        async with http.get(f"{api.url}/{path}.xml") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"] == "text/xml; charset=utf-8"
            return data, await resp.read()


async def test_every_resource_has_the_specified_fields_in_json_and_xml(api: Api) -> None:
    created = await file(
        api, service_code="0201", lat=INSIDE[0], lng=INSIDE[1], description='O\'Brien St & 5th "corner"'
    )
    request_id = created[0]["service_request_id"]

    discovery, xml = await _both(api, "discovery")
    assert set(discovery) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2" and endpoint["url"] == api.url
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    top = ET.fromstring(xml)
    assert [f.text for f in top.find("endpoints/endpoint/formats") or []] == endpoint["formats"]

    services, xml = await _both(api, "services")
    for json_record, xml_record in zip(services, _xml_records(xml, "services", "service"), strict=True):
        _same_fields(json_record, xml_record, SERVICE_FIELDS)

    definition, xml = await _both(api, "services/0201")
    assert definition == {"service_code": "0201", "attributes": []}
    assert [e.tag for e in ET.fromstring(xml)] == ["service_code", "attributes"]

    for path in ("requests", f"requests/{request_id}"):
        requests, xml = await _both(api, path)
        assert len(requests) == 1
        for json_record, xml_record in zip(requests, _xml_records(xml, "service_requests", "request"), strict=True):
            _same_fields(json_record, xml_record, REQUEST_FIELDS)
        assert requests[0]["description"] == 'O\'Brien St & 5th "corner"'
        assert requests[0]["requested_datetime"] == "2026-11-16T10:00:00+08:00"


async def test_published_photos_are_served_by_the_api_without_their_exif(
    sqlite_database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    services = make_services(sqlite_database, clock, tmp_path)
    services.config.open311.publish_photos = True
    async with running_api(services) as api, aiohttp.ClientSession() as http:
        form = aiohttp.FormData({"api_key": api.key, "service_code": "0201", "lat": "39.91", "long": "116.4"})
        form.add_field("media", jpeg_bytes(exif_gps=True), filename="p.jpg", content_type="image/jpeg")
        async with http.post(f"{api.url}/requests.json", data=form) as resp:
            request_id = (await resp.json())[0]["service_request_id"]
        async with http.get(f"{api.url}/requests/{request_id}.json") as resp:
            media_url = (await resp.json())[0]["media_url"]
        assert media_url.startswith(f"{api.url}/media/")
        async with http.get(media_url) as resp:
            assert resp.status == 200 and resp.content_type == "image/jpeg"
            body = await resp.read()
    assert body.startswith(b"\xff\xd8") and b"SecretCam" not in body and b"Reporter Name" not in body


async def test_photos_stay_private_unless_the_city_publishes_them(api: Api) -> None:
    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData({"api_key": api.key, "service_code": "0201", "lat": "39.91", "long": "116.4"})
        form.add_field("media", jpeg_bytes(), filename="p.jpg", content_type="image/jpeg")
        async with http.post(f"{api.url}/requests.json", data=form) as resp:
            request_id = (await resp.json())[0]["service_request_id"]
        async with http.get(f"{api.url}/requests/{request_id}.json") as resp:
            assert (await resp.json())[0]["media_url"] is None
        async with http.get(f"{api.url}/media/1.jpg") as resp:
            assert resp.status == 404


async def test_staff_notes_stay_private_and_the_reporters_notes_are_published(api: Api) -> None:
    from models.users import Role, User
    from services import cases

    answer = await file(api, service_code="0201", lat=INSIDE[0], lng=INSIDE[1])
    case_id = int(answer[0]["service_request_id"])
    async with UnitOfWork(api.services.db) as uow:
        officer = await uow.session.get(User, api.officer.id if api.officer else 0)
        assert officer is not None
        await cases.return_case(api.services, uow.session, case_id, officer, "Wall belongs to the rail company")
        admin = tg_user(777, first_name="Admin", role=Role.ADMIN, created_at=api.services.clock.now())
        uow.session.add(admin)
        await uow.commit()
    client = GeoReport(api.url)
    returned = await asyncio.to_thread(client.get_service_request, str(case_id))
    assert returned["status"] == "open" and returned["status_notes"] == "returned"
    async with UnitOfWork(api.services.db) as uow:
        admin = await user_by_identity(uow.session, "telegram", 777)
        assert admin is not None
        await cases.reject(api.services, uow.session, case_id, admin, "Private property, not a public space")
        await uow.commit()
    rejected = await asyncio.to_thread(client.get_service_request, str(case_id))
    assert rejected["status"] == "closed"
    assert rejected["status_notes"] == "rejected: Private property, not a public space"
    assert "rail company" not in str(rejected)
