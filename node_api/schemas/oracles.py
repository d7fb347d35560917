"""Request and response models of the oracle endpoints (reports, signatures, on-chain values)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chain.eip712 import INT64_MAX, INT64_MIN, FeedId, Report, SubjectId

__all__ = [
    "OracleReportIn",
    "OracleSignatureIn",
    "OracleSignaturePublic",
    "OracleSignaturesPublic",
    "OracleSubmitIn",
    "OracleValuePublic",
    "ReportSignatureIn",
]

_HEX32 = r"^0x[0-9a-fA-F]{64}$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class OracleReportIn(BaseModel):
    """An ``OracleHub`` report: ids and digests as 0x-hex bytes32, numbers as integers (minor units)."""

    feed_id: str = Field(pattern=_HEX32)
    subject_id: str = Field(pattern=_HEX32)
    value: int = Field(ge=INT64_MIN, le=INT64_MAX)
    low: int = Field(ge=INT64_MIN, le=INT64_MAX)
    high: int = Field(ge=INT64_MIN, le=INT64_MAX)
    model_version: str = Field(pattern=_HEX32)
    feature_digest: str = Field(pattern=_HEX32)
    observed_at: int = Field(ge=1, le=2**64 - 1)

    def to_report(self) -> Report:
        return Report(
            FeedId(bytes.fromhex(self.feed_id[2:])),
            SubjectId(bytes.fromhex(self.subject_id[2:])),
            self.value,
            self.low,
            self.high,
            bytes.fromhex(self.model_version[2:]),
            bytes.fromhex(self.feature_digest[2:]),
            self.observed_at,
        )

    @classmethod
    def of(cls, report: Report) -> OracleReportIn:
        return cls(
            feed_id="0x" + report.feed_id.hex(),
            subject_id="0x" + report.subject_id.hex(),
            value=report.value,
            low=report.low,
            high=report.high,
            model_version="0x" + report.model_version.hex(),
            feature_digest="0x" + report.feature_digest.hex(),
            observed_at=report.observed_at,
        )


class ReportSignatureIn(BaseModel):
    """A compact (ERC-2098) signature and the address that claims to have made it."""

    signer: str = Field(pattern=_ADDRESS)
    r: str = Field(pattern=_HEX32)
    vs: str = Field(pattern=_HEX32)


class OracleSignatureIn(BaseModel):
    """An oracle's signature over one round's report, posted for its peers."""

    round: int = Field(ge=0, le=2**63 - 1)
    report: OracleReportIn
    signature: ReportSignatureIn


class OracleSignaturePublic(BaseModel):
    round: int
    digest: str
    signer: str
    r: str
    vs: str
    report: OracleReportIn


class OracleSignaturesPublic(BaseModel):
    data: list[OracleSignaturePublic]
    count: int


class OracleSubmitIn(BaseModel):
    """A report and at least k signatures of distinct active oracles (any order; sorted before sending)."""

    round: int = Field(ge=0, le=2**63 - 1)
    report: OracleReportIn
    signatures: list[ReportSignatureIn] = Field(min_length=1, max_length=64)


class OracleValuePublic(BaseModel):
    """The latest on-chain value of a feed for a subject, read now."""

    feed_id: str
    subject_id: str
    value: int
    low: int
    high: int
    model_version: str
    feature_digest: str
    observed_at: int
    age_s: int
    max_age_s: int
    block_number: int
    block_time: int
    signers: list[str] = Field(default_factory=list)
    accepted_block: int | None = None
    tx_hash: str | None = None
