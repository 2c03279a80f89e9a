"""`citybot apikeys add|list|revoke`: the key is printed once, stored hashed, listed and revoked."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from models.db import Database
from services.apikeys import authenticate, hash_key
from services.clock import ManualClock
from tests.conftest import make_services

runner = CliRunner()


@pytest.fixture
def city_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db_file = tmp_path / "city.db"
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("CITYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")
    return db_file


def works(db_file: Path, key: str, clock: ManualClock, tmp_path: Path) -> bool:
    async def check() -> bool:
        db = Database(f"sqlite+aiosqlite:///{db_file}")
        try:
            return await authenticate(make_services(db, clock, tmp_path), key) is not None
        finally:
            await db.dispose()

    return asyncio.run(check())


def test_add_prints_the_key_once_and_stores_only_its_hash(city_db: Path, clock: ManualClock, tmp_path: Path) -> None:
    result = runner.invoke(app, ["apikeys", "add", "hotline-12345", "--rate", "120/min"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("c311_") and len(key) > 40
    with sqlite3.connect(city_db) as conn:
        stored = conn.execute("select name, key_hash, rate_limit, rate_seconds, callback_url from api_keys").fetchall()
        reporter = conn.execute(
            "select i.channel, i.external_id, u.contact_address from users u join identities i on i.user_id = u.id"
        ).fetchall()
    assert stored == [("hotline-12345", hash_key(key), 120, 60, None)]
    assert key not in str(stored)
    assert reporter == [("open311", "1", None)]  # the key's client as reporter, never messaged
    assert works(city_db, key, clock, tmp_path)


def test_list_shows_keys_without_the_secret_and_revoke_stops_the_key(
    city_db: Path, clock: ManualClock, tmp_path: Path
) -> None:
    key = runner.invoke(app, ["apikeys", "add", "fixmystreet"]).stdout.strip()
    runner.invoke(app, ["apikeys", "add", "app-311", "--rate", "10/s"])
    listed = runner.invoke(app, ["apikeys", "list"])
    lines = [line.split("\t") for line in listed.stdout.strip().splitlines()]
    assert [(row[0], row[2], row[4]) for row in lines] == [
        ("fixmystreet", "60/min", "active"),
        ("app-311", "10/s", "active"),
    ]
    assert lines[0][1] == key[:9] + "…" and key not in listed.stdout

    result = runner.invoke(app, ["apikeys", "revoke", "fixmystreet"])
    assert result.exit_code == 0 and result.stdout.strip() == "key 'fixmystreet' is revoked"
    assert runner.invoke(app, ["apikeys", "list"]).stdout.splitlines()[0].split("\t")[4].startswith("revoked ")
    assert not works(city_db, key, clock, tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "bad name!"], "citybot: name 'bad name!' must be 1-64 letters, digits, '.', '_' or '-'"),
        (["add", "x", "--rate", "lots"], "citybot: rate 'lots' is not like 60/min (per s, min, h or day, at least 1)"),
        (
            ["add", "x", "--rate", "0/min"],
            "citybot: rate '0/min' is not like 60/min (per s, min, h or day, at least 1)",
        ),
        (["revoke", "nobody"], "citybot: there is no key named 'nobody'; see `citybot apikeys list`"),
    ],
)
def test_mistakes_are_one_line_errors(city_db: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["apikeys", *args])
    assert result.exit_code == 2 and result.output.strip() == message
    with sqlite3.connect(city_db) as conn:
        assert conn.execute("select count(*) from api_keys").fetchone() == (0,)


def test_a_name_is_used_once(city_db: Path) -> None:
    runner.invoke(app, ["apikeys", "add", "hotline"])
    result = runner.invoke(app, ["apikeys", "add", "hotline"])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == "citybot: there is already a key named 'hotline' (names stay with the cases they filed)"
    )


def test_a_key_with_a_callback_stores_it_lists_it_and_makes_its_client_reachable(city_db: Path) -> None:
    url = "https://fixmystreet.example.org/open311/updates?source=citybot"
    result = runner.invoke(app, ["apikeys", "add", "fixmystreet", "--callback", url])
    assert result.exit_code == 0, result.output
    assert f"status updates posted to {url}" in result.stderr
    runner.invoke(app, ["apikeys", "add", "hotline"])
    with sqlite3.connect(city_db) as conn:
        stored = conn.execute("select name, callback_url from api_keys order by id").fetchall()
        contacts = conn.execute(
            "select i.external_id, u.contact_channel, u.contact_address"
            " from users u join identities i on i.user_id = u.id order by i.external_id"
        ).fetchall()
    assert stored == [("fixmystreet", url), ("hotline", None)]
    # The callback's client is reachable on the open311 channel (its status notices are queued); the other is not.
    assert contacts == [("1", "open311", "1"), ("2", None, None)]
    listed = [line.split("\t") for line in runner.invoke(app, ["apikeys", "list"]).stdout.strip().splitlines()]
    assert [(row[0], row[5]) for row in listed] == [("fixmystreet", url), ("hotline", "-")]

    runner.invoke(app, ["apikeys", "revoke", "fixmystreet"])
    with sqlite3.connect(city_db) as conn:  # a revoked key's client is told nothing more
        assert conn.execute("select count(*) from users where contact_address is not null").fetchone() == (0,)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/updates", "example.org/updates", "https://", "http://example.org:99999/x",
     "http://example.org/a b", "javascript:alert(1)", "https://example.org/" + "x" * 500],
)  # fmt: skip
def test_a_callback_that_is_not_an_http_url_is_a_one_line_error(city_db: Path, url: str) -> None:
    result = runner.invoke(app, ["apikeys", "add", "hotline", "--callback", url])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"citybot: callback {url!r} is not an http:// or https:// URL with a host (at most 500 characters)"
    )
    with sqlite3.connect(city_db) as conn:
        assert conn.execute("select count(*) from api_keys").fetchone() == (0,)
        assert conn.execute("select count(*) from users").fetchone() == (0,)
