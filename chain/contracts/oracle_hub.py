"""Typed wrapper of ``OracleHub``: k-of-n signed oracle reports, stale-refusing reads, governed threshold.

Reports and signatures are the dataclasses of :mod:`chain.eip712`; the hub's own EIP-712 domain is read
from the chain (ERC-5267 ``eip712Domain``) once and checked against the one this package computes.

The threshold k is an ``onlyConsortium`` setting: it changes through a consortium ``CALL`` proposal
(:meth:`OracleHub.propose_threshold`), approved and executed like any other consortium proposal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.contracts.consortium import Consortium, ProposalId
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

__all__ = ["AcceptedReport", "OracleHub"]

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

    def get_report(self, feed: FeedId, subject: SubjectId, *, block: int | str = "latest") -> Report | None:
        """The stored report whatever its age, or ``None`` if none was ever accepted."""
        report = Report.from_abi(self.call("getReport", feed, subject, block=block))
        return None if report.observed_at == 0 else report

    # --- threshold governance (a consortium CALL proposal, k-of-n governors) ---

    def set_threshold_data(self, threshold: int) -> bytes:
        """Calldata of ``setThreshold(threshold)``: only the consortium may send it."""
        return self.function("setThreshold").encode((threshold,))

    def propose_threshold(self, consortium: Consortium, sender: Sender, threshold: int) -> ProposalId:
        """Propose (as governor ``sender``) that the consortium set this hub's k; approve and execute it with
        :meth:`Consortium.approve` and :meth:`Consortium.execute`."""
        return consortium.propose_call(sender, self.address, self.set_threshold_data(threshold))

    # --- reads ---

    def threshold(self, *, block: int | str = "latest") -> int:
        return int(self.call("threshold", block=block))

    def active_oracle_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("activeOracleCount", block=block))

    def consortium(self) -> str:
        return str(self.call("consortium"))


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
