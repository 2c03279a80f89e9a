"""Photos for a report: compressed photos, albums and image files, with an evidence copy kept on disk.

Albums arrive as separate updates sharing a ``media_group_id`` with no count and no end marker: every photo is
stored as it arrives, and one reply for the whole album is sent ``album_wait_seconds`` after its first photo.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot, Message, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from geo.exif import read_gps
from handlers.common import Turn, services, turn
from handlers.report_views import Reply, prompt, send_replies
from models.cases import DraftStep
from models.uow import UnitOfWork
from services import intake, photos
from services.i18n import Translator
from services.intake_limits import BANNED, IntakeRefused
from services.photos import IncomingPhoto, UploadProblem
from services.users import user_by_telegram_id

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


async def on_photo(update: Update, context: Context) -> None:
    """A compressed photo (Telegram removed its EXIF)."""
    message = update.effective_message
    assert message is not None and message.photo
    largest: PhotoSize = message.photo[-1]
    await _receive(
        update,
        context,
        message,
        largest.file_id,
        largest.file_unique_id,
        "image/jpeg",
        largest.file_size,
        (largest.width, largest.height),
    )


async def on_document(update: Update, context: Context) -> None:
    """A file: an image sent "as file" keeps its EXIF; anything else is refused."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    await _receive(
        update,
        context,
        message,
        document.file_id,
        document.file_unique_id,
        document.mime_type,
        document.file_size,
        None,
    )


async def _receive(
    update: Update,
    context: Context,
    message: Message,
    file_id: str,
    unique_id: str,
    mime_type: str | None,
    size: int | None,
    dimensions: tuple[int, int] | None,
) -> None:
    svc = services(context)
    problem = photos.check_upload(svc, mime_type, size)
    data = None if problem else await _download(context.bot, file_id)
    if data is not None and len(data) > photos.max_bytes(svc):
        problem, size = UploadProblem.TOO_BIG, len(data)
    # An album is answered once: its first photo schedules the reply, the others stay silent (refusals too).
    in_album = message.media_group_id is not None and context.job_queue is not None
    first_of_album = in_album and _schedule_album_reply(context, message)
    lead: str | None = None
    replies: list[Reply] = []
    async with turn(update, context) as tn:
        if tn.user.banned:
            lead = tn.t(BANNED)
        elif problem is not None:
            lead = _refusal(tn, problem, size)
        else:
            width, height = dimensions or (None, None)
            photo = IncomingPhoto(file_id, unique_id, width, height, size, message.media_group_id)
            lead, replies = await _store(tn, message, photo, mime_type, data, in_album)
    if (lead is None and not replies) or (in_album and not first_of_album):
        return
    await send_replies(context.bot, message.chat_id, replies, lead=lead)


def _refusal(tn: Turn, problem: UploadProblem, size: int | None) -> str:
    if problem is UploadProblem.NOT_IMAGE:
        return tn.t("This file is not an image, so I can't use it. Please send a photo of the problem.")
    limit = tn.services.config.reporting.max_file_mb
    return tn.t(
        "This file is {size} MB, more than the {limit} MB I accept. Please send a smaller photo.",
        size=f"{(size or 0) / 1024 / 1024:.1f}",
        limit=f"{limit:g}",
    )


async def _store(
    tn: Turn, message: Message, photo: IncomingPhoto, mime_type: str | None, data: bytes | None, in_album: bool
) -> tuple[str | None, list[Reply]]:
    """Add the photo to the draft; returns the lead line and the prompts to send (none inside an album)."""
    svc, t = tn.services, tn.t
    if data is not None:
        local_path = await photos.save_copy(svc, data, mime_type)
        photo = replace(photo, local_path=local_path, exif_location=read_gps(data))
    try:
        result = await intake.add_photo(svc, tn.session, tn.user, message.chat_id, photo, message.caption)
    except IntakeRefused as err:
        await photos.remove_copies(svc, [photo.local_path])  # refused uploads leave nothing on disk
        return t(err.message, **err.values), []
    if not result.added:
        await photos.remove_copies(svc, [photo.local_path])
    if in_album:
        return None, []
    limits = svc.config.reporting
    if not result.added:
        if result.count >= limits.max_photos:
            return t("A report holds at most {max} photos; this one was not added.", max=limits.max_photos), []
        return t("You already sent this photo."), []
    lead = t("📷 Got it: {count}/{max} photos.", count=result.count, max=limits.max_photos)
    step = intake.next_step(result.draft)
    if (step is DraftStep.CATEGORY and result.count == 1) or step in (DraftStep.CONFIRM, DraftStep.LOCATION):
        return lead, prompt(svc, result.draft, t)
    return lead, []


async def _download(bot: Bot, file_id: str) -> bytes | None:
    """The file's bytes, or None if Telegram would not hand them over (the file id is kept regardless)."""
    try:
        file = await bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())
    except TelegramError:
        log.warning("could not download photo %s; keeping only its file id", file_id, exc_info=True)
        return None


def _schedule_album_reply(context: Context, message: Message) -> bool:
    """Schedule the album's one reply, after its last photo has had time to arrive; False if already done."""
    assert context.job_queue is not None
    name = f"album:{message.chat_id}:{message.media_group_id}"
    if context.job_queue.get_jobs_by_name(name):
        return False
    wait = services(context).config.reporting.album_wait_seconds
    user_id = message.from_user.id if message.from_user else message.chat_id
    data = {"chat_id": message.chat_id, "telegram_id": user_id}
    context.job_queue.run_once(album_reply, wait, data=data, name=name)
    return True


async def album_reply(context: Context) -> None:
    """Tell the user how many photos the draft holds now, and ask the next question."""
    assert context.job is not None
    data: dict[str, int] = context.job.data  # type: ignore[assignment]
    svc = services(context)
    async with UnitOfWork(svc.db) as uow:
        user = await user_by_telegram_id(uow.session, data["telegram_id"])
        draft = await intake.find_draft(uow.session, user.id) if user is not None else None
        if user is None or draft is None:
            return
        t = Translator(user.locale)
        limits = svc.config.reporting
        lead = t("📷 Got it: {count}/{max} photos.", count=len(draft.photos), max=limits.max_photos)
        if len(draft.photos) >= limits.max_photos:
            lead += "\n" + t("A report holds at most {max} photos; any more were not added.", max=limits.max_photos)
        step = intake.next_step(draft)
        replies = prompt(svc, draft, t) if step is not DraftStep.NOTE else []
    await send_replies(context.bot, data["chat_id"], replies, lead=lead)
