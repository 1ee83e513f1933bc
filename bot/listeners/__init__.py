"""Bolt listeners, thin: parse, ack, call a service, format, reply. One `register` per kind."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, error_handler, events, home, picker, shortcuts


def register(app: AsyncApp) -> None:
    """Attach every listener and the error handler to `app`."""
    error_handler.register(app)
    commands.register(app)
    actions.register(app)
    events.register(app)
    shortcuts.register(app)
    picker.register(app)
    home.register(app)
