"""`safe_url`: the one check every URL passes before the bot puts it into a Block Kit element."""

from __future__ import annotations

import pytest

from bot.formatters.common import URL_LIMIT, safe_url


@pytest.mark.parametrize(
    "url",
    [
        "https://team.coralogix.com/#/alerts/alert-1",
        "http://coralogix.internal/alerts/1",
        "HTTPS://TEAM.CORALOGIX.COM/x",
        "https://team.app.coralogix.us/#/incidents?id=3f1c2a9e&from=now-1h",
        "https://example.com/" + "x" * (URL_LIMIT - len("https://example.com/")),
    ],
)
def test_http_and_https_links_pass(url: str) -> None:
    """http(s) URLs with a host, up to 3 000 characters, come back unchanged."""
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.com/x",
        "slack://open",
        "//example.com/x",
        "team.coralogix.com/#/alerts/1",
        "https://",
        "https:///path-without-host",
        "https://[::1",
        "https://example.com/a b",
        "https://example.com/a\tb",
        "https://example.com/a\u00a0b",
        "https://example.com/<!channel>",
        "https://example.com/x|Click me",
        "https://example.com/a>b",
        "https://example.com/a\x00b",
        "https://example.com/a\x07b",
        "https://example.com/a\x7fb",
        "https://example.com/a\x85b",
        "https://example.com/" + "x" * URL_LIMIT,
        "$ALERT_URL",
        "",
    ],
)
def test_everything_else_is_dropped(url: str) -> None:
    """Other schemes, no host, whitespace, link syntax (`<>|`), control characters and overlong URLs give None."""
    assert safe_url(url) is None


@pytest.mark.parametrize("value", [None, 42, ["https://example.com"], {"url": "https://example.com"}])
def test_non_text_is_dropped(value: object) -> None:
    """Whatever a payload held in place of a URL, a non-string is never a link."""
    assert safe_url(value) is None
