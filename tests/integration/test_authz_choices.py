"""The authorisation matrix, continued: report-draft choices, subscriptions, forged payloads, and the rules other
branches are changing (see test_authz_matrix.py for the case actions and the principles).

Expected permissions, written out:

- a draft's choices (category, photo's place, skip the note, submit, cancel) are its owner's alone, and not even
  the owner's once they are banned; a finished draft's choices are nobody's;
- a weekly report is anyone's to subscribe to from their own chat (a banned person's subscription is kept but the
  broadcast skips them); in a group, only the group's admins may (un)subscribe it;
- a forged payload (a case or draft that does not exist, a token or command that is malformed or too long) is
  refused for everyone, with an answer, and changes nothing;
- whoever handled a case may not confirm it themselves, even when they reported it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.context import Services
from services.conversation import Command, Edited, Event, Picked, Sender
from tests.integration.authz_world import R, build_world, changes, make_case, make_draft, snapshot
from tests.integration.test_authz_matrix import CASE_ROWS, CaseStatus, refused_answer
from tests.integration.test_conversation import person

S = CaseStatus
MISSING = 987654321
OWNERS_ONLY = frozenset({R.REPORTER})

#: (choice, the step the owner's draft waits at, the token for a draft id)
DRAFT_ROWS: tuple[tuple[str, str, Callable[[int], str]], ...] = (
    ("category", "category", lambda d: f"draft:cat:{d}:0102"),
    ("photo's place", "location", lambda d: f"draft:exif:{d}"),
    ("skip the note", "note", lambda d: f"draft:skip:{d}"),
    ("submit", "confirm", lambda d: f"draft:submit:{d}"),
    ("cancel", "confirm", lambda d: f"draft:cancel:{d}"),
)


@pytest.mark.parametrize(("name", "step", "token"), DRAFT_ROWS, ids=[r[0] for r in DRAFT_ROWS])
async def test_a_drafts_choices_are_its_owners_alone(
    services: Services, name: str, step: str, token: Callable[[int], str]
) -> None:
    world = await build_world(services)
    problems = []
    for role in R:
        owner = R.BANNED if role is R.BANNED else R.REPORTER
        draft_id = await make_draft(world, owner, step)
        before = await snapshot(world)
        event = Picked(token(draft_id))
        reply = await world.act(role, event)
        diff = changes(before, await snapshot(world))
        if role in OWNERS_ONLY:
            if not diff or reply.alert is not None:
                problems.append(f"{name} by the owner did nothing: {world.said(reply)!r}")
        elif diff or (wrong := refused_answer(world, event, reply)):
            problems.append(f"{name} by {role} on someone else's draft: {diff or wrong}")
    assert problems == []


SUBSCRIBING: tuple[tuple[str, Event], ...] = (
    ("/subscribe city", Command("subscribe", ("city",), "/subscribe")),
    ("/subscribe <community>", Command("subscribe", ("东华门社区",), "/subscribe")),
    ("whole-city choice", Picked("sub:city")),
    ("community choice", Picked("sub:u:C-1")),
)


@pytest.mark.parametrize(("name", "event"), SUBSCRIBING, ids=[s[0] for s in SUBSCRIBING])
async def test_anyone_subscribes_their_own_chat(services: Services, name: str, event: Event) -> None:
    world = await build_world(services)
    problems = []
    for role in R:
        before = await snapshot(world)
        reply = await world.act(role, event)
        came = changes(before, await snapshot(world)).get("subscriptions", {}).get("came", [])
        if len(came) != 1 or "Subscribed" not in world.said(reply):
            problems.append(f"{name} by {role}: {world.said(reply)!r}, new rows {came}")
    assert problems == []


def group_member(number: int) -> Sender:
    """Someone writing in a group where they are a plain member, not an admin."""
    return person(number, place=-100_000 - number)


@pytest.mark.parametrize(("name", "event"), SUBSCRIBING, ids=[s[0] for s in SUBSCRIBING])
async def test_a_plain_group_member_may_not_subscribe_the_group(services: Services, name: str, event: Event) -> None:
    world = await build_world(services)
    before = await snapshot(world)
    reply = await world.conversation.handle(group_member(4242), event)
    assert world.said(reply).strip() and "Subscribed" not in world.said(reply)
    assert changes(before, await snapshot(world)) == {}


@pytest.mark.parametrize("row", [r for r in CASE_ROWS if r.fresh is S.RESOLVED], ids=lambda r: r.name)
async def test_an_officer_may_not_confirm_the_case_they_reported_and_resolved(services: Services, row: object) -> None:
    world = await build_world(services)
    case_id = await make_case(world, S.RESOLVED, reporter=R.OFFICER)
    before = await snapshot(world)
    event = row.event(case_id)  # type: ignore[attr-defined]
    reply = await world.act(R.OFFICER, event)
    assert refused_answer(world, event, reply) is None
    assert changes(before, await snapshot(world)) == {}


def forged(case_id: int, returned_id: int, draft_id: int, old_draft_id: int) -> list[Event]:
    """Payloads nobody was offered: missing objects, malformed and overlong tokens and commands."""
    c, r = case_id, returned_id
    tokens = [
        f"case:accept:{MISSING}",
        f"case:fixed:{MISSING}",
        f"case:assign:{MISSING}:G-1",
        "case:accept:abc",
        "case:accept:",
        "case:accept:-1",
        f"case:accept:{c}:x",
        f"case:accept:{c} ",
        f"case:accept:+{c}",
        "case:accept:" + "9" * 13,
        "case:accept:" + "1" * 60,
        "case:accept:١",  # a digit, but not an ASCII one
        f"case:delete:{c}",
        f"case:assign:{r}:",
        f"case:assign:{r}:NOPE",
        f"case:assign:{r}:" + "G" * 200,
        f"draft:submit:{old_draft_id}",
        f"draft:submit:{MISSING}",
        f"draft:cat:{draft_id}:9999",
        f"draft:cat:{draft_id}:" + "x" * 100,
        f"draft:nuke:{draft_id}",
        "draft:submit:",
        f"my:case:{MISSING}",
        "my:case:abc",
        "sub:u:NOPE",
        "sub:p:abc",
        "sub:p:-1",
        "sub:c:abc:S-1",
        "sub:c:-1:S-1",
        "sub:c:20:",
        "sub:c:20:NOPE",
        "sub:s:" + "x" * 80,
        "sub:zzz",
        "lang:xx",
        "",
        "🙂" * 20,
        "\x00",
    ]
    commands = [
        ("case", ("abc",)),
        ("case", ("9" * 14,)),
        ("case", (str(MISSING),)),
        ("extend", (str(c), "99999999d")),
        ("extend", (str(c), "-4h")),
        ("extend", (str(c), "4x")),
        ("extend", (str(MISSING), "1h")),
        ("assign", (str(r),)),
        ("assign", (str(r), "NOPE")),
        ("assign", ("x", "G-1")),
        ("close", (str(c),)),
        ("suspend", (str(c),)),
        ("reject", (str(r),)),
        ("resume", (str(c),)),
        ("close", ("#" + "1" * 30, "note")),
    ]
    # An edited command is never run again, however valid it is.
    edited = [
        Edited(Command(name, args, f"/{name}"))
        for name, args in (("extend", (str(c), "4h")), ("close", (str(c), "done")), ("assign", (str(r), "G-1")))
    ]
    return [Picked(t) for t in tokens] + [Command(name, args, f"/{name}") for name, args in commands] + edited


async def test_forged_payloads_are_refused_for_everyone_and_change_nothing(services: Services) -> None:
    world = await build_world(services)
    case_id = await make_case(world, S.DISPATCHED)
    returned_id = await make_case(world, S.RETURNED)
    old_draft = await make_draft(world, R.REPORTER, "confirm")
    draft_id = await make_draft(world, R.REPORTER, "confirm")  # replaces the old one
    payloads = forged(case_id, returned_id, draft_id, old_draft)
    problems = []
    before = await snapshot(world)
    for role in R:
        for event in payloads:
            reply = await world.act(role, event)
            if wrong := refused_answer(world, event, reply):
                problems.append(f"{event} by {role}: {wrong}")
            if diff := changes(before, await snapshot(world)):
                problems.append(f"{event} by {role} changed rows: {diff}")
                before = await snapshot(world)
    assert problems == []
