"""What a case id looks like, in one place: the Cases spec's patterns (tests/contracts/coralogix/cases-v5.yaml).

Every Cases call that targets one case accepts either the case's UUID (`id`) or its readable id
(`readableId`, e.g. `CASE-123`, pattern `[A-Z]+-[0-9]+`, at most 64 characters). A readable id
always means a case; a UUID may name an incident or a case, which only the configuration decides.
"""

from __future__ import annotations

import re
from enum import StrEnum

MAX_CASE_REF = 64  # maxLength of every case id parameter in the spec
READABLE_CASE_ID = re.compile(r"[A-Z]+-[0-9]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class Entity(StrEnum):
    """What a UUID names on this tenant (CORALOGIX_ENTITY): an incident or a Coralogix Case."""

    INCIDENTS = "incidents"
    CASES = "cases"


def is_case_id(value: str) -> bool:
    """Whether `value` is exactly a readable case id (`CASE-123`): upper-case letters, a dash, digits."""
    return len(value) <= MAX_CASE_REF and READABLE_CASE_ID.fullmatch(value) is not None


def case_ref(value: str) -> str | None:
    """`value` as the Cases API accepts it (a readable id as is, a UUID in lower case), or None for neither.

    The spec's pattern takes UUIDs in lower-case hex only; Coralogix itself writes them so.
    """
    value = value.strip()
    if is_case_id(value):
        return value
    if _UUID.fullmatch(value):
        return value.lower()
    return None


def names_case(value: str, entity: Entity) -> bool:
    """Whether `value` names a case: a readable id always does, any other id when the tenant uses Cases."""
    return entity is Entity.CASES or is_case_id(value.strip())
