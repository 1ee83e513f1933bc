"""Typed errors raised by the Coralogix client. Callers never see an `httpx.Response`.

    ApiError
    ├── ApiConnectionError          could not reach Coralogix (DNS, TCP, TLS, reset)
    │   └── ApiTimeoutError         Coralogix did not answer in time
    ├── ApiStatusError              Coralogix answered with a non-2xx status
    │   ├── BadRequestError         400
    │   ├── AuthenticationError     401 (the API key is wrong or revoked)
    │   ├── PermissionDeniedError   403 (the key lacks a permission)
    │   ├── NotFoundError           404 (unknown id, or the wrong region/path family)
    │   ├── RateLimitError          429
    │   └── ServerError             5xx
    └── ApiResponseError            a 2xx answer that is not the JSON the spec promises

Messages are written for the on-call engineer who will read them in Slack, and never contain the key.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

import httpx

REQUEST_ID_HEADERS = ("x-request-id", "x-cx-request-id", "x-amzn-requestid", "x-trace-id")


class ApiError(Exception):
    """Base class of every error the Coralogix client raises."""

    def __init__(self, message: str, *, operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation


class ApiConnectionError(ApiError):
    """Coralogix could not be reached."""


class ApiTimeoutError(ApiConnectionError):
    """Coralogix did not answer within the client's timeout."""


class ApiResponseError(ApiError):
    """Coralogix answered 2xx with a body the client cannot read."""


class ApiStatusError(ApiError):
    """Coralogix answered with a non-2xx status."""

    status_code: int = 0
    hint: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        status_code: int,
        api_message: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.status_code = status_code
        self.api_message = api_message
        self.request_id = request_id
        self.retry_after = retry_after


class BadRequestError(ApiStatusError):
    """400: Coralogix rejected the request."""


class AuthenticationError(ApiStatusError):
    """401: the API key was refused."""

    hint = (
        "Coralogix refused CORALOGIX_API_KEY (401): check that it is a current Management API key "
        "of this team and that CORALOGIX_REGION matches the team's region."
    )


class PermissionDeniedError(ApiStatusError):
    """403: the API key lacks a permission."""


class NotFoundError(ApiStatusError):
    """404: the incident or case, or the whole path, does not exist here."""


class RateLimitError(ApiStatusError):
    """429: Coralogix is throttling the bot."""

    hint = "Coralogix is rate-limiting the bot (429); try again in a minute."


class ServerError(ApiStatusError):
    """5xx: Coralogix failed."""

    hint = "Coralogix had an internal error (5xx); try again shortly."


PERMISSIONS = {
    "resolve": "incidents:close",
    "close": "incidents:close",
    "acknowledge": "incidents:acknowledge",
    "get": "incidents:read",
    "batch_get": "incidents:read",
    "list": "incidents:read",
    # Cases operations (bot.api.cases) are named `case_*`; resolving and closing both need case:Close.
    "case_resolve": "case:Close",
    "case_resolve_one": "case:Close",
    "case_close": "case:Close",
    "case_close_one": "case:Close",
    "case_acknowledge": "case:Acknowledge",
    "case_get": "case:Read",
    "case_list": "case:Read",
    "case_deep_links": "case:Read",
    "case_comment": "case:Comment",
}


def is_case_operation(operation: str) -> bool:
    """Whether the operation is one of the Cases client's."""
    return operation.startswith("case_")


_BY_STATUS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _api_message(response: httpx.Response, secrets: tuple[str, ...]) -> str | None:
    """Coralogix's own message, from either error shape: `{code, message}` or `{code, message, details}`.

    Secrets are cut out before the text is shortened, so no prefix of one can survive the cut.
    """
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        body: Any = json.loads(response.content or b"null")
        if isinstance(body, dict):
            message = body.get("message") or body.get("error")
            if isinstance(message, str) and message:
                return _redact(message, secrets)[:500]
    text = response.text.strip() if response.content else ""
    return _redact(text, secrets)[:200] or None


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        # An HTTP-date is legal too; honour it roughly via the Date header when present.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(raw)
            now = parsedate_to_datetime(response.headers.get("date", raw))
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - now).total_seconds())


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def status_error(response: httpx.Response, *, operation: str, secrets: tuple[str, ...] = ()) -> ApiStatusError:
    """Map a non-2xx response to its typed error with a message that says what to fix.

    `secrets` are cut out of whatever Coralogix said, in case its message echoes the key.
    """
    status = response.status_code
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiStatusError)
    api_message = _api_message(response, secrets)
    request_id = next((response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None)
    if cls is PermissionDeniedError:
        hint = _forbidden_hint(operation)
    elif cls is NotFoundError and is_case_operation(operation):
        hint = (
            "Coralogix answered 404: the case does not exist here, or CORALOGIX_REGION / "
            "CORALOGIX_API_URL points at another region."
        )
    elif cls is NotFoundError:
        hint = (
            "Coralogix answered 404: the incident does not exist here, or CORALOGIX_REGION / "
            "CORALOGIX_API_URL points at another region, or CORALOGIX_API_VERSION names a path family "
            "this host does not serve."
        )
    else:
        hint = cls.hint or f"Coralogix answered HTTP {status}."
    message = hint if not api_message else f"{hint} Coralogix said: {api_message}"
    retry_after = _retry_after(response)
    if cls is RateLimitError and retry_after:
        message += f" Coralogix asks to wait {retry_after:.0f} s."
    if request_id:
        message += f" (request id {request_id})"
    return cls(
        message,
        operation=operation,
        status_code=status,
        api_message=api_message,
        request_id=request_id,
        retry_after=retry_after,
    )


def _forbidden_hint(operation: str) -> str:
    """What a 403 means: the permission the operation needs, and where keys get it."""
    if is_case_operation(operation):
        permission = PERMISSIONS.get(operation, "case:Read")
        return (
            f"Coralogix refused the API key (403): it needs the `{permission}` permission "
            "(Settings → API Keys; Cases ship no preset: add each case permission to the key)."
        )
    permission = PERMISSIONS.get(operation, "incidents:read")
    hint = (
        f"Coralogix refused the API key (403): it needs the `{permission}` permission "
        "(Settings → API Keys; the 'Incidents' preset grants it)."
    )
    if operation == "acknowledge":
        hint += " Acknowledging also requires a personal (user-owned) API key, not a team key."
    return hint
