"""Case delegation, the gateway side of ``CaseDelegation``: publish batches, claim, offer, report, settle.

Publication (bank): the uploaded CSV/JSON is parsed by :func:`node_api.services.case_import.parse_cases`
(all rows or nothing); each case gets a case id (:func:`chain.contracts.case_delegation.derive_case_id`
with a fresh random batch salt), a fresh debtor salt and commitment; the terms (no personal data) form
the batch's Merkle tree. The debtors' data (PII vault rows), the batch and case rows, and the two
operations (``approve`` the fee budget, then ``publishBatch``) are committed in ONE database transaction:
either the whole batch is imported and will be published exactly once, or nothing is. The vault and case
rows are sent in executemany chunks of ``INSERT_CHUNK`` (2,000) inside that transaction, and each parsed
row is released once split, so a 100,000-row import never holds every row's parameters at once.

Claims (collector): the gateway first reads the case on chain (taken or closed → 409 problem at once)
and the collector's eligibility (suspension, licence, region, capacity → 403 problem), then reserves the
case in ``case_claims`` in the same transaction as the claim operation. The table's primary key makes the
reservation atomic, so of many concurrent claims through this gateway exactly one becomes an operation
and every other gets ``CAS-409``. A reservation whose operation failed (e.g. a claim through another
gateway won on chain) is released by the next claim. The chain stays the judge across gateways.

Reports attach an evidence digest that must be in an anchored ``EvidenceRegistry`` root: given a root
and proof they are used as is; otherwise the gateway anchors the digest alone (a one-leaf tree) as an
operation queued just before the report.

The case index (status, collector, recovered amount, fees) is the indexer's ``CaseDelegation``
projection (``node_api.projections.case_delegation``), updated with the events; single-case reads go to
the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, TypeVar

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sqlalchemy import func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chain import ChainError
from chain.client import TxRequest
from chain.contracts.case_delegation import (
    CaseBatchTree,
    CaseRecord,
    CaseStatus,
    CaseTerms,
    ClaimSnapshot,
    derive_case_id,
)
from chain.contracts.consortium import Role
from chain.merkle import leaf_hash, to_bytes32
from chain.network import Recourse
from node_api.db.cases_models import CaseBatch, CaseClaim, CaseEntry
from node_api.db.models import Operation, utcnow
from node_api.institutions import Institution
from node_api.problems import (
    BatchNotPublishedError,
    CaseAlreadyClaimedError,
    CaseClosedError,
    CaseIneligibleError,
    CaseNotFoundError,
    CaseNotYoursError,
    CaseStateError,
    ChainUnavailableError,
    IdempotencyConflictError,
    InvalidInputError,
)
from node_api.services.case_import import (
    CaseImportError,
    DebtorRecord,
    RowError,
    debtor_commitment,
    new_salt,
    parse_cases,
)
from node_api.services.operations import IN_GROUP, request_hash, submit_operation
from node_api.services.pii_vault import INSERT_CHUNK, PiiVault

__all__ = [
    "CASE_CONTRACT",
    "CaseFilter",
    "PreparedClaim",
    "PublishResult",
    "batch_tree",
    "case_terms",
    "get_batch",
    "get_batch_public",
    "get_case",
    "list_batches",
    "list_cases",
    "prepare_claim",
    "publish_batch",
    "read_fees",
    "record_claim",
    "region_covers",
    "resolve_chain_batch_id",
    "submit_accept",
    "submit_action",
    "submit_claim",
    "submit_confirm",
    "submit_decline",
    "submit_offer",
    "submit_recall",
    "submit_recovery",
    "submit_reject",
    "submit_return",
    "submit_top_up",
    "submit_withdraw_fees",
    "submit_withdraw_unspent",
]

CASE_CONTRACT = "CaseDelegation"
logger = logging.getLogger(__name__)
_HELD = (CaseStatus.CLAIMED, CaseStatus.RECOVERY_REPORTED)


_T = TypeVar("_T")


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _drain(items: list[_T]) -> Iterator[_T]:
    """``items`` in order, each released from the list as it is yielded (the list ends empty)."""
    items.reverse()
    while items:
        yield items.pop()


def region_covers(collector_region: int, case_region: int) -> bool:
    """The contract's region rule (GB/T 2260): province ``xx0000`` covers ``xx****``, city ``xxxx00`` covers
    ``xxxx**``, any other code only itself."""
    if collector_region == case_region:
        return True
    if collector_region % 10_000 == 0:
        return collector_region // 10_000 == case_region // 10_000
    if collector_region % 100 == 0:
        return collector_region // 100 == case_region // 100
    return False


# --- trees (rebuilt from the stored terms, cached) --------------------------------------------------------

_TREES: OrderedDict[str, CaseBatchTree] = OrderedDict()
_TREES_LOCK = threading.Lock()
_TREES_MAX = 8


def case_terms(entry: CaseEntry) -> CaseTerms:
    return CaseTerms(
        case_id=to_bytes32(entry.case_id),
        debtor_commitment=to_bytes32(entry.debtor_commitment),
        principal=int(entry.principal_fen),
        overdue_amount=int(entry.overdue_fen),
        overdue_days=entry.overdue_days,
        region=entry.region,
        fee_bps=entry.fee_bps,
        deadline=int(entry.deadline),
    )


def batch_tree(session: Session, batch: CaseBatch) -> CaseBatchTree:
    """The batch's Merkle tree (cached per batch; rebuilt from its cases in publication order)."""
    with _TREES_LOCK:
        tree = _TREES.get(batch.id)
        if tree is not None:
            _TREES.move_to_end(batch.id)
            return tree
    entries = session.exec(
        select(CaseEntry).where(CaseEntry.batch_id == batch.id).order_by(col(CaseEntry.position))
    ).all()
    tree = CaseBatchTree([case_terms(e) for e in entries])
    if _hex(tree.root) != batch.root:
        raise ChainUnavailableError(f"batch {batch.id}: stored cases do not rebuild the published root")
    _remember(batch.id, tree)
    return tree


