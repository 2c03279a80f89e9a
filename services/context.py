"""The resources every use case needs, wired once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from models.db import Database
from services.channels import ChannelRegistry
from services.clock import Clock
from services.config import AppConfig
from services.worktime import WorkCalendar


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
    pacer: Any = None
    #: A delivery pass of this process is running (the next tick does not start another).
    delivering: bool = False
    #: The channel of bare addresses in the configuration (e.g. summary broadcast chat ids).
    default_channel: str = ""
    #: Late-bound parts (grid index, geocoder...) registered by the composition root.
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, db: Database, config: AppConfig, clock: Clock, timezone: str, data_dir: Path) -> Services:
        """Wire the services for ``db`` with the calendar derived from ``config``."""
        tz = ZoneInfo(timezone)
        calendar_config = config.work_calendar.model_dump()
        calendar_config["timezone"] = timezone
        return cls(db, config, clock, tz, data_dir, WorkCalendar.from_config(calendar_config))
