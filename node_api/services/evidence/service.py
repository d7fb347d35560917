"""Evidence use cases: record submissions, read them (with access rules), receipts, court verification.

Verification answers one of three things for a digest (``verify_digests``):

* ``verified`` — the digest is in a batch this gateway anchored, the batch root is anchored on chain
  (``EvidenceRegistry.anchorOf``) and the proof leads from the digest to that root; with root, proof,
  transaction, block, block time, submitting institution and case reference;
* ``mismatch`` — the caller named the evidence id (or case reference) it expects and the digest differs
  from that evidence (or from everything anchored for that case);
* ``not_anchored`` — nothing anchored has this digest (``pending`` when it is accepted but its batch is
  not anchored yet).

Chain consultation: the first time a root is seen, the gateway asks the chain ``anchorOf(root)`` and
``verify(root, digest, proof)`` (eth_call). Anchors are write-once (the contract never overwrites a root),
so the anchor record is cached per root; later proofs against that root are checked with the same
``StandardMerkleTree`` arithmetic as ``MerkleProof.verify`` (``chain.merkle.verify``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from chain import ChainError
from chain.contracts.evidence_registry import Anchor
from chain.merkle import LEAF_ENCODING
from chain.merkle import verify as merkle_verify
from chain.network import Recourse
from node_api.db.evidence_models import EvidenceBatch, EvidenceItem
from node_api.db.models import utcnow
from node_api.institutions import Institution
from node_api.problems import (
    ChainUnavailableError,
    EvidenceAccessDeniedError,
    EvidenceNotAnchoredError,
    NotFoundError,
)
from node_api.services.evidence._bulk import bulk_insert
from node_api.services.evidence.receipts import build_receipt, iso_time
from node_api.services.evidence.schemas import EvidencePublic, InstitutionRef, Verification
from node_api.services.evidence.store import StoredContent
from node_api.services.operations import conflict, write_once

__all__ = [
    "MAX_DIGESTS_PER_CALL",
    "AnchorCache",
    "NewEvidence",
    "get_evidence",
    "receipt_of",
    "record_submission",
    "to_public",
    "verify_digests",
]

#: most documents or digests in one submission or verification call
MAX_DIGESTS_PER_CALL = 1_000


@dataclass(frozen=True)
class NewEvidence:
    digest: str
    size: int | None = None
    store: str = "none"
    cid: str | None = None
    filename: str | None = None
    media_type: str | None = None
    case_ref: str | None = None
    parties: tuple[str, ...] = ()

    @classmethod
    def stored(
        cls,
        content: StoredContent,
        *,
        filename: str | None,
        media_type: str | None,
        case_ref: str | None,
        parties: Sequence[str],
    ) -> NewEvidence:
        return cls(
            digest=content.digest_hex,
            size=content.size,
            store=content.backend,
            cid=content.cid,
            filename=filename,
            media_type=media_type,
            case_ref=case_ref,
            parties=tuple(parties),
        )


def _checksum_all(addresses: Iterable[str]) -> list[str]:
    return [to_checksum_address(a) for a in addresses]


def _new_id() -> str:
    """``ev_`` + 16 hex of nanoseconds + 16 random hex: ids sort by time, so inserts append to the index."""
    return f"ev_{time.time_ns():016x}{secrets.token_hex(8)}"


def record_submission(
    *, session: Session, institution: Institution, key: str, items: Sequence[NewEvidence]
) -> tuple[list[EvidenceItem], bool]:
    """Persist accepted evidence (before the 202); replaying ``key`` with the same digests returns the
    original items, with different ones raises ``IdempotencyConflictError``."""
    keys = [f"{key}#{i}" for i in range(len(items))]

    def find(s: Session) -> list[EvidenceItem] | None:
        first = s.exec(
            select(EvidenceItem.id).where(
                EvidenceItem.institution == institution.name, EvidenceItem.idempotency_key == keys[0]
            )
        ).first()
        if first is None:
            return None
        # a submission's items are inserted all at once or not at all; one more would be a longer submission
        found = s.exec(
            select(EvidenceItem).where(
                EvidenceItem.institution == institution.name,
                col(EvidenceItem.idempotency_key).in_([*keys, f"{key}#{len(keys)}"]),
            )
        ).all()
        by_key = {row.idempotency_key: row for row in found}
        same = len(found) == len(items) and all(
            k in by_key and by_key[k].digest == it.digest.lower() for k, it in zip(keys, items, strict=True)
        )
        if not same:
            raise conflict(key, f"evidence {first}", evidence_id=first)
        return [by_key[k] for k in keys]

    def create(s: Session) -> list[EvidenceItem]:
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "id": _new_id(),
                "institution": institution.name,
                "submitter": institution.address,
                "idempotency_key": k,
                "digest": it.digest.lower(),
                "size": it.size,
                "store": it.store,
                "cid": it.cid,
                "filename": it.filename,
                "media_type": it.media_type,
                "case_ref": it.case_ref,
                "parties": _checksum_all(it.parties),
                "status": "pending",
                "batch_id": None,
                "proof": None,
                "created_at": now,
            }
            for k, it in zip(keys, items, strict=True)
        ]
        bulk_insert(s.connection(), EvidenceItem.__table__, rows)  # type: ignore[attr-defined]
        # the rows were built here from validated input: skip re-validating a thousand of them
        return [EvidenceItem.model_construct(**r) for r in rows]

    return write_once(session, find=find, create=create)


def to_public(item: EvidenceItem, receipt: dict[str, Any] | None = None) -> EvidencePublic:
    return EvidencePublic.model_construct(
        id=item.id,
        digest=item.digest,
        size=item.size,
        store=item.store,
        cid=item.cid,
        status=item.status,
        case_ref=item.case_ref,
        filename=item.filename,
        media_type=item.media_type,
        institution=item.institution,
        submitter=item.submitter,
        parties=list(item.parties),
        batch_id=item.batch_id,
        created_at=item.created_at,
        receipt=receipt,
    )


def get_evidence(*, session: Session, evidence_id: str, reader: Institution, reader_is_court: bool) -> EvidenceItem:
    """The item, if ``reader`` submitted it, is a court, or is a party to its case."""
    item = session.get(EvidenceItem, evidence_id)
    if item is None:
        raise NotFoundError(f"no evidence {evidence_id}")
    if item.institution == reader.name or reader_is_court or reader.address in item.parties:
        return item
    raise EvidenceAccessDeniedError(
        f"{reader.name} is not the submitter of {evidence_id}, a court, or a party to its case"
    )


def receipt_of(
    *, session: Session, item: EvidenceItem, recourse: Recourse, institutions: dict[str, Institution]
) -> dict[str, Any]:
    batch = session.get(EvidenceBatch, item.batch_id) if item.batch_id else None
    if batch is None or batch.status != "anchored":
        raise EvidenceNotAnchoredError(f"evidence {item.id} is {item.status}; its receipt exists once it is anchored")
    return _receipt(item, batch, recourse, institutions)


def _receipt(
    item: EvidenceItem, batch: EvidenceBatch, recourse: Recourse, institutions: dict[str, Institution]
) -> dict[str, Any]:
    inst = institutions.get(batch.institution)
    name = batch.institution if inst is not None and inst.address == batch.submitter else None
    return build_receipt(
        item=item,
        batch=batch,
        chain_id=recourse.client.chain_id,
        contract_address=recourse.evidence.address,
        institution_name=name,
    )


class AnchorCache:
    """On-chain anchor records by root. Anchors are write-once, so a record, once read, never changes."""

    def __init__(self, recourse: Recourse) -> None:
        self._recourse = recourse
        self._anchors: dict[str, Anchor] = {}
        self._lock = threading.Lock()

    def confirm(self, root: str, digest: str, proof: Sequence[str]) -> Anchor | None:
        """The anchor of ``root`` if it is on chain and ``proof`` proves ``digest`` in it."""
        with self._lock:
            anchor = self._anchors.get(root)
        if anchor is None:
            registry = self._recourse.evidence
            try:
                anchor = registry.anchor_of(root)
                if anchor is None or not registry.verify(root, digest, list(proof)):
                    return None
            except ChainError as exc:
                raise ChainUnavailableError(f"cannot read the evidence registry: {exc}") from exc
            with self._lock:
                self._anchors[root] = anchor
            return anchor
        return anchor if merkle_verify(root, digest, proof) else None


@dataclass(frozen=True)
class ItemFacts:
    """The columns of an evidence item a verdict needs (read without the ORM: verification is hot)."""

    id: str
    digest: str
    status: str
    batch_id: str | None
    proof: list[str] | None
    case_ref: str | None
    created_at: Any


@dataclass(frozen=True)
class BatchFacts:
    id: str
    institution: str
    root: str
    tx_hash: str | None
    member_name_digest: str | None


def _verified(
    item: ItemFacts,
    batch: BatchFacts,
    anchor: Anchor,
    recourse: Recourse,
    institutions: dict[str, Institution],
) -> Verification:
    inst = institutions.get(batch.institution)
    return Verification(
        result="verified",
        digest=item.digest,
        detail=f"anchored on chain in block {anchor.block_number} at {iso_time(anchor.block_time)}",
        evidence_id=item.id,
        case_ref=item.case_ref,
        root=batch.root,
        proof=list(item.proof or []),
        leaf_encoding=list(LEAF_ENCODING),
        contract_address=recourse.evidence.address,
        chain_id=recourse.client.chain_id,
        tx_hash=batch.tx_hash,
        block_number=anchor.block_number,
        block_time=anchor.block_time,
        block_time_iso=iso_time(anchor.block_time),
        institution=InstitutionRef(
            address=anchor.submitter,
            name=batch.institution if inst is not None and inst.address == anchor.submitter else None,
            name_digest=batch.member_name_digest,
        ),
    )


def verify_digests(
    *,
    session: Session,
    recourse: Recourse,
    cache: AnchorCache,
    institutions: dict[str, Institution],
    digests: Sequence[str],
    evidence_id: str | None = None,
    case_ref: str | None = None,
) -> list[Verification]:
    """One answer per digest (see the module docstring)."""
    wanted = [d.lower() for d in digests]
    expected: EvidenceItem | None = None
    if evidence_id is not None:
        expected = session.get(EvidenceItem, evidence_id)
        if expected is None:
            raise NotFoundError(f"no evidence {evidence_id}")
    items = EvidenceItem.__table__  # type: ignore[attr-defined]
    rows = [
        ItemFacts(*r)
        for r in session.connection().execute(
            sa_select(
                items.c.id,
                items.c.digest,
                items.c.status,
                items.c.batch_id,
                items.c.proof,
                items.c.case_ref,
                items.c.created_at,
            ).where(items.c.digest.in_(set(wanted)))
        )
    ]
    by_digest: dict[str, list[ItemFacts]] = {}
    for row in sorted(rows, key=lambda r: r.created_at):
        by_digest.setdefault(row.digest, []).append(row)
    batch_ids = {r.batch_id for r in rows if r.status == "anchored" and r.batch_id}
    # only the columns a verdict needs: the tree dump (tens of KB per batch) stays in the database
    table = EvidenceBatch.__table__  # type: ignore[attr-defined]
    facts = (
        session.connection()
        .execute(
            sa_select(table.c.id, table.c.institution, table.c.root, table.c.tx_hash, table.c.member_name_digest).where(
                table.c.id.in_(batch_ids)
            )
        )
        .all()
        if batch_ids
        else []
    )
    batches = {f[0]: BatchFacts(*f) for f in facts}
    case_known = False
    if case_ref is not None and expected is None:
        case_known = (
            session.exec(select(EvidenceItem.id).where(EvidenceItem.case_ref == case_ref).limit(1)).first() is not None
        )
    out: list[Verification] = []
    for digest in wanted:
        candidates = by_digest.get(digest, [])
        if expected is not None:
            candidates = [c for c in candidates if c.id == expected.id]
        elif case_ref is not None:
            candidates = [c for c in candidates if c.case_ref == case_ref]
        answer: Verification | None = None
        for item in candidates:
            batch = batches.get(item.batch_id or "")
            if item.status != "anchored" or batch is None:
                continue
            anchor = cache.confirm(batch.root, digest, item.proof or [])
            if anchor is not None:
                answer = _verified(item, batch, anchor, recourse, institutions)
                break
        if answer is None:
            answer = _not_verified(digest, candidates, expected, case_ref, case_known)
        out.append(answer)
    return out


def _not_verified(
    digest: str,
    candidates: Sequence[ItemFacts],
    expected: EvidenceItem | None,
    case_ref: str | None,
    case_known: bool,
) -> Verification:
    pending = any(c.status in ("pending", "batched") for c in candidates)
    if expected is not None and expected.digest != digest:
        return Verification(
            result="mismatch",
            digest=digest,
            detail=f"these bytes are not evidence {expected.id}: its SHA-256 is {expected.digest}",
            evidence_id=expected.id,
            case_ref=expected.case_ref,
            expected_digest=expected.digest,
        )
    if expected is None and case_ref is not None and case_known and not candidates:
        return Verification(
            result="mismatch",
            digest=digest,
            detail=f"no evidence of case {case_ref!r} has this SHA-256: the document differs from what was anchored",
            case_ref=case_ref,
        )
    detail = "accepted, its batch is not anchored yet" if pending else "no anchored evidence has this SHA-256"
    return Verification(result="not_anchored", digest=digest, detail=detail, pending=pending, case_ref=case_ref)