def _remember(batch_id: str, tree: CaseBatchTree) -> None:
    with _TREES_LOCK:
        _TREES[batch_id] = tree
        while len(_TREES) > _TREES_MAX:
            _TREES.popitem(last=False)


# --- operations ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OpSpec:
    key: str
    kind: str
    body: dict[str, Any]
    tx: TxRequest


def _new_operation(institution: Institution, spec: _OpSpec, created_at: dt.datetime) -> Operation:
    return Operation(
        id=str(uuid.uuid4()),
        institution=institution.name,
        sender=institution.address,
        idempotency_key=spec.key,
        request_hash=request_hash(spec.kind, spec.body),
        kind=spec.kind,
        request=spec.body,
        to_address=spec.tx.to,
        data="0x" + spec.tx.data.hex(),
        value=spec.tx.value,
        created_at=created_at,
        updated_at=created_at,
    )


def _existing_ops(session: Session, institution: Institution, specs: Sequence[_OpSpec]) -> list[Operation] | None:
    """The operations of an earlier identical request (same keys and bodies), or ``None`` if new."""
    keys = [s.key for s in specs]
    found = {
        op.idempotency_key: op
        for op in session.exec(
            select(Operation).where(Operation.institution == institution.name, col(Operation.idempotency_key).in_(keys))
        ).all()
    }
    if not found:
        return None
    main = specs[-1]
    op = found.get(main.key)
    if op is None:
        return None
    if op.request_hash != request_hash(main.kind, main.body):
        raise IdempotencyConflictError(
            f"Idempotency-Key {main.key!r} was used for a different request (operation {op.id}); "
            "use a new key for a new request",
            operation_id=op.id,
        )
    return [found[k] for k in keys if k in found]


def _stage_ops(session: Session, institution: Institution, specs: Sequence[_OpSpec]) -> list[Operation]:
    """Add operations (sent in this order) to the session without committing."""
    base = utcnow()
    ops = [_new_operation(institution, s, base + dt.timedelta(microseconds=i)) for i, s in enumerate(specs)]
    for op in ops:
        session.add(op)
    return ops


def _submit_chain(session: Session, institution: Institution, specs: Sequence[_OpSpec]) -> tuple[list[Operation], bool]:
    """Persist several operations in one transaction (idempotent on the last one's key)."""
    if len(specs) == 1:
        op, created = submit_operation(
            session=session,
            institution=institution.name,
            sender=institution.address,
            idempotency_key=specs[0].key,
            kind=specs[0].kind,
            body=specs[0].body,
            tx=specs[0].tx,
        )
        return [op], created
    existing = _existing_ops(session, institution, specs)
    if existing is not None:
        return existing, False
    ops = _stage_ops(session, institution, specs)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _existing_ops(session, institution, specs)
        if existing is None:
            raise
        return existing, False
    for op in ops:
        session.refresh(op)
    return ops, True


# --- publication ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishResult:
    batch: CaseBatch
    operations: list[Operation]
    created: bool


