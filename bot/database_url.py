"""DATABASE_URL as platforms give it, turned into what SQLAlchemy and its async drivers accept.

Platforms hand out `postgres://user:pw@host:5432/db?sslmode=require`; SQLAlchemy's asyncpg
dialect passes query parameters to `asyncpg.connect` as they are, and asyncpg knows no
`sslmode`: it is moved to asyncpg's `ssl` argument, which takes the same libpq mode names.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

# libpq's modes, all understood by asyncpg's `ssl` argument.
SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
# Connecting to a database that does not answer fails after this long (asyncpg's `timeout`).
CONNECT_TIMEOUT = 5.0


def normalise_database_url(url: str) -> str:
    """Pick the async driver: Heroku's `postgres://…` and plain `postgresql://…` → asyncpg, `sqlite://` → aiosqlite."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    return url


def checked_database_url(value: str) -> str:
    """DATABASE_URL with its async driver named; ValueError saying what is wrong (never the value)."""
    url = normalise_database_url(value.strip())
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("must be an sqlite:// or postgres(ql):// URL")
    try:
        split_url(url)
    except (ValueError, ArgumentError) as e:
        raise ValueError(str(e)) from None
    return url


def split_url(url: str) -> tuple[URL, dict[str, Any]]:
    """The SQLAlchemy URL without driver-foreign parameters, and the driver's connect arguments."""
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() != "postgresql":
        return parsed, {}
    query = {k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()}
    connect_args: dict[str, Any] = {"timeout": CONNECT_TIMEOUT}
    if (mode := query.pop("sslmode", None)) is not None:
        if mode not in SSL_MODES:
            raise ValueError(f"sslmode must be one of {', '.join(sorted(SSL_MODES))}")
        connect_args["ssl"] = mode
    if (options := query.pop("options", None)) is not None:
        connect_args["server_settings"] = _server_settings(options)
    return parsed.set(query=query), connect_args


def _server_settings(options: str) -> dict[str, str]:
    """libpq's `options=-c name=value …` (e.g. `-csearch_path=bot` to keep the tables in a schema)."""
    settings: dict[str, str] = {}
    words = shlex.split(options)
    for i, word in enumerate(words):
        if word == "-c":
            continue
        setting = word.removeprefix("-c") if word.startswith("-c") else word if i and words[i - 1] == "-c" else ""
        name, equals, value = setting.partition("=")
        if not (name and equals):
            raise ValueError("options must be libpq's form: -c name=value (e.g. -csearch_path=bot)")
        settings[name] = value
    return settings


def sqlite_file(url: str | URL) -> Path | None:
    """The file of an SQLite URL (`file:` URIs included); None for other databases and `:memory:`."""
    parsed = url if isinstance(url, URL) else make_url(normalise_database_url(url))
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or name in {"", ":memory:"}:
        return None
    if parsed.query.get("uri") == "true" and name.startswith("file:"):  # sqlite:///file:path?mode=ro&uri=true
        name = name.removeprefix("file:")
    return Path(name).resolve()


def where(url: str | URL) -> str:
    """Where the database is, for messages: `host:port/name` or the SQLite file; never credentials."""
    parsed = url if isinstance(url, URL) else make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {sqlite_file(parsed) or ':memory:'}"
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
