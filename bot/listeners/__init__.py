"""Bolt listeners, thin: parse, ack, call a service, format, reply. One `register` per kind."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, case_actions, commands, error_handler, events, home, picker, shortcuts, storm
from bot.slack_writes import SlackWriter


def register(app: AsyncApp, writer: SlackWriter) -> None:
    """Attach every listener and the error handler (which answers through `writer`) to `app`."""
    error_handler.register(app, writer)
    commands.register(app)
    actions.register(app)
    case_actions.register(app)
    events.register(app)
    shortcuts.register(app)
    picker.register(app)
    home.register(app)
    storm.register(app)
