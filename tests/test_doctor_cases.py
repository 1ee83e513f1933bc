"""`doctor` on Coralogix Cases: which entity the key reads and which has open items, and each permission."""

from __future__ import annotations

from bot.doctor import check_coralogix
from bot.doctor_cases import PROBE_ID, check_cases
from tests.conftest import make_settings
from tests.fakes.cases import make_case
from tests.fakes.coralogix import FakeCoralogix, make_incident

CASE = "a1a1a1a1-0000-4000-8000-000000000001"
INCIDENT = "11111111-1111-4111-8111-111111111111"


async def lines(cx: FakeCoralogix, entity: str = "incidents") -> list[str]:
    """The doctor's Cases lines for a key on `cx`."""
    config = make_settings(CORALOGIX_API_URL="https://api.coralogix.test", CORALOGIX_ENTITY=entity)
    return [line for check in await check_cases(config, cx.transport()) for line in check.lines()]


async def test_open_cases_and_no_incidents_recommend_cases() -> None:
    """Only cases are open: a `!` line says CORALOGIX_ENTITY=cases would fit; the probes change nothing."""
    cx = FakeCoralogix()
    cx.cases.add(make_case(CASE))
    entity, permissions = await lines(cx)
    assert entity.startswith("! Coralogix entity: CORALOGIX_ENTITY=incidents, but the key reads incidents")
    assert "case:Read; some open" in entity and entity.endswith("CORALOGIX_ENTITY=cases would fit")
    assert permissions == (
        "✔ Coralogix Cases: permissions granted (case:Read, case:Close, case:Acknowledge, case:Comment)"
    )
    assert cx.cases.status_of(CASE) == "CASE_STATUS_ACTIVE" and cx.cases.comments == {}
    probed = [c.ids for c in cx.calls if c.operation in ("case_close_one", "case_acknowledge", "case_comment")]
    assert probed == [[PROBE_ID]] * 3


async def test_open_incidents_keep_the_incidents_setting() -> None:
    """Open incidents and no open case: incidents fits (✔)."""
    cx = FakeCoralogix()
    cx.add(make_incident(INCIDENT))
    entity, _ = await lines(cx)
    assert entity.startswith("✔ Coralogix entity: CORALOGIX_ENTITY=incidents fits")
    assert "incidents:read; some open" in entity


async def test_a_missing_permission_is_named_and_fails_a_cases_tenant() -> None:
    """A 403 on the close probe names case:Close: ✘ on a Cases tenant, ! on an incidents one."""
    cx = FakeCoralogix(statuses={"case_close_one": 403})
    assert (await lines(cx, "cases"))[1] == "✘ Coralogix Cases: the key lacks case:Close: add them to the API key"
    assert (await lines(cx))[1].startswith("! Coralogix Cases: the key lacks case:Close")


async def test_a_key_without_case_read_fails_a_cases_tenant() -> None:
    """case:Read refused (403 on the list): the entity line fails and says to use incidents; case:Read is named."""
    cx = FakeCoralogix(statuses={"case_list": 403})
    entity, permissions = await lines(cx, "cases")
    assert entity.startswith("✘ Coralogix entity: CORALOGIX_ENTITY=cases, but the key reads incidents")
    assert "cannot read cases (case:Read" in entity and entity.endswith("set CORALOGIX_ENTITY=incidents")
    assert permissions.startswith("✘ Coralogix Cases: the key lacks case:Read")


async def test_a_cases_tenant_without_incidents_read_passes() -> None:
    """CORALOGIX_ENTITY=cases and a key refused on incidents (403): the incidents list is only a `!` line, and
    the entity line says cases fits."""
    cx = FakeCoralogix(statuses={"list": 403})
    cx.cases.add(make_case(CASE))
    config = make_settings(CORALOGIX_API_URL="https://api.coralogix.test", CORALOGIX_ENTITY="cases")
    incident_checks = await check_coralogix(config, cx.transport())
    assert all(c.ok for c in incident_checks) and incident_checks[0].warning
    assert incident_checks[0].text.endswith("(CORALOGIX_ENTITY=cases: incidents are not used)")
    entity, _ = await lines(cx, "cases")
    assert entity.startswith("✔ Coralogix entity: CORALOGIX_ENTITY=cases fits: the key cannot read incidents")


async def test_a_cases_tenant_is_checked_even_when_the_incidents_paths_fail() -> None:
    """CORALOGIX_ENTITY=cases with the incidents list failing (500): the Cases checks still run and pass."""
    cx = FakeCoralogix(statuses={"list": 500})
    cx.cases.add(make_case(CASE))
    entity, permissions = await lines(cx, "cases")
    assert entity.startswith("✔ Coralogix entity: CORALOGIX_ENTITY=cases fits")
    assert permissions.startswith("✔ Coralogix Cases: permissions granted")


async def test_a_cases_tenant_whose_cases_cannot_be_read_fails() -> None:
    """CORALOGIX_ENTITY=cases and the Cases list failing (500): one ✘ line says so, rather than nothing."""
    cx = FakeCoralogix(statuses={"case_list": 500})
    (line,) = await lines(cx, "cases")
    assert line.startswith("✘ Coralogix Cases: could not read cases")
