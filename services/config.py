"""Domain configuration: categories, work calendar, routing, SLA and broadcast settings from TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")


class Category(BaseModel):
    """One problem category of the catalog."""

    code: str
    group: str = "99"
    zh: str
    en: str
    limit: str = "1d"
    clock: Literal["working", "emergency"] = "working"

    def label(self, language: str) -> str:
        """The category's name in ``language`` (``zh...`` or anything else for English)."""
        return self.zh if language.startswith("zh") else self.en


class WorkCalendarConfig(BaseModel):
    periods: list[tuple[str, str]] = [("08:00", "12:00"), ("14:00", "18:00")]
    weekdays: list[int] = [1, 2, 3, 4, 5]
    holidays: list[str] = []
    makeup_days: list[str] = []


class CategoryRule(BaseModel):
    category: str
    unit: str


class RoutingConfig(BaseModel):
    snap_distance_m: float = 100.0
    #: A reported place farther than this from the city's area (the hull of every unit) is confirmed by the
    #: citizen before it is used; 0 never asks.
    far_from_city_m: float = Field(5000.0, ge=0)
    category_rules: list[CategoryRule] = []


class ReportingConfig(BaseModel):
    max_photos: int = Field(5, ge=1, le=10)
    note_max_chars: int = Field(500, ge=1, le=4000)
    #: A file over this is refused before it is fetched. A kept copy is sent again as a picture, and bots may
    #: upload photos of at most 10 MB (and download files of at most 20 MB), so 10 is the ceiling.
    max_file_mb: float = Field(10.0, gt=0, le=10)
    draft_ttl_minutes: int = 60
    duplicate_radius_m: float = 50.0
    duplicate_window_hours: float = 24.0
    reports_per_hour: int = 10
    album_wait_seconds: float = 1.5
    photo_dir: str = "photos"
    #: Categories whose reports must carry a photo when they come from a channel where a photo is optional.
    photo_required: list[str] = []


class LimitsConfig(BaseModel):
    #: Messages, button presses and edits one person may send a minute (a burst of as many is allowed); over it
    #: they are told once and ignored for a minute. Counted per receiving process; 0 turns the limit off.
    messages_per_minute: int = Field(30, ge=0)


class GeocodingConfig(BaseModel):
    provider: str = "offline"
    api_key: str = ""
    user_agent: str = "citybot"
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class SlaConfig(BaseModel):
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    reminder_fraction: float = Field(default=0.75, gt=0, lt=1)
    escalation_after_hours: list[float] = [0.0, 4.0, 24.0]
    chase_interval_hours: float = Field(default=4.0, gt=0)
    confirm_timeout_hours: float = 72.0
    batch_size: int = Field(default=1000, ge=1)
    claim_seconds: float = Field(default=300.0, gt=0)

    @field_validator("escalation_after_hours")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if any(hours < 0 for hours in value) or value != sorted(value):
            raise ValueError("escalation_after_hours must be non-negative and ascending")
        return value


class OutboxConfig(BaseModel):
    interval_seconds: float = 1.0
    batch_size: int = 50
    max_attempts: int = 8
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 900.0
    claim_seconds: float = 120.0
    global_per_second: float = Field(30.0, gt=0)
    per_chat_interval_seconds: float = Field(1.0, ge=0)
    group_interval_seconds: float = Field(3.0, ge=0)
    parallel_chats: int = Field(8, ge=1)


class SummaryConfig(BaseModel):
    cron: str = "0 9 * * mon"
    #: Broadcast targets: "channel:address", or a bare chat id on the default channel.
    channels: list[int | str] = []
    bottom_count: int = 3
    top_count: int = 3
    rank_level: Literal["grid", "community", "street", "district"] = "street"
    channel_language: Literal["zh_CN", "en"] = "zh_CN"
    leaderboard_size: int = Field(default=5, ge=0, le=50)
    chart_units: int = Field(default=15, ge=1, le=60)
    #: A unit is ranked only with at least this many cases due in the week (the on-time rate's denominator).
    rank_min_cases: int = Field(default=5, ge=1)


class Open311Config(BaseModel):
    """The Open311 GeoReport v2 API: what it publishes and how it fetches a reporter's ``media_url``."""

    #: Publish report photos (EXIF removed) through the API's own media URL; off by default.
    publish_photos: bool = False
    contact: str = ""
    key_service: str = ""
    media_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Allow ``media_url`` on loopback or private addresses (tests, a city's own intranet photo store).
    media_private_hosts: bool = False
    #: A kept GET answer is reused while the data version is unchanged; the version is read again at most this
    #: often (0: on every request, so a change shows at once).
    cache_check_seconds: float = Field(default=0.0, ge=0)


class WeChatConfig(BaseModel):
    """The WeChat Official Account: template messages for notices that find the person outside the 48-hour window.

    ``templates`` maps an outbox notice kind (``case_status``, ``assignment_card``, ``summary``...) to the id of a
    template approved for the account; its fields ``first``, ``content`` and ``remark`` are filled. A kind without
    a template waits until the person writes again.
    """

    templates: dict[str, str] = {}
    #: Where a click on a template message leads (empty: nowhere).
    template_url: str = ""


class AppConfig(BaseModel):
    """Everything an operator configures about the city, validated."""

    categories: list[Category]
    work_calendar: WorkCalendarConfig = WorkCalendarConfig()
    routing: RoutingConfig = RoutingConfig()
    reporting: ReportingConfig = ReportingConfig()
    limits: LimitsConfig = LimitsConfig()
    geocoding: GeocodingConfig = GeocodingConfig()
    sla: SlaConfig = SlaConfig()
    outbox: OutboxConfig = OutboxConfig()
    summary: SummaryConfig = SummaryConfig()
    open311: Open311Config = Open311Config()
    wechat: WeChatConfig = WeChatConfig()

    @field_validator("categories")
    @classmethod
    def _unique_codes(cls, value: list[Category]) -> list[Category]:
        codes = [c.code for c in value]
        if len(codes) != len(set(codes)):
            raise ValueError("category codes must be unique")
        if not codes:
            raise ValueError("at least one category is required")
        return value

    def category(self, code: str) -> Category | None:
        """The category with ``code``, or None."""
        return next((c for c in self.categories if c.code == code), None)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path | None = None) -> AppConfig:
    """Load the shipped defaults, overlaid with the operator's file at ``path`` if given."""
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    if path is not None:
        data = _merge(data, tomllib.loads(Path(path).read_text(encoding="utf-8")))
    return AppConfig.model_validate(data)
