"""The composition root: the only place that builds clients, services, the worker and the Bolt app."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import aiohttp
import httpx
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, async_default_handlers
from slack_sdk.web.async_client import AsyncWebClient

from bot import listeners
from bot.api import CasesClient, CoralogixClient, RetryPolicy
from bot.api.case_ids import Entity
from bot.background import BackgroundTasks
from bot.metrics import Metrics
from bot.middleware import RequestMiddleware
from bot.policy import Policy, load_policy
from bot.server import Readiness, build_web_app
from bot.services import AlertService, IncidentService, Services
from bot.services.access import Access
from bot.services.auditing import AuditTrail
from bot.services.case_comments import CaseComments
from bot.services.case_messages import CaseMessageService
from bot.services.cases import CaseService
from bot.services.incidents import LOAD_DEADLINE, SEARCH_DEADLINE
from bot.services.jobs import CaseNotificationJobs, NotificationJobs, tell_gave_up
from bot.services.pipeline import ActionPipeline
from bot.services.storms import StormService
from bot.services.targets import Targets
from bot.settings import Settings
from bot.slack_directory import SlackDirectory
from bot.slack_home import HomePublisher
from bot.slack_publisher import SlackAlertPublisher
from bot.slack_reporter import SlackReporter
from bot.slack_storms import SlackStormPublisher
from bot.slack_writes import SlackWriter, WriteLimits
from bot.store import JobKind, Journal, Store
from bot.store.case_messages import CaseMessages
from bot.store.leases import Leases
from bot.store.retention import PRUNE_EVERY, prune
from bot.webhook import make_webhook_handler
from bot.worker import Chore, Worker

logger = logging.getLogger(__name__)
# Messages left on "Resolving…" by an action that will never finish get their buttons back this often.
RECOVER_EVERY = 60.0
# How often the leader looks for storms to show or end (each message is updated at most once per
# STORM_UPDATE_SECONDS; a new or ended storm is shown at the next look, and a failed post or
# update is tried again once the render interval has passed).
STORM_LOOK_EVERY = 1.0


def build_coralogix(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    metrics: Metrics | None = None,
) -> CoralogixClient:
    """The process-wide Coralogix client for the configured host and path family."""
    return CoralogixClient(
        host=settings.coralogix_host,
        api_key=settings.CORALOGIX_API_KEY,
        version=settings.CORALOGIX_API_VERSION,
        retry=retry,
        transport=transport,
        observe=metrics.observe_coralogix if metrics else None,
    )


def build_cases(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    metrics: Metrics | None = None,
) -> CasesClient:
    """The process-wide Coralogix Cases client for the configured host (Cases live in the v5 paths only)."""
    return CasesClient(
        host=settings.coralogix_host,
        api_key=settings.CORALOGIX_API_KEY,
        retry=retry,
        transport=transport,
        observe=metrics.observe_coralogix if metrics else None,
    )


def build_slack_client(
    settings: Settings,
    metrics: Metrics | None = None,
    *,
    wait_out_429: bool = True,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """The Web API client: configurable base URL (GovSlack, tests); it counts errors, and waits out 429s
    unless told not to (the writer's client: the writer waits them out itself, pausing its pacing).
    `session`: the process's pooled HTTP session (without one, slack_sdk opens a session, and a
    connection, per call)."""
    observer = [metrics.slack_observer()] if metrics else []
    rate_limits = [AsyncRateLimitErrorRetryHandler(max_retry_count=2)] if wait_out_429 else []
    return AsyncWebClient(
        token=settings.SLACK_BOT_TOKEN.get_secret_value(),
        base_url=settings.SLACK_API_URL,
        # The observer first (it sees every answer), then the defaults (one retry on connection
        # errors), then waiting out 429s; passing a list replaces the defaults, hence all of them.
        retry_handlers=[*observer, *async_default_handlers(), *rate_limits],
        session=session,
    )


def create_app(settings: Settings, *, services: Services, slack_client: AsyncWebClient) -> AsyncApp:
    """The Bolt app with every listener registered and `services` available to each by name."""
    signing_secret = settings.SLACK_SIGNING_SECRET.get_secret_value() if settings.SLACK_SIGNING_SECRET else None
    app = AsyncApp(
        # Named, or Bolt names it after its caller's file through inspect.stack(): ~10 ms of CPU per app.
        name="coralogix-incidents",
        client=slack_client,
        signing_secret=signing_secret or "",
        # Socket Mode has no signatures; in HTTP mode every request is verified.
        request_verification_enabled=not settings.socket_mode,
        # Bolt 1.30 answers ssl_check 401 when a verification token is set and matches (an inverted
        # comparison); the bot never sets one, so the check stays on and answers 200.
        ssl_check_enabled=True,
        process_before_response=False,
    )
    app.middleware(
        RequestMiddleware(
            {"services": services, "settings": settings},
            services.directory,
            allowed_teams=settings.SLACK_ALLOWED_TEAMS,
            on_refusal=services.audit.refused_request,
        )
    )
    listeners.register(app, services.writer)
    return app


@dataclass(frozen=True, slots=True)
class Timings:
    """The waits the bot sits out: production values by default; tests shorten them."""

    lookup_interval: float = 1.0  # between lookups of a just-notified alert's incident
    load_deadline: float = LOAD_DEADLINE  # a view's list of open incidents
    search_deadline: float = SEARCH_DEADLINE  # a type-ahead answer
    storm_render_every: float | None = None  # between updates of one storm message; None: STORM_UPDATE_SECONDS
    storm_look_every: float = STORM_LOOK_EVERY  # between the leader's looks for storms to show or end


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything one bot process runs, and how to stop it."""

    settings: Settings
    api: CoralogixClient
    store: Store
    services: Services
    app: AsyncApp
    tasks: BackgroundTasks
    metrics: Metrics
    readiness: Readiness
    worker: Worker
    timings: Timings

    def __repr__(self) -> str:
        mode = "Socket Mode" if self.settings.socket_mode else f"HTTP on port {self.settings.PORT}"
        return f"Runtime({mode}, coralogix {self.api.base_url}, {self.store!r})"

    def web_app(self) -> web.Application:
        """The HTTP application: Slack (in HTTP mode), the Coralogix webhook, health, readiness and metrics."""
        settings = self.settings
        webhook = make_webhook_handler(
            settings.CORALOGIX_WEBHOOK_SECRET,
            self.worker,
            self.metrics,
            default_channel=settings.SLACK_ALERT_CHANNEL,
            allowed_channels=settings.alert_channels,
            audit=self.services.audit,
        )
        secret = settings.SLACK_SIGNING_SECRET
        return build_web_app(
            self.app,
            writer=self.services.writer,
            metrics=self.metrics,
            readiness=self.readiness,
            serve_slack=not settings.socket_mode,
            signing_secret=secret.get_secret_value() if secret else "",
            webhook=webhook,
            metrics_token=settings.METRICS_TOKEN,
        )

    async def drain(self) -> None:
        """At SIGTERM: listeners and jobs in flight finish within the grace period; the rest is handed back."""
        grace = float(self.settings.SHUTDOWN_GRACE_SECONDS)
        await self.tasks.drain(grace)
        await self.worker.stop(grace)

    async def aclose(self) -> None:
        """Finish what is in flight (briefly), then close the pools."""
        await self.drain()
        await self.api.aclose()
        await self.services.cases.api.aclose()
        await self.store.close()
        if self.app.client.session is not None:  # the Web API clients' shared session
            await self.app.client.session.close()


