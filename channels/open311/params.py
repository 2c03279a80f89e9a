"""Reading and checking what a client sends: every field has a type, a size and a shape, or the request is refused.

Free text (``description``, ``address_string``) may hold any language and line breaks but, as the
specification says, not markup or code: text that reads as HTML or as an SQL statement is refused rather than
stored. (Nothing is ever executed or shown unescaped either way: the database gets bound parameters and both
formats escape text; the refusal tells a broken or hostile client at once.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiMapping

from geo.crs import CRS_NAMES
from services.i18n import N_

MAX_WINDOW = timedelta(days=90)
MAX_IDS = 1000
CODE = re.compile(r"^[A-Za-z0-9._-]{1,16}$")
_JURISDICTION = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_EMAIL = re.compile(r"^[^@\s<>()\[\]\\,;:\"']{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_NAME = re.compile(r"^[^\W\d_][\w .'’-]{0,63}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{2,31}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>|&#?[A-Za-z0-9]+;|javascript\s*:", re.IGNORECASE)
_SQL = re.compile(
    r";\s*(drop|delete|insert|update|alter|create|truncate|exec|execute|select|grant|shutdown)\b"
    r"|\bunion\s+(all\s+)?select\b|\b(drop|truncate)\s+table\b|\binsert\s+into\b|\bdelete\s+from\b"
    r"|'\s*(or|and)\s+'?[\w]+'?\s*=\s*'?[\w]+|/\*.*?\*/|'\s*;?\s*--|\bwaitfor\s+delay\b|\bsleep\s*\(\s*\d",
    re.IGNORECASE | re.DOTALL,
)


class BadRequest(Exception):
    """The request cannot be served: HTTP ``status`` and a message id with its values."""

    def __init__(
        self, message: str, status: int = 400, headers: dict[str, str] | None = None, **values: object
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.values, self.headers = message, status, values, headers


def single(fields: MultiMapping[Any], name: str) -> str | None:
    """The one text value of ``name`` (None when absent or empty, as the specification's optional arguments)."""
    values = fields.getall(name, [])
    if len(values) > 1:
        raise BadRequest(N_("{field} was given more than once."), field=name)
    if not values:
        return None
    value = values[0]
    if not isinstance(value, str):
        raise BadRequest(N_("{field} must be text, not a file."), field=name)
    value = value.strip()
    return value or None


def plain_text(name: str, value: str | None, limit: int, *, lines: bool = False) -> str | None:
    """Text without control characters, markup or SQL, at most ``limit`` characters."""
    if value is None:
        return None
    if len(value) > limit:
        raise BadRequest(N_("{field} is too long (at most {limit} characters)."), field=name, limit=limit)
    checked = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ") if lines else value
    if _CONTROL.search(checked) or (not lines and "\n" in checked):
        raise BadRequest(N_("{field} contains characters that are not allowed."), field=name)
    if _MARKUP.search(checked):
        raise BadRequest(N_("{field} must be plain text: HTML is not accepted."), field=name)
    if _SQL.search(checked):
        raise BadRequest(N_("{field} must be plain text: SQL is not accepted."), field=name)
    return checked


def shaped(name: str, value: str | None, pattern: re.Pattern[str]) -> str | None:
    """``value`` if it has the field's shape (an e-mail address, a phone number...)."""
    if value is not None and not pattern.match(value):
        raise BadRequest(N_("{field} is not valid."), field=name)
    return value


def number(name: str, value: str | None) -> float | None:
    """A finite decimal number."""
    if value is None:
        return None
    try:
        parsed = float(value)
    except ValueError:
        raise BadRequest(N_("{field} must be a number."), field=name) from None
    if not math.isfinite(parsed) or len(value) > 32:
        raise BadRequest(N_("{field} must be a number."), field=name)
    return parsed


def jurisdiction(fields: MultiMapping[Any]) -> None:
    """``jurisdiction_id`` is optional (one jurisdiction is served) but must look like one when given."""
    shaped("jurisdiction_id", single(fields, "jurisdiction_id"), _JURISDICTION)


@dataclass(frozen=True)
class Reporter:
    """The optional contact fields: checked, then not stored (officers never see who reported)."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None


def reporter(fields: MultiMapping[Any]) -> Reporter:
    """Check the contact fields of a POST."""
    email = single(fields, "email")
    if email is not None and len(email) > 254:
        raise BadRequest(N_("{field} is not valid."), field="email")
    return Reporter(
        email=shaped("email", email, _EMAIL),
        first_name=shaped("first_name", single(fields, "first_name"), _NAME),
        last_name=shaped("last_name", single(fields, "last_name"), _NAME),
        phone=shaped("phone", single(fields, "phone"), _PHONE),
        device_id=shaped("device_id", single(fields, "device_id"), _TOKEN),
        account_id=shaped("account_id", single(fields, "account_id"), _TOKEN),
    )


def crs(fields: MultiMapping[Any]) -> str:
    """The coordinate system of ``lat``/``long``: WGS-84 unless the ``crs`` extension names another."""
    value = (single(fields, "crs") or "wgs84").lower()
    if value not in CRS_NAMES:
        raise BadRequest(N_("crs must be one of {names}."), names=", ".join(CRS_NAMES))
    return value


def point(fields: MultiMapping[Any]) -> tuple[float, float] | None:
    """``lat`` and ``long`` as numbers in range, or None when neither is given."""
    lat, lon = number("lat", single(fields, "lat")), number("long", single(fields, "long"))
    if (lat is None) != (lon is None):
        raise BadRequest(N_("lat and long must be sent together."))
    if lat is None or lon is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest(N_("lat must be within ±90 and long within ±180 degrees."))
    return lat, lon


def media_url(fields: MultiMapping[Any]) -> str | None:
    """An http(s) URL of the reporter's photo."""
    value = single(fields, "media_url")
    if value is None:
        return None
    if len(value) > 2000 or not re.match(r"^https?://[^\s<>\"']+$", value, re.IGNORECASE):
        raise BadRequest(N_("media_url must be an http or https URL."))
    return value


# ---------------------------------------------------------------- GET requests filters
def codes(fields: MultiMapping[Any], name: str) -> tuple[str, ...]:
    """A filter that may be repeated and comma-separated: ``service_code=0201,0102&service_code=99``."""
    found: list[str] = []
    for value in fields.getall(name, []):
        for part in str(value).split(","):
            if part.strip():
                found.append(part.strip())
    return tuple(found)


def request_ids(fields: MultiMapping[Any]) -> tuple[int, ...]:
    """``service_request_id`` as whole numbers."""
    parts = codes(fields, "service_request_id")
    if len(parts) > MAX_IDS:
        raise BadRequest(N_("At most {limit} service_request_id values at once."), limit=MAX_IDS)
    if not all(part.isascii() and part.isdigit() and len(part) <= 18 for part in parts):
        raise BadRequest(N_("service_request_id must be whole numbers, comma separated."))
    return tuple(int(part) for part in parts)


def moment(name: str, value: str | None, tz: ZoneInfo) -> datetime | None:
    """A w3 date-time (``2010-01-01T00:00:00Z``); without an offset it is read in the city's time zone."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        raise BadRequest(N_("{field} must be a date and time like 2010-01-01T00:00:00Z."), field=name) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def window(fields: Mapping[str, str | None], now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The reporting-time range: as given, at most 90 days; by default the 90 days up to now."""
    start, end = moment("start_date", fields["start_date"], tz), moment("end_date", fields["end_date"], tz)
    if start is None and end is None:
        return now - MAX_WINDOW, now + timedelta(seconds=1)
    if start is None:
        assert end is not None
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if end < start:
        raise BadRequest(N_("end_date is before start_date."))
    if end - start > MAX_WINDOW:
        raise BadRequest(N_("start_date and end_date may be at most 90 days apart."))
    return start, end
