"""What the bot knows about its Slack workspace: its own team and app, user groups and who is in them,
and people's names (for the audit trail). Cached; a failed refresh keeps the last known answer.

User groups come from `usergroups.list` with their members (scope `usergroups:read`), refreshed at
most every REFRESH seconds and applied at once from `subteam_members_changed` events. Names and,
when the `users:read.email` scope is granted, emails come from `users.info` (scope `users:read`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

logger = logging.getLogger(__name__)

# What a Slack call may fail with, short of a bug: Slack saying no, or the network.
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)
# User groups change rarely, and events say when they do; a full refresh at most this often.
REFRESH = 300.0
PROFILE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Profile:
    """A person as the audit trail names them (`name`: display name, else real name), and as a case
    comment does (`real_name`, and `handle`: what follows the @)."""

    name: str | None
    email: str | None
    real_name: str | None = None
    handle: str | None = None


class SlackDirectory:
    """The workspace, as Slack describes it to the bot."""

    def __init__(self, client: AsyncWebClient, *, app_id: str | None = None) -> None:
        self.client = client
        self._app_id = app_id
        self._app_known = app_id is not None
        self._home: tuple[str | None, str | None] | None = None
        self._members: dict[str, frozenset[str]] = {}  # group id -> user ids
        self._handles: dict[str, str] = {}  # "@handle" -> group id
        self._loaded_at: float | None = None
        self._refreshing: asyncio.Lock = asyncio.Lock()
        self._profiles: TTLCache[str, Profile] = TTLCache(maxsize=4096, ttl=PROFILE_SECONDS)
        self._channels: TTLCache[str, str | None] = TTLCache(maxsize=1024, ttl=PROFILE_SECONDS)

    async def home(self) -> tuple[str | None, str | None]:
        """The bot's own (team, enterprise), from auth.test; (None, None) while Slack does not say."""
        if self._home is None:
            try:
                answer = await self.client.auth_test()
            except SLACK_FAILURES as e:
                logger.warning("auth.test failed (%s); the workspace check waits", why(e))
                return None, None
            self._home = (answer.get("team_id"), answer.get("enterprise_id"))
            if not self._app_known and answer.get("bot_id"):
                self._app_id = await self._app_of(str(answer["bot_id"]))
                self._app_known = True
        return self._home

    async def app_id(self) -> str | None:
        """The bot's own app id: SLACK_APP_ID, else what bots.info says; None when neither is known."""
        await self.home()
        return self._app_id

    async def _app_of(self, bot_id: str) -> str | None:
        try:
            answer = await self.client.bots_info(bot=bot_id)
        except SLACK_FAILURES as e:
            logger.info("bots.info failed (%s): the app id check is off", why(e))
            return None
        bot = answer.get("bot")
        return str(bot["app_id"]) if isinstance(bot, dict) and bot.get("app_id") else None

    async def groups_of(self, user: str) -> frozenset[str]:
        """The ids of the user groups `user` belongs to (as last known)."""
        await self._fresh()
        return frozenset(group for group, members in self._members.items() if user in members)

    async def handles(self) -> dict[str, str]:
        """Every group's `@handle` → id."""
        await self._fresh()
        return dict(self._handles)

    def members_changed(self, group: str, added: Iterable[str], removed: Iterable[str]) -> None:
        """Apply a `subteam_members_changed` event at once (no refresh needed)."""
        members = set(self._members.get(group, frozenset()))
        members |= set(added)
        members -= set(removed)
        self._members[group] = frozenset(members)

    def group_changed(self) -> None:
        """A group was created, renamed or had its members replaced: refresh at the next use."""
        self._loaded_at = None

    async def profile(self, user: str) -> Profile:
        """Name and (with `users:read.email`) email of `user`; empty when Slack does not say."""
        known = self._profiles.get(user)
        if known is not None:
            return known
        try:
            answer = await self.client.users_info(user=user)
        except SLACK_FAILURES as e:
            logger.info("users.info for %s failed: %s", user, why(e))
            return Profile(None, None)
        person = answer.get("user") or {}
        details = person.get("profile") or {}
        name = details.get("display_name") or details.get("real_name") or person.get("real_name") or person.get("name")
        real = details.get("real_name") or person.get("real_name")
        handle = details.get("display_name") or person.get("name")
        found = Profile(
            name=str(name) if name else None,
            email=details.get("email"),
            real_name=str(real) if real else None,
            handle=str(handle) if handle else None,
        )
        self._profiles[user] = found
        return found

    async def channel_name(self, channel: str) -> str | None:
        """The channel's name (scope `channels:read`), cached; None when Slack does not say."""
        if channel in self._channels:
            return self._channels[channel]
        try:
            answer = await self.client.conversations_info(channel=channel)
        except SLACK_FAILURES as e:  # e.g. no channels:read: remembered, so it is not asked on every action
            logger.info("conversations.info for %s failed: %s", channel, why(e))
            self._channels[channel] = None
            return None
        name = (answer.get("channel") or {}).get("name")
        self._channels[channel] = str(name) if name else None
        return self._channels[channel]

    async def _fresh(self) -> None:
        """Load the groups when never loaded or older than REFRESH; on failure keep what is known."""
        if self._loaded_at is not None and time.monotonic() - self._loaded_at < REFRESH:
            return
        async with self._refreshing:
            if self._loaded_at is not None and time.monotonic() - self._loaded_at < REFRESH:
                return
            try:
                answer = await self.client.usergroups_list(include_users=True, include_disabled=False)
            except SLACK_FAILURES as e:
                logger.warning(
                    "usergroups.list failed (%s); keeping the %d groups last known",
                    why(e),
                    len(self._members),
                )
                self._loaded_at = time.monotonic()  # try again after REFRESH, not on every action
                return
            groups = answer.get("usergroups") or []
            self._members = {str(g["id"]): frozenset(g.get("users") or []) for g in groups if g.get("id")}
            self._handles = {f"@{g['handle']}": str(g["id"]) for g in groups if g.get("id") and g.get("handle")}
            self._loaded_at = time.monotonic()


def why(error: BaseException) -> str:
    """Slack's error code, or the kind of failure."""
    response = getattr(error, "response", None)
    if isinstance(error, SlackApiError) and isinstance(getattr(response, "data", None), dict):
        return str(response.get("error"))  # type: ignore[union-attr]  # checked: a SlackResponse with data
    return type(error).__name__
