"""Every Slack identifier the bot declares (manifest) or renders (Block Kit), in one place."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands, as declared in manifest.yml."""

    RESOLVE_INCIDENT = "/resolve-incident"


class BlockId(StrEnum):
    """Block ids of the messages the bot posts."""

    SUMMARY_HEADER = "summary_header"
    SUMMARY_RESOLVED = "summary_resolved"
    SUMMARY_ALREADY = "summary_already"
    SUMMARY_NOT_FOUND = "summary_not_found"
    SUMMARY_FAILED = "summary_failed"
    SUMMARY_REFUSED = "summary_refused"
    SUMMARY_IN_FLIGHT = "summary_in_flight"
    SUMMARY_ACKNOWLEDGED = "summary_acknowledged"
    SUMMARY_ALREADY_ACKNOWLEDGED = "summary_already_acknowledged"
    SUMMARY_CLOSED = "summary_closed"
    SUMMARY_ALREADY_CLOSED = "summary_already_closed"
    SUMMARY_FOOTER = "summary_footer"
    # Alert messages: each render appends its version, so every update carries new block ids.
    ALERT_HEAD = "alert_head"
    ALERT_FIELDS = "alert_fields"
    ALERT_EXTRA = "alert_extra"
    ALERT_STATUS = "alert_status"
    ALERT_ACTIONS = "alert_actions"
    # The storm message (versioned like alert messages) and its "Show all" modal.
    STORM_HEAD = "storm_head"
    STORM_SEVERITIES = "storm_severities"
    STORM_TOP = "storm_top"
    STORM_ACTIONS = "storm_actions"
    STORM_FOOTER = "storm_footer"
    STORM_ALERT = "storm_alert"
    STORM_PAGE_INFO = "storm_page_info"
    STORM_NAV = "storm_nav"
    # Case messages: versioned likewise.
    CASE_HEAD = "case_head"
    CASE_FIELDS = "case_fields"
    CASE_STATUS = "case_status"
    CASE_ACTIONS = "case_actions"
    CASE_RESOLVE_ABOUT = "case_resolve_about"  # the Resolve modal's words about the case
    PICKER_FILTER = "picker_filter"
    PICKER_INCIDENTS = "picker_incidents"
    SHORTCUT_INCIDENTS = "incidents"
    NOTE = "note"  # the resolution note of every modal that resolves


class ActionId(StrEnum):
    """Interactive elements the bot renders."""

    RESOLVE = "alert_resolve"
    ACKNOWLEDGE = "alert_acknowledge"
    OPEN_IN_CORALOGIX = "alert_open_in_coralogix"  # alert and case messages
    CASE_RESOLVE = "case_resolve"  # opens the Resolve modal (a reason, optional); Acknowledge is shared with alerts
    CASE_CLOSE = "case_close"  # "Close as false alarm", after its confirm dialog
    PICKER_SEVERITY = "picker_severity"
    PICKER_RETRY = "picker_retry"
    PICKER_PICKED = "picker_picked"  # static multi-select, when every open incident fits
    PICKER_SEARCH = "picker_search"  # external multi-select with type-ahead, when they do not
    SHORTCUT_PICKED = "selected"
    NOTE = "note_text"
    HOME_RESOLVE = "home_resolve"
    HOME_REFRESH = "home_refresh"
    HOME_OPEN = "home_open_in_coralogix"
    STORM_SHOW_ALL = "storm_show_all"
    STORM_RESOLVE_ALL = "storm_resolve_all"
    STORM_RESOLVE_ONE = "storm_resolve_one"
    STORM_PAGE = "storm_page"


class CallbackId(StrEnum):
    """Shortcuts and modals, as declared in manifest.yml or set on views."""

    RESOLVE_IN_MESSAGE = "resolve_incidents_in_message"
    RESOLVE_IN_MESSAGE_MODAL = "resolve_incidents_in_message_modal"
    PICKER_MODAL = "resolve_incident_picker"
    STORM_MODAL = "storm_alerts"
    CASE_RESOLVE_MODAL = "case_resolve_modal"


class EventType(StrEnum):
    """Events API events the bot subscribes to (manifest.yml bot_events)."""

    APP_MENTION = "app_mention"
    APP_HOME_OPENED = "app_home_opened"
    SUBTEAM_MEMBERS_CHANGED = "subteam_members_changed"
    SUBTEAM_UPDATED = "subteam_updated"


# Bot scopes the features need, and nothing more; manifest.yml declares exactly these (tested).
BOT_SCOPES = frozenset({"commands", "chat:write", "app_mentions:read", "usergroups:read", "users:read"})
