"""Typed wrapper of ``EvidenceRegistry``: write-once anchors of evidence batch roots, and proof checks.

A batch of document digests becomes a ``chain.merkle.StandardMerkleTree``; its root is anchored once
(``anchor``/``anchor_tree``, or ``anchor_request`` for the gateway's operation outbox) and any digest's
proof is checked on chain with ``verify``. Only active members holding BANK, COLLECTOR or COURT may anchor;
a second anchor of the same root reverts with ``EvidenceRegistryAlreadyAnchored``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chain.client import Receipt, Sender, TxRequest
from chain.contracts._base import BoundContract
from chain.events import DecodedEvent
from chain.merkle import Bytes32Like, StandardMerkleTree, to_bytes32

__all__ = ["MAX_LEAF_COUNT", "ZERO_DIGEST", "Anchor", "EvidenceAnchored", "EvidenceRegistry"]

#: ``leafCount`` is a ``uint32`` on chain
MAX_LEAF_COUNT = 2**32 - 1
ZERO_DIGEST = bytes(32)


@dataclass(frozen=True)
class Anchor:
    """What the registry stores for an anchored root."""

    root: bytes
    submitter: str
    block_number: int
    leaf_count: int
    block_time: int
    meta_digest: bytes


@dataclass(frozen=True)
class EvidenceAnchored:
    """One ``EvidenceAnchored`` event, with where it happened on chain."""

    root: bytes
    submitter: str
    leaf_count: int
    meta_digest: bytes
    block_time: int
    block_number: int
    tx_hash: str
    key: str

    @classmethod
    def from_event(cls, event: DecodedEvent) -> EvidenceAnchored:
        a = event.args
        return cls(
            root=a["root"],
            submitter=a["submitter"],
            leaf_count=int(a["leafCount"]),
            meta_digest=a["metaDigest"],
            block_time=int(a["blockTime"]),
            block_number=event.block_number,
            tx_hash=event.tx_hash,
            key=event.key,
        )


class EvidenceRegistry(BoundContract):
    contract_name = "EvidenceRegistry"

    # --- writes ---

    def anchor_request(
        self, root: Bytes32Like, leaf_count: int, meta_digest: Bytes32Like = ZERO_DIGEST, *, gas: int | None = None
    ) -> TxRequest:
        """The unsigned ``anchor`` call (for a sender's burst or the gateway's outbox)."""
        if not 0 <= leaf_count <= MAX_LEAF_COUNT:
            raise ValueError(f"leaf count {leaf_count} does not fit the on-chain uint32")
        return self.request("anchor", to_bytes32(root), leaf_count, to_bytes32(meta_digest), gas=gas)

    def anchor(
        self, sender: Sender, root: Bytes32Like, leaf_count: int, meta_digest: Bytes32Like = ZERO_DIGEST
    ) -> EvidenceAnchored:
        """Anchor ``root``; a refusal raises the decoded ``ContractReverted``."""
        receipt = sender.transact(self.anchor_request(root, leaf_count, meta_digest))
        return self.anchored_in(receipt)

    def anchor_tree(
        self, sender: Sender, tree: StandardMerkleTree, meta_digest: Bytes32Like = ZERO_DIGEST
    ) -> EvidenceAnchored:
        """Anchor the root of ``tree`` with its leaf count."""
        return self.anchor(sender, tree.root, len(tree), meta_digest)

    def anchored_in(self, receipt: Receipt) -> EvidenceAnchored:
        """The ``EvidenceAnchored`` event of an ``anchor`` receipt."""
        return EvidenceAnchored.from_event(self.first(self.events(receipt), "EvidenceAnchored"))

    # --- reads ---

    def verify(
        self, root: Bytes32Like, leaf: Bytes32Like, proof: Sequence[Bytes32Like], *, block: int | str = "latest"
    ) -> bool:
        """On-chain check that digest ``leaf`` is in the anchored tree ``root`` (False if not anchored)."""
        return bool(
            self.call("verify", to_bytes32(root), to_bytes32(leaf), [to_bytes32(p) for p in proof], block=block)
        )

    def anchor_of(self, root: Bytes32Like, *, block: int | str = "latest") -> Anchor | None:
        """The stored anchor of ``root``, or ``None`` if it was never anchored."""
        key = to_bytes32(root)
        submitter, block_number, leaf_count, block_time, meta_digest = self.call("anchorOf", key, block=block)
        if int(submitter, 16) == 0:
            return None
        return Anchor(
            root=key,
            submitter=submitter,
            block_number=int(block_number),
            leaf_count=int(leaf_count),
            block_time=int(block_time),
            meta_digest=meta_digest,
        )

    def is_anchored(self, root: Bytes32Like, *, block: int | str = "latest") -> bool:
        return bool(self.call("isAnchored", to_bytes32(root), block=block))

    def consortium(self) -> str:
        return str(self.call("consortium"))

    def anchored_between(self, *, from_block: int, to_block: int | None = None) -> list[EvidenceAnchored]:
        """Every ``EvidenceAnchored`` event in the block range, in chain order."""
        return [
            EvidenceAnchored.from_event(e)
            for e in self.events_between(from_block=from_block, to_block=to_block)
            if e.name == "EvidenceAnchored"
        ]
