"""The Coralogix incidents API client, its models and its errors."""

from bot.api._retry import RetryPolicy
from bot.api.client import RESOLVE_CHUNK, CoralogixClient, gather_bounded
from bot.api.exceptions import (
    ApiConnectionError,
    ApiError,
    ApiResponseError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from bot.api.models import Incident, IncidentFilter, IncidentSeverity, IncidentState, IncidentStatus
from bot.api.routes import ApiVersion

__all__ = [
    "RESOLVE_CHUNK",
    "ApiConnectionError",
    "ApiError",
    "ApiResponseError",
    "ApiStatusError",
    "ApiTimeoutError",
    "ApiVersion",
    "AuthenticationError",
    "BadRequestError",
    "CoralogixClient",
    "Incident",
    "IncidentFilter",
    "IncidentSeverity",
    "IncidentState",
    "IncidentStatus",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "gather_bounded",
]
