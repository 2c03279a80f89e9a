"""A real `citybot` process for the tests that run the CLI as it is deployed.

``async with citybot("run", env=env, cwd=tmp_path) as bot:`` starts ``python -m bot.cli run`` with that
environment; leaving the block stops it with ``stop_with`` (SIGTERM unless told), kills it if it has not ended
within ``stop_within`` seconds, and keeps what it wrote to stderr in ``bot.errors``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path


class Running:
    """A started `citybot` process: its first output line, its exit code, its stderr once stopped."""

    def __init__(self, process: asyncio.subprocess.Process, stop_with: signal.Signals, stop_within: float) -> None:
        self.process = process
        self.stop_with = stop_with
        self.stop_within = stop_within
        self.errors = ""

    @property
    def returncode(self) -> int | None:
        """None while the process runs."""
        return self.process.returncode

    async def line(self, within: float = 60) -> str:
        """The next line the process prints on stdout (start it with ``stdout=True``)."""
        assert self.process.stdout is not None, "stdout was not captured"
        return (await asyncio.wait_for(self.process.stdout.readline(), within)).decode()

    async def stop(self) -> int:
        """Send ``stop_with`` (if it still runs), wait for the end or kill it; its exit code."""
        if self.process.returncode is None:
            self.process.send_signal(self.stop_with)
            try:
                await asyncio.wait_for(self.process.wait(), self.stop_within)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.process.stderr is not None and not self.errors:
            self.errors = (await self.process.stderr.read()).decode()
        assert self.process.returncode is not None
        return self.process.returncode


@asynccontextmanager
async def citybot(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    stdout: bool = False,
    stderr: bool = True,
    stop_with: signal.Signals = signal.SIGTERM,
    stop_within: float = 30,
) -> AsyncIterator[Running]:
    """`citybot ARGS` in its own process, stopped (or killed) when the block ends, however it ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE if stdout else asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if stderr else asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    running = Running(process, stop_with, stop_within)
    try:
        yield running
    finally:
        await running.stop()
