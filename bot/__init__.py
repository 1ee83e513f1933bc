"""Slack bot that resolves Coralogix incidents without leaving Slack."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coralogix-resolve-bot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
