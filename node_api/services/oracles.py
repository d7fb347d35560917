"""Oracle use cases: signature exchange between oracle operators, report submission, on-chain values.

* :func:`post_signature` verifies that a posted signature recovers, over the report's EIP-712 digest in
  this chain's ``OracleHub`` domain, to its claimed signer and that this address is an active ORACLE
  member now, and only then stores it (idempotent per digest and signer). The caller is an ORACLE member
  posting its own signature or relaying a peer's.
* :func:`list_signatures` returns what has been collected for a round, so peers can assemble k of them.
* :func:`submit_report` turns a report and its signatures into an operation (kind ``oracle.report``);
  the hub itself refuses k−1 signatures, non-oracles, duplicates and older or replayed reports.
* :func:`read_value` reads ``latest(feed, subject, maxAge)``; a stale or absent value is a problem.
"""

from __future__ import annotations

import logging
from typing import Any

from eth_utils.address import to_checksum_address
from sqlmodel import Session, col, select

from chain import ChainError, ContractReverted
from chain.contracts.consortium import Role
from chain.eip712 import FeedId, Report, ReportSignature, SubjectId, recover_report_signer, report_digest
from chain.network import Recourse
from node_api.db.oracle_models import OracleSignature
from node_api.institutions import Institution
from node_api.problems import (
    ChainUnavailableError,
    InvalidInputError,
    OracleSignatureInvalidError,
    OracleSignerNotOracleError,
)
from node_api.schemas.oracles import (
    OracleReportIn,
    OracleSignaturePublic,
    OracleValuePublic,
    ReportSignatureIn,
)
from node_api.services.chain_errors import raise_problem
from node_api.services.operations import OpSpec, Submission, write_once

__all__ = ["list_signatures", "parse_id", "post_signature", "read_value", "submit_report"]

logger = logging.getLogger(__name__)
#: blocks searched backwards (in pages) for the event that accepted the latest value
_EVENT_LOOKBACK_BLOCKS = 20_000
_EVENT_PAGE = 2_000


def parse_id(text: str) -> bytes:
    """A feed or subject id: ``0x`` + 64 hex digits, or a name hashed with keccak256 (as ``chain.eip712`` does)."""
    from eth_utils.crypto import keccak

    if text.startswith("0x") and len(text) == 66:
        try:
            return bytes.fromhex(text[2:])
        except ValueError as exc:
            raise InvalidInputError(f"{text!r} is not 32 bytes of hex") from exc
    if not text or len(text) > 200:
        raise InvalidInputError("a feed or subject is a 0x-hex bytes32 id or a name of 1-200 characters")
    return keccak(text=text)


def _signature(sig: ReportSignatureIn) -> ReportSignature:
    return ReportSignature(to_checksum_address(sig.signer), bytes.fromhex(sig.r[2:]), bytes.fromhex(sig.vs[2:]))


def _verify(recourse: Recourse, report: Report, sig: ReportSignature) -> str:
    """The signer, if ``sig`` is a valid signature of ``report`` by an active ORACLE member claiming it."""
    try:
        domain = recourse.oracle_hub.domain()
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the OracleHub domain: {exc}") from exc
    try:
        recovered = recover_report_signer(domain, report, sig)
    except Exception as exc:  # noqa: BLE001 - eth_keys raises several types for malformed signatures
        raise OracleSignatureInvalidError(f"the signature does not recover: {exc}") from exc
    if recovered != sig.signer:
        raise OracleSignatureInvalidError(
            f"the signature recovers to {recovered}, not to the claimed signer {sig.signer}",
            recovered=recovered,
        )
    try:
        active = recourse.consortium.has_active_role(recovered, Role.ORACLE)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot check the signer's ORACLE role: {exc}") from exc
    if not active:
        raise OracleSignerNotOracleError(f"{recovered} is not an active ORACLE member", signer=recovered)
    return recovered


def _public(row: OracleSignature) -> OracleSignaturePublic:
    return OracleSignaturePublic(
        round=row.round,
        digest=row.digest,
        signer=row.signer,
        r=row.r,
        vs=row.vs,
        report=OracleReportIn.model_validate(row.report),
    )


