"""Photos for a report: compressed photos, albums and image files, with an evidence copy kept on disk.

A compressed photo has lost its EXIF, so the person is answered first and the copy is fetched afterwards; an image
sent as a file may carry its GPS position, so its bytes are read before the answer (the service fetches them
before the turn's transaction opens). An album is answered once (see ``albums``): its photos are stored as they
arrive and stay quiet, refusals included, except the first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from geo.exif import read_gps_in_thread
from models.cases import DraftStep
from services import intake, photos
from services.context import Services
from services.conversation import albums
from services.conversation.albums import Arrival
from services.conversation.events import Photo
from services.conversation.replies import Later, Reply
from services.conversation.report_views import prompt
from services.conversation.turn import Turn, refusal
from services.i18n import N_
from services.intake import DraftState
from services.intake_limits import BANNED, IntakeRefused
from services.messages import Message, Text, text
from services.photos import IncomingPhoto, UploadProblem

log = logging.getLogger(__name__)

GOT_IT = N_("📷 Got it: {count}/{max} photos.")


@dataclass
class Stored:
    """What to say about a received photo, and which photo row still needs its evidence copy."""

    lead: list[Text] = field(default_factory=list)
    replies: list[Message] = field(default_factory=list)
    copy_later: int | None = None


def upload_problem(services: Services, photo: Photo, data: bytes | None) -> tuple[UploadProblem | None, int | None]:
    """Why the upload is refused (and its size), from what the channel says and, if read, its bytes."""
    problem = photos.check_upload(services, photo.file.mime_type, photo.file.size)
    if data is not None and len(data) > photos.max_bytes(services):
        return UploadProblem.TOO_BIG, len(data)
    return problem, photo.file.size


async def receive(turn: Turn, photo: Photo, data: bytes | None, state: DraftState) -> Reply:
    """Store the photo in the person's draft (starting one) and say what comes next."""
    problem, size = upload_problem(turn.services, photo, data)
    arrival, due_in = await albums.arrived(turn, photo.album) if photo.album is not None else (None, None)
    stored = Stored()
    if turn.user.banned:
        stored.lead = [Text(BANNED)]
    elif problem is not None:
        stored.lead = [_refusal(turn, problem, size)]
    else:
        stored = await _store(turn, photo, data, state, in_album=arrival is not None)
    reply = Reply(album_due_in=due_in)
    if stored.copy_later is not None:
        reply.later.append(_copy_later(turn.services, stored.copy_later, photo))
    if arrival in (None, Arrival.FIRST):
        reply.lead, reply.messages = tuple(stored.lead), stored.replies
    return reply


async def fetch_bytes(photo: Photo) -> bytes | None:
    """The photo's bytes, or None when the channel would not hand them over, whatever it raised (a file id it
    no longer knows): the photo is kept by its id, and the sweep fetches its copy again."""
    try:
        return await photo.fetch()
    except Exception:
        log.warning("could not fetch the bytes of photo %s; keeping its file id", photo.file.file_id, exc_info=True)
        return None


def _copy_later(services: Services, photo_id: int, photo: Photo) -> Later:
    """Fetch and keep the evidence copy after the person was answered (the sweep retries if this fails).

    The photo's row may be gone by then (its draft cancelled, expired or the turn's photo refused): the copy is
    dropped. Nothing that goes wrong here reaches the person, who was answered already.
    """

    async def copy() -> None:
        data = await fetch_bytes(photo)
        if data is None:
            return
        try:
            await photos.attach_copy(services, photo_id, data, photo.file.mime_type)
        except Exception:
            log.warning("could not keep the copy of photo row %s; the sweep tries again", photo_id, exc_info=True)

    return copy


def _refusal(turn: Turn, problem: UploadProblem, size: int | None) -> Text:
    if problem is UploadProblem.NOT_IMAGE:
        return text("This file is not an image, so I can't use it. Please send a photo of the problem.")
    megabytes = f"{(size or 0) / 1024 / 1024:.1f}"
    limit = f"{turn.services.config.reporting.max_file_mb:g}"
    return text(
        "This file is {size} MB, more than the {limit} MB I accept. Please send a smaller photo.",
        size=megabytes,
        limit=limit,
    )


async def _store(turn: Turn, photo: Photo, data: bytes | None, state: DraftState, *, in_album: bool) -> Stored:
    """Add the photo to the draft; says what to answer (nothing inside an album)."""
    svc, file = turn.services, photo.file
    # A compressed photo's id can be shown again on its channel; a file's cannot (staff get the kept copy).
    channel = None if photo.as_file else turn.sender.identity.channel
    incoming = IncomingPhoto(file.file_id, file.unique_id, file.width, file.height, file.size, channel=channel)
    if data is not None:
        local_path = await photos.save_copy(svc, data, file.mime_type)
        incoming = replace(incoming, local_path=local_path, exif_location=await read_gps_in_thread(data))
    try:
        result = await intake.add_photo(svc, turn.session, turn.user, incoming, photo.caption, state)
    except IntakeRefused as err:
        await photos.remove_copies(svc, [incoming.local_path])  # refused uploads leave nothing on disk
        return Stored([refusal(err)])
    if not result.added:
        await photos.remove_copies(svc, [incoming.local_path])
    # add_photo flushed, so the row has its id for the copy kept after the answer.
    stored = Stored(copy_later=result.row.id if result.row is not None and data is None else None)
    if in_album:
        return stored
    limits = svc.config.reporting
    if not result.added:
        if result.count >= limits.max_photos:
            stored.lead = [text("A report holds at most {max} photos; this one was not added.", max=limits.max_photos)]
        else:
            stored.lead = [text("You already sent this photo.")]
        return stored
    stored.lead = [Text(GOT_IT, {"count": result.count, "max": limits.max_photos})]
    step = intake.next_step(result.draft)
    if (step is DraftStep.CATEGORY and result.count == 1) or step in (DraftStep.CONFIRM, DraftStep.LOCATION):
        stored.replies = prompt(svc, result.draft)
    return stored


async def album_answer(turn: Turn, album: str) -> Reply:
    """The album's one answer: how many photos the draft holds now, and the next question."""
    if not await albums.claim(turn, album):
        return Reply()
    draft = (await turn.state()).draft
    if draft is None:
        return Reply()
    limits = turn.services.config.reporting
    lead = [Text(GOT_IT, {"count": len(draft.photos), "max": limits.max_photos})]
    if len(draft.photos) >= limits.max_photos:
        lead.append(text("A report holds at most {max} photos; any more were not added.", max=limits.max_photos))
    asked = prompt(turn.services, draft) if intake.next_step(draft) is not DraftStep.NOTE else []
    return Reply(lead=tuple(lead), messages=asked)