def publish_batch(
    *,
    session: Session,
    recourse: Recourse,
    vault: PiiVault,
    institution: Institution,
    key: str,
    data: bytes,
    fmt: Literal["csv", "json"],
    fee_budget_fen: int,
    closes_at: int | None = None,
    now: int | None = None,
    max_rows: int | None = None,
) -> PublishResult:
    """Import a case file and queue its publication (see the module docstring); all or nothing.

    More than ``max_rows`` cases: :class:`~node_api.services.case_import.CaseFileTooLargeError`."""
    if fee_budget_fen <= 0 or fee_budget_fen >= 2**128:
        raise InvalidInputError("fee_budget_fen must be a positive integer below 2**128")
    file_digest = hashlib.sha256(data).hexdigest()
    body: dict[str, Any] = {
        "file_sha256": file_digest,
        "format": fmt,
        "fee_budget_fen": fee_budget_fen,
        "closes_at": closes_at,
    }
    replay = session.exec(
        select(Operation).where(Operation.institution == institution.name, Operation.idempotency_key == key)
    ).first()
    if replay is not None:
        if replay.request_hash != request_hash("cases.publish", body):
            raise IdempotencyConflictError(
                f"Idempotency-Key {key!r} was used for a different request (operation {replay.id})",
                operation_id=replay.id,
            )
        batch = session.exec(select(CaseBatch).where(CaseBatch.publish_operation_id == replay.id)).one()
        approve = session.get(Operation, batch.approve_operation_id)
        return PublishResult(batch, [op for op in (approve, replay) if op is not None], False)

    rows = parse_cases(data, fmt, now=now, max_rows=max_rows)
    del data  # the upload is not needed any more (the route does not keep it either)
    seen: dict[str, int] = {}
    dupes: list[RowError] = []
    for r in rows:
        if r.case_ref in seen:
            dupes.append(RowError(r.line, "case_ref", f"duplicate of line {seen[r.case_ref]}"))
        seen.setdefault(r.case_ref, r.line)
    if dupes:
        raise CaseImportError(dupes)
    del seen
    latest = max(r.deadline for r in rows)
    end = latest if closes_at is None else closes_at
    if end < latest:
        raise InvalidInputError(f"closes_at {end} is before the latest case deadline {latest}")
    if end >= 2**64:
        raise InvalidInputError("closes_at does not fit 64 bits")

    bank = institution.address
    batch_salt = os.urandom(32)
    # each parsed row is dropped as soon as it is split into its terms (chain), its vault record (personal
    # data) and its reference: the three are never held next to a full copy of the rows
    vault_rows: list[tuple[bytes, bytes, DebtorRecord]] = []
    refs: list[str] = []
    terms: list[CaseTerms] = []
    for r in _drain(rows):
        case_id = derive_case_id(bank, r.case_ref, batch_salt)
        salt = new_salt()
        vault_rows.append((case_id, salt, r.debtor))
        refs.append(r.case_ref)
        terms.append(
            CaseTerms(
                case_id=case_id,
                debtor_commitment=debtor_commitment(r.debtor, salt),
                principal=r.principal_fen,
                overdue_amount=r.overdue_fen,
                overdue_days=r.overdue_days,
                region=r.region,
                fee_bps=r.fee_bps,
                deadline=r.deadline,
            )
        )
    del rows
    tree = CaseBatchTree(terms)
    del terms  # the tree keeps them (and is cached for proofs)
    batch_uuid = str(uuid.uuid4())
    meta = keccak(text=json.dumps({"gateway_batch": batch_uuid, "format": fmt, "cases": len(tree)}, sort_keys=True))
    cases = recourse.cases
    specs = [
        _OpSpec(
            f"{key}:approve",
            "cases.approve_budget",
            {"spender": cases.address, "amount_fen": fee_budget_fen, "batch": batch_uuid},
            recourse.token.request("approve", cases.address, fee_budget_fen),
        ),
        _OpSpec(
            key, "cases.publish", body, cases.publish_batch_request(tree.root, len(tree), end, fee_budget_fen, meta)
        ),
    ]
    approve_op, publish_op = _stage_ops(session, institution, specs)
    batch = CaseBatch(
        id=batch_uuid,
        institution=institution.name,
        bank=bank,
        salt=_hex(batch_salt),
        root=_hex(tree.root),
        case_count=len(tree),
        closes_at=end,
        fee_budget_fen=fee_budget_fen,
        meta_digest=_hex(meta),
        source_format=fmt,
        approve_operation_id=approve_op.id,
        publish_operation_id=publish_op.id,
    )
    try:
        session.add(batch)
        session.flush()  # the batch row before its cases (foreign key)
        # vault rows, then case rows, INSERT_CHUNK at a time, all in this one transaction: a failure on any
        # chunk (or at the commit) rolls back every chunk before it, the batch and the operations
        vault.put_many(session, _drain(vault_rows))
        entries = (
            {
                "case_id": _hex(t.case_id),
                "batch_id": batch_uuid,
                "position": i,
                "case_ref": ref,
                "debtor_commitment": _hex(t.debtor_commitment),
                "principal_fen": t.principal,
                "overdue_fen": t.overdue_amount,
                "overdue_days": t.overdue_days,
                "region": t.region,
                "fee_bps": t.fee_bps,
                "deadline": t.deadline,
                "status": "open",
                "collector": None,
                "recovered_fen": 0,
                "fees_fen": 0,
                "last_event": None,
            }
            for i, (t, ref) in enumerate(zip(tree.terms, _drain(refs), strict=True))
        )
        while chunk := list(islice(entries, INSERT_CHUNK)):
            session.execute(insert(CaseEntry), chunk)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise InvalidInputError(
            f"the batch could not be stored, nothing was imported (a case id or root already exists?): {exc.orig}"
        ) from exc
    except BaseException:
        session.rollback()
        raise
    _remember(batch_uuid, tree)
    session.refresh(batch)
    session.refresh(approve_op)
    session.refresh(publish_op)
    return PublishResult(batch, [approve_op, publish_op], True)


def resolve_chain_batch_id(session: Session, recourse: Recourse, batch: CaseBatch) -> int:
    """The on-chain batch id (looked up by root once the publication succeeded)."""
    if batch.chain_batch_id is not None:
        return batch.chain_batch_id
    op = session.get(Operation, batch.publish_operation_id)
    status = op.status if op is not None else "missing"
    if status != "succeeded":
        reason = f" ({op.error_name})" if op is not None and op.error_name else ""
        raise BatchNotPublishedError(
            f"batch {batch.id} is not on chain yet: its publication is {status}{reason}",
            operation_id=batch.publish_operation_id,
            publish_status=status,
        )
    try:
        chain_id = recourse.cases.batch_of_root(batch.root)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the batch: {exc}") from exc
    if chain_id == 0:
        raise BatchNotPublishedError(f"batch {batch.id}: root {batch.root} is not on chain")
    batch.chain_batch_id = chain_id
    session.add(batch)
    session.commit()
    session.refresh(batch)
    return chain_id


