"""The two wire formats of GeoReport v2: XML (required by the specification) and its JSON mapping.

Every resource is a list of flat records under a root element (``<services><service>...``); JSON is the same
list without the wrapper (the specification's "Spark convention"). A field that has no value is an empty element
in XML and ``null`` in JSON. Nested lists (the discovery's endpoints and formats, a definition's attributes) are
written element by element.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORMATS = tuple(CONTENT_TYPES)
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
#: Characters XML 1.0 cannot carry at all; text from other channels is cleaned of them on the way out.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Names of list elements and of their items, for the nested lists of the resources.
ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, record: Mapping[str, Any]) -> None:
    for key, value in record.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, list):
            item_name = ITEMS.get(key, "item")
            for item in value:
                element = ET.SubElement(child, item_name)
                if isinstance(item, Mapping):
                    _fill(element, item)
                else:
                    element.text = _text(item)
        elif isinstance(value, Mapping):
            _fill(child, value)
        else:
            child.text = _text(value)


def to_xml(root: str, item: str | None, records: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> bytes:
    """``<root><item>...</item>...</root>`` (or one record directly under ``root`` when ``item`` is None)."""
    top = ET.Element(root)
    if item is None:
        assert isinstance(records, Mapping)
        _fill(top, records)
    else:
        for record in records:
            assert isinstance(record, Mapping)
            _fill(ET.SubElement(top, item), record)
    return XML_DECLARATION + ET.tostring(top, encoding="unicode").encode("utf-8")


def to_json(records: Any) -> bytes:
    """The JSON mapping: UTF-8, non-ASCII kept as it is."""
    return json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, item: str | None, records: Any) -> bytes:
    """The body of a resource in ``fmt``."""
    return to_json(records) if fmt == "json" else to_xml(root, item, records)


def respond(fmt: str, body: bytes, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """An HTTP response with the format's content type."""
    return web.Response(body=body, status=status, headers={"Content-Type": CONTENT_TYPES[fmt], **(headers or {})})


def error_response(
    fmt: str, status: int, description: str, *, code: int | None = None, headers: Mapping[str, str] | None = None
) -> web.Response:
    """The specification's error document: ``[{"code": ..., "description": ...}]`` or ``<errors><error>``."""
    errors = [{"code": code or status, "description": description}]
    return respond(fmt, render(fmt, "errors", "error", errors), status, headers)
