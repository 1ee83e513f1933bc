"""Entry point: `python -m bot [run|doctor|migrate|audit]`."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

USAGE = """usage: python -m bot [run|doctor|migrate|audit|--help]

  run       start the bot (the default): HTTP mode, or Socket Mode when SLACK_APP_TOKEN is set
  doctor    check the configuration, Slack, Coralogix and the database; changes nothing
  migrate   create or upgrade the database tables, then exit (Heroku runs it as `release:`)
  audit     print who did what to which incident (needs only DATABASE_URL; see `audit --help`)

Configuration comes from the environment and from a .env file in the working folder
(see .env.example and README.md)."""
COMMANDS = frozenset({"run", "doctor", "migrate"})
ENV_FILE = Path(".env")
logger = logging.getLogger("bot")


def _settings() -> Settings | None:
    # Here, not at the top: `--help` and bad usage answer without loading pydantic and the settings.
    from pydantic import ValidationError

    from bot.settings import describe_errors, load_settings

    try:
        return load_settings(os.environ, ENV_FILE)
    except ValidationError as e:
        print(describe_errors(e, ENV_FILE.resolve()), file=sys.stderr)  # noqa: T201 - before logging exists
        return None


def _started() -> None:
    """Start-up is over: when `python -m bot` held the garbage collector off for it (start-up makes objects
    that live as long as the process: collecting over them cost ~0.15 s of CPU per start), those objects
    are moved out of its way for good and it runs from now on."""
    if not gc.isenabled():
        gc.collect()  # once: start-up's own garbage (import cycles) is freed, not frozen
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    """Run a command; exit status 0 on success, 1 when it failed, 2 for bad usage or configuration."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["--help"], ["-h"], ["help"]):
        print(USAGE)  # noqa: T201 - the usage is the output
        return 0
    command = args[0] if args else "run"
    if command == "audit":  # options of its own, and only DATABASE_URL: see bot/audit_cli.py
        from bot.audit_cli import main as audit

        _started()
        return audit(args[1:], env_file=ENV_FILE)
    if command not in COMMANDS or len(args) > 1:
        print(USAGE, file=sys.stderr)  # noqa: T201 - the usage is the output
        return 2
    settings = _settings()
    if settings is None:
        return 2
    if command == "doctor":
        return asyncio.run(_doctor(settings))
    from bot.log import configure_logging

    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    # Bolt reads SLACK_BOT_TOKEN from the environment too and warns that it is unused beside the
    # client the composition root builds from the settings, which now hold it.
    os.environ.pop("SLACK_BOT_TOKEN", None)
    return asyncio.run(_migrate(settings) if command == "migrate" else _run(settings))


async def _doctor(settings: Settings) -> int:
    from bot.doctor import run_doctor

    _started()
    return await run_doctor(settings)


async def _migrate(settings: Settings) -> int:
    from bot.store import DatabaseError, Store

    _started()
    try:
        info = await Store.migrate(settings.DATABASE_URL)
    except DatabaseError as e:
        logger.error("%s", e.user_message)
        return 1
    logger.info("database is at revision %s: %s", info.revision, info.url)
    return 0


async def _run(settings: Settings) -> int:
    from bot.app import build_runtime
    from bot.errors import PolicyError
    from bot.run import serve
    from bot.store import DatabaseError

    try:
        runtime = await build_runtime(settings)
    except PolicyError as e:  # like a configuration error: every problem at once, and exit status 2
        print(e, file=sys.stderr)  # noqa: T201 - one message, as the configuration errors are shown
        return 2
    except DatabaseError as e:
        logger.error("cannot start: %s", e.user_message)
        return 1
    finally:
        _started()
    logger.info("starting bot %r", runtime)
    await serve(runtime)
    return 0


if __name__ == "__main__":
    gc.disable()  # until start-up is over (`_started`)
    status = main()
    # Exit without the interpreter's last garbage collections over every object the bot ever made
    # (they free nothing the process still needs): about 0.4 s of CPU at every stop.
    gc.freeze()
    sys.exit(status)
