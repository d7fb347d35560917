"""Typed wrapper of ``CaseDelegation``: batches of collection cases published as one Merkle root.

A bank's gateway turns each case into :class:`CaseTerms` (no personal data: the debtor is only a salted
commitment), builds a :class:`CaseBatchTree` (OpenZeppelin ``StandardMerkleTree``, leaf encoding
``["bytes32"]`` over ``keccak256(abi.encode(terms))``, built with ``chain.merkle``) and publishes its root
with ``publish_batch``; the batch's fee budget is escrowed in SettlementToken (``approve`` first).
Collectors then ``claim`` a case with its terms and proof (first valid claim wins; later claims revert
with ``CaseDelegationAlreadyClaimed``), or the bank ``offer``s it to one collector.

Case ids: :func:`derive_case_id` = ``keccak256(abi.encode(address bank, bytes32 keccak256(case_ref),
bytes32 batch_salt))`` where ``batch_salt`` is 32 random bytes per published batch: opaque, unique per
publication, and it reveals neither the bank's internal reference nor anything about the debtor.

Fees (integer fen): the total fee of a case is ``floor(recovered × fee_bps / 10_000)`` however the
recovery is split (:func:`fee_for`); each confirmation credits the difference of two such floors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from chain._abi import AbiFunction
from chain.client import Receipt, RpcError, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.events import DecodedEvent
from chain.merkle import Bytes32Like, StandardMerkleTree, to_bytes32

__all__ = [
    "BPS",
    "TERMS_TYPES",
    "ZERO_ADDRESS",
    "Batch",
    "CaseBatchTree",
    "CaseDelegation",
    "CaseRecord",
    "CaseStatus",
    "CaseTerms",
    "ClaimSnapshot",
    "MemberTerms",
    "derive_case_id",
    "fee_for",
]

BPS = 10_000
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
#: ABI types of ``ICaseDelegation.CaseTerms`` in field order
TERMS_TYPES = ("bytes32", "bytes32", "uint128", "uint128", "uint32", "uint32", "uint16", "uint64")
_TERMS_TUPLE = "(" + ",".join(TERMS_TYPES) + ")"


class CaseStatus(IntEnum):
    """``ICaseDelegation.CaseStatus``; NONE means "in the pool"."""

    NONE = 0
    OFFERED = 1
    CLAIMED = 2
    RECOVERY_REPORTED = 3
    RECOVERED_FULL = 4
    RECOVERED_PARTLY = 5
    RETURNED = 6
    RECALLED = 7

    @property
    def final(self) -> bool:
        return self >= CaseStatus.RECOVERED_FULL

    @property
    def label(self) -> str:
        return self.name.lower()


def derive_case_id(bank: str, case_ref: str, batch_salt: bytes) -> bytes:
    """``keccak256(abi.encode(bank, keccak256(utf8(case_ref)), batch_salt))``."""
    return keccak(abi_encode(["address", "bytes32", "bytes32"], [bank, keccak(text=case_ref), to_bytes32(batch_salt)]))


def fee_for(recovered: int, fee_bps: int) -> int:
    """Total fee in fen of a case with ``recovered`` fen confirmed: rounded down."""
    return recovered * fee_bps // BPS


@dataclass(frozen=True)
class CaseTerms:
    """One case as published (``ICaseDelegation.CaseTerms``); amounts in fen, deadline in unix seconds."""

    case_id: bytes
    debtor_commitment: bytes
    principal: int
    overdue_amount: int
    overdue_days: int
    region: int
    fee_bps: int
    deadline: int

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.case_id,
            self.debtor_commitment,
            self.principal,
            self.overdue_amount,
            self.overdue_days,
            self.region,
            self.fee_bps,
            self.deadline,
        )

    def digest(self) -> bytes:
        """The Merkle tree value: ``keccak256(abi.encode(terms))``."""
        return keccak(abi_encode(list(TERMS_TYPES), list(self.as_abi())))

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": "0x" + self.case_id.hex(),
            "debtor_commitment": "0x" + self.debtor_commitment.hex(),
            "principal": self.principal,
            "overdue_amount": self.overdue_amount,
            "overdue_days": self.overdue_days,
            "region": self.region,
            "fee_bps": self.fee_bps,
            "deadline": self.deadline,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseTerms:
        return cls(
            case_id=to_bytes32(data["case_id"]),
            debtor_commitment=to_bytes32(data["debtor_commitment"]),
            principal=int(data["principal"]),
            overdue_amount=int(data["overdue_amount"]),
            overdue_days=int(data["overdue_days"]),
            region=int(data["region"]),
            fee_bps=int(data["fee_bps"]),
            deadline=int(data["deadline"]),
        )


class CaseBatchTree:
    """The Merkle tree of a batch: terms in input order, their digests as ``StandardMerkleTree`` values."""

    def __init__(self, terms: Sequence[CaseTerms]) -> None:
        if not terms:
            raise ValueError("a batch needs at least one case")
        self.terms = tuple(terms)
        self.tree = StandardMerkleTree.of(t.digest() for t in self.terms)

    @property
    def root(self) -> bytes:
        return self.tree.root

    def __len__(self) -> int:
        return len(self.terms)

    def proof(self, index: int) -> list[bytes]:
        return self.tree.proof_at(index)

    def verify(self, terms: CaseTerms, proof: Sequence[Bytes32Like]) -> bool:
        return self.tree.verify(terms.digest(), proof)


@dataclass(frozen=True)
class Batch:
    batch_id: int
    bank: str
    case_count: int
    closes_at: int
    root: bytes
    remaining_budget: int
    open_cases: int
    settled: bool


@dataclass(frozen=True)
class CaseRecord:
    """The on-chain record of a case (all zero, status NONE, until it is first claimed or offered)."""

    case_id: bytes
    collector: str
    status: CaseStatus
    fee_bps: int
    deadline: int
    batch_id: int
    region: int
    offer_expiry: int
    recovered: int
    overdue_amount: int
    pending_amount: int


@dataclass(frozen=True)
class MemberTerms:
    """What eligibility needs of a consortium member (``IConsortium.Member``)."""

    roles_mask: int
    region: int
    licence_expiry: int
    suspended: bool


@dataclass(frozen=True)
class ClaimSnapshot:
    """Everything a claim's eligibility depends on, read in ONE JSON-RPC batch at one block height."""

    record: CaseRecord
    block_time: int
    member: MemberTerms | None
    open_cases: int
    max_open_cases: int
    #: the block every value above was read at
    block_number: int = 0


