"""Logging, configured once at start: stdout, readable text for people or one JSON object per line.

structlog renders every record, ours and the libraries', so both formats carry the same fields:
the request context bound with `bind_context` (surface, user, team, channel, incident ids) and
what a call passes as `extra=` (error_id, …) are fields, not only words in the message.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import structlog
from structlog.contextvars import bound_contextvars
from structlog.typing import Processor

LogFormat = Literal["text", "json"]
# slack_sdk's clients test their own logger's level (`logger.level <= DEBUG`), not the effective one,
# before they build each request's and each answer's debug text (the whole payload, every header): a
# logger left NOTSET builds it on every call, to have it dropped. Set on those loggers themselves.
_SLACK_SDK_CLIENTS = ("slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client")


def _processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


def build_handler(fmt: LogFormat) -> logging.Handler:
    """A stdout handler rendering every record as text or JSON."""
    if fmt == "json":
        final: list[Processor] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.EventRenamer("message"),
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    else:
        final = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
        ]
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(foreign_pre_chain=_processors(), processors=final))
    return handler


def configure_logging(level: str, fmt: LogFormat) -> None:
    """Send every log record to stdout at `level` in `fmt`."""
    root = logging.getLogger()
    root.handlers[:] = [build_handler(fmt)]
    root.setLevel(level)
    # httpx logs every request URL at INFO, slack_sdk's Web API client every retry it takes:
    # show those only when LOG_LEVEL is DEBUG.
    quiet = logging.INFO if root.level <= logging.DEBUG else logging.WARNING
    # Alembic narrates every migration step at INFO; the bot logs the revision it reached.
    for name in ("httpx", "slack_sdk.web", "alembic", *_SLACK_SDK_CLIENTS):
        logging.getLogger(name).setLevel(quiet)


@contextmanager
def bind_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (None values skipped) to every log record written inside the block, tasks it starts included."""
    with bound_contextvars(**{k: v for k, v in fields.items() if v is not None}):
        yield
