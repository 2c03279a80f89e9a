"""Configuration: the shipped catalog and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from services.config import load_config


def test_default_catalog_has_the_national_categories_with_limits() -> None:
    config = load_config()
    codes = {c.code: c for c in config.categories}
    assert set(codes) == {"0201", "0204", "0102", "0103", "0505", "0506", "0504", "0507", "99"}
    assert codes["0505"].clock == "emergency" and codes["0505"].limit == "2h"
    assert codes["0201"].label("zh_CN") == "非法小广告（牛皮癣）"
    assert codes["0201"].label("en") == "Illegal small ads / posters"


def test_operator_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text("[reporting]\nreports_per_hour = 3\n[summary]\nchannels = [-1001]\n", encoding="utf-8")
    config = load_config(path)
    assert config.reporting.reports_per_hour == 3
    assert config.reporting.max_photos == 5
    assert config.summary.channels == [-1001]


def test_duplicate_category_codes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[categories]]\ncode="1"\nzh="a"\nen="a"\n[[categories]]\ncode="1"\nzh="b"\nen="b"\n', encoding="utf-8"
    )
    with pytest.raises(ValidationError, match="unique"):
        load_config(path)


def test_settings_read_the_citybot_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYBOT_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("CITYBOT_TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_token == "123:abc"
    assert settings.telegram_base_url == "http://127.0.0.1:9/bot"
    assert settings.database_url == "sqlite+aiosqlite:///citybot.db"
    assert settings.timezone == "Asia/Shanghai"


@pytest.mark.parametrize("size", ["10.5", "25", "0"])
def test_the_file_size_limit_stays_within_what_bots_may_upload_again(tmp_path: Path, size: str) -> None:
    path = tmp_path / "city.toml"
    path.write_text(f"[reporting]\nmax_file_mb = {size}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="max_file_mb"):
        load_config(path)
