"""The evidence batcher: pending digests → one ``StandardMerkleTree`` → one anchor operation per batch.

Crash safety (the gateway may be SIGKILLed at any instant):

1. the API commits every accepted document as ``pending`` before it answers ``202``;
2. a batch closes when an institution has ``batch_size`` pending documents or its oldest has waited
   ``batch_seconds``. The batch row (tree dump, root, metadata), every member's ``batch_id`` + proof, and
   the anchor operation (``kind="evidence.anchor"``, idempotency key ``evidence-batch:<batch id>``, the
   batch id being a hash of its members' ids) are committed in ONE database transaction. A crash before
   the commit leaves the documents pending (they are batched again); after it, the transaction writer
   sends the operation exactly once;
3. once the operation is final the batch is settled from the chain (``anchorOf(root)``: block, time,
   submitter). A root the registry already holds (``EvidenceRegistryAlreadyAnchored``: the same set of
   digests anchored before) is settled from that earlier anchor, so a digest is never anchored twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_utils.crypto import keccak
from sqlalchemy import Engine, func, literal, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from chain import ChainError
from chain.merkle import StandardMerkleTree, hex32
from chain.network import Recourse
from node_api.db.evidence_models import EvidenceBatch, EvidenceItem
from node_api.db.models import Operation, utcnow
from node_api.institutions import Institution
from node_api.services.evidence._bulk import bulk_update
from node_api.services.operations import submit_operation
from node_api.settings import EvidenceSettings

__all__ = ["ANCHOR_KIND", "META_SCHEME", "EvidenceBatcher", "batch_key"]

logger = logging.getLogger(__name__)
ANCHOR_KIND = "evidence.anchor"
META_SCHEME = "recourse-evidence/1"
TERMINAL = ("succeeded", "failed")


def batch_key(batch_id: str) -> str:
    """The anchor operation's idempotency key (deterministic: a restart re-uses it)."""
    return f"evidence-batch:{batch_id}"


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


