"""The yardstick of `benchmarks.cpu_per_command`: the least a Bolt app can do for /resolve-incident.

`python -m benchmarks.minimal_bolt resolve`: ack, one resolve call to Coralogix with one long-lived
httpx client, one respond through the response_url. `python -m benchmarks.minimal_bolt ack`: ack
only. Configured like the bot (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL,
CORALOGIX_API_URL, CORALOGIX_API_KEY, PORT); serves /slack/events and /healthz on 127.0.0.1.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

RESOLVE_PATH = "/mgmt/openapi/v1/incidents:resolve"  # the legacy family, the bot's default


def build(mode: str, env: dict[str, str]) -> web.Application:
    """The aiohttp application of the minimal app in `mode` ("resolve" or "ack")."""
    app = AsyncApp(
        client=AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"]),
        signing_secret=env["SLACK_SIGNING_SECRET"],
    )
    coralogix = httpx.AsyncClient(
        base_url=env["CORALOGIX_API_URL"], headers={"Authorization": f"Bearer {env['CORALOGIX_API_KEY']}"}
    )

    @app.command("/resolve-incident")
    async def resolve(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        if mode == "ack":
            return
        answer = await coralogix.post(RESOLVE_PATH, json={"incidentIds": [command["text"]]})
        incidents = answer.json().get("incidents", [])
        await respond(f"Resolved {len(incidents)} incident(s).")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = app.web_app(path="/slack/events")
    web_app.router.add_get("/healthz", healthz)
    return web_app


if __name__ == "__main__":
    web.run_app(build(sys.argv[1], dict(os.environ)), host="127.0.0.1", port=int(os.environ["PORT"]), print=None)
