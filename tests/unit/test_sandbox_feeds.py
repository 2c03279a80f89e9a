"""getUpdates semantics of the sandbox's update queue, and its stored photos."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from sandbox.errors import ApiError
from sandbox.feeds import UpdateQueue
from sandbox.files import FileStore


async def test_offset_confirms_earlier_updates() -> None:
    queue = UpdateQueue()
    ids = [queue.push("message", {"text": str(n)}) or 0 for n in range(3)]
    first = await queue.poll(offset=0, limit=100, wait_seconds=0)
    assert [u["update_id"] for u in first] == ids
    again = await queue.poll(offset=ids[1] + 1, limit=100, wait_seconds=0)
    assert [u["message"]["text"] for u in again] == ["2"]


async def test_limit_and_negative_offset() -> None:
    queue = UpdateQueue()
    for n in range(5):
        queue.push("message", {"text": str(n)})
    assert len(await queue.poll(offset=0, limit=2, wait_seconds=0)) == 2
    latest = await queue.poll(offset=-1, limit=100, wait_seconds=0)
    assert [u["message"]["text"] for u in latest] == ["4"]


async def test_long_poll_returns_when_an_update_arrives() -> None:
    queue = UpdateQueue()
    waiting = asyncio.create_task(queue.poll(offset=0, limit=100, wait_seconds=30))
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.push("callback_query", {"data": "case:accept:1"})
    updates = await asyncio.wait_for(waiting, 5)
    assert updates[0]["callback_query"]["data"] == "case:accept:1"


async def test_a_second_poller_terminates_the_first_with_conflict() -> None:
    queue = UpdateQueue()
    first = asyncio.create_task(queue.poll(offset=0, limit=100, wait_seconds=30))
    await asyncio.sleep(0)
    second = asyncio.create_task(queue.poll(offset=0, limit=100, wait_seconds=0.05))
    with pytest.raises(ApiError) as conflict:
        await asyncio.wait_for(first, 5)
    assert conflict.value.code == 409
    assert await second == []


async def test_updates_the_bot_did_not_ask_for_are_never_created() -> None:
    queue = UpdateQueue()
    queue.allowed = {"message"}
    assert queue.push("callback_query", {}) is None
    queue.push("message", {"text": "hi"})
    assert [list(u)[1] for u in await queue.poll(offset=0, limit=100, wait_seconds=0)] == ["message"]


def _jpeg(size: tuple[int, int], exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "PhoneMaker"
        image.save(out, format="JPEG", exif=tags)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def test_photo_gets_previews_and_keeps_its_size() -> None:
    store = FileStore()
    sizes = store.add_photo(_jpeg((1000, 500)))
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 45), (320, 160), (1000, 500)]
    assert store.photo_sizes(sizes[0]["file_id"]) == sizes


def test_photo_loses_exif_but_document_keeps_bytes() -> None:
    store = FileStore()
    original = _jpeg((400, 300), exif=True)
    largest = store.get(store.add_photo(original)[-1]["file_id"])
    with Image.open(io.BytesIO(largest.data)) as photo:
        assert not photo.getexif()
    assert store.add(original, "documents", file_name="IMG_1.jpg").data == original


def test_not_an_image_is_refused() -> None:
    with pytest.raises(ApiError, match="IMAGE_PROCESS_FAILED"):
        FileStore().add_photo(b"%PDF-1.4 not a picture")


def test_unknown_file_id_is_refused() -> None:
    with pytest.raises(ApiError, match="wrong file identifier"):
        FileStore().get("nope")