# --- reads ------------------------------------------------------------------------------------------------


def _entry(session: Session, case_id: str) -> CaseEntry:
    try:
        key = _hex(to_bytes32(case_id))
    except Exception as exc:  # noqa: BLE001 - any malformed id is a 404 for this API
        raise CaseNotFoundError(f"no case {case_id!r}") from exc
    entry = session.get(CaseEntry, key)
    if entry is None:
        raise CaseNotFoundError(f"no case {case_id}")
    return entry


def _batch_of(session: Session, entry: CaseEntry) -> CaseBatch:
    batch = session.get(CaseBatch, entry.batch_id)
    if batch is None:  # pragma: no cover - foreign key
        raise CaseNotFoundError(f"no batch {entry.batch_id}")
    return batch


def _public(entry: CaseEntry, batch: CaseBatch | None, viewer: Institution | None) -> dict[str, Any]:
    return {
        "case_id": entry.case_id,
        "batch_id": entry.batch_id,
        "chain_batch_id": batch.chain_batch_id if batch is not None else None,
        "case_ref": entry.case_ref
        if batch is not None and viewer is not None and batch.institution == viewer.name
        else None,
        "debtor_commitment": entry.debtor_commitment,
        "principal_fen": int(entry.principal_fen),
        "overdue_fen": int(entry.overdue_fen),
        "overdue_days": entry.overdue_days,
        "region": entry.region,
        "fee_bps": entry.fee_bps,
        "deadline": int(entry.deadline),
        "status": entry.status,
        "collector": entry.collector,
        "recovered_fen": int(entry.recovered_fen),
        "fees_fen": int(entry.fees_fen),
    }


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    region: int | None = None
    batch_id: str | None = None
    collector: str | None = None
    min_overdue_fen: int | None = None
    max_overdue_fen: int | None = None
    limit: int = 50
    offset: int = 0


def list_cases(*, session: Session, viewer: Institution, filters: CaseFilter) -> tuple[list[dict[str, Any]], int]:
    """Cases (terms and indexed state, no personal data) matching ``filters``.

    The indexed state is as fresh as the indexer: it updates the case index in the same transaction that
    stores the ``CaseDelegation`` events (``node_api.projections.case_delegation``)."""
    stmt = select(CaseEntry)
    count = select(func.count()).select_from(CaseEntry)
    conds = []
    if filters.status:
        conds.append(CaseEntry.status == filters.status)
    if filters.region is not None:
        conds.append(CaseEntry.region == filters.region)
    if filters.batch_id:
        conds.append(CaseEntry.batch_id == filters.batch_id)
    if filters.collector:
        conds.append(CaseEntry.collector == to_checksum_address(filters.collector))
    rows: Sequence[CaseEntry]
    for c in conds:
        stmt = stmt.where(c)
        count = count.where(c)
    if filters.min_overdue_fen is not None or filters.max_overdue_fen is not None:
        # Uint256 is stored as text on SQLite: filter money in Python, exactly
        rows = session.exec(stmt.order_by(col(CaseEntry.batch_id), col(CaseEntry.position))).all()
        lo = filters.min_overdue_fen if filters.min_overdue_fen is not None else 0
        hi = filters.max_overdue_fen if filters.max_overdue_fen is not None else 2**256
        matching = [r for r in rows if lo <= int(r.overdue_fen) <= hi]
        total = len(matching)
        rows = matching[filters.offset : filters.offset + filters.limit]
    else:
        total = int(session.exec(count).one())
        rows = session.exec(
            stmt.order_by(col(CaseEntry.batch_id), col(CaseEntry.position)).offset(filters.offset).limit(filters.limit)
        ).all()
    batches = {
        b.id: b for b in session.exec(select(CaseBatch).where(col(CaseBatch.id).in_({r.batch_id for r in rows}))).all()
    }
    return [_public(r, batches.get(r.batch_id), viewer) for r in rows], total


def get_case(*, session: Session, recourse: Recourse, viewer: Institution, case_id: str) -> dict[str, Any]:
    """One case: terms, its Merkle proof, and its state read from the chain now."""
    entry = _entry(session, case_id)
    batch = _batch_of(session, entry)
    out = _public(entry, batch, viewer)
    tree = batch_tree(session, batch)
    out["proof"] = [_hex(p) for p in tree.proof(entry.position)]
    try:
        record = recourse.cases.case(entry.case_id)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the case: {exc}") from exc
    out.update(
        status=_label(record),
        collector=None if int(record.collector, 16) == 0 else record.collector,
        recovered_fen=record.recovered,
        source="chain",
    )
    return out


def _label(record: CaseRecord) -> str:
    return "open" if record.status is CaseStatus.NONE else record.status.label


