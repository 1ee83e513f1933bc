"""The Coralogix Cases client (tests/contracts/coralogix/cases-v5.yaml), on the transport every client shares.

Errors, retries and timeouts are the incidents client's (`bot.api.http`). The bulk operations take
any number of ids and split them into calls of at most CASE_CHUNK, a few at once; each call's
answer or error comes back on its own (`BulkAnswer`), so one failed call does not hide the others.
Whether a case really got where it was asked to go is decided in `bot.services.cases`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.api._retry import RetryPolicy
from bot.api.case_models import (
    Case,
    CaseAnswer,
    CaseDeepLinks,
    CaseEvent,
    CaseFilters,
    CaseOrderBy,
    CasesAnswer,
    CommentAnswer,
    DeepLinksAnswer,
)
from bot.api.exceptions import ApiError, NotFoundError
from bot.api.http import ApiTransport, Observer, gather_bounded
from bot.api.routes import CASES

CASE_CHUNK = 1000  # maxItems of `ids` in every bulk request
SINGLE_REASON_LIMIT = 500  # maxLength of `reason` in the single-case resolve
BULK_REASON_LIMIT = 4096  # maxLength of `reason` in the bulk resolve
MAX_PAGE_SIZE = 1000  # maximum of `pagination.pageSize`
LIST_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class BulkAnswer:
    """One call of a bulk operation: the ids it named, the cases Coralogix answered with, or its error."""

    ids: tuple[str, ...]
    cases: list[Case] = field(default_factory=list)
    error: ApiError | None = None

    def case_for(self, ref: str) -> Case | None:
        """The answered case `ref` (a UUID or a readable id) names, if it came back."""
        return next((c for c in self.cases if c.known_as(ref)), None)


@dataclass(frozen=True, slots=True)
class CaseLookup:
    """Cases read one by one: found (by the id asked), not found (404), or not readable (the error)."""

    found: dict[str, Case] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    errors: dict[str, ApiError] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CasePage:
    cases: list[Case]
    next_page_token: str | None = None


class CasesClient(ApiTransport):
    """Cases operations on one Coralogix host (always the v5 path family: the only one with Cases)."""

    def __init__(
        self,
        *,
        host: str,
        api_key: SecretStr,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observe: Observer | None = None,
    ) -> None:
        self.routes = CASES
        super().__init__(
            base_url=host.rstrip("/") + CASES.base,
            api_key=api_key,
            retry=retry,
            transport=transport,
            sleep=sleep,
            observe=observe,
        )

    def __repr__(self) -> str:
        return f"CasesClient(base_url={self.base_url!r})"

    # -- resolve and close ---------------------------------------------------------------------

    async def resolve_cases(self, *, ids: Sequence[str], reason: str | None = None) -> list[BulkAnswer]:
        """Resolve `ids` with one `reason` (at most BULK_REASON_LIMIT characters), one answer per call.

        A single id whose reason fits SINGLE_REASON_LIMIT goes through the single-case PUT (its 404
        names that case); everything else, a longer reason included, through the bulk call.
        """
        reason = _checked(reason, BULK_REASON_LIMIT)
        if len(ids) == 1 and (reason is None or len(reason) <= SINGLE_REASON_LIMIT):
            one = ids[0]
            return [await _attempt((one,), _as_list(functools.partial(self.resolve_case, id=one, reason=reason)))]
        return await self._bulk(ids, lambda chunk: self.resolve_chunk(ids=chunk, reason=reason))

    async def resolve_chunk(self, *, ids: Sequence[str], reason: str | None = None) -> list[Case]:
        """One bulk resolve call (1 to CASE_CHUNK ids); the updated cases come back."""
        body: dict[str, Any] = {"ids": _chunk(ids)}
        if reason := _checked(reason, BULK_REASON_LIMIT):
            body["reason"] = reason
        return (await self._call("case_resolve", "POST", self.routes.bulk_resolve, CasesAnswer, json=body)).cases

    async def resolve_case(self, *, id: str, reason: str | None = None) -> Case:
        """Resolve one case (reason at most SINGLE_REASON_LIMIT characters); the updated case comes back."""
        reason = _checked(reason, SINGLE_REASON_LIMIT)
        body = {"reason": reason} if reason else {}
        path = _path(self.routes.resolve, id)
        return (await self._call("case_resolve_one", "PUT", path, CaseAnswer, json=body)).case

    async def close_cases(self, *, ids: Sequence[str]) -> list[BulkAnswer]:
        """Close `ids` (the spec's close takes no reason), one answer per call; one id uses the single close."""
        if len(ids) == 1:
            one = ids[0]
            return [await _attempt((one,), _as_list(functools.partial(self.close_case, id=one)))]
        return await self._bulk(ids, lambda chunk: self.close_chunk(ids=chunk))

    async def close_chunk(self, *, ids: Sequence[str]) -> list[Case]:
        """One bulk close call (1 to CASE_CHUNK ids); the updated cases come back."""
        body = {"ids": _chunk(ids)}
        return (await self._call("case_close", "POST", self.routes.bulk_close, CasesAnswer, json=body)).cases

    async def close_case(self, *, id: str) -> Case:
        """Close one case; the updated case comes back."""
        return (await self._call("case_close_one", "POST", _path(self.routes.close, id), CaseAnswer)).case

    # -- one case --------------------------------------------------------------------------------

    async def acknowledge_cases(self, *, ids: Sequence[str]) -> list[BulkAnswer]:
        """Acknowledge `ids` one PUT each, a few at once, one answer per case (see `acknowledge_case`)."""
        calls = [_attempt((one,), _as_list(functools.partial(self.acknowledge_case, id=one))) for one in ids]
        return await gather_bounded(calls)

    async def acknowledge_case(self, *, id: str) -> Case:
        """Acknowledge one case. Only the single form: the bulk one needs a Coralogix user as `actor`."""
        path = _path(self.routes.acknowledge, id)
        return (await self._call("case_acknowledge", "PUT", path, CaseAnswer)).case

    async def get_case(self, *, id: str) -> Case:
        """One case by UUID or readable id; `NotFoundError` when it does not exist."""
        return (await self._call("case_get", "GET", _path(self.routes.get, id), CaseAnswer)).case

    async def get_cases(self, *, ids: Sequence[str]) -> CaseLookup:
        """Many cases, one GET each (the spec has no batch get), a few at once; never raises for one case."""
        lookup = CaseLookup()

        async def read(ref: str) -> None:
            try:
                lookup.found[ref] = await self.get_case(id=ref)
            except NotFoundError:
                lookup.not_found.append(ref)
            except ApiError as e:
                lookup.errors[ref] = e

        await gather_bounded([read(ref) for ref in dict.fromkeys(ids)])
        return lookup

    async def comment(self, *, case_id: str, text: str) -> CaseEvent:
        """Add a comment to the case's timeline (needs `case:Comment`); the comment event comes back."""
        if not text.strip():
            raise ValueError("a case comment needs text")
        path = _path(self.routes.comments, case_id)
        return (await self._call("case_comment", "POST", path, CommentAnswer, json={"text": text}, once=True)).event

    async def deep_links(self, *, case_id: str) -> CaseDeepLinks:
        """Coralogix's own URLs for the case; `detail` is the case's page."""
        return (
            await self._call("case_deep_links", "GET", _path(self.routes.deep_links, case_id), DeepLinksAnswer)
        ).deep_links

    # -- list ------------------------------------------------------------------------------------

    async def list_page(
        self,
        *,
        filters: CaseFilters | None = None,
        order_by: CaseOrderBy | None = None,
        page_size: int = LIST_PAGE_SIZE,
        page_token: str | None = None,
    ) -> CasePage:
        """One page of the cases matching `filters`; pass its `next_page_token` back for the next one."""
        pagination: dict[str, Any] = {"pageSize": max(1, min(page_size, MAX_PAGE_SIZE))}
        if page_token:
            pagination["pageToken"] = page_token
        body: dict[str, Any] = {"pagination": pagination}
        if filters is not None and (wire := filters.to_wire()):
            body["filters"] = wire
        if order_by is not None:
            body["orderBy"] = order_by.model_dump(by_alias=True, mode="json")
        answer = await self._call("case_list", "POST", self.routes.list, CasesAnswer, json=body)
        token = answer.pagination.next_page_token if answer.pagination else None
        return CasePage(answer.cases, token or None)

    async def list_cases(
        self,
        *,
        filters: CaseFilters | None = None,
        order_by: CaseOrderBy | None = None,
        limit: int = 1000,
        page_size: int = LIST_PAGE_SIZE,
    ) -> list[Case]:
        """Cases matching `filters`, following pages until there are no more or `limit` is reached."""
        cases: list[Case] = []
        token: str | None = None
        while len(cases) < limit:
            size = min(page_size, limit - len(cases))
            page = await self.list_page(filters=filters, order_by=order_by, page_size=size, page_token=token)
            cases.extend(page.cases)
            token = page.next_page_token
            if not token or not page.cases:
                break
        return cases[:limit]

    # -- helpers ---------------------------------------------------------------------------------

    async def _bulk(
        self, ids: Sequence[str], call: Callable[[tuple[str, ...]], Awaitable[list[Case]]]
    ) -> list[BulkAnswer]:
        chunks = [tuple(ids[i : i + CASE_CHUNK]) for i in range(0, len(ids), CASE_CHUNK)]
        return await gather_bounded([_attempt(chunk, functools.partial(call, chunk)) for chunk in chunks])


async def _attempt(ids: tuple[str, ...], call: Callable[[], Awaitable[list[Case]]]) -> BulkAnswer:
    """Run one call of a bulk operation; its typed error, if any, is kept with its ids."""
    try:
        return BulkAnswer(ids, await call())
    except ApiError as e:
        return BulkAnswer(ids, [], e)


def _as_list(call: Callable[[], Awaitable[Case]]) -> Callable[[], Awaitable[list[Case]]]:
    """A one-case call as one call of a bulk operation."""

    async def run() -> list[Case]:
        return [await call()]

    return run


def _checked(reason: str | None, limit: int) -> str | None:
    """The reason as sent (an empty one is left out: the spec wants at least one character)."""
    if not reason:
        return None
    if len(reason) > limit:
        raise ValueError(f"a case reason may have at most {limit} characters, this one has {len(reason)}")
    return reason


def _chunk(ids: Sequence[str]) -> list[str]:
    if not 1 <= len(ids) <= CASE_CHUNK:
        raise ValueError(f"one bulk call takes 1 to {CASE_CHUNK} case ids, not {len(ids)}")
    return list(ids)


def _path(template: str, case_id: str) -> str:
    """The path with the id as one escaped segment, whatever it contains."""
    return template.format(id=quote(case_id, safe=""))
