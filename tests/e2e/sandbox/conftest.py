"""Fixtures for the sandbox's own tests: the server with the internet out of reach, a client and a bare PTB Bot.

Each test module sets ``TOKEN``: it talks to the sandbox as a bot of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from sandbox import SandboxClient, SandboxServer
from sandbox.testing import no_internet


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    """The sandbox on a free port; any lookup of a non-local host fails meanwhile."""
    with no_internet():
        async with SandboxServer() as running:
            yield running


@pytest.fixture
async def client(server: SandboxServer, request: pytest.FixtureRequest) -> AsyncIterator[SandboxClient]:
    """Acts as people towards the module's bot."""
    async with SandboxClient(server.url, bot=request.module.TOKEN) as sandbox_client:
        yield sandbox_client


@pytest.fixture
async def bot(server: SandboxServer, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """A bare PTB Bot with the module's token, pointed at the sandbox."""
    async with Bot(request.module.TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as ptb_bot:
        yield ptb_bot
