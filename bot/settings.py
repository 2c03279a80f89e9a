"""Process settings from the environment (prefix ``CITYBOT_``) and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings; domain configuration lives in the TOML file named by ``config``."""

    model_config = SettingsConfigDict(env_prefix="CITYBOT_", env_file=".env", extra="ignore")

    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    database_url: str = "sqlite+aiosqlite:///citybot.db"
    timezone: str = "Asia/Shanghai"
    config: Path | None = None
    data_dir: Path = Field(default=Path("var"), description="photos and other files kept on disk")
    log_level: str = "INFO"
    bot_username: str | None = None
    webhook_url: str | None = None
    #: Sent by Telegram with every webhook request (1-256 of A-Z a-z 0-9 _ -); required in webhook mode.
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    # The WeChat Official Account channel (channels/wechat/): on when wechat_app_id is set.
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_token: str | None = None
    wechat_aes_key: str | None = Field(default=None, description="EncodingAESKey (43 characters): safe mode")
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_listen: str = "127.0.0.1"
    wechat_port: int = 8090
    wechat_reply_budget: float = Field(default=4.0, description="seconds to wait before answering `success`")
    #: Also send choices as a ``msgmenu`` message (only accounts that may send them).
    wechat_msgmenu: bool = False
    #: The Open311 GeoReport v2 API: ``citybot api`` always serves it, ``citybot run`` when a port is set.
    open311_port: int | None = None
    open311_listen: str = "127.0.0.1"
    #: The API's address as clients see it (behind a reverse proxy), e.g. https://city.example/open311/v2.
    open311_public_url: str | None = None

    @classmethod
    def offline(cls, bot_api: str, token: str, database_url: str, data_dir: Path) -> Settings:
        """Settings of a bot served by the Bot API server at ``bot_api`` (the sandbox's URL), ignoring ``.env`` and
        the environment's Telegram address: the demo, the end-to-end tests and the benchmarks run this way."""
        return cls(
            _env_file=None,  # type: ignore[call-arg]
            telegram_token=token,
            telegram_base_url=f"{bot_api}/bot",
            telegram_base_file_url=f"{bot_api}/file/bot",
            database_url=database_url,
            data_dir=data_dir,
        )
