"""Entry point: `python -m bot` runs the bot; `python -m bot doctor` checks its setup."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from dotenv import load_dotenv
from pydantic import ValidationError

from bot.settings import Settings, describe_errors, load_settings

USAGE = "usage: python -m bot [run|doctor]"
ENV_FILE = Path(".env")


def _settings() -> Settings | None:
    try:
        return load_settings(os.environ, ENV_FILE)
    except ValidationError as e:
        print(describe_errors(e, ENV_FILE if ENV_FILE.is_file() else None), file=sys.stderr)  # noqa: T201
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the bot or the doctor; exit status 2 for bad usage or configuration."""
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "run"
    if command not in {"run", "doctor"} or len(args) > 1:
        print(USAGE, file=sys.stderr)  # noqa: T201
        return 2
    # Bolt and slack_sdk read SLACK_* variables themselves; make the .env values visible to them too.
    load_dotenv(ENV_FILE, override=False)
    settings = _settings()
    if settings is None:
        return 2
    if command == "doctor":
        return asyncio.run(_doctor(settings))
    asyncio.run(_run(settings))
    return 0


async def _doctor(settings: Settings) -> int:
    from bot.app import build_slack_client
    from bot.doctor import run_doctor

    return await run_doctor(settings, build_slack_client(settings))


async def _run(settings: Settings) -> None:
    from bot.app import build_runtime
    from bot.log import configure_logging
    from bot.server import serve

    configure_logging(settings)
    runtime = await build_runtime(settings)
    logging.getLogger("bot").info("starting bot (coralogix %s, %r)", runtime.api.base_url, runtime.store)
    await serve(runtime)


if __name__ == "__main__":
    sys.exit(main())