def _batch_public(session: Session, recourse: Recourse | None, batch: CaseBatch) -> dict[str, Any]:
    op = session.get(Operation, batch.publish_operation_id)
    by_status = {
        s: int(n)
        for s, n in session.exec(
            select(CaseEntry.status, func.count()).where(CaseEntry.batch_id == batch.id).group_by(col(CaseEntry.status))
        ).all()
    }
    out: dict[str, Any] = {
        "id": batch.id,
        "institution": batch.institution,
        "bank": batch.bank,
        "root": batch.root,
        "case_count": batch.case_count,
        "closes_at": int(batch.closes_at),
        "fee_budget_fen": int(batch.fee_budget_fen),
        "chain_batch_id": batch.chain_batch_id,
        "publish_status": op.status if op is not None else "missing",
        "by_status": by_status,
    }
    if recourse is not None and out["publish_status"] == "succeeded":
        try:
            chain_id = resolve_chain_batch_id(session, recourse, batch)
            b = recourse.cases.batch(chain_id)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot read the batch: {exc}") from exc
        out.update(
            chain_batch_id=chain_id,
            remaining_budget_fen=b.remaining_budget,
            open_cases=b.open_cases,
            settled=b.settled,
        )
    return out


def get_batch_public(session: Session, batch: CaseBatch) -> dict[str, Any]:
    """A batch as stored (no chain read)."""
    return _batch_public(session, None, batch)


def get_batch(*, session: Session, recourse: Recourse, batch_id: str) -> dict[str, Any]:
    """A batch with its fee budget and open cases read from the chain now."""
    batch = session.get(CaseBatch, batch_id)
    if batch is None:
        raise CaseNotFoundError(f"no batch {batch_id}")
    return _batch_public(session, recourse, batch)


