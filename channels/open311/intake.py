"""POST requests.{fmt}: a client's form turned into a filing, checked field by field before anything is stored."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiMapping

from channels.open311 import params
from channels.open311.media import fetch_media
from channels.open311.params import BadRequest
from geo.crs import to_wgs84
from services.apikeys import KeyInfo
from services.context import Services
from services.filing import Filing, locate_address
from services.i18n import N_
from services.photos import max_bytes

ADDRESS_MAX = 200


async def read_form(request: web.Request, services: Services) -> MultiMapping[Any]:
    """The form-encoded or multipart body; a body over the size limit is a clear 400."""
    try:
        return await request.post()
    except web.HTTPRequestEntityTooLarge:
        limit = f"{services.config.reporting.max_file_mb:g}"
        raise BadRequest(N_("The request is too large (a photo may be at most {limit} MB)."), limit=limit) from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(N_("The request body could not be read: send it form-encoded or multipart.")) from None


def service_code(services: Services, fields: MultiMapping[Any]) -> str:
    """The category the client chose: 400 if missing or malformed, 404 if the city has no such category."""
    code = params.single(fields, "service_code")
    if code is None:
        raise BadRequest(N_("service_code is required."))
    params.shaped("service_code", code, params.CODE)
    if services.config.category(code) is None:
        raise BadRequest(N_("There is no service with service_code {code}."), status=404, code=code)
    return code


async def _photo(services: Services, fields: MultiMapping[Any]) -> bytes | None:
    uploads = fields.getall("media", [])
    if len(uploads) > 1:
        raise BadRequest(N_("{field} was given more than once."), field="media")
    if uploads:
        upload = uploads[0]
        if not isinstance(upload, web.FileField):
            raise BadRequest(N_("media must be an uploaded file."))
        declared = (upload.content_type or "").lower()
        if declared and not declared.startswith("image/") and declared != "application/octet-stream":
            raise BadRequest(N_("The media is not a photo (JPEG, PNG, WebP...)."))
        data = upload.file.read(max_bytes(services) + 1)
        if len(data) > max_bytes(services):
            raise BadRequest(
                N_("The photo is too large (at most {limit} MB)."), limit=f"{services.config.reporting.max_file_mb:g}"
            )
        return data
    url = params.media_url(fields)
    return None if url is None else await fetch_media(services, url)


async def _place(services: Services, fields: MultiMapping[Any]) -> tuple[float, float, str | None]:
    """The WGS-84 point, and the address text if the client gave one."""
    crs = params.crs(fields)
    point = params.point(fields)
    address = params.plain_text("address_string", params.single(fields, "address_string"), ADDRESS_MAX)
    if point is not None:
        lat, lon = to_wgs84(point[0], point[1], crs)
        return lat, lon, address
    if address is None:
        if params.single(fields, "address_id") is not None:
            raise BadRequest(N_("address_id is not supported here: send lat and long, or address_string."))
        raise BadRequest(N_("A location is required: lat and long, or address_string."))
    found = await locate_address(services, address)
    if found is None:
        raise BadRequest(N_("address_string could not be found: send lat and long instead."))
    return found.lat, found.lon, address


async def filing_from(
    services: Services, fields: MultiMapping[Any], key: KeyInfo, locale: str
) -> tuple[Filing, params.Reporter]:
    """Check every field of the form and build the filing (the point resolved, the photo fetched)."""
    params.jurisdiction(fields)
    code = service_code(services, fields)
    limit = services.config.reporting.note_max_chars
    description = params.plain_text("description", params.single(fields, "description"), limit, lines=True)
    contact = params.reporter(fields)
    lat, lon, address = await _place(services, fields)
    photo = await _photo(services, fields)
    filing = Filing(
        category=code,
        lat=lat,
        lon=lon,
        description=description,
        source=key.source,
        client_id=key.id,
        client_name=key.name,
        address=address,
        photo=photo,
        language=locale,
    )
    return filing, contact
