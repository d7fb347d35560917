"""Request and response models of debtor contacts, compliance and matching (off chain)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    attempted_at: dt.datetime | None = Field(
        default=None,
        description=(
            "leave out for a contact happening now (the gateway's clock decides). A past time, with a UTC "
            "offset (e.g. 2026-12-07T14:05:00+08:00; none: 422 CWK-422), logs an attempt that already "
            "happened: recorded as backdated, checked against the rules at that time and counted in that "
            "local day's cap, shown flagged to the bank. Within 30 s behind or 300 s ahead of the gateway's "
            "clock it is the same moment as now; at most 7 days back."
        ),
        examples=["2026-12-07T14:05:00+08:00"],
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
    attempted_at: dt.datetime = Field(description="when the contact happened; the collector's claim if backdated")
    recorded_at: dt.datetime = Field(description="the gateway's clock when the attempt was logged")
    backdated: bool = Field(
        description="a late log: attempted_at is a past time the collector claimed, checked against the rules "
        "at that time, not the gateway's clock"
    )
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
    contacts_backdated: int = Field(description="late logs (logged or refused) among the collector's attempts")
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