class EvidenceBatcher:
    """One thread per gateway: closes due batches into anchor operations and settles finished ones."""

    def __init__(
        self,
        *,
        engine: Engine,
        recourse: Recourse,
        institutions: dict[str, Institution],
        settings: EvidenceSettings,
        wake_writer: Callable[[str], None],
        idle: float = 0.05,
        rescan: float = 1.0,
    ) -> None:
        self._engine = engine
        self._recourse = recourse
        self._institutions = institutions
        self._settings = settings
        self._wake_writer = wake_writer
        self._idle = idle
        self._rescan = rescan
        #: batches closed but not settled yet, as far as this process knows (``None``: unknown, look)
        self._unsettled: int | None = None
        #: seconds (monotonic clock) when the oldest pending document makes a batch due, if any
        self._next_due: float | None = None
        self._last_scan = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.healthy = True
        #: consortium member name digests by address (they change only by a governed profile update)
        self._names: dict[str, str] = {}

    # --- lifecycle ---

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="evidence-batcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
                self.healthy = True
            except Exception:  # keep serving; the next step retries from the database
                logger.exception("evidence.batcher.error")
                self.healthy = False
                busy = False
            if not busy:
                self._wake.wait(self._sleep())
                self._wake.clear()

    def _sleep(self) -> float:
        """How long to wait for a wake-up: poll quickly only while anchors are in flight; otherwise sleep
        until the oldest pending document makes its batch due, or at most ``rescan`` seconds (documents
        another process added to the same database are found then)."""
        if self._unsettled:
            return self._idle
        wait = self._rescan
        if self._next_due is not None:
            wait = min(wait, self._next_due - time.monotonic())
        return max(self._idle, wait)

    def step(self) -> bool:
        """Close due batches, then settle final ones; the settle query runs only while batches are out
        (or once per ``rescan``). Returns whether anything changed."""
        closed = self.close_due(limit=2)  # then settle: anchored receipts do not wait for the whole queue
        now = time.monotonic()
        settled = 0
        if self._unsettled is None or self._unsettled > 0 or now - self._last_scan >= self._rescan:
            self._last_scan = now
            settled = self.settle()
        return bool(closed) or settled > 0

    # --- closing batches ---

    def close_due(self, *, force: bool = False, limit: int | None = None) -> list[str]:
        """Close due batches, at most ``limit`` (``force``: close whatever is pending); returns their ids."""
        now = utcnow()
        with Session(self._engine) as s:
            rows = s.exec(
                select(EvidenceItem.institution, func.count(), func.min(EvidenceItem.created_at))
                .where(col(EvidenceItem.batch_id).is_(None), EvidenceItem.status == "pending")
                .group_by(EvidenceItem.institution)
            ).all()
        out: list[str] = []
        size = self._settings.batch_size
        self._next_due = None
        for institution, count, oldest in rows:
            age = (now - _aware(oldest)).total_seconds()
            due = force or count >= size or age >= self._settings.batch_seconds
            if institution not in self._institutions:
                continue
            if age < self._settings.batch_seconds:  # (early for documents left after full batches: harmless)
                at = time.monotonic() + self._settings.batch_seconds - age
                self._next_due = at if self._next_due is None else min(self._next_due, at)
            if not due:
                continue
            remaining = int(count)
            while remaining > 0 and (force or remaining >= size or due) and (limit is None or len(out) < limit):
                batch_id = self._close_one(self._institutions[institution])
                if batch_id is None:
                    break
                out.append(batch_id)
                remaining -= size
                due = force or remaining >= size
        return out

    def _close_one(self, inst: Institution) -> str | None:
        size = self._settings.batch_size
        with Session(self._engine) as s:
            members = s.exec(
                select(EvidenceItem.id, EvidenceItem.digest)
                .where(
                    EvidenceItem.institution == inst.name,
                    col(EvidenceItem.batch_id).is_(None),
                    EvidenceItem.status == "pending",
                )
                .order_by(col(EvidenceItem.created_at), col(EvidenceItem.id))
                .limit(size)
            ).all()
            if not members:
                return None
            ids = [m[0] for m in members]
            digests = list(dict.fromkeys(m[1] for m in members))  # one leaf per distinct digest
            tree = StandardMerkleTree.of(digests)
            batch_id = "eb_" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32]
            proofs = {d: [hex32(p) for p in tree.proof_at(i)] for i, d in enumerate(digests)}
            meta = {"scheme": META_SCHEME, "batch": batch_id, "submitter": inst.address, "documents": len(ids)}
            meta_digest = keccak(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
            table = EvidenceItem.__table__  # type: ignore[attr-defined]
            bulk_update(
                s.connection(),
                table,
                "id",
                [{"id": i, "batch_id": batch_id, "proof": proofs[d], "status": "batched"} for i, d in members],
            )
            s.add(
                EvidenceBatch(
                    id=batch_id,
                    institution=inst.name,
                    submitter=inst.address,
                    root=tree.root_hex,
                    leaf_count=len(tree),
                    meta_digest=hex32(meta_digest),
                    meta=meta,
                    tree=tree.dump(),
                )
            )
            tx = self._recourse.evidence.anchor_request(tree.root, len(tree), meta_digest)
            # commits the batch, its members and the operation together
            op, _ = submit_operation(
                session=s,
                institution=inst.name,
                sender=inst.address,
                idempotency_key=batch_key(batch_id),
                kind=ANCHOR_KIND,
                body={"batch_id": batch_id, "root": tree.root_hex, "leaf_count": len(tree), "meta": hex32(meta_digest)},
                tx=tx,
            )
            batches = EvidenceBatch.__table__  # type: ignore[attr-defined]
            s.connection().execute(update(batches).where(batches.c.id == batch_id).values(operation_id=op.id))
            s.commit()
        self._unsettled = (self._unsettled or 0) + 1
        logger.info("evidence.batch.closed batch=%s institution=%s leaves=%d", batch_id, inst.name, len(tree))
        self._wake_writer(inst.name)
        return batch_id

    # --- settling batches ---

    def settle(self) -> int:
        """Settle every sent batch whose anchor operation is final; returns how many were settled."""
        batches = EvidenceBatch.__table__  # type: ignore[attr-defined]
        ops = Operation.__table__  # type: ignore[attr-defined]
        with Session(self._engine) as s:
            conn = s.connection()
            # only the columns settling needs (never the tree dump); the operation found by its key
            rows = conn.execute(
                sa_select(
                    batches.c.id,
                    batches.c.root,
                    ops.c.status,
                    ops.c.tx_hash,
                    ops.c.error_code,
                    ops.c.error_name,
                    ops.c.error_message,
                )
                .join(
                    ops,
                    (ops.c.institution == batches.c.institution)
                    & (ops.c.idempotency_key == literal("evidence-batch:") + batches.c.id),
                )
                .where(batches.c.status == "sent", ops.c.status.in_(TERMINAL))
            ).all()
            done = 0
            for row in rows:
                if self._settle_one(s, _Final(*row)):
                    done += 1
            # settling commits: a fresh connection from the session for the count
            pending = sa_select(func.count()).select_from(batches).where(batches.c.status == "sent")
            self._unsettled = int(s.connection().execute(pending).scalar_one())
            return done

    def _settle_one(self, s: Session, op: _Final) -> bool:
        registry = self._recourse.evidence
        values: dict[str, object]
        try:
            if op.status == "succeeded" or op.error_name == "EvidenceRegistryAlreadyAnchored":
                anchor = registry.anchor_of(op.root)
                if anchor is None:
                    logger.warning("evidence.batch.unconfirmed batch=%s root=%s", op.batch_id, op.root)
                    return False
                tx_hash = op.tx_hash if op.status == "succeeded" else None
                if tx_hash is None:  # anchored earlier: find that anchor's transaction
                    found = [
                        e
                        for e in registry.anchored_between(from_block=anchor.block_number, to_block=anchor.block_number)
                        if hex32(e.root) == op.root
                    ]
                    tx_hash = found[0].tx_hash if found else None
                name_digest = self._names.get(anchor.submitter)
                if name_digest is None:  # a member's name digest: read once per submitter
                    name_digest = hex32(self._recourse.consortium.get_member(anchor.submitter).name_digest)
                    self._names[anchor.submitter] = name_digest
                values = {
                    "status": "anchored",
                    "tx_hash": tx_hash,
                    "block_number": anchor.block_number,
                    "block_time": anchor.block_time,
                    "submitter": anchor.submitter,
                    "member_name_digest": name_digest,
                    "anchored_at": utcnow(),
                }
            else:
                error = f"{op.error_code or ''} {op.error_name or ''} {op.error_message or ''}".strip()
                values = {"status": "failed", "error": error}
        except ChainError as exc:
            logger.warning("evidence.batch.settle_deferred batch=%s error=%s", op.batch_id, exc)
            return False
        batches = EvidenceBatch.__table__  # type: ignore[attr-defined]
        items = EvidenceItem.__table__  # type: ignore[attr-defined]
        conn = s.connection()
        conn.execute(update(batches).where(batches.c.id == op.batch_id).values(**values))
        conn.execute(update(items).where(items.c.batch_id == op.batch_id).values(status=values["status"]))
        s.commit()
        logger.info(
            "evidence.batch.%s batch=%s tx=%s block=%s",
            values["status"],
            op.batch_id,
            values.get("tx_hash"),
            values.get("block_number"),
        )
        return True


@dataclass(frozen=True)
class _Final:
    """A sent batch whose anchor operation is final."""

    batch_id: str
    root: str
    status: str
    tx_hash: str | None
    error_code: str | None
    error_name: str | None
    error_message: str | None
