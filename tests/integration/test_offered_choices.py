"""The numbered choices a person was shown, kept in the database, and invite codes: on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.grid import UnitLevel
from models.uow import UnitOfWork
from services.context import Services
from services.grids import save_unit
from services.offered import OfferedItem, forget, offered, remember
from services.officers import CODE_ALPHABET, InviteError, create_invite, redeem_code
from services.users import Identity, ensure_user

ITEMS = [OfferedItem("暴露垃圾", "draft:cat:1:0102", ("Exposed litter",)), OfferedItem("其他", "draft:cat:1:9999")]


async def test_the_last_list_shown_is_kept_and_replaced(services: Services) -> None:
    assert await offered(services, "wechat", "o-1") is None
    await remember(services, "wechat", "o-1", ITEMS, locale="zh_CN")
    await remember(services, "wechat", "o-2", ITEMS[:1], locale="en", open=True)
    kept = await offered(services, "wechat", "o-1")
    assert kept is not None and list(kept.items) == ITEMS and not kept.open and kept.locale == "zh_CN"
    await remember(services, "wechat", "o-1", ITEMS[1:], locale="en", open=True)
    kept = await offered(services, "wechat", "o-1")
    assert kept is not None and list(kept.items) == ITEMS[1:] and kept.open and kept.locale == "en"
    await forget(services, "wechat", "o-1")
    assert await offered(services, "wechat", "o-1") is None
    other = await offered(services, "wechat", "o-2")
    assert other is not None and other.items[0].aliases == ("Exposed litter",)


async def test_an_invite_code_binds_once_however_it_is_typed(services: Services) -> None:
    now = services.clock.now()
    async with UnitOfWork(services.db) as uow:
        await save_unit(uow.session, unit_id="G-9", name="网格九", level=UnitLevel.GRID, now=now)
        invite = await create_invite(uow.session, "G-9", now=now, valid_for=timedelta(hours=1))
        first = await ensure_user(uow.session, Identity("o-a", channel="wechat"), now)
        second = await ensure_user(uow.session, Identity("o-b", channel="wechat"), now)
        await uow.commit()
    code = invite.code or ""
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    typed = f" {code[:4].lower()}-{code[4:]} "
    async with UnitOfWork(services.db) as uow:
        used, unit = await redeem_code(uow.session, typed, first, now)
        assert unit.id == "G-9" and used.token == invite.token
        await uow.commit()
    async with UnitOfWork(services.db) as uow:
        with pytest.raises(InviteError) as refused:
            await redeem_code(uow.session, code, second, now)
        assert refused.value.reason == "used"
        with pytest.raises(InviteError) as unknown:
            await redeem_code(uow.session, "", second, now)
        assert unknown.value.reason == "unknown"
