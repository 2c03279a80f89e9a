"""Answers to a question the bot asked an officer or supervisor: the after-photo, its note, a return or reject reason.

The question is a ``PendingInput`` row, so it survives restarts. While one is open, the person's next message is
taken as the answer (nothing else sees it), and /skip and /cancel belong to the question; a wrong kind of message
gets a clear answer and the question stays.
"""

from __future__ import annotations

import asyncio

from models.cases import PendingInput
from services import cases, photos
from services.cases import CaseActionError, ProofPhoto
from services.conversation.events import Event, Photo, Typed
from services.conversation.replies import Reply
from services.conversation.turn import Turn, case_refusal
from services.i18n import N_
from services.messages import Text, text

ASK_NOTE = N_("Got it. Add a short note for the reporter, or /skip to finish.")


async def proof_photo(turn: Turn, event: Event, data: bytes | None) -> ProofPhoto | None:
    """A photo (shown again by its id on its channel), or an image sent as a file, as an after-photo.

    Its bytes (read before the turn) are checked to be an image and kept on disk: a reporter or supervisor on
    another channel is shown that copy, re-encoded without metadata (a file's id cannot be shown as a photo at all,
    and the file itself carries its EXIF). A photo whose bytes could not be read keeps only its id; None when a
    file is no usable image.
    """
    if not isinstance(event, Photo):
        return None
    file = event.file
    channel = None if event.as_file else turn.sender.identity.channel
    sniffed = await _sniffed(turn, data)
    if sniffed is None or data is None:
        if event.as_file:
            return None
        return ProofPhoto(file.file_id, file.unique_id, file.width, file.height, file.size, channel)
    kept = await photos.save_copy(turn.services, data, sniffed.mime_type)
    return ProofPhoto(file.file_id, file.unique_id, sniffed.width, sniffed.height, len(data), channel, kept)


async def _sniffed(turn: Turn, data: bytes | None) -> photos.SniffedImage | None:
    """What the bytes are, when they are an image within the size limit."""
    if data is None or len(data) > photos.max_bytes(turn.services):
        return None
    return await asyncio.to_thread(photos.sniff_image, data)


async def command(turn: Turn, pending: PendingInput, name: str) -> Reply:
    """/cancel drops the question; /skip skips what may be skipped (the after-photo's note)."""
    if name == "cancel":
        turn.discard.extend(p.local_path for p in cases.staged_photos(pending) if p.local_path)
        await cases.forget_input(turn.session, turn.user)
        return Reply.say(text("Cancelled. Case #{id} is unchanged.", id=pending.case_id))
    if pending.kind == cases.ASK_RESOLVE_NOTE:
        return Reply.say(await _finish(turn, pending, None))
    if pending.kind == cases.ASK_RESOLVE_PHOTO:
        return Reply.say(text("The after-photo is required. Please send a photo of the fixed place, or /cancel."))
    return Reply.say(text("A reason is required. Please type it, or /cancel."))


async def answer(turn: Turn, pending: PendingInput, event: Event, data: bytes | None = None) -> Reply:
    """Act on the message as the answer (silence for the rest of an album of after-photos).

    ``data`` holds the bytes of an image sent as a file (read before the turn).
    """
    photo = await proof_photo(turn, event, data)
    said = event.text.strip() if isinstance(event, Typed) else ""
    if pending.kind in (cases.ASK_RESOLVE_PHOTO, cases.ASK_RESOLVE_NOTE):
        if photo is not None and isinstance(event, Photo):
            return await _photo(turn, pending, event, photo)
        if pending.kind == cases.ASK_RESOLVE_NOTE and said:
            return Reply.say(await _finish(turn, pending, said))
        if pending.kind == cases.ASK_RESOLVE_NOTE:
            return Reply.say(text("Please type a note for the reporter, or /skip to finish."))
        return Reply.say(text("Please send a photo of the fixed place (as a photo), or /cancel."))
    if not said:
        return Reply.say(text("Please type the reason as a text message, or /cancel."))
    try:
        if pending.kind == cases.ASK_RETURN_REASON:
            case = await cases.return_case(turn.services, turn.session, pending.case_id or 0, turn.user, said)
            return Reply.say(text("Case {number} was returned (回退) to the supervisor.", number=case.number))
        case = await cases.reject(turn.services, turn.session, pending.case_id or 0, turn.user, said)
        return Reply.say(text("Case {number} was rejected; the reporter was told why.", number=case.number))
    except CaseActionError as err:
        if err.message != cases.TOO_LONG:  # a reason too long is asked again; otherwise the case moved on
            await cases.forget_input(turn.session, turn.user)
        return Reply.say(case_refusal(err))


async def _photo(turn: Turn, pending: PendingInput, event: Photo, photo: ProofPhoto) -> Reply:
    """An after-photo: a single photo with a caption resolves at once; otherwise ask for the note."""
    caption = (event.caption or "").strip()
    if len(caption) > cases.TEXT_MAX:  # the photo is kept; the note is asked again
        first = await cases.stage_proof_photo(turn.session, turn.user, pending, photo, group=event.album)
        too_long = Text(cases.TOO_LONG, {"limit": cases.TEXT_MAX, "count": len(caption)})
        return Reply.say(too_long, Text(ASK_NOTE)) if first else Reply()
    if pending.kind == cases.ASK_RESOLVE_PHOTO and caption and event.album is None:
        await cases.stage_proof_photo(turn.session, turn.user, pending, photo)
        return Reply.say(await _finish(turn, pending, caption))
    first = await cases.stage_proof_photo(turn.session, turn.user, pending, photo, group=event.album, note=caption)
    return Reply.say(Text(ASK_NOTE)) if first else Reply()


async def _finish(turn: Turn, pending: PendingInput, note: str | None) -> Text:
    """Resolve with the staged photos and ``note`` (or the caption kept with them)."""
    staged = cases.staged_photos(pending)
    note = note or cases.staged_note(pending)
    try:
        case = await cases.resolve(turn.services, turn.session, pending.case_id or 0, turn.user, staged, note)
    except CaseActionError as err:
        if err.message not in (cases.NEED_PHOTO, cases.TOO_LONG):
            # The case moved on: the question goes, and so do the copies of its after-photos (nobody will see them).
            turn.discard.extend(p.local_path for p in staged if p.local_path)
            await cases.forget_input(turn.session, turn.user)
        return case_refusal(err)
    if cases.handled_own_report(case):
        return text(
            "Case {number} is resolved. You reported it yourself, so its supervisor checks it instead of you.",
            number=case.number,
        )
    return text("Case {number} is resolved. The reporter will be asked to confirm.", number=case.number)
