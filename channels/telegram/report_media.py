"""Photos for a report: compressed photos, albums and image files, with an evidence copy kept on disk.

Albums arrive as separate updates sharing a ``media_group_id`` with no count and no end marker: every photo is
stored as it arrives, and one reply for the whole album is sent ``album_wait_seconds`` after its first photo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from telegram import Bot, Message, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from channels.telegram.common import Turn, services, turn
from channels.telegram.report_views import Reply, prompt, send_replies
from geo.exif import read_gps
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
        fetch_first=False,  # no EXIF survives compression: answer first, keep the copy in the background
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
        fetch_first=True,  # the EXIF position must be known before the location question
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
    *,
    fetch_first: bool,
) -> None:
    svc = services(context)
    problem = photos.check_upload(svc, mime_type, size)
    data = await _download(context.bot, file_id) if fetch_first and problem is None else None
    if data is not None and len(data) > photos.max_bytes(svc):
        problem, size = UploadProblem.TOO_BIG, len(data)
    # An album is answered once: its first photo schedules the reply, the others stay silent (refusals too).
    in_album = message.media_group_id is not None and context.job_queue is not None
    first_of_album = in_album and _schedule_album_reply(context, message)
    stored = Stored()
    async with turn(update, context) as tn:
        if tn.user.banned:
            stored.lead = tn.t(BANNED)
        elif problem is not None:
            stored.lead = _refusal(tn, problem, size)
        else:
            width, height = dimensions or (None, None)
            photo = IncomingPhoto(file_id, unique_id, width, height, size, message.media_group_id)
            stored = await _store(tn, message, photo, mime_type, data, in_album)
    if stored.copy_later is not None:
        context.application.create_task(_copy_later(context, stored.copy_later, file_id, mime_type))
    if (stored.lead is None and not stored.replies) or (in_album and not first_of_album):
        return
    await send_replies(context.bot, message.chat_id, stored.replies, lead=stored.lead)


@dataclass
class Stored:
    """What to say about a received photo, and which photo row still needs its evidence copy."""

    lead: str | None = None
    replies: list[Reply] = field(default_factory=list)
    copy_later: int | None = None


async def _copy_later(context: Context, photo_id: int, file_id: str, mime_type: str | None) -> None:
    """Download and keep the evidence copy after the user was answered (the sweep retries if this fails)."""
    data = await _download(context.bot, file_id)
    if data is not None:
        await photos.attach_copy(services(context), photo_id, data, mime_type)


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
) -> Stored:
    """Add the photo to the draft; says what to answer (nothing inside an album)."""
    svc, t = tn.services, tn.t
    if data is not None:
        local_path = await photos.save_copy(svc, data, mime_type)
        photo = replace(photo, local_path=local_path, exif_location=read_gps(data))
    try:
        result = await intake.add_photo(svc, tn.session, tn.user, message.chat_id, photo, message.caption)
    except IntakeRefused as err:
        await photos.remove_copies(svc, [photo.local_path])  # refused uploads leave nothing on disk
        return Stored(t(err.message, **err.values))
    if not result.added:
        await photos.remove_copies(svc, [photo.local_path])
    # add_photo flushed, so the row has its id for the copy kept after the answer.
    stored = Stored(copy_later=result.row.id if result.row is not None and data is None else None)
    if in_album:
        return stored
    limits = svc.config.reporting
    if not result.added:
        if result.count >= limits.max_photos:
            stored.lead = t("A report holds at most {max} photos; this one was not added.", max=limits.max_photos)
        else:
            stored.lead = t("You already sent this photo.")
        return stored
    stored.lead = t("📷 Got it: {count}/{max} photos.", count=result.count, max=limits.max_photos)
    step = intake.next_step(result.draft)
    if (step is DraftStep.CATEGORY and result.count == 1) or step in (DraftStep.CONFIRM, DraftStep.LOCATION):
        stored.replies = prompt(svc, result.draft, t)
    return stored


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
