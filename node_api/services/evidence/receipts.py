"""Evidence receipts: everything needed to check one document against the chain, and nothing else.

Format ``recourse-evidence-receipt/1`` (documented in README "Evidence"): the document's SHA-256
(``digest``), the leaf encoding (``["bytes32"]``: leaf = keccak256(keccak256(digest))), the Merkle
``proof`` and ``root`` (OpenZeppelin ``StandardMerkleTree``), the chain (``chain_id``,
``contract_address`` of ``EvidenceRegistry``), the anchor (``tx_hash``, ``block_number``, ``block_time``),
the submitting institution (address, on-chain member name digest, gateway name) and the case reference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chain.merkle import LEAF_ENCODING, hex32, leaf_hash
from node_api.db.evidence_models import EvidenceBatch, EvidenceItem

__all__ = ["RECEIPT_FORMAT", "build_receipt", "iso_time"]

RECEIPT_FORMAT = "recourse-evidence-receipt/1"


def iso_time(block_time: int | None) -> str | None:
    if block_time is None:
        return None
    return dt.datetime.fromtimestamp(block_time, dt.UTC).isoformat().replace("+00:00", "Z")


def build_receipt(
    *, item: EvidenceItem, batch: EvidenceBatch, chain_id: int, contract_address: str, institution_name: str | None
) -> dict[str, Any]:
    """The receipt of an anchored item (its batch must be ``anchored``)."""
    digest = bytes.fromhex(item.digest[2:])
    return {
        "format": RECEIPT_FORMAT,
        "evidence_id": item.id,
        "digest": item.digest,
        "digest_algorithm": "sha256",
        "size": item.size,
        "cid": item.cid,
        "leaf_encoding": list(LEAF_ENCODING),
        "leaf": hex32(leaf_hash(digest)),
        "proof": list(item.proof or []),
        "root": batch.root,
        "leaf_count": batch.leaf_count,
        "meta_digest": batch.meta_digest,
        "batch_id": batch.id,
        "chain_id": chain_id,
        "contract": "EvidenceRegistry",
        "contract_address": contract_address,
        "tx_hash": batch.tx_hash,
        "block_number": batch.block_number,
        "block_time": batch.block_time,
        "block_time_iso": iso_time(batch.block_time),
        "institution": {
            "address": batch.submitter,
            "name": institution_name,
            "name_digest": batch.member_name_digest,
        },
        "case_ref": item.case_ref,
        "submitted_at": item.created_at.isoformat(),
    }