_GET_MEMBER = AbiFunction.from_abi(
    {
        "type": "function",
        "name": "getMember",
        "stateMutability": "view",
        "inputs": [{"name": "account", "type": "address"}],
        "outputs": [
            {
                "name": "",
                "type": "tuple",
                "components": [
                    {"name": "nameDigest", "type": "bytes32"},
                    {"name": "roles", "type": "uint256"},
                    {"name": "region", "type": "uint32"},
                    {"name": "licenceExpiry", "type": "uint64"},
                    {"name": "kycTier", "type": "uint8"},
                    {"name": "suspended", "type": "bool"},
                    {"name": "admittedAt", "type": "uint64"},
                ],
            }
        ],
    }
)


class CaseDelegation(BoundContract):
    contract_name = "CaseDelegation"
    _consortium_address: str | None = None

    # --- requests (for a sender's burst or the gateway's outbox) ---

    def publish_batch_request(
        self,
        root: Bytes32Like,
        case_count: int,
        closes_at: int,
        fee_budget: int,
        meta_digest: Bytes32Like = bytes(32),
        *,
        gas: int | None = None,
    ) -> TxRequest:
        return self.request(
            "publishBatch", to_bytes32(root), case_count, closes_at, fee_budget, to_bytes32(meta_digest), gas=gas
        )

    def top_up_budget_request(self, batch_id: int, amount: int) -> TxRequest:
        return self.request("topUpBudget", batch_id, amount)

    def claim_request(
        self, batch_id: int, terms: CaseTerms, proof: Sequence[Bytes32Like], *, gas: int | None = None
    ) -> TxRequest:
        return self.request("claim", batch_id, terms.as_abi(), [to_bytes32(p) for p in proof], gas=gas)

    def offer_request(
        self, batch_id: int, terms: CaseTerms, proof: Sequence[Bytes32Like], collector: str, window: int
    ) -> TxRequest:
        return self.request("offer", batch_id, terms.as_abi(), [to_bytes32(p) for p in proof], collector, window)

    def accept_request(self, case_id: Bytes32Like) -> TxRequest:
        return self.request("accept", to_bytes32(case_id))

    def decline_request(self, case_id: Bytes32Like) -> TxRequest:
        return self.request("decline", to_bytes32(case_id))

    def report_action_request(
        self,
        case_id: Bytes32Like,
        action_code: int,
        evidence_digest: Bytes32Like,
        evidence_root: Bytes32Like,
        evidence_proof: Sequence[Bytes32Like] = (),
    ) -> TxRequest:
        return self.request(
            "reportAction",
            to_bytes32(case_id),
            action_code,
            to_bytes32(evidence_digest),
            to_bytes32(evidence_root),
            [to_bytes32(p) for p in evidence_proof],
        )

    def report_recovery_request(
        self,
        case_id: Bytes32Like,
        amount: int,
        evidence_digest: Bytes32Like,
        evidence_root: Bytes32Like,
        evidence_proof: Sequence[Bytes32Like] = (),
    ) -> TxRequest:
        return self.request(
            "reportRecovery",
            to_bytes32(case_id),
            amount,
            to_bytes32(evidence_digest),
            to_bytes32(evidence_root),
            [to_bytes32(p) for p in evidence_proof],
        )

    def confirm_recovery_request(self, case_id: Bytes32Like, *, close_case: bool = False) -> TxRequest:
        return self.request("confirmRecovery", to_bytes32(case_id), close_case)

    def reject_recovery_request(self, case_id: Bytes32Like, reason_code: int) -> TxRequest:
        return self.request("rejectRecovery", to_bytes32(case_id), reason_code)

    def recall_request(self, case_id: Bytes32Like) -> TxRequest:
        return self.request("recall", to_bytes32(case_id))

    def recall_from_pool_request(self, batch_id: int, terms: CaseTerms, proof: Sequence[Bytes32Like]) -> TxRequest:
        """Recall a case nobody holds (never claimed, declined, or its offer lapsed), proving its terms."""
        return self.request("recallFromPool", batch_id, terms.as_abi(), [to_bytes32(p) for p in proof])

    def return_case_request(self, case_id: Bytes32Like) -> TxRequest:
        return self.request("returnCase", to_bytes32(case_id))

    def withdraw_fees_request(self) -> TxRequest:
        return self.request("withdrawFees")

    def withdraw_unspent_request(self, batch_id: int) -> TxRequest:
        return self.request("withdrawUnspent", batch_id)

    def set_max_open_cases_request(self, cap: int) -> TxRequest:
        return self.request("setMaxOpenCases", cap)

    # --- writes (a refusal raises the decoded ContractReverted) ---

    def publish_batch(
        self,
        sender: Sender,
        tree: CaseBatchTree,
        *,
        closes_at: int,
        fee_budget: int,
        meta_digest: Bytes32Like = bytes(32),
    ) -> int:
        """Publish ``tree``'s root (approve ``fee_budget`` first); returns the new batch id."""
        receipt = sender.transact(self.publish_batch_request(tree.root, len(tree), closes_at, fee_budget, meta_digest))
        return self.published_batch_id(receipt)

    def published_batch_id(self, receipt: Receipt) -> int:
        return int(self.first(self.events(receipt), "BatchPublished").args["batchId"])

    def claim(self, sender: Sender, batch_id: int, terms: CaseTerms, proof: Sequence[Bytes32Like]) -> Receipt:
        return sender.transact(self.claim_request(batch_id, terms, proof))

    def offer(
        self,
        sender: Sender,
        batch_id: int,
        terms: CaseTerms,
        proof: Sequence[Bytes32Like],
        collector: str,
        window: int,
    ) -> Receipt:
        return sender.transact(self.offer_request(batch_id, terms, proof, collector, window))

    def accept(self, sender: Sender, case_id: Bytes32Like) -> Receipt:
        return sender.transact(self.accept_request(case_id))

    def decline(self, sender: Sender, case_id: Bytes32Like) -> Receipt:
        return sender.transact(self.decline_request(case_id))

    def report_action(
        self,
        sender: Sender,
        case_id: Bytes32Like,
        action_code: int,
        evidence_digest: Bytes32Like,
        evidence_root: Bytes32Like,
        evidence_proof: Sequence[Bytes32Like] = (),
    ) -> Receipt:
        return sender.transact(
            self.report_action_request(case_id, action_code, evidence_digest, evidence_root, evidence_proof)
        )

    def report_recovery(
        self,
        sender: Sender,
        case_id: Bytes32Like,
        amount: int,
        evidence_digest: Bytes32Like,
        evidence_root: Bytes32Like,
        evidence_proof: Sequence[Bytes32Like] = (),
    ) -> Receipt:
        return sender.transact(
            self.report_recovery_request(case_id, amount, evidence_digest, evidence_root, evidence_proof)
        )

    def confirm_recovery(self, sender: Sender, case_id: Bytes32Like, *, close_case: bool = False) -> Receipt:
        return sender.transact(self.confirm_recovery_request(case_id, close_case=close_case))

    def reject_recovery(self, sender: Sender, case_id: Bytes32Like, reason_code: int) -> Receipt:
        return sender.transact(self.reject_recovery_request(case_id, reason_code))

    def recall(self, sender: Sender, case_id: Bytes32Like) -> Receipt:
        return sender.transact(self.recall_request(case_id))

    def return_case(self, sender: Sender, case_id: Bytes32Like) -> Receipt:
        return sender.transact(self.return_case_request(case_id))

    def withdraw_fees(self, sender: Sender) -> Receipt:
        return sender.transact(self.withdraw_fees_request())

    def withdraw_unspent(self, sender: Sender, batch_id: int) -> Receipt:
        return sender.transact(self.withdraw_unspent_request(batch_id))

    def top_up_budget(self, sender: Sender, batch_id: int, amount: int) -> Receipt:
        return sender.transact(self.top_up_budget_request(batch_id, amount))

    def set_max_open_cases(self, sender: Sender, cap: int) -> Receipt:
        return sender.transact(self.set_max_open_cases_request(cap))

    def pause(self, sender: Sender) -> Receipt:
        return self.transact(sender, "pause")

    def unpause(self, sender: Sender) -> Receipt:
        return self.transact(sender, "unpause")

    # --- reads ---

    def claim_snapshot(self, case_id: Bytes32Like, account: str) -> ClaimSnapshot:
        """The case, the block time, ``account``'s member record and open cases, and the cap: one batch."""
        if self._consortium_address is None:
            self._consortium_address = str(self.call("consortium"))
        key = to_bytes32(case_id)
        number = self.client.block_number()
        tag = hex(number)

        def eth_call(to: str, data: bytes) -> tuple[str, list[Any]]:
            return ("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])

        fn = self.function
        replies = self.client.rpc.batch(
            [
                eth_call(self.address, fn("caseOf").encode((key,))),
                eth_call(self.address, fn("openCasesOf").encode((account,))),
                eth_call(self.address, fn("maxOpenCases").encode(())),
                eth_call(self._consortium_address, _GET_MEMBER.encode((account,))),
                ("eth_getBlockByNumber", [tag, False]),
            ]
        )
        for r in (replies[0], replies[1], replies[2], replies[4]):
            if isinstance(r, RpcError):
                raise r
        record = self._record(key, fn("caseOf").decode_output(bytes.fromhex(replies[0][2:])))
        member: MemberTerms | None = None
        if not isinstance(replies[3], RpcError):  # getMember reverts for a non-member
            _, roles, region, licence, _, suspended, _ = _GET_MEMBER.decode_output(bytes.fromhex(replies[3][2:]))
            member = MemberTerms(int(roles), int(region), int(licence), bool(suspended))
        return ClaimSnapshot(
            record=record,
            block_time=int(replies[4]["timestamp"], 16),
            member=member,
            open_cases=int(fn("openCasesOf").decode_output(bytes.fromhex(replies[1][2:]))),
            max_open_cases=int(fn("maxOpenCases").decode_output(bytes.fromhex(replies[2][2:]))),
            block_number=number,
        )

    def case(self, case_id: Bytes32Like, *, block: int | str = "latest") -> CaseRecord:
        key = to_bytes32(case_id)
        return self._record(key, self.call("caseOf", key, block=block))

    @staticmethod
    def _record(key: bytes, raw: Any) -> CaseRecord:
        (collector, status, fee_bps, deadline, batch_id, region, offer_expiry, recovered, overdue, pending) = raw
        return CaseRecord(
            case_id=key,
            collector=collector,
            status=CaseStatus(int(status)),
            fee_bps=int(fee_bps),
            deadline=int(deadline),
            batch_id=int(batch_id),
            region=int(region),
            offer_expiry=int(offer_expiry),
            recovered=int(recovered),
            overdue_amount=int(overdue),
            pending_amount=int(pending),
        )

    def batch(self, batch_id: int, *, block: int | str = "latest") -> Batch:
        bank, count, closes_at, root, remaining, open_cases, settled = self.call("batch", batch_id, block=block)
        return Batch(
            batch_id=batch_id,
            bank=bank,
            case_count=int(count),
            closes_at=int(closes_at),
            root=bytes(root),
            remaining_budget=int(remaining),
            open_cases=int(open_cases),
            settled=bool(settled),
        )

    def batch_of_root(self, root: Bytes32Like, *, block: int | str = "latest") -> int:
        """The batch id published with ``root`` (0 if none)."""
        return int(self.call("batchOfRoot", to_bytes32(root), block=block))

    def batch_count(self, *, block: int | str = "latest") -> int:
        return int(self.call("batchCount", block=block))

    def fees_owed(self, collector: str, *, block: int | str = "latest") -> int:
        return int(self.call("feesOwed", collector, block=block))

    def total_fees_owed(self, *, block: int | str = "latest") -> int:
        return int(self.call("totalFeesOwed", block=block))

    def open_cases_of(self, collector: str, *, block: int | str = "latest") -> int:
        return int(self.call("openCasesOf", collector, block=block))

    def max_open_cases(self, *, block: int | str = "latest") -> int:
        return int(self.call("maxOpenCases", block=block))

    def region_covers(self, collector_region: int, case_region: int) -> bool:
        return bool(self.call("regionCovers", collector_region, case_region))

    def terms_digest(self, terms: CaseTerms) -> bytes:
        return bytes(self.call("termsDigest", terms.as_abi()))

    def paused(self, *, block: int | str = "latest") -> bool:
        return bool(self.call("paused", block=block))

    def events_of(self, receipt: Receipt) -> list[DecodedEvent]:
        return self.events(receipt)