def post_signature(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    round_: int,
    report_in: OracleReportIn,
    signature: ReportSignatureIn,
) -> tuple[OracleSignaturePublic, bool]:
    """Verify and store one oracle's signature; returns it and whether it is new."""
    report = _report(report_in)
    signer = _verify(recourse, report, _signature(signature))
    sig = _signature(signature)
    digest = "0x" + report_digest(recourse.oracle_hub.domain(), report).hex()
    row = OracleSignature(
        feed_id=report_in.feed_id.lower(),
        subject_id=report_in.subject_id.lower(),
        round=round_,
        digest=digest,
        signer=signer,
        r="0x" + sig.r.hex(),
        vs="0x" + sig.vs.hex(),
        report=report_in.model_dump(),
        institution=institution.name,
    )

    def find(s: Session) -> OracleSignature | None:
        # a signature is its own key: the same (digest, signer) posted again is the same signature
        return s.exec(
            select(OracleSignature).where(OracleSignature.digest == digest, OracleSignature.signer == signer)
        ).first()

    def create(s: Session) -> OracleSignature:
        s.add(row)
        return row

    stored, created = write_once(session, find=find, create=create)
    if created:
        logger.info("oracle.signature.stored round=%d signer=%s digest=%s", round_, signer, digest)
    return _public(stored), created


def list_signatures(
    *, session: Session, feed: bytes, subject: bytes, round_: int, digest: str | None
) -> list[OracleSignaturePublic]:
    stmt = select(OracleSignature).where(
        OracleSignature.feed_id == "0x" + feed.hex(),
        OracleSignature.subject_id == "0x" + subject.hex(),
        OracleSignature.round == round_,
    )
    if digest is not None:
        stmt = stmt.where(OracleSignature.digest == digest.lower())
    return [_public(r) for r in session.exec(stmt.order_by(col(OracleSignature.id))).all()]


def _report(report_in: OracleReportIn) -> Report:
    try:
        return report_in.to_report()
    except ValueError as exc:
        raise InvalidInputError(f"invalid report: {exc}") from exc


def submit_report(
    *,
    session: Session,  # noqa: ARG001 - every write's planner is called with a session; this one needs none
    recourse: Recourse,
    institution: Institution,
    key: str,
    round_: int,
    report_in: OracleReportIn,
    signatures: list[ReportSignatureIn],
) -> Submission:
    """The ``submit`` of a signed report, as an operation (kind ``oracle.report``)."""
    report = _report(report_in)
    if report.low > report.value or report.value > report.high:
        raise InvalidInputError(f"the interval [{report.low}, {report.high}] does not contain {report.value}")
    sigs = [_signature(s) for s in signatures]
    body: dict[str, Any] = {
        "round": round_,
        "report": report_in.model_dump(),
        "signatures": sorted((s.model_dump() for s in signatures), key=lambda s: int(s["signer"], 16)),
    }
    spec = OpSpec(key, "oracle.report", body, recourse.oracle_hub.submit_request(report, sigs))
    return Submission(institution.name, institution.address, (spec,))


def read_value(*, recourse: Recourse, feed: bytes, subject: bytes, max_age: int) -> OracleValuePublic:
    """The latest value, refused when absent or older than ``max_age`` seconds (as the hub decides)."""
    hub = recourse.oracle_hub
    try:
        block = recourse.client.block_number()
        block_time = recourse.client.block_timestamp(block)
        report = hub.latest(FeedId(feed), SubjectId(subject), max_age=max_age)
    except ContractReverted as exc:
        raise_problem(exc)  # OracleHubNoReport, OracleHubStaleReport: the hub decides what is stale
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the oracle value: {exc}") from exc
    out = OracleValuePublic(
        feed_id="0x" + feed.hex(),
        subject_id="0x" + subject.hex(),
        value=report.value,
        low=report.low,
        high=report.high,
        model_version="0x" + report.model_version.hex(),
        feature_digest="0x" + report.feature_digest.hex(),
        observed_at=report.observed_at,
        age_s=max(0, block_time - report.observed_at),
        max_age_s=max_age,
        block_number=block,
        block_time=block_time,
    )
    end = block
    while end >= 0 and block - end < _EVENT_LOOKBACK_BLOCKS:
        start = max(0, end - _EVENT_PAGE + 1)
        for acc in reversed(hub.accepted_between(from_block=start, to_block=end)):
            r = acc.report
            if (r.feed_id, r.subject_id, r.observed_at) == (feed, subject, report.observed_at):
                return out.model_copy(
                    update={"signers": list(acc.signers), "accepted_block": acc.block_number, "tx_hash": acc.tx_hash}
                )
        end = start - 1
    return out
