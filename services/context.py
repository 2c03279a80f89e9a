"""The resources every use case needs, wired once by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from geo.geocoding import Geocoder, OfflineGeocoder
from geo.grid_index import GridIndex
from models.db import Database
from services.channels import ChannelRegistry
from services.clock import Clock
from services.config import AppConfig
from services.worktime import WorkCalendar

if TYPE_CHECKING:
    from services.deadlines import MemoCalendar
    from services.pacing import Pacer


@dataclass
class InFlight:
    """The outbox rows this process's delivery passes are sending now, and their addresses.

    Claims are leased in clock time, and a clock moved forward (the demo's clock) lapses them at once; these sets
    cannot lapse, so no pass of the process takes a row, or a row of an address, another pass is still sending.
    """

    rows: set[int] = field(default_factory=set)
    addresses: set[tuple[str, str]] = field(default_factory=set)
    #: Held while a pass claims and registers its rows, so two passes never claim past each other.
    claiming: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class Services:
    """Database, clock, configuration and the shared in-memory indexes."""

    db: Database
    config: AppConfig
    clock: Clock
    tz: ZoneInfo
    data_dir: Path
    calendar: WorkCalendar
    #: The senders of the channels this process delivers to (registered by the composition root).
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    #: Spaces outbox sends under the channels' flood limits; shared by every delivery pass of the process.
    pacer: Pacer | None = None
    #: What the process's delivery passes are sending now.
    in_flight: InFlight = field(default_factory=InFlight)
    #: A delivery pass of this process is running (the next tick does not start another).
    delivering: bool = False
    #: Someone asked for one more delivery pass after the running one (the demo's clock).
    delivery_wanted: bool = False
    #: The channel of bare addresses in the configuration (e.g. summary broadcast chat ids).
    default_channel: str = ""
    #: Coroutines run once when the process starts serving (the grid index is built by one).
    startup_hooks: list[Callable[[Services], Awaitable[None]]] = field(default_factory=list)
    #: The grid index routing reads, the database state it was built from, and when that was last checked.
    grid_index: GridIndex | None = None
    grid_version: tuple[int, datetime | None] | None = None
    #: Each unit's parent, kept with the index so routing walks up the chain without a query per level.
    grid_parents: dict[str, str | None] | None = None
    grid_checked_at: datetime | None = None
    #: The online geocoder, built on first use (None until then, and with the offline provider).
    geocoder: Geocoder | None = None
    #: The offline geocoder and the grid index it was built beside (rebuilt when the grid index is).
    offline_geocoder: tuple[GridIndex | None, OfflineGeocoder] | None = None
    #: ``calendar`` with memory for the SLA sweep: (the calendar it was built from, the memo).
    calendar_memo: tuple[WorkCalendar, MemoCalendar] | None = None

    @classmethod
    def build(cls, db: Database, config: AppConfig, clock: Clock, timezone: str, data_dir: Path) -> Services:
        """Wire the services for ``db`` with the calendar derived from ``config``."""
        tz = ZoneInfo(timezone)
        calendar_config = config.work_calendar.model_dump()
        calendar_config["timezone"] = timezone
        return cls(db, config, clock, tz, data_dir, WorkCalendar.from_config(calendar_config))
