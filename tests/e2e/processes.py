"""`python -m bot` as real processes: start, wait until it serves, read its log, stop or kill it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import BASE_SETTINGS, ROOT
from tests.fakes.server import free_port, wait_for


def bot_environment(**settings: Any) -> dict[str, str]:
    """A process environment with the required settings plus `settings`, and nothing else of ours."""
    values = {**BASE_SETTINGS, **{k: str(v) for k, v in settings.items() if v is not None}}
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **values}


@dataclass
class BotProcess:
    """One running `python -m bot`, its port and everything it printed so far."""

    process: asyncio.subprocess.Process
    port: int
    output: bytearray = field(default_factory=bytearray)
    _reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The bot's HTTP base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        """What the process printed (stdout and stderr)."""
        return self.output.decode(errors="replace")

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := await self.process.stdout.read(65536):
            self.output += chunk

    async def get(self, path: str) -> tuple[int, str]:
        """GET a path of the bot; (status, body), or (0, error) when it does not answer."""
        try:
            async with aiohttp.ClientSession() as http, http.get(self.url + path) as response:
                return response.status, await response.text()
        except aiohttp.ClientError as e:
            return 0, type(e).__name__

    async def wait_serving(self, within: float = 15.0) -> None:
        """Until /healthz answers 200 (fails early if the process exits)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (await self.get("/healthz"))[0] != 200:
            if self.process.returncode is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.log}")
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not serve within {within} s:\n{self.log}")
            await asyncio.sleep(0.05)

    async def wait_logged(self, text: str, within: float = 10.0) -> None:
        """Until the log contains `text`."""
        await wait_for(lambda: text in self.log, within=within, what=f"log line {text!r}")

    async def stop(self, sig: int = signal.SIGTERM, within: float = 15.0) -> int:
        """Send `sig` and wait for the exit status."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)
        return await self.wait(within)

    async def wait(self, within: float = 15.0) -> int:
        """The exit status, once the process has exited and its output is read."""
        code = await asyncio.wait_for(self.process.wait(), timeout=within)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, timeout=within)
        return code


async def start_bot(env: dict[str, str], *args: str, cwd: Path | None = None) -> BotProcess:
    """Start `python -m bot ARGS` with `env` (its PORT is taken from env, else a free one is set)."""
    port = int(env.get("PORT") or free_port())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**env, "PORT": str(port)},
        cwd=cwd or ROOT / "tests",  # a folder without a .env
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = BotProcess(process, port)
    bot._reader = asyncio.create_task(bot._read())
    return bot


async def run_bot(env: dict[str, str], *args: str, cwd: Path | None = None, within: float = 30.0) -> tuple[int, str]:
    """Run `python -m bot ARGS` to its end; (exit status, output)."""
    bot = await start_bot(env, *args, cwd=cwd)
    try:
        code = await bot.wait(within)
    finally:
        if bot.process.returncode is None:
            bot.process.kill()
    return code, bot.log
