"""Checking HTTP exchanges against Coralogix's published OpenAPI specs (tests/contracts/coralogix), with openapi-core.

Shared by the contract tests and by the fake Coralogix, which checks every Cases call it answers.
A request is matched to its operation by method and path, then its path/query parameters, security
header and JSON body are validated; an answer against the schema of its operation and status.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

SPECS = Path(__file__).resolve().parent.parent / "contracts" / "coralogix"


def strip_oneof_group_names(node: Any, removed: set[str] | None = None) -> set[str]:
    """Drop from every `required` list the names that are not in that schema's `properties`; return them.

    Why: the specs are generated from Coralogix's protos, and the generator lists proto `oneof` GROUP
    names as required (`originator`, `incident_event_payload` / `incidentEventPayload`, `field`,
    `attachment`). Those are never JSON keys: on the wire a oneof is just one of its member fields
    (notes §5), so no real request or response could satisfy them. OpenAPI 3.0 forbids an empty
    `required`, so a list that ends up empty is removed.
    """
    removed = set() if removed is None else removed
    if isinstance(node, dict):
        required, properties = node.get("required"), node.get("properties")
        if isinstance(required, list) and isinstance(properties, dict):
            removed.update(name for name in required if name not in properties)
            kept = [name for name in required if name in properties]
            if kept:
                node["required"] = kept
            else:
                del node["required"]
        for value in node.values():
            strip_oneof_group_names(value, removed)
    elif isinstance(node, list):
        for value in node:
            strip_oneof_group_names(value, removed)
    return removed


@functools.cache
def raw_spec(file_name: str) -> dict[str, Any]:
    """A spec file exactly as published (callers copy before changing it)."""
    document: dict[str, Any] = yaml.safe_load((SPECS / file_name).read_text())
    return document


def usable_spec(file_name: str) -> dict[str, Any]:
    """A fresh copy of a spec with the oneof quirk stripped."""
    document = copy.deepcopy(raw_spec(file_name))
    strip_oneof_group_names(document)
    return document


class CapturedRequest:
    """An `httpx.Request` seen through openapi-core's Request protocol (`host_url` to pretend another host)."""

    def __init__(self, request: httpx.Request, host_url: str | None = None) -> None:
        from openapi_core.datatypes import RequestParameters  # imported late: the e2e fakes rarely need it
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host_url or f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
        )


def explain(error: BaseException) -> str:
    """An openapi-core failure with the jsonschema errors behind it."""
    lines = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        lines.append(f"  caused by {type(cause).__name__}: {cause}")
        lines.extend(f"    - {e.message} at {list(e.absolute_path)}" for e in getattr(cause, "schema_errors", ()))
        cause = cause.__cause__
    return "\n".join(lines)


class Contract:
    """One spec document and openapi-core's validator for it (built on first use: it checks the spec too)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._openapi: Any = None

    @classmethod
    @functools.cache
    def of(cls, file_name: str) -> Contract:
        """The contract of a spec file in tests/contracts/coralogix, quirk stripped, built once per process."""
        return cls(usable_spec(file_name))

    @property
    def openapi(self) -> Any:
        """openapi-core's `OpenAPI` for the document."""
        if self._openapi is None:
            from openapi_core import OpenAPI

            self._openapi = OpenAPI.from_dict(self.document)
        return self._openapi

    def operation_id(self, request: httpx.Request) -> str | None:
        """The operationId whose path template and method match the request, after the spec's base path."""
        base = urlsplit(self.document["servers"][0]["url"]).path
        path = request.url.path.removeprefix(base)
        for template, item in self.document["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and request.method.lower() in item:
                found: str = item[request.method.lower()]["operationId"]
                return found
        return None

    def request_problem(self, request: httpx.Request, *, any_host: bool = False) -> str | None:
        """Why the request breaks the spec (method, path, parameters, security, body), or None.
        `any_host`: judge it as if sent to the spec's first server (a fake on loopback)."""
        try:
            self.openapi.validate_request(self._captured(request, any_host))
        except Exception as error:  # noqa: BLE001 - any openapi-core failure is a contract failure, shown in full
            return f"{request.method} {request.url} breaks the spec:\n{explain(error)}"
        return None

    def response_problem(self, request: httpx.Request, status: int, body: Any, *, any_host: bool = False) -> str | None:
        """Why the answer breaks the schema the spec gives the operation for `status`, or None."""
        from openapi_core.testing import MockResponse

        response = MockResponse(json.dumps(body).encode(), status_code=status)
        try:
            self.openapi.validate_response(self._captured(request, any_host), response)
        except Exception as error:  # noqa: BLE001 - see request_problem
            return f"answer {status} to {request.method} {request.url.path} breaks the spec:\n{explain(error)}"
        return None

    def _captured(self, request: httpx.Request, any_host: bool) -> CapturedRequest:
        if not any_host:
            return CapturedRequest(request)
        server = urlsplit(self.document["servers"][0]["url"])
        return CapturedRequest(request, host_url=f"{server.scheme}://{server.netloc}")
