"""Where each incidents operation lives in each Coralogix path family, and where each Cases operation lives.

The legacy family (`lts`, the default) is the one of the product spec and `incidents-lts.yaml`;
the versioned family (`5`, or the frozen `4` with identical incident paths) is `incidents-v5.yaml`.
Cases (`cases-v5.yaml`) live in the v5 family only, whichever family the incidents use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Method = Literal["GET", "POST"]


class Region(StrEnum):
    """Coralogix regions; the API host of each comes from the published spec's server list."""

    EU1 = "EU1"
    EU2 = "EU2"
    US1 = "US1"
    US2 = "US2"
    US3 = "US3"
    AP1 = "AP1"
    AP2 = "AP2"
    AP3 = "AP3"


REGION_HOSTS: dict[Region, str] = {
    Region.EU1: "https://api.coralogix.com",
    Region.EU2: "https://api.eu2.coralogix.com",
    Region.US1: "https://api.coralogix.us",
    Region.US2: "https://api.cx498.coralogix.com",
    Region.US3: "https://api.us3.coralogix.com",
    Region.AP1: "https://api.coralogix.in",
    Region.AP2: "https://api.coralogixsg.com",
    Region.AP3: "https://api.ap3.coralogix.com",
}


class ApiVersion(StrEnum):
    """Which Coralogix path family to call: the legacy `lts` one, or the versioned v5/v4 one."""

    LTS = "lts"
    V5 = "5"
    V4 = "4"


@dataclass(frozen=True, slots=True)
class Routes:
    """Base path and one (method, path) per operation."""

    base: str
    resolve: str
    acknowledge: str
    get: str  # format with id=
    batch_get: tuple[Method, str]  # ids always in the query string, as `ids=a&ids=b`
    list: str


LEGACY = Routes(
    base="/mgmt/openapi",
    resolve="/v1/incidents:resolve",
    acknowledge="/v1/incidents:acknowledge",
    get="/v1/incidents/{id}",
    batch_get=("POST", "/v1/incidents:batchGet"),
    list="/v1/incidents",
)


def _versioned(version: str) -> Routes:
    return Routes(
        base=f"/mgmt/openapi/{version}",
        resolve="/incidents/incidents/v1/all/resolve",
        acknowledge="/incidents/incidents/v1/all/acknowledge",
        get="/incidents/incidents/v1/{id}",
        batch_get=("GET", "/incidents/incidents/v1"),
        list="/incidents/incidents/v1",
    )


def routes_for(version: ApiVersion) -> Routes:
    """The routes of the configured path family."""
    return LEGACY if version is ApiVersion.LTS else _versioned(version.value)


@dataclass(frozen=True, slots=True)
class CaseRoutes:
    """Where each Cases operation lives (cases-v5.yaml). Paths with `{id}` take a UUID or a readable id."""

    base: str
    bulk_resolve: str  # POST {"ids", "reason"}
    resolve: str  # PUT {"reason"}
    bulk_close: str  # POST {"ids"}
    close: str  # POST, no body
    acknowledge: str  # PUT, no body (the bulk form needs a Coralogix user as `actor`)
    get: str  # GET
    list: str  # POST {"filters", "orderBy", "pagination"}
    comments: str  # POST {"text"}
    deep_links: str  # GET


# Cases are published only in the versioned family; v5 is the one the spec in tests/contracts comes from.
CASES = CaseRoutes(
    base="/mgmt/openapi/5",
    bulk_resolve="/cases/resolved/v1",
    resolve="/cases/resolved/v1/{id}",
    bulk_close="/cases/closed/v1",
    close="/cases/closed/v1/{id}",
    acknowledge="/cases/acknowledged/v1/{id}",
    get="/cases/cases/v1/{id}",
    list="/cases/cases/v1",
    comments="/cases/cases/v1/{id}/comments",
    deep_links="/cases/cases/v1/{id}/deep-links",
)
