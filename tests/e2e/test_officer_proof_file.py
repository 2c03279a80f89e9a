"""An officer's after-photo sent as an image file: the reporter is shown it as a photo, and nothing is refused."""

from __future__ import annotations

from sqlalchemy import select

from models.cases import Photo, PhotoKind
from models.status import CaseStatus
from models.uow import UnitOfWork
from sandbox.client import SandboxClient
from tests.e2e.conftest import RunningBot
from tests.e2e.test_officer_flow import card, flush, reported, staffed_city, status
from tests.e2e.test_report_flow import INSIDE, jpeg


async def test_an_after_photo_sent_as_a_file_reaches_the_reporter_as_a_photo(
    bot: RunningBot, client: SandboxClient
) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Resolve")
    await client.wait_for_message(city.officer_b.chat_id, "Send a photo of the fixed place")
    await client.send_document(city.officer_b, jpeg(gps=INSIDE), "IMG_0815.jpg", "image/jpeg", caption="Scraped off")
    done = await client.wait_for_message(city.officer_b.chat_id, f"#{case_id}")
    assert done.text == f"Case #{case_id} is resolved. The reporter will be asked to confirm."
    assert (await status(bot, case_id)).status == CaseStatus.RESOLVED

    await flush(bot)
    question = await client.wait_for_message(city.reporter.chat_id, "Is the problem fixed?")
    assert "Scraped off" in question.text and question.button_texts == ["Fixed", "Not fixed"]
    pictures = [m for m in await client.bot_messages(city.reporter.chat_id) if "photo" in m.raw][-2:]
    assert len(pictures) == 2 and pictures[0].text == f"Report #{case_id}: before and after."
    assert all("document" not in m.raw for m in await client.bot_messages(city.reporter.chat_id))
    assert bot.services is not None
    async with UnitOfWork(bot.services.db) as uow:
        proof = await uow.session.scalar(select(Photo).where(Photo.case_id == case_id, Photo.kind == PhotoKind.PROOF))
    assert proof is not None and proof.channel is None and proof.local_path
    assert (bot.services.data_dir / proof.local_path).is_file()


async def test_a_file_that_is_no_image_is_not_an_after_photo(bot: RunningBot, client: SandboxClient) -> None:
    city = await staffed_city(bot, client)
    case_id = await reported(bot, client, city)
    await client.press(city.officer_b, await card(client, city.officer_b, case_id), "Resolve")
    await client.wait_for_message(city.officer_b.chat_id, "Send a photo of the fixed place")
    await client.send_document(city.officer_b, b"not a picture at all", "fake.jpg", "image/jpeg")
    answer = await client.wait_for_message(city.officer_b.chat_id, "Please send a photo")
    assert answer.text == "Please send a photo of the fixed place (as a photo), or /cancel."
    assert (await status(bot, case_id)).status == CaseStatus.ACCEPTED
