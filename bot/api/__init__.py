"""The Coralogix incidents and Cases API clients, their models and their errors."""

from bot.api._retry import RetryPolicy
from bot.api.case_ids import case_ref, is_case_id
from bot.api.case_models import Case, CaseFilters
from bot.api.cases import CASE_CHUNK, BulkAnswer, CaseLookup, CasesClient
from bot.api.client import RESOLVE_CHUNK, CoralogixClient, gather_bounded
from bot.api.enums import CasePriority, CaseStatus
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
    "CASE_CHUNK",
    "RESOLVE_CHUNK",
    "ApiConnectionError",
    "ApiError",
    "ApiResponseError",
    "ApiStatusError",
    "ApiTimeoutError",
    "ApiVersion",
    "AuthenticationError",
    "BadRequestError",
    "BulkAnswer",
    "Case",
    "CaseFilters",
    "CaseLookup",
    "CasePriority",
    "CaseStatus",
    "CasesClient",
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
    "case_ref",
    "gather_bounded",
    "is_case_id",
]