def list_batches(
    *, session: Session, institution: Institution | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    stmt = select(CaseBatch)
    count = select(func.count()).select_from(CaseBatch)
    if institution is not None:
        stmt = stmt.where(CaseBatch.institution == institution.name)
        count = count.where(CaseBatch.institution == institution.name)
    rows = session.exec(stmt.order_by(col(CaseBatch.created_at).desc()).offset(offset).limit(limit)).all()
    return [_batch_public(session, None, b) for b in rows], int(session.exec(count).one())


def read_fees(*, recourse: Recourse, collector: str) -> tuple[int, int]:
    try:
        block = recourse.client.block_number()
        return recourse.cases.fees_owed(to_checksum_address(collector)), block
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read fees: {exc}") from exc


# --- writes ---------------------------------------------------------------------------------------------------


def _chain_record(recourse: Recourse, entry: CaseEntry) -> tuple[CaseRecord, int]:
    try:
        return recourse.cases.case(entry.case_id), recourse.client.block_timestamp()
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the case: {exc}") from exc


def _refuse_taken(record: CaseRecord, entry: CaseEntry, now: int) -> None:
    if record.status.final:
        raise CaseClosedError(
            f"case {entry.case_id} is closed ({record.status.label})", case_status=record.status.label
        )
    taken = record.status in _HELD or (record.status is CaseStatus.OFFERED and now <= record.offer_expiry)
    if taken:
        raise CaseAlreadyClaimedError(
            f"case {entry.case_id} is already {record.status.label} by {record.collector}",
            case_id=entry.case_id,
            collector=record.collector,
            case_status=record.status.label,
        )


def _snapshot(recourse: Recourse, entry: CaseEntry, account: str) -> ClaimSnapshot:
    try:
        return recourse.cases.claim_snapshot(entry.case_id, account)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the case: {exc}") from exc


def _check_eligible(snap: ClaimSnapshot, collector: str, region: int) -> None:
    """The contract's eligibility rules, checked before queuing (the chain checks them again)."""
    m = snap.member
    if m is None:
        raise CaseIneligibleError(f"{collector} is not a consortium member", rule="collector")
    if not m.roles_mask & Role.COLLECTOR.bit:
        raise CaseIneligibleError(f"{collector} does not hold the COLLECTOR role", rule="collector")
    if m.suspended:
        raise CaseIneligibleError(f"{collector} is suspended", rule="suspended")
    if m.licence_expiry and snap.block_time > m.licence_expiry:
        raise CaseIneligibleError(f"{collector}'s licence expired at {m.licence_expiry}", rule="licence")
    if not region_covers(m.region, region):
        raise CaseIneligibleError(
            f"{collector}'s region {m.region} does not cover the case region {region}",
            rule="region",
            collector_region=m.region,
            case_region=region,
        )
    if snap.open_cases >= snap.max_open_cases:
        raise CaseIneligibleError(
            f"{collector} already holds {snap.open_cases} open cases (cap {snap.max_open_cases})",
            rule="capacity",
            open_cases=snap.open_cases,
            max_open_cases=snap.max_open_cases,
        )


def _proof(session: Session, batch: CaseBatch, entry: CaseEntry) -> list[bytes]:
    return batch_tree(session, batch).proof(entry.position)


@dataclass(frozen=True)
class PreparedClaim:
    """A claim checked against the chain, ready to be recorded (``tx`` is ``None`` for a replayed key)."""

    case_id: str
    tx: TxRequest | None
    #: the operation of a reservation the chain shows to be void (its claim was mined, then dropped by a
    #: reorg: the case is back in the pool at a later block); recording releases it
    void_reservation: str | None = None


def _live_claim(session: Session, case_id: str, void: str | None = None) -> CaseClaim | None:
    """The case's reservation unless its claim failed or is ``void``; such a one is released (deleted)."""
    held = session.get(CaseClaim, case_id)
    if held is None:
        return None
    op = session.get(Operation, held.operation_id)
    if op is not None and op.status != "failed" and held.operation_id != void:
        return held
    session.delete(held)
    session.flush()
    return None


def _claiming(case_id: str, holder: str, operation_id: str | None = None) -> CaseAlreadyClaimedError:
    where = f" (operation {operation_id})" if operation_id else ""
    return CaseAlreadyClaimedError(
        f"case {case_id} is being claimed by {holder}{where}", case_id=case_id, collector=holder, case_status="claiming"
    )


def prepare_claim(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> PreparedClaim:
    """The chain-side checks of a claim (case not taken, collector eligible) and its transaction; read-only."""
    entry = _entry(session, case_id)
    replay = session.exec(
        select(Operation).where(Operation.institution == institution.name, Operation.idempotency_key == key)
    ).first()
    if replay is not None:
        return PreparedClaim(entry.case_id, None)
    batch = _batch_of(session, entry)
    chain_batch = resolve_chain_batch_id(session, recourse, batch)
    snap = _snapshot(recourse, entry, institution.address)
    _refuse_taken(snap.record, entry, snap.block_time)
    if snap.block_time > entry.deadline:
        raise CaseClosedError(f"case {entry.case_id} passed its deadline {entry.deadline}", case_status="expired")
    _check_eligible(snap, institution.address, entry.region)
    held = session.get(CaseClaim, entry.case_id)
    void: str | None = None
    if held is not None:
        op = session.get(Operation, held.operation_id)
        # a claim mined at or before the block just read, yet the case is in the pool there: a reorg
        # dropped it, so its reservation no longer holds the case
        dropped = op is not None and op.status == "succeeded" and (op.block_number or 0) <= snap.block_number
        if dropped:
            void = held.operation_id
        elif op is not None and op.status != "failed":
            raise _claiming(entry.case_id, held.collector, held.operation_id)
    tx = recourse.cases.claim_request(chain_batch, case_terms(entry), _proof(session, batch, entry))
    return PreparedClaim(entry.case_id, tx, void)


def record_claim(
    *, session: Session, institution: Institution, key: str, prepared: PreparedClaim
) -> tuple[Operation, bool]:
    """Reserve the case and persist the claim operation, atomically (the reservation's primary key decides
    between concurrent claims). Inside a group commit it leaves the commit to the committer."""
    body = {"case_id": prepared.case_id}
    kind = "cases.claim"
    replay = session.exec(
        select(Operation).where(Operation.institution == institution.name, Operation.idempotency_key == key)
    ).first()
    if replay is not None:
        if replay.request_hash != request_hash(kind, body):
            raise IdempotencyConflictError(
                f"Idempotency-Key {key!r} was used for a different request (operation {replay.id})",
                operation_id=replay.id,
            )
        return replay, False
    if prepared.tx is None:  # pragma: no cover - the replayed operation cannot disappear
        raise CaseStateError(f"operation for Idempotency-Key {key!r} vanished")
    held = _live_claim(session, prepared.case_id, prepared.void_reservation)
    if held is not None:
        raise _claiming(prepared.case_id, held.collector, held.operation_id)
    (op,) = _stage_ops(session, institution, [_OpSpec(key, kind, body, prepared.tx)])
    session.add(
        CaseClaim(
            case_id=prepared.case_id, institution=institution.name, collector=institution.address, operation_id=op.id
        )
    )
    if session.info.get(IN_GROUP):
        return op, True
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        again = session.exec(
            select(Operation).where(Operation.institution == institution.name, Operation.idempotency_key == key)
        ).first()
        if again is not None:
            return again, False
        winner = session.get(CaseClaim, prepared.case_id)
        raise _claiming(prepared.case_id, winner.collector if winner is not None else "another collector") from exc
    session.refresh(op)
    return op, True


def submit_claim(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> tuple[Operation, bool]:
    """Queue a claim (see the module docstring); 409 if the case is taken or being claimed."""
    prepared = prepare_claim(session=session, recourse=recourse, institution=institution, key=key, case_id=case_id)
    return record_claim(session=session, institution=institution, key=key, prepared=prepared)


def _case_and_batch(session: Session, recourse: Recourse, case_id: str) -> tuple[CaseEntry, CaseBatch, int]:
    entry = _entry(session, case_id)
    batch = _batch_of(session, entry)
    return entry, batch, resolve_chain_batch_id(session, recourse, batch)


def _own_batch(batch: CaseBatch, institution: Institution) -> None:
    if batch.institution != institution.name:
        raise CaseNotYoursError(f"batch {batch.id} was published by {batch.institution}, not {institution.name}")


def _require_status(record: CaseRecord, entry: CaseEntry, allowed: Sequence[CaseStatus], action: str) -> None:
    if record.status not in allowed:
        if record.status.final:
            raise CaseClosedError(
                f"case {entry.case_id} is closed ({record.status.label})", case_status=record.status.label
            )
        raise CaseStateError(
            f"cannot {action} case {entry.case_id}: it is {_label(record)}",
            case_status=_label(record),
            needs=[s.label for s in allowed],
        )


def _require_collector(record: CaseRecord, entry: CaseEntry, institution: Institution) -> None:
    if record.collector != institution.address:
        raise CaseNotYoursError(f"case {entry.case_id} is not held by {institution.name} ({institution.address})")


def submit_offer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    collector: str,
    window_seconds: int,
) -> tuple[Operation, bool]:
    entry, batch, chain_batch = _case_and_batch(session, recourse, case_id)
    _own_batch(batch, institution)
    to = to_checksum_address(collector)
    snap = _snapshot(recourse, entry, to)
    _refuse_taken(snap.record, entry, snap.block_time)
    _check_eligible(snap, to, entry.region)
    tx = recourse.cases.offer_request(chain_batch, case_terms(entry), _proof(session, batch, entry), to, window_seconds)
    body = {"case_id": entry.case_id, "collector": to, "window_seconds": window_seconds}
    ops, created = _submit_chain(session, institution, [_OpSpec(key, "cases.offer", body, tx)])
    return ops[0], created


def _answer(
    session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str, *, accept: bool
) -> tuple[Operation, bool]:
    entry = _entry(session, case_id)
    snap = _snapshot(recourse, entry, institution.address)
    _require_status(snap.record, entry, (CaseStatus.OFFERED,), "answer an offer on")
    _require_collector(snap.record, entry, institution)
    if accept:
        _check_eligible(snap, institution.address, entry.region)
    cases = recourse.cases
    tx = cases.accept_request(entry.case_id) if accept else cases.decline_request(entry.case_id)
    kind = "cases.accept" if accept else "cases.decline"
    ops, created = _submit_chain(session, institution, [_OpSpec(key, kind, {"case_id": entry.case_id}, tx)])
    return ops[0], created


def submit_accept(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> tuple[Operation, bool]:
    return _answer(session, recourse, institution, key, case_id, accept=True)


def submit_decline(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> tuple[Operation, bool]:
    return _answer(session, recourse, institution, key, case_id, accept=False)


def _evidence_specs(
    recourse: Recourse, key: str, digest: str, root: str | None, proof: Sequence[str]
) -> tuple[list[_OpSpec], bytes, bytes, list[bytes]]:
    """The anchoring operation needed first (if any), and the (digest, root, proof) to report."""
    d = to_bytes32(digest)
    if root is not None:
        r, p = to_bytes32(root), [to_bytes32(x) for x in proof]
        try:
            ok = recourse.evidence.verify(r, d, p)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot check the evidence: {exc}") from exc
        if not ok:
            raise InvalidInputError(f"evidence digest {digest} is not proven in an anchored root {root}")
        return [], d, r, p
    r = leaf_hash(d)
    try:
        anchored = recourse.evidence.is_anchored(r)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot check the evidence: {exc}") from exc
    if anchored:
        return [], d, r, []
    spec = _OpSpec(
        f"{key}:anchor",
        "cases.anchor_evidence",
        {"digest": _hex(d), "root": _hex(r)},
        recourse.evidence.anchor_request(r, 1),
    )
    return [spec], d, r, []


def submit_action(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    action_code: int,
    evidence_digest: str,
    evidence_root: str | None,
    evidence_proof: Sequence[str],
) -> tuple[list[Operation], bool]:
    entry = _entry(session, case_id)
    record, _ = _chain_record(recourse, entry)
    _require_status(record, entry, _HELD, "report an action on")
    _require_collector(record, entry, institution)
    pre, d, r, p = _evidence_specs(recourse, key, evidence_digest, evidence_root, evidence_proof)
    tx = recourse.cases.report_action_request(entry.case_id, action_code, d, r, p)
    body = {"case_id": entry.case_id, "action_code": action_code, "evidence_digest": _hex(d), "evidence_root": _hex(r)}
    return _submit_chain(session, institution, [*pre, _OpSpec(key, "cases.report_action", body, tx)])


def submit_recovery(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    amount_fen: int,
    evidence_digest: str,
    evidence_root: str | None,
    evidence_proof: Sequence[str],
) -> tuple[list[Operation], bool]:
    entry = _entry(session, case_id)
    record, _ = _chain_record(recourse, entry)
    _require_status(record, entry, (CaseStatus.CLAIMED,), "report a recovery on")
    _require_collector(record, entry, institution)
    most = record.overdue_amount - record.recovered
    if amount_fen > most:
        raise InvalidInputError(f"amount_fen {amount_fen} exceeds what is still overdue ({most} fen)", max_fen=most)
    pre, d, r, p = _evidence_specs(recourse, key, evidence_digest, evidence_root, evidence_proof)
    tx = recourse.cases.report_recovery_request(entry.case_id, amount_fen, d, r, p)
    body = {"case_id": entry.case_id, "amount_fen": amount_fen, "evidence_digest": _hex(d), "evidence_root": _hex(r)}
    return _submit_chain(session, institution, [*pre, _OpSpec(key, "cases.report_recovery", body, tx)])


def _bank_case_op(
    session: Session,
    recourse: Recourse,
    institution: Institution,
    case_id: str,
    allowed: Sequence[CaseStatus],
    action: str,
) -> tuple[CaseEntry, CaseRecord, int]:
    """The case, its on-chain record and the chain's time, once the caller's bank is known to own it."""
    entry = _entry(session, case_id)
    _own_batch(_batch_of(session, entry), institution)
    record, now = _chain_record(recourse, entry)
    _require_status(record, entry, allowed, action)
    return entry, record, now


def submit_confirm(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str, close_case: bool
) -> tuple[Operation, bool]:
    entry, _, _ = _bank_case_op(
        session, recourse, institution, case_id, (CaseStatus.RECOVERY_REPORTED,), "confirm a recovery on"
    )
    tx = recourse.cases.confirm_recovery_request(entry.case_id, close_case=close_case)
    body = {"case_id": entry.case_id, "close_case": close_case}
    ops, created = _submit_chain(session, institution, [_OpSpec(key, "cases.confirm_recovery", body, tx)])
    return ops[0], created


def submit_reject(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str, reason_code: int
) -> tuple[Operation, bool]:
    entry, _, _ = _bank_case_op(
        session, recourse, institution, case_id, (CaseStatus.RECOVERY_REPORTED,), "reject a recovery on"
    )
    tx = recourse.cases.reject_recovery_request(entry.case_id, reason_code)
    body = {"case_id": entry.case_id, "reason_code": reason_code}
    ops, created = _submit_chain(session, institution, [_OpSpec(key, "cases.reject_recovery", body, tx)])
    return ops[0], created


def submit_recall(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> tuple[Operation, bool]:
    entry, record, now = _bank_case_op(
        session, recourse, institution, case_id, (CaseStatus.NONE, CaseStatus.OFFERED, CaseStatus.CLAIMED), "recall"
    )
    in_pool = record.status is CaseStatus.NONE or (record.status is CaseStatus.OFFERED and now > record.offer_expiry)
    if in_pool:  # nobody holds it (perhaps nobody ever touched it): prove its terms against the batch root
        batch = _batch_of(session, entry)
        chain_batch = resolve_chain_batch_id(session, recourse, batch)
        tx = recourse.cases.recall_from_pool_request(chain_batch, case_terms(entry), _proof(session, batch, entry))
    else:
        tx = recourse.cases.recall_request(entry.case_id)
    ops, created = _submit_chain(session, institution, [_OpSpec(key, "cases.recall", {"case_id": entry.case_id}, tx)])
    return ops[0], created


def submit_return(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> tuple[Operation, bool]:
    entry = _entry(session, case_id)
    record, now = _chain_record(recourse, entry)
    _require_status(record, entry, (CaseStatus.CLAIMED, CaseStatus.OFFERED), "return")
    if now <= record.deadline:
        raise CaseStateError(
            f"case {entry.case_id} can be returned only after its deadline {record.deadline}", deadline=record.deadline
        )
    tx = recourse.cases.return_case_request(entry.case_id)
    ops, created = _submit_chain(session, institution, [_OpSpec(key, "cases.return", {"case_id": entry.case_id}, tx)])
    return ops[0], created


def submit_withdraw_fees(
    *, session: Session, recourse: Recourse, institution: Institution, key: str
) -> tuple[Operation, bool]:
    owed, _ = read_fees(recourse=recourse, collector=institution.address)
    if owed == 0:
        raise CaseStateError(f"no fees owed to {institution.name}", owed_fen=0)
    body = {"collector": institution.address, "owed_fen_at_request": owed}
    tx = recourse.cases.withdraw_fees_request()
    ops, created = _submit_chain(session, institution, [_OpSpec(key, "cases.withdraw_fees", body, tx)])
    return ops[0], created


def _own_published_batch(
    session: Session, recourse: Recourse, institution: Institution, batch_id: str
) -> tuple[CaseBatch, int]:
    batch = session.get(CaseBatch, batch_id)
    if batch is None:
        raise CaseNotFoundError(f"no batch {batch_id}")
    _own_batch(batch, institution)
    return batch, resolve_chain_batch_id(session, recourse, batch)


def submit_withdraw_unspent(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, batch_id: str
) -> tuple[Operation, bool]:
    batch, chain_batch = _own_published_batch(session, recourse, institution, batch_id)
    try:
        b = recourse.cases.batch(chain_batch)
        now = recourse.client.block_timestamp()
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the batch: {exc}") from exc
    if b.settled:
        raise CaseStateError(f"batch {batch.id} is already settled")
    if now <= b.closes_at or b.open_cases:
        raise CaseStateError(
            f"batch {batch.id} can be settled after {b.closes_at} with no open case ({b.open_cases} open)",
            closes_at=b.closes_at,
            open_cases=b.open_cases,
        )
    tx = recourse.cases.withdraw_unspent_request(chain_batch)
    ops, created = _submit_chain(
        session, institution, [_OpSpec(key, "cases.withdraw_unspent", {"batch_id": batch.id}, tx)]
    )
    return ops[0], created


def submit_top_up(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, batch_id: str, amount_fen: int
) -> tuple[list[Operation], bool]:
    batch, chain_batch = _own_published_batch(session, recourse, institution, batch_id)
    cases = recourse.cases
    specs = [
        _OpSpec(
            f"{key}:approve",
            "cases.approve_budget",
            {"spender": cases.address, "amount_fen": amount_fen, "batch": batch.id},
            recourse.token.request("approve", cases.address, amount_fen),
        ),
        _OpSpec(
            key,
            "cases.top_up",
            {"batch_id": batch.id, "amount_fen": amount_fen},
            cases.top_up_budget_request(chain_batch, amount_fen),
        ),
    ]
    return _submit_chain(session, institution, specs)
