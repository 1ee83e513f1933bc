"""Links end to end: one bad alert link drops its own button, never the Home view of everyone."""

from __future__ import annotations

import json

from bot.ids import ActionId
from tests.e2e.harness import running_bot
from tests.e2e.test_alerts import settled
from tests.e2e.test_picker_home import CRIT, WARN, fake_open, home_event
from tests.fakes.server import wait_for
from tests.formatters.test_home import assert_valid_home

GOOD = "https://t.coralogix.com/#/alerts/warn"


async def test_a_bad_alert_link_drops_its_home_button_and_home_still_renders() -> None:
    """An alert whose link Slack would refuse gets no Open button on Home; the view and the other link stay."""
    async with running_bot(fake_open()) as bot:
        for alert, incident, url in (
            ("a-crit", CRIT, "https://t.coralogix.com/#/alerts/a b|<!here>"),
            ("a-warn", WARN, GOOD),
        ):
            status, _ = await bot.webhook(
                {"alert_id": alert, "alert_name": alert, "incident_id": incident, "alert_url": url}
            )
            assert status == 202
        await settled(bot)
        await home_event(bot)
        await wait_for(lambda: bot.slack.called("views.publish"), what="home")
        view = bot.slack.views[-1]
        assert_valid_home(view)
        buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [b["value"] for b in buttons if b["action_id"] == ActionId.HOME_RESOLVE] == [CRIT, WARN]
        assert [b["url"] for b in buttons if b["action_id"] == ActionId.HOME_OPEN] == [GOOD]
        assert "<!here>" not in json.dumps(view)
