"""Request and response models of the oracle endpoints (reports, signatures, on-chain values)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from chain.eip712 import INT64_MIN, FeedId, Report, SubjectId
from node_api.schemas import RequestModel

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
#: exclusive upper bounds as powers of two (exact in the OpenAPI document): int64 and uint64 on chain
_INT64_LIMIT = 2**63
_UINT64_LIMIT = 2**64
_REPORT: JsonDict = {
    "feed_id": "0x" + "11" * 32,
    "subject_id": "0x" + "22" * 32,
    "value": 18_250_000,
    "low": 16_400_000,
    "high": 20_100_000,
    "model_version": "0x" + "33" * 32,
    "feature_digest": "0x" + "44" * 32,
    "observed_at": 1_796_000_000,
}
_SIGNATURE: JsonDict = {
    "signer": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "r": "0x" + "5a" * 32,
    "vs": "0x" + "6b" * 32,
}


class OracleReportIn(RequestModel):
    """An ``OracleHub`` report: ids and digests as 0x-hex bytes32, numbers as integers (minor units)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REPORT]})

    feed_id: str = Field(pattern=_HEX32)
    subject_id: str = Field(pattern=_HEX32)
    value: int = Field(ge=INT64_MIN, lt=_INT64_LIMIT)
    low: int = Field(ge=INT64_MIN, lt=_INT64_LIMIT)
    high: int = Field(ge=INT64_MIN, lt=_INT64_LIMIT)
    model_version: str = Field(pattern=_HEX32)
    feature_digest: str = Field(pattern=_HEX32)
    observed_at: int = Field(ge=1, lt=_UINT64_LIMIT)

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


class ReportSignatureIn(RequestModel):
    """A compact (ERC-2098) signature and the address that claims to have made it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SIGNATURE]})

    signer: str = Field(pattern=_ADDRESS)
    r: str = Field(pattern=_HEX32)
    vs: str = Field(pattern=_HEX32)


class OracleSignatureIn(RequestModel):
    """An oracle's signature over one round's report, posted for its peers."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"round": 7, "report": _REPORT, "signature": _SIGNATURE}]}
    )

    round: int = Field(ge=0, lt=_INT64_LIMIT)
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


class OracleSubmitIn(RequestModel):
    """A report and at least k signatures of distinct active oracles (any order; sorted before sending)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "round": 7,
                    "report": _REPORT,
                    "signatures": [
                        _SIGNATURE,
                        {**_SIGNATURE, "signer": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"},
                    ],
                }
            ]
        }
    )

    round: int = Field(ge=0, lt=_INT64_LIMIT)
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
