"""Read Bot API parameters the way Telegram does: query, form, multipart or JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """Typed access to one request's parameters; complex values arrive JSON-encoded in form fields."""

    def __init__(self, values: Mapping[str, Any], uploads: Mapping[str, Upload] | None = None) -> None:
        self._values = dict(values)
        self._uploads = dict(uploads or {})

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Collect the query string and the body of an aiohttp request."""
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body") from exc
            if isinstance(body, dict):
                values.update(body)
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    uploads[name] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    values[name] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        """Whether the parameter was given (as a value or as an uploaded file)."""
        return self._values.get(name) not in (None, "") or name in self._uploads

    def text(self, name: str, default: str | None = None) -> str | None:
        """A string parameter as sent."""
        value = self._values.get(name)
        return default if value is None else str(value)

    def require(self, name: str, empty_message: str | None = None) -> str:
        """A string parameter that must be present and non-empty."""
        value = self.text(name)
        if not value:
            raise bad_request(empty_message or f"{name} is empty")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter."""
        value = self._values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float:
        """A required number such as latitude."""
        value = self._values.get(name)
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request(f"{name} is empty" if value in (None, "") else f"invalid {name}") from None

    def flag(self, name: str) -> bool:
        """A boolean parameter; PTB sends JSON's true/false."""
        value = self._values.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def parsed(self, name: str) -> Any:
        """A parameter holding a JSON object or list (reply_markup, media, entities...)."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def upload(self, name: str) -> Upload | None:
        """The uploaded file part with this name."""
        return self._uploads.get(name)


def input_file(params: Params, name: str) -> tuple[Upload | None, str | None]:
    """Resolve a file parameter to (uploaded bytes, None) or (None, existing file_id)."""
    upload = params.upload(name)
    if upload is not None:
        return upload, None
    value = params.text(name)
    if not value:
        raise bad_request(f"there is no {name} in the request")
    return resolve_media_reference(params, value)


def resolve_media_reference(params: Params, value: str) -> tuple[Upload | None, str | None]:
    """An `attach://name` reference, an http URL (unreachable offline) or a file_id."""
    if value.startswith("attach://"):
        upload = params.upload(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(f"file must be non-empty: {value} was not uploaded")
        return upload, None
    if value.startswith(("http://", "https://")):
        raise ApiError(400, "Bad Request: failed to get HTTP URL content")
    return None, value
