"""Typed wrapper of ``OracleHub``: k-of-n signed oracle reports, stale-refusing reads, governed threshold.

Reports and signatures are the dataclasses of :mod:`chain.eip712`; the hub's own EIP-712 domain is read
from the chain (ERC-5267 ``eip712Domain``) once and checked against the one this package computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NewType

from eth_account.signers.local import LocalAccount

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.eip712 import (
    HUB_NAME,
    HUB_VERSION,
    Domain,
    FeedId,
    Report,
    ReportSignature,
    SubjectId,
    sign_report,
    sort_signatures,
)
from chain.events import DecodedEvent

__all__ = ["AcceptedReport", "OracleHub", "ThresholdProposal", "ThresholdProposalId"]

ThresholdProposalId = NewType("ThresholdProposalId", int)

#: ERC-5267 ``fields`` bitmap for (name, version, chainId, verifyingContract)
_DOMAIN_FIELDS = b"\x0f"


@dataclass(frozen=True)
class AcceptedReport:
    """A ``ReportAccepted`` event: the report, the oracles that signed it (ascending), where it happened."""

    report: Report
    signers: tuple[str, ...]
    key: str
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class ThresholdProposal:
    id: ThresholdProposalId
    threshold: int
    proposer: str
    deadline: int
    executed: bool
    approvals: int


class OracleHub(BoundContract):
    contract_name = "OracleHub"

    _domain: Domain | None = None

    # --- signing ---

    def domain(self) -> Domain:
        """This hub's EIP-712 domain, read from the chain and checked against :class:`Domain`."""
        if self._domain is None:
            fields, name, version, chain_id, verifying, salt, extensions = self.call("eip712Domain")
            expected = Domain.oracle_hub(chain_id=self.client.chain_id, verifying_contract=self.address)
            got = Domain(name, version, chain_id, verifying)
            if (fields, salt, list(extensions)) != (_DOMAIN_FIELDS, bytes(32), []) or got != expected:
                raise ValueError(
                    f"{self.address} signs under {got} (fields {fields.hex()}), not {HUB_NAME!r} v{HUB_VERSION}"
                )
            self._domain = expected
        return self._domain

    def sign(self, account: LocalAccount, report: Report) -> ReportSignature:
        """Sign ``report`` for this hub with ``account``."""
        return sign_report(account, self.domain(), report)

    def hash_report(self, report: Report) -> bytes:
        """The digest the hub computes for ``report`` (``hashReport``)."""
        return bytes(self.call("hashReport", report.as_abi()))

    def domain_separator(self) -> bytes:
        return bytes(self.call("domainSeparator"))

    # --- reports ---

    def submit_request(
        self, report: Report, signatures: Sequence[ReportSignature], *, sort: bool = True, gas: int | None = None
    ) -> TxRequest:
        """The ``submit`` transaction; signatures are put in ascending signer order unless ``sort=False``."""
        ordered = sort_signatures(signatures) if sort else list(signatures)
        return self.request("submit", report.as_abi(), [sig.as_abi() for sig in ordered], gas=gas)

    def submit(
        self, sender: Sender, report: Report, signatures: Sequence[ReportSignature], *, sort: bool = True
    ) -> Receipt:
        """Submit a signed report (any account may relay it); a refusal raises ``ContractReverted``."""
        return sender.transact(self.submit_request(report, signatures, sort=sort))

    def accepted(self, receipt: Receipt) -> AcceptedReport:
        """The ``ReportAccepted`` event of a ``submit`` receipt."""
        return _accepted(self.first(self.events(receipt), "ReportAccepted"))

    def accepted_between(self, *, from_block: int, to_block: int | None = None) -> list[AcceptedReport]:
        """Every accepted report in a block range, in chain order."""
        return [
            _accepted(e) for e in self.events_between(from_block=from_block, to_block=to_block, name="ReportAccepted")
        ]

    def accepted_of(self, feed: FeedId, subject: SubjectId, *, since: int) -> list[AcceptedReport]:
        """The reports accepted for (feed, subject) with an observation at or after ``since`` (unix s), in chain
        order. A report is accepted no earlier than it observes, so only blocks from ``since`` on are read."""
        start = self.client.first_block_at_or_after(since)
        if start is None:
            return []
        events = self.events_between(from_block=start, name="ReportAccepted", indexed=(feed, subject))
        return [a for a in map(_accepted, events) if a.report.observed_at >= since]

    def latest(self, feed: FeedId, subject: SubjectId, *, max_age: int) -> Report:
        """The latest report, refused (``OracleHubStaleReport``/``OracleHubNoReport``) if older than ``max_age`` s."""
        return Report.from_abi(self.call("latest", feed, subject, max_age))

    def get_report(self, feed: FeedId, subject: SubjectId) -> Report | None:
        """The stored report whatever its age, or ``None`` if none was ever accepted."""
        report = Report.from_abi(self.call("getReport", feed, subject))
        return None if report.observed_at == 0 else report

    # --- threshold governance (consortium governors, k-of-n) ---

    def propose_threshold(self, sender: Sender, threshold: int) -> ThresholdProposalId:
        receipt = self.transact(sender, "proposeThreshold", threshold)
        event = self.first(self.events(receipt), "ThresholdProposalCreated")
        return ThresholdProposalId(int(event.args["proposalId"]))

    def approve_threshold(self, sender: Sender, proposal_id: int) -> Receipt:
        return self.transact(sender, "approveThreshold", proposal_id)

    def execute_threshold(self, sender: Sender, proposal_id: int) -> Receipt:
        return self.transact(sender, "executeThreshold", proposal_id)

    # --- reads ---

    def threshold(self) -> int:
        return int(self.call("threshold"))

    def active_oracle_count(self) -> int:
        return int(self.call("activeOracleCount"))

    def consortium(self) -> str:
        return str(self.call("consortium"))

    def threshold_proposal_count(self) -> int:
        return int(self.call("thresholdProposalCount"))

    def threshold_proposal(self, proposal_id: int) -> ThresholdProposal:
        threshold, proposer, deadline, executed = self.call("getThresholdProposal", proposal_id)
        return ThresholdProposal(
            id=ThresholdProposalId(proposal_id),
            threshold=threshold,
            proposer=proposer,
            deadline=deadline,
            executed=executed,
            approvals=int(self.call("thresholdApprovalCount", proposal_id)),
        )

    def has_approved_threshold(self, proposal_id: int, governor: str) -> bool:
        return bool(self.call("hasApprovedThreshold", proposal_id, governor))


def _accepted(event: DecodedEvent) -> AcceptedReport:
    a = event.args
    report = Report(
        FeedId(a["feedId"]),
        SubjectId(a["subjectId"]),
        a["value"],
        a["low"],
        a["high"],
        a["modelVersion"],
        a["featureDigest"],
        a["observedAt"],
    )
    return AcceptedReport(
        report=report,
        signers=tuple(a["signers"]),
        key=event.key,
        block_number=event.block_number,
        tx_hash=event.tx_hash,
    )
