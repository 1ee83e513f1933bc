"""The Slack side of the alert and case use cases: posts, re-renders and thread replies with the Web API.

A row of alert_messages renders by its kind: an alert message, or a case message (`bot.formatters.case_message`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError

from bot.formatters.alert import AlertState, alert_message, thread_text
from bot.formatters.case_message import assignee_text, case_message, case_thread_text
from bot.formatters.common import Message
from bot.services.alerts import ThreadLine
from bot.services.case_notifications import CaseNotification
from bot.services.notifications import AlertNotification
from bot.slack_writes import SlackWriter
from bot.store import AlertRecord, AlertStatus
from bot.store.tables import MessageKind

logger = logging.getLogger(__name__)


class SlackAlertPublisher:
    """Implements `bot.services.alerts.AlertPublisher` with chat.postMessage and chat.update (through the
    writer: a notification's writes yield to people's)."""

    def __init__(self, writer: SlackWriter) -> None:
        self.writer = writer

    async def post_alert(self, channel: str, notification: AlertNotification, status: AlertStatus) -> tuple[str, str]:
        """Post a new alert message; returns the channel id and ts Slack answered with (a `#name` becomes `C…`)."""
        via = "coralogix" if status is AlertStatus.RESOLVED else None
        message = alert_message(notification, AlertState(status=status, via=via))
        answer = await self.writer.post(channel, text=message.text, attachments=message.attachments, unfurl_links=False)
        return str(answer["channel"]), str(answer["ts"])

    async def post_case(self, record: AlertRecord) -> tuple[str, str]:
        """Post a reserved case message in its state; the channel id and ts Slack answered with."""
        message = _render(record)
        answer = await self.writer.post(
            record.channel, text=message.text, attachments=message.attachments, unfurl_links=False
        )
        return str(answer["channel"]), str(answer["ts"])

    async def update_alert(self, record: AlertRecord) -> None:
        """Re-render the message from the record; a failure is logged, never fatal to the action."""
        if record.ts is None:  # reserved, not posted yet: its job posts it with its state
            return
        message = _render(record)
        try:
            await self.writer.update(
                record.channel, record.ts, text=message.text, attachments=message.attachments, blocks=[]
            )
        except Exception as e:  # noqa: BLE001 - a failed re-render must never break the action behind it
            logger.warning("could not update alert message %s/%s: %s", record.channel, record.ts, _why(e))

    async def thread_reply(self, record: AlertRecord, line: ThreadLine) -> None:
        """One line in the alert's thread; a failure is logged, never fatal to the action."""
        text = case_thread_text(line) if record.kind is MessageKind.CASE else thread_text(line)
        await self._reply(record, text)

    async def assignee_changed(self, record: AlertRecord, assignee: str | None) -> None:
        """The line of an assignee change Coralogix reported, in the case's thread."""
        await self._reply(record, assignee_text(assignee, datetime.now(UTC)))

    async def _reply(self, record: AlertRecord, text: str) -> None:
        if record.ts is None:
            return
        try:
            await self.writer.post(record.channel, thread_ts=record.ts, text=text, unfurl_links=False)
        except Exception as e:  # noqa: BLE001 - likewise: the thread line is secondary to the action
            logger.warning("could not reply in thread %s/%s: %s", record.channel, record.ts, _why(e))


def _render(record: AlertRecord) -> Message:
    """The message a row shows, by its kind."""
    if record.kind is MessageKind.CASE:
        case = CaseNotification.from_body(record.notification, stored=True)
        return case_message(case, AlertState.of(record), datetime.now(UTC))
    return alert_message(AlertNotification.stored(record.notification), AlertState.of(record))


def _why(error: Exception) -> str:
    return str(error.response.get("error")) if isinstance(error, SlackApiError) else type(error).__name__
