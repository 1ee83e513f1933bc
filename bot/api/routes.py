"""Where each incidents operation lives in each Coralogix path family.

The legacy family (`lts`, the default) is the one of the product spec and `incidents-lts.yaml`;
the versioned family (`5`, or the frozen `4` with identical incident paths) is `incidents-v5.yaml`.
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