def process_identity() -> str:
    """Who holds a lease: host, process id and a random part (a restarted process is someone new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


async def build_runtime(
    settings: Settings,
    *,
    coralogix_transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    timings: Timings = Timings(),
    policy: Policy | None = None,
) -> Runtime:
    """Open the store and build clients, services, the worker and the app for `settings`. The access
    policy is read from ACCESS_POLICY unless given (raises `PolicyError`, before anything opens)."""
    policy = policy or access_policy(settings)
    store = await Store.open(settings.DATABASE_URL)
    metrics = Metrics()
    api = build_coralogix(settings, transport=coralogix_transport, retry=retry, metrics=metrics)
    cases = CaseService(
        build_cases(settings, transport=coralogix_transport, retry=retry, metrics=metrics),
        load_deadline=timings.load_deadline,
    )
    slack_http = aiohttp.ClientSession()  # one connection pool for every Web API call
    slack_client = build_slack_client(settings, metrics, session=slack_http)
    writer = SlackWriter(
        build_slack_client(settings, metrics, wait_out_429=False, session=slack_http), write_limits(settings)
    )
    incidents = IncidentService(api, load_deadline=timings.load_deadline, search_deadline=timings.search_deadline)
    targets = Targets(incidents, cases, settings.CORALOGIX_ENTITY)
    storms = StormService(
        store.storms,
        SlackStormPublisher(writer),
        threshold=settings.STORM_THRESHOLD,
        quiet=settings.STORM_QUIET,
        render_every=settings.STORM_UPDATE_SECONDS
        if timings.storm_render_every is None
        else timings.storm_render_every,
    )
    publisher = SlackAlertPublisher(writer)  # alert and case messages
    alerts = AlertService(
        alerts=store.alerts,
        incidents=incidents,
        publisher=publisher,
        default_channel=settings.SLACK_ALERT_CHANNEL,
        lookup_interval=timings.lookup_interval,
        storms=storms,
        follows_incidents=settings.CORALOGIX_ENTITY is Entity.INCIDENTS,
    )
    case_messages = CaseMessageService(
        messages=CaseMessages(store.engine), publisher=publisher, default_channel=settings.SLACK_ALERT_CHANNEL
    )
    directory = SlackDirectory(slack_client, app_id=settings.SLACK_APP_ID)
    access = Access(policy, directory)
    audit = AuditTrail(store.audit, directory)
    home = HomePublisher(
        writer, incidents=incidents, alerts=store.alerts, settings=settings, access=access, targets=targets
    )
    reporter = SlackReporter(writer, home)
    journal = Journal(store.engine, owner=process_identity(), lease=settings.JOB_LEASE_SECONDS)
    pipeline = ActionPipeline(
        targets=targets,
        alerts=alerts,
        claims=store.claims,
        journal=journal,
        reporter=reporter,
        metrics=metrics,
        access=access,
        audit=audit,
        comments=CaseComments(cases, directory),
    )
    chores = [
        Chore("prune old records", PRUNE_EVERY.total_seconds(), partial(_prune, store, journal, settings)),
        Chore("give stuck messages their buttons back", RECOVER_EVERY, alerts.recover_stale_claims),
        # Even with STORM_THRESHOLD=0: storms open from before still end and say so (one small read a look).
        Chore("show and end alert storms", timings.storm_look_every, storms.tick),
    ]
    if settings.RECONCILE_INTERVAL:
        chores.append(Chore("read Coralogix for changes made elsewhere", settings.RECONCILE_INTERVAL, alerts.reconcile))
    worker = Worker(
        journal,
        Leases(store.engine),
        {
            JobKind.ACTION: pipeline.run,
            JobKind.NOTIFICATION: NotificationJobs(alerts, journal, audit).run,
            JobKind.CASE_NOTIFICATION: CaseNotificationJobs(case_messages, journal, audit).run,
        },
        chores=chores,
        give_up=partial(tell_gave_up, reporter),
    )
    tasks = BackgroundTasks()
    metrics.track_background(lambda: len(tasks) + len(worker))
    services = Services(
        incidents=incidents,
        cases=cases,
        targets=targets,
        alerts=alerts,
        store=store,
        tasks=tasks,
        metrics=metrics,
        worker=worker,
        home=home,
        directory=directory,
        audit=audit,
        writer=writer,
        storms=storms,
    )
    app = create_app(settings, services=services, slack_client=slack_client)
    readiness = Readiness(store, socket_mode=settings.socket_mode)
    return Runtime(settings, api, store, services, app, tasks, metrics, readiness, worker, timings)


def write_limits(settings: Settings) -> WriteLimits:
    """The Slack writer's pace from SLACK_POSTS_PER_SECOND, SLACK_POST_BURST and SLACK_UPDATES_PER_MINUTE."""
    return WriteLimits(
        post_burst=settings.SLACK_POST_BURST,
        posts_per_second=settings.SLACK_POSTS_PER_SECOND,
        updates_per_minute=settings.SLACK_UPDATES_PER_MINUTE,
        background_updates_per_minute=settings.SLACK_UPDATES_PER_MINUTE * 2 / 3,
    )


def access_policy(settings: Settings) -> Policy:
    """The policy in ACCESS_POLICY; without one, everyone in the bot's workspace may act."""
    return load_policy(settings.ACCESS_POLICY) if settings.ACCESS_POLICY else Policy.allow_everyone()


async def _prune(store: Store, journal: Journal, settings: Settings) -> None:
    """Old resolved alert messages, processed event ids, finished jobs and claims, ended storms, old audit
    records."""
    retention = timedelta(days=settings.RETENTION_DAYS)
    await prune(store.engine, retention=retention)
    cutoff = datetime.now(UTC) - retention
    await journal.prune(cutoff)
    await store.claims.prune(cutoff)
    await store.storms.prune(cutoff)
    await store.audit.prune(datetime.now(UTC) - timedelta(days=settings.AUDIT_RETENTION_DAYS))
