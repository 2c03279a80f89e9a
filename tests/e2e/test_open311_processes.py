"""`citybot api` serves the Open311 API alone; `citybot run` serves it beside the bot when a port is set."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import aiohttp
import pytest

from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from tests.e2e.conftest import process_env
from tests.processes import Running, citybot
from tests.world import free_port


async def discovery_when_up(url: str, process: Running) -> dict[str, object]:
    """The discovery document once the process answers (fails if it exits first)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            assert process.returncode is None, "the process stopped"
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return dict(await resp.json())
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


@pytest.mark.parametrize("command", [["api"], ["run", "--no-jobs"]])
async def test_the_api_is_served_by_its_own_process_and_beside_the_bot(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path, command: list[str]
) -> None:
    port = free_port()
    env = process_env(sandbox, f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", tmp_path / "data")
    env.update(CITYBOT_OPEN311_PORT=str(port), CITYBOT_OPEN311_PUBLIC_URL="https://city.example/open311/v2")
    async with citybot(*command, env=env, cwd=tmp_path, stop_with=signal.SIGINT) as process:
        found = await discovery_when_up(f"http://127.0.0.1:{port}/open311/v2/discovery.json", process)
        endpoints = found["endpoints"]
        assert isinstance(endpoints, list) and endpoints[0]["url"] == "https://city.example/open311/v2"
        if command[0] == "run":  # the bot answers in Telegram beside the API
            person = await client.create_user(first_name="Anna", language_code="en")
            await client.send_command(person, "/start")
            assert (await client.wait_for_message(person.chat_id, timeout=30)).text
    assert process.returncode == 0, process.errors


async def test_run_without_the_port_serves_no_api(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    port = free_port()
    env = process_env(sandbox, f"sqlite+aiosqlite:///{tmp_path / 'city.db'}", tmp_path / "data")
    env.pop("CITYBOT_OPEN311_PORT", None)
    async with citybot("run", "--no-jobs", env=env, cwd=tmp_path, stop_with=signal.SIGINT) as process:
        person = await client.create_user(first_name="Anna", language_code="en")
        await client.send_command(person, "/start")
        assert (await client.wait_for_message(person.chat_id, timeout=30)).text  # the bot is up
        with pytest.raises(aiohttp.ClientError):
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/open311/v2/discovery.json"):
                pass
    assert process.returncode == 0, process.errors
