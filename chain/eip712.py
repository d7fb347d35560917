"""EIP-712 hashing and signing of ``OracleHub`` reports, byte for byte as the contract does it.

The contract (OpenZeppelin ``EIP712("Recourse OracleHub", "1")``) signs under the domain ::

    EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)

and the struct ::

    Report(bytes32 feedId,bytes32 subjectId,int256 value,int256 low,int256 high,
           bytes32 modelVersion,bytes32 featureDigest,uint64 observedAt)

so ``digest = keccak256(0x19 0x01 ‖ domainSeparator ‖ keccak256(abi.encode(REPORT_TYPEHASH, fields…)))``.
Every field is a static type, so its EIP-712 encoding is its ABI encoding. Signing goes through
eth_account's EIP-191 version-1 (``0x01``) ``SignableMessage``, which is exactly that digest.

Signatures are carried in compact ERC-2098 form (``r``, ``vs = s | (v - 27) << 255``), the form
``OracleHub.submit`` takes, and the hub wants them ordered by signer address, ascending
(:func:`sort_signatures`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NewType

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = [
    "DOMAIN_TYPE",
    "HUB_NAME",
    "HUB_VERSION",
    "INT64_MAX",
    "INT64_MIN",
    "REPORT_TYPE",
    "REPORT_TYPEHASH",
    "Domain",
    "FeedId",
    "Report",
    "ReportSignature",
    "SubjectId",
    "feed_id",
    "recover_report_signer",
    "report_digest",
    "report_signable",
    "report_struct_hash",
    "sign_report",
    "sort_signatures",
    "subject_id",
]

FeedId = NewType("FeedId", bytes)
SubjectId = NewType("SubjectId", bytes)

HUB_NAME = "Recourse OracleHub"
HUB_VERSION = "1"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
REPORT_TYPE = (
    "Report(bytes32 feedId,bytes32 subjectId,int256 value,int256 low,int256 high,"
    "bytes32 modelVersion,bytes32 featureDigest,uint64 observedAt)"
)
DOMAIN_TYPEHASH = keccak(text=DOMAIN_TYPE)
REPORT_TYPEHASH = keccak(text=REPORT_TYPE)

#: The hub stores value and interval in 64 bits and refuses reports whose numbers fall outside.
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_INT256_MIN = -(1 << 255)
_INT256_MAX = (1 << 255) - 1
_UINT64_MAX = (1 << 64) - 1
_HIGH_BIT = 1 << 255


def feed_id(name: str) -> FeedId:
    """A feed's id: ``keccak256`` of its name, e.g. ``feed_id("valuation:residential")``."""
    return FeedId(keccak(text=name))


def subject_id(reference: str) -> SubjectId:
    """A subject's id: ``keccak256`` of its reference, e.g. ``subject_id("asset:SH-2024-0042")``."""
    return SubjectId(keccak(text=reference))


