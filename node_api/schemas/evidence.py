"""Request bodies of the evidence API, strict (see ``RequestModel``): unknown fields and nulls where a value
is expected are refused with a 422 naming the field. Responses are in ``node_api.services.evidence.schemas``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from node_api.schemas import RequestModel
from node_api.services.evidence.schemas import ADDRESS_PATTERN, DIGEST_PATTERN

__all__ = ["DigestItemIn", "DigestSubmissionIn", "VerifyRequestIn"]

_DIGEST = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_PARTY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
Address = Annotated[str, Field(pattern=ADDRESS_PATTERN)]
Digest = Annotated[str, Field(pattern=DIGEST_PATTERN)]
#: more than 1,000 is refused by the route with 422 EVD-422
Digests = Annotated[list[Digest], Field(min_length=1, json_schema_extra={"maxItems": 1000})]


class DigestItemIn(RequestModel):
    digest: str = Field(pattern=DIGEST_PATTERN, description="SHA-256 of the document, 0x + 64 hex")
    case_ref: str | None = Field(default=None, max_length=200)
    parties: list[Address] = Field(
        default_factory=list, max_length=50, description="members that may read it (case parties)"
    )


class DigestSubmissionIn(RequestModel):
    """Digests of documents the submitter keeps itself (nothing is uploaded); at most 1,000 per call
    (more: 422 ``EVD-422``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"digest": _DIGEST, "case_ref": "CASE-2026-0042", "parties": [_PARTY]}]}]
        }
    )

    items: list[DigestItemIn] = Field(min_length=1)


class VerifyRequestIn(RequestModel):
    """One ``digest`` or up to 1,000 ``digests`` (exactly one of the two); name ``evidence_id`` or
    ``case_ref`` to detect a mismatch. A field is left out rather than sent as ``null``."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [{"required": ["digest"]}, {"required": ["digests"]}],
            "examples": [{"digest": _DIGEST, "case_ref": "CASE-2026-0042"}],
        }
    )

    digest: Digest | SkipJsonSchema[None] = None
    digests: Digests | SkipJsonSchema[None] = None
    evidence_id: str | SkipJsonSchema[None] = Field(default=None, max_length=40)
    case_ref: str | SkipJsonSchema[None] = Field(default=None, max_length=200)

    @field_validator("digest", "digests", "evidence_id", "case_ref", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave the field out instead of sending null")
        return value
