"""The GeoReport v2 resources under ``/open311/v2``: parse the request, call a service, render JSON or XML.

Errors are the specification's error document in the requested format: 404 for what does not exist, 403 for a
missing or wrong ``api_key``, 429 (with ``Retry-After``) over a key's rate, 400 for everything else, each with a
description in the reader's language. A refused request stores nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from channels.open311 import params, resources
from channels.open311.cache import ResponseCache
from channels.open311.formats import FORMATS, error_response, render, respond
from channels.open311.intake import filing_from, read_form
from channels.open311.media import published_bytes
from channels.open311.params import BadRequest
from channels.open311.resources import CLOSED, OPEN
from services import apikeys, filing, public_cases
from services.context import Services
from services.i18n import N_, Translator
from services.intake_limits import IntakeRefused
from services.public_cases import CaseFilter

log = logging.getLogger(__name__)

BASE = "/open311/v2"
SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
LIMITER: web.AppKey[apikeys.RateLimiter] = web.AppKey("rate_limiter", apikeys.RateLimiter)
PUBLIC_URL: web.AppKey[str] = web.AppKey("public_url", str)
CHANGESET: web.AppKey[str] = web.AppKey("changeset", str)
CACHE: web.AppKey[ResponseCache] = web.AppKey("response_cache", ResponseCache)

_LOCALE: web.RequestKey[str] = web.RequestKey("open311_locale", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _fmt(request: web.Request) -> str:
    fmt = request.match_info.get("fmt", "")
    return fmt if fmt in FORMATS else "json"


def _t(request: web.Request, fields: Any = None) -> Translator:
    """The reader's language: ``locale`` (in the query, or the form of a POST), else Accept-Language."""
    requested = (fields or request.query).get("locale") or request.get(_LOCALE)
    locale = resources.locale_of(
        requested if isinstance(requested, str) else None, request.headers.get("Accept-Language")
    )
    request[_LOCALE] = locale  # the error handler answers in it too
    return Translator(locale)


def base_url(request: web.Request) -> str:
    """The API's public address: configured, else the one this request came to."""
    return request.app[PUBLIC_URL] or f"{request.scheme}://{request.host}{BASE}"


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn refusals and unknown paths into the specification's error document."""
    fmt = _fmt(request)
    try:
        return await handler(request)
    except BadRequest as exc:
        return error_response(fmt, exc.status, _t(request)(exc.message, **exc.values), headers=exc.headers)
    except IntakeRefused as exc:
        return error_response(fmt, 400, _t(request)(exc.message, **exc.values))
    except web.HTTPNotFound:
        return error_response(fmt, 404, _t(request)("There is no such resource: {path}", path=request.path))
    except web.HTTPMethodNotAllowed as exc:
        return error_response(fmt, 405, _t(request)("Method {method} is not allowed here.", method=exc.method))
    except web.HTTPException:
        raise
    except Exception:
        log.exception("open311 %s %s failed", request.method, request.path)
        return error_response(fmt, 500, _t(request)("Something went wrong on our side; the request was not stored."))