def _bytes32(name: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes")


@dataclass(frozen=True)
class Report:
    """An oracle report as signed and as the hub returns it (numbers are integers in the feed's unit)."""

    feed_id: FeedId
    subject_id: SubjectId
    value: int
    low: int
    high: int
    model_version: bytes
    feature_digest: bytes
    observed_at: int

    def __post_init__(self) -> None:
        for name in ("feed_id", "subject_id", "model_version", "feature_digest"):
            _bytes32(name, getattr(self, name))
        for name in ("value", "low", "high"):
            number = getattr(self, name)
            if not isinstance(number, int) or not _INT256_MIN <= number <= _INT256_MAX:
                raise ValueError(f"{name} must be an int256 integer")
        if not isinstance(self.observed_at, int) or not 0 <= self.observed_at <= _UINT64_MAX:
            raise ValueError("observed_at must be a uint64 integer (Unix seconds)")

    def as_abi(self) -> tuple[bytes, bytes, int, int, int, bytes, bytes, int]:
        """The ``IOracleHub.Report`` tuple in field order."""
        return (
            self.feed_id,
            self.subject_id,
            self.value,
            self.low,
            self.high,
            self.model_version,
            self.feature_digest,
            self.observed_at,
        )

    @classmethod
    def from_abi(cls, raw: tuple[bytes, bytes, int, int, int, bytes, bytes, int]) -> Report:
        feed, subject, value, low, high, model, features, observed = raw
        return cls(FeedId(feed), SubjectId(subject), value, low, high, model, features, observed)


@dataclass(frozen=True)
class Domain:
    """An EIP-712 signing domain (name, version, chain id, verifying contract)."""

    name: str
    version: str
    chain_id: int
    verifying_contract: str

    @classmethod
    def oracle_hub(cls, *, chain_id: int, verifying_contract: str) -> Domain:
        """The domain of the ``OracleHub`` at ``verifying_contract`` on chain ``chain_id``."""
        return cls(HUB_NAME, HUB_VERSION, chain_id, to_checksum_address(verifying_contract))

    @property
    def separator(self) -> bytes:
        return keccak(
            abi_encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    DOMAIN_TYPEHASH,
                    keccak(text=self.name),
                    keccak(text=self.version),
                    self.chain_id,
                    self.verifying_contract,
                ],
            )
        )


def report_struct_hash(report: Report) -> bytes:
    """``keccak256(abi.encode(REPORT_TYPEHASH, fields…))`` (``hashStruct`` of the report)."""
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "int256", "int256", "int256", "bytes32", "bytes32", "uint64"],
            [REPORT_TYPEHASH, *report.as_abi()],
        )
    )


def report_signable(domain: Domain, report: Report) -> SignableMessage:
    """The EIP-191 version ``0x01`` message (EIP-712) that the oracles sign."""
    return SignableMessage(version=b"\x01", header=domain.separator, body=report_struct_hash(report))


def report_digest(domain: Domain, report: Report) -> bytes:
    """The 32-byte digest that is signed (what ``OracleHub.hashReport`` returns)."""
    return keccak(b"\x19\x01" + domain.separator + report_struct_hash(report))


@dataclass(frozen=True)
class ReportSignature:
    """A compact (ERC-2098) signature of a report, with the address that made it."""

    signer: str
    r: bytes
    vs: bytes

    @classmethod
    def from_vrs(cls, signer: str, v: int, r: int, s: int) -> ReportSignature:
        if v not in (27, 28):
            raise ValueError(f"v must be 27 or 28, not {v}")
        if s >= _HIGH_BIT:
            raise ValueError("s does not fit a compact signature")
        vs = s | ((v - 27) << 255)
        return cls(to_checksum_address(signer), r.to_bytes(32, "big"), vs.to_bytes(32, "big"))

    @property
    def v(self) -> int:
        return 27 + (int.from_bytes(self.vs, "big") >> 255)

    @property
    def s(self) -> int:
        return int.from_bytes(self.vs, "big") & (_HIGH_BIT - 1)

    def as_abi(self) -> tuple[bytes, bytes]:
        """The ``IOracleHub.Signature`` tuple ``(r, vs)``."""
        return (self.r, self.vs)


def sign_report(account: LocalAccount, domain: Domain, report: Report) -> ReportSignature:
    """Sign ``report`` for the hub of ``domain`` with ``account`` (low-``s``, as the hub requires)."""
    signed = account.sign_message(report_signable(domain, report))
    return ReportSignature.from_vrs(account.address, signed.v, signed.r, signed.s)


def recover_report_signer(domain: Domain, report: Report, signature: ReportSignature) -> str:
    """The address that made ``signature`` over ``report`` in ``domain`` (as the hub recovers it)."""
    address: str = Account.recover_message(
        report_signable(domain, report), vrs=(signature.v, signature.r, signature.s.to_bytes(32, "big"))
    )
    return address


def sort_signatures(signatures: Iterable[ReportSignature]) -> list[ReportSignature]:
    """Order signatures by signer address, ascending, as ``OracleHub.submit`` requires."""
    return sorted(signatures, key=lambda sig: int(sig.signer, 16))
