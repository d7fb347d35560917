"""Request and response models of debtor contacts, compliance and matching (issue 5, off chain)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AccessPublic",
    "AccessesPublic",
    "AnchorPublic",
    "AnchorsPublic",
    "BreachPublic",
    "CollectorCompliancePublic",
    "ContactCreate",
    "ContactPublic",
    "ContactsPublic",
    "DebtorPublic",
    "MatchPublic",
    "MatchesPublic",
    "ViolationPublic",
    "ViolationsPublic",
]

Channel = Literal["phone", "sms", "letter", "visit", "email", "app"]


class DebtorPublic(BaseModel):
    """A debtor's contact data: only for the collector holding the case; every read is logged."""

    case_id: str
    name: str
    id_number: str
    phone: str
    address: str
    timezone: str
    local_time: str = Field(description="the debtor's local time now (HH:MM), for the quiet-hours rule")


class AccessPublic(BaseModel):
    id: int
    case_id: str
    reader: str
    reader_address: str
    purpose: str
    accessed_at: dt.datetime


class AccessesPublic(BaseModel):
    data: list[AccessPublic]
    count: int


class ContactCreate(BaseModel):
    channel: Channel
    attempted_at: dt.datetime | None = Field(
        default=None, description="when the contact happened/happens (ISO 8601 with offset); default now"
    )
    note: str = Field(default="", max_length=20_000, description="contact note or call transcript (screened)")


class BreachPublic(BaseModel):
    code: str
    rule_id: str
    category: str
    outcome: Literal["block", "flag"]
    matched: str


class ContactPublic(BaseModel):
    id: int
    case_id: str
    collector: str
    channel: str
    attempted_at: dt.datetime
    local_date: str
    local_time: str
    outcome: Literal["logged", "refused"]
    note_digest: str
    note: str | None = None
    violations: list[BreachPublic] = Field(default_factory=list)


class ContactsPublic(BaseModel):
    data: list[ContactPublic]
    count: int


class CollectorCompliancePublic(BaseModel):
    collector: str
    contacts_logged: int
    contacts_refused: int
    cases_contacted: int
    violations: int
    blocked: int
    flagged: int
    by_code: dict[str, int]
    by_rule: dict[str, int]
    by_category: dict[str, int]
    compliance_rate: float = Field(description="share of contact attempts without any violation")
    last_violation_at: dt.datetime | None


class ViolationPublic(BaseModel):
    id: int
    contact_id: int
    case_id: str
    collector: str
    code: str
    rule_id: str
    category: str
    outcome: str
    matched: str
    created_at: dt.datetime


class ViolationsPublic(BaseModel):
    data: list[ViolationPublic]
    count: int


class MatchPublic(BaseModel):
    case_id: str
    collector: str
    score: float
    track: float
    similar_cases: float
    capacity: float
    region_fit: float
    explanation: str


class ExclusionPublic(BaseModel):
    id: str
    reasons: list[str]


class MatchesPublic(BaseModel):
    subject: str
    data: list[MatchPublic]
    excluded: list[ExclusionPublic] = Field(description="ineligible candidates with the reasons (first 100)")
    excluded_count: int = 0
    generated_at: int


class AnchorPublic(BaseModel):
    id: int
    root: str
    leaf_count: int
    access: tuple[int, int]
    contacts: tuple[int, int]
    institution: str
    operation_id: str | None
    created_at: dt.datetime


class AnchorsPublic(BaseModel):
    data: list[AnchorPublic]
    count: int