# ---------------------------------------------------------------- discovery and services
async def discovery(request: web.Request) -> web.Response:
    """The endpoints this city serves and where to get a key."""
    cfg = request.app[SERVICES].config.open311
    changeset = request.app[CHANGESET]
    endpoint = {
        "specification": resources.SPECIFICATION,
        "url": base_url(request),
        "changeset": changeset,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    record = {"changeset": changeset, "contact": cfg.contact, "key_service": cfg.key_service, "endpoints": [endpoint]}
    fmt = _fmt(request)
    return respond(fmt, render(fmt, "discovery", None, record))


async def service_list(request: web.Request) -> web.Response:
    """One service per category of the city's catalog."""
    params.jurisdiction(request.query)
    t, fmt = _t(request), _fmt(request)
    records = [resources.service(c, t) for c in request.app[SERVICES].config.categories]
    return respond(fmt, render(fmt, "services", "service", records))


async def service_definition(request: web.Request) -> web.Response:
    """The definition of one category."""
    params.jurisdiction(request.query)
    code = request.match_info["code"]
    category = request.app[SERVICES].config.category(code)
    if category is None:
        raise BadRequest(N_("There is no service with service_code {code}."), status=404, code=code)
    fmt = _fmt(request)
    return respond(fmt, render(fmt, "service_definition", None, resources.definition(category)))


# ---------------------------------------------------------------- requests
async def _key(request: web.Request, value: str | None) -> apikeys.KeyInfo:
    """The live key of the request, counted against its rate; 403 without one, 429 over the rate."""
    if value is None:
        raise BadRequest(N_("api_key is required to create a request."), status=403)
    key = await apikeys.authenticate(request.app[SERVICES], value)
    if key is None:
        raise BadRequest(N_("api_key is not valid."), status=403)
    wait = request.app[LIMITER].retry_after(key, time.monotonic())
    if wait is not None:
        raise BadRequest(
            N_("Too many requests for this api_key ({rate}): try again in {seconds} s."),
            status=429,
            rate=key.rate,
            seconds=wait,
            headers={"Retry-After": str(wait)},
        )
    return key


async def create_request(request: web.Request) -> web.Response:
    """File a request as a case; answers its id and what happens next."""
    services, fmt = request.app[SERVICES], _fmt(request)
    fields = await read_form(request, services)
    t = _t(request, fields)
    key = await _key(request, params.single(fields, "api_key"))
    report, contact = await filing_from(services, fields, key, t.locale)
    filed = await filing.file_report(services, report)
    log.info("open311 %s filed case %s (%s)", key.name, filed.case_id, filed.outcome)
    notice = resources.service_notice(filed.outcome, filed.unit_name, filed.due_at, filed.parent_id, t, services.tz)
    record = {"service_request_id": str(filed.case_id), "service_notice": notice, "account_id": contact.account_id}
    return respond(fmt, render(fmt, "service_requests", "request", [record]))


def _filter(request: web.Request, services: Services) -> CaseFilter:
    query = request.query
    params.jurisdiction(query)
    ids = params.request_ids(query)
    codes = params.codes(query, "service_code")
    for code in codes:
        params.shaped("service_code", code, params.CODE)
    wanted: set[str] = set()
    for status in params.codes(query, "status"):
        if status.lower() not in ("open", "closed"):
            raise BadRequest(N_("status must be open or closed."))
        wanted.add(status.lower())
    dates = {name: params.single(query, name) for name in ("start_date", "end_date")}
    start, end = params.window(dates, services.clock.now(), services.tz)
    statuses = () if len(wanted) != 1 else tuple(sorted(OPEN if "open" in wanted else CLOSED))
    return CaseFilter(start=start, end=end, ids=ids, categories=codes, statuses=statuses)


async def _records(request: web.Request, wanted: CaseFilter) -> list[dict[str, Any]]:
    services = request.app[SERVICES]
    publish = services.config.open311.publish_photos
    cases = await public_cases.list_cases(services, wanted, with_photos=publish)
    t = _t(request)
    categories = {c.code: c for c in services.config.categories}
    media = f"{base_url(request)}/media" if publish else None
    return [resources.request_record(case, t, categories, services.tz, media) for case in cases]


def _cache_key(request: web.Request) -> str:
    """What the answer depends on: the query, the language, the public address and, for the default window
    (the 90 days up to now), the minute."""
    moving = "" if "start_date" in request.query or "end_date" in request.query else str(int(time.time() // 60))
    language = request.query.get("locale") or request.headers.get("Accept-Language") or ""
    return "\x1f".join((request.path_qs, language[:40], base_url(request), moving))


async def _cached(request: web.Request, make: Callable[[], Awaitable[list[dict[str, Any]]]]) -> web.Response:
    """The answer kept for this request while nothing changed, else a fresh one (then kept)."""
    cache, fmt, key = request.app[CACHE], _fmt(request), _cache_key(request)
    body = await cache.get(key)
    if body is None:
        version = await cache.version()
        body = render(fmt, "service_requests", "request", await make())
        cache.put(key, version, body)
    return respond(fmt, body)


async def list_requests(request: web.Request) -> web.Response:
    """Requests by id, category, status and reporting time: at most 90 days and 1,000 rows, newest first."""

    async def make() -> list[dict[str, Any]]:
        return await _records(request, _filter(request, request.app[SERVICES]))

    return await _cached(request, make)


async def one_request(request: web.Request) -> web.Response:
    """One request by its id."""
    params.jurisdiction(request.query)
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise BadRequest(N_("There is no request {id}."), status=404, id=raw)
    services = request.app[SERVICES]

    async def make() -> list[dict[str, Any]]:
        now = services.clock.now()
        records = await _records(request, CaseFilter(start=now, end=now, ids=(int(raw),), limit=1))
        if not records:
            raise BadRequest(N_("There is no request {id}."), status=404, id=raw)
        return records

    return await _cached(request, make)


async def media(request: web.Request) -> web.Response:
    """A published report photo, without its metadata; 404 unless the city publishes photos."""
    services = request.app[SERVICES]
    raw = request.match_info["photo"]
    if not services.config.open311.publish_photos or not (raw.isdigit() and len(raw) <= 18):
        raise web.HTTPNotFound()
    relative = await public_cases.published_photo(services, int(raw))
    found = await published_bytes(services, relative) if relative else None
    if found is None:
        raise web.HTTPNotFound()
    data, mime = found
    return web.Response(body=data, content_type=mime, headers={"Cache-Control": "public, max-age=3600"})


def add_routes(app: web.Application) -> None:
    """Every resource of the API under ``BASE``."""
    fmt = "{fmt:json|xml}"
    app.router.add_get(f"{BASE}/discovery.{fmt}", discovery)
    app.router.add_get(f"{BASE}/services.{fmt}", service_list)
    app.router.add_get(BASE + "/services/{code:[^/]+?}." + fmt, service_definition)
    app.router.add_post(f"{BASE}/requests.{fmt}", create_request)
    app.router.add_get(f"{BASE}/requests.{fmt}", list_requests)
    app.router.add_get(BASE + "/requests/{id:[^/]+?}." + fmt, one_request)
    app.router.add_get(BASE + "/media/{photo:[0-9]+}.jpg", media)
