"""`doctor`'s checks of Coralogix Cases: which object the key can read and which has open items (so which
CORALOGIX_ENTITY fits), and each Cases permission the bot uses.

The API has no "which permissions has this key" call, so each is tried without changing anything:
`case:Read` by listing one case; `case:Close`, `case:Acknowledge` and `case:Comment` by a close, an
acknowledge and a comment of a case that cannot exist (PROBE_ID). The assumption, which the spec does
not state: Coralogix checks the permission before it looks for the case, so a missing permission
answers 403, and a granted one 404 (or 400) for the missing case. Those probes run only once the list
call has shown that the Cases paths exist on this host (a 404 there says nothing about permissions).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sized
from dataclasses import dataclass

import httpx

from bot.api import (
    ApiError,
    BadRequestError,
    CaseFilters,
    CasesClient,
    CaseStatus,
    CoralogixClient,
    IncidentFilter,
    IncidentStatus,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
)
from bot.api.case_ids import Entity
from bot.check import Check
from bot.settings import Settings

# A case id no tenant has: a close, acknowledge or comment of it can change nothing.
PROBE_ID = "00000000-0000-4000-8000-000000000000"
ACTED = ("case:Close", "case:Acknowledge", "case:Comment")


@dataclass(frozen=True, slots=True)
class Reading:
    """What one read of an entity showed: readable or why not, and whether anything is open."""

    error: ApiError | None = None
    open: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


async def _read(call: Callable[[], Awaitable[Sized]]) -> Reading:
    try:
        return Reading(open=bool(await call()))
    except ApiError as e:
        return Reading(error=e)


async def _granted(call: Callable[[], Awaitable[object]]) -> bool | None:
    """True when the call got past the permission check (the probe case is missing), False on 403,
    None when the answer tells neither."""
    try:
        await call()
    except PermissionDeniedError:
        return False
    except (NotFoundError, BadRequestError):
        return True
    except ApiError:
        return None
    return True


async def check_cases(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> list[Check]:
    """Which entity the key can read and which has open items; the Cases permissions, each named when missing."""
    incidents = CoralogixClient(
        host=settings.coralogix_host,
        api_key=settings.CORALOGIX_API_KEY,
        version=settings.CORALOGIX_API_VERSION,
        retry=RetryPolicy.off(),
        transport=transport,
    )
    cases = CasesClient(
        host=settings.coralogix_host, api_key=settings.CORALOGIX_API_KEY, retry=RetryPolicy.off(), transport=transport
    )
    try:
        open_incidents = IncidentFilter(status=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED])
        incident_reading = await _read(lambda: incidents.list_incidents(filter=open_incidents, limit=1, page_size=1))
        open_cases = CaseFilters(statuses=[CaseStatus.ACTIVE, CaseStatus.ACKNOWLEDGED])
        case_reading = await _read(lambda: cases.list_cases(filters=open_cases, limit=1, page_size=1))
        on_cases = settings.CORALOGIX_ENTITY is Entity.CASES
        if not _told(case_reading.error) and on_cases and case_reading.error is not None:
            return [Check(False, f"Coralogix Cases: could not read cases ({case_reading.error.message})")]
        if not _told(case_reading.error) or (not on_cases and not _told(incident_reading.error)):
            return []  # the key is refused, or Coralogix unreachable: the incidents check says so already
        checks = [entity_check(settings.CORALOGIX_ENTITY, incident_reading, case_reading)]
        if case_reading.ok or isinstance(case_reading.error, PermissionDeniedError):
            probes = {
                "case:Close": await _granted(lambda: cases.close_case(id=PROBE_ID)),
                "case:Acknowledge": await _granted(lambda: cases.acknowledge_case(id=PROBE_ID)),
                "case:Comment": await _granted(lambda: cases.comment(case_id=PROBE_ID, text="doctor")),
            }
            checks.append(permissions_check(settings.CORALOGIX_ENTITY, case_reading.ok, probes))
        return checks
    finally:
        await incidents.aclose()
        await cases.aclose()


def _told(error: ApiError | None) -> bool:
    """Whether a failed read still tells something about the key (a missing permission, a missing path)."""
    return error is None or isinstance(error, PermissionDeniedError | NotFoundError)


def _state(reading: Reading, what: str, permission: str) -> str:
    if reading.error is not None:
        return f"cannot read {what} ({permission}: {reading.error.message})"
    return f"reads {what} ({permission}; {'some open' if reading.open else 'none open'})"


def recommended(configured: Entity, incidents: Reading, cases: Reading) -> Entity:
    """The setting that fits what the key reads and what is open; the configured one when both fit."""
    if not cases.ok:
        return Entity.INCIDENTS if incidents.ok else configured
    if not incidents.ok:
        return Entity.CASES
    if cases.open and not incidents.open:
        return Entity.CASES
    if incidents.open and not cases.open:
        return Entity.INCIDENTS
    return configured


def entity_check(configured: Entity, incidents: Reading, cases: Reading) -> Check:
    """One line: what the key reads, what is open, and whether CORALOGIX_ENTITY fits."""
    facts = f"the key {_state(incidents, 'incidents', 'incidents:read')} and {_state(cases, 'cases', 'case:Read')}"
    best = recommended(configured, incidents, cases)
    setting = f"CORALOGIX_ENTITY={configured.value}"
    readable = incidents.ok if configured is Entity.INCIDENTS else cases.ok
    if not readable:
        return Check(False, f"Coralogix entity: {setting}, but {facts}; set CORALOGIX_ENTITY={best.value}")
    if best is not configured:
        return Check.warn(f"Coralogix entity: {setting}, but {facts}: CORALOGIX_ENTITY={best.value} would fit")
    return Check(True, f"Coralogix entity: {setting} fits: {facts}")


def permissions_check(configured: Entity, can_read: bool, probes: dict[str, bool | None]) -> Check:
    """One line naming each Cases permission missing (✘ on a Cases tenant, ! otherwise: only readable ids
    typed by people need them there), or all granted."""
    missing = ([] if can_read else ["case:Read"]) + [p for p in ACTED if probes.get(p) is False]
    unknown = [p for p in ACTED if probes.get(p) is None]
    if missing:
        text = f"Coralogix Cases: the key lacks {', '.join(missing)}: add them to the API key"
        if configured is Entity.CASES:
            return Check(False, text)
        return Check.warn(text + " (or ignore this if nobody acts on Cases: readable ids such as CASE-123 need them)")
    if unknown:
        return Check.warn(f"Coralogix Cases: could not tell whether the key has {', '.join(unknown)}")
    return Check(True, f"Coralogix Cases: permissions granted ({', '.join(['case:Read', *ACTED])})")
