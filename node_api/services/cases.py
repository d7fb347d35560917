"""Case delegation, the gateway side of ``CaseDelegation``: publish batches, claim, offer, report, settle.

Publication (bank): the uploaded CSV/JSON is parsed by :func:`node_api.services.case_import.parse_cases`
(all rows or nothing); each case gets a case id (:func:`chain.contracts.case_delegation.derive_case_id`
with a fresh random batch salt), a fresh debtor salt and commitment; the terms (no personal data) form
the batch's Merkle tree. The debtors' data (PII vault rows), the batch and case rows, and the two
operations (``approve`` the fee budget, then ``publishBatch``) are committed in ONE database transaction:
either the whole batch is imported and will be published exactly once, or nothing is. The vault and case
rows are sent in executemany chunks of ``INSERT_CHUNK`` (2,000) inside that transaction, and each parsed
row is released once split, so a 100,000-row import never holds every row's parameters at once.

Claims (collector): the gateway first asks the chain whether the collector may claim the case now (a gas
estimate of the claim transaction from the collector's address: the contract's own checks, so a rule
lives only in ``CaseDelegation``; its refusal becomes a problem through
:mod:`node_api.services.chain_errors`: taken or closed → 409, ineligible → 403; its answer is the gas
limit the operation is sent with, so the writer does not estimate it again), then reserves the case in
``case_claims`` in the same transaction as the claim operation. The table's primary key makes the
reservation atomic, so of many concurrent claims through this gateway exactly one becomes an operation
and every other gets ``CAS-409``. A reservation whose operation failed (e.g. a claim through another
gateway won on chain) is released by the next claim. The chain stays the judge across gateways.

Every write here returns a :class:`~node_api.services.operations.Submission` (its operations and rows),
which the write route persists through the one idempotent write path (``submit_many``, in the group
commit); :func:`publish_batch`, whose rows are a whole case file, persists in a transaction of its own.

Reports attach an evidence digest that must be in an anchored ``EvidenceRegistry`` root: given a root
and proof they are used as is; otherwise the gateway anchors the digest alone (a one-leaf tree) as an
operation queued just before the report.

The case index (status, collector, recovered amount, fees) is the indexer's ``CaseDelegation``
projection (``node_api.projections.case_delegation``), updated with the events; single-case reads go to
the chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
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
    derive_case_id,
)
from chain.merkle import leaf_hash, to_bytes32
from chain.network import Recourse
from node_api.db.cases_models import CaseBatch, CaseClaim, CaseEntry
from node_api.db.models import Operation
from node_api.institutions import Institution
from node_api.problems import (
    BatchNotPublishedError,
    CaseAlreadyClaimedError,
    CaseClosedError,
    CaseNotFoundError,
    CaseNotYoursError,
    CaseStateError,
    ChainUnavailableError,
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
from node_api.services.casework.vault import INSERT_CHUNK, PiiVault
from node_api.services.chain_errors import dry_run
from node_api.services.operations import OpSpec, Submission, reads_chain, replayed, submit_many

__all__ = [
    "CASE_CONTRACT",
    "CaseFilter",
    "PublishResult",
    "batch_tree",
    "case_terms",
    "get_batch",
    "get_batch_public",
    "get_case",
    "list_batches",
    "list_cases",
    "publish_batch",
    "read_fees",
    "resolve_chain_batch_id",
    "submit_accept",
    "submit_answer",
    "submit_claim",
    "submit_decline",
    "submit_offer",
    "submit_recall",
    "submit_report",
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


def _submission(institution: Institution, *specs: OpSpec, extra_rows: Any = None) -> Submission:
    return Submission(institution.name, institution.address, specs, extra_rows)


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
    again = replayed(session, institution=institution.name, specs=(OpSpec(key, "cases.publish", body, None),))
    if again is not None:  # before parsing: a replay never imports the file again
        return _published(session, again[-1])

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
    specs = (
        OpSpec(
            f"{key}:approve",
            "cases.approve_budget",
            {"spender": cases.address, "amount_fen": fee_budget_fen, "batch": batch_uuid},
            recourse.token.request("approve", cases.address, fee_budget_fen),
        ),
        OpSpec(
            key, "cases.publish", body, cases.publish_batch_request(tree.root, len(tree), end, fee_budget_fen, meta)
        ),
    )
    stored: list[CaseBatch] = []

    def store(s: Session, ops: list[Operation]) -> None:
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
            approve_operation_id=ops[0].id,
            publish_operation_id=ops[1].id,
        )
        stored.append(batch)
        s.add(batch)
        s.flush()  # the batch row before its cases (foreign key)
        # vault rows, then case rows, INSERT_CHUNK at a time, all in the operations' one transaction: a
        # failure on any chunk (or at the commit) rolls back every chunk before it, the batch and the operations
        vault.put_many(s, _drain(vault_rows))
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
            s.execute(insert(CaseEntry), chunk)

    try:
        ops, created = submit_many(session, _submission(institution, *specs, extra_rows=store))
    except IntegrityError as exc:  # not the key (that is a replay): a case id or root that exists already
        raise InvalidInputError(
            f"the batch could not be stored, nothing was imported (a case id or root already exists?): {exc.orig}"
        ) from exc
    if not created:  # the same key committed concurrently
        return _published(session, ops[-1])
    _remember(batch_uuid, tree)
    (batch,) = stored
    session.refresh(batch)
    for op in ops:
        session.refresh(op)
    return PublishResult(batch, ops, True)


def _published(session: Session, publish_op: Operation) -> PublishResult:
    """The batch an earlier request with the same key published, with its two operations."""
    batch = session.exec(select(CaseBatch).where(CaseBatch.publish_operation_id == publish_op.id)).one()
    approve = session.get(Operation, batch.approve_operation_id)
    return PublishResult(batch, [op for op in (approve, publish_op) if op is not None], False)


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


def _ask_chain(
    recourse: Recourse, sender: str, tx: TxRequest, entry: CaseEntry, *, block: int | str = "latest"
) -> TxRequest:
    """Whether ``sender`` may send ``tx`` now, as the contract decides (:func:`dry_run`); a case taken by
    another is named with its current status. Returns ``tx`` with the chain's answer as its gas limit: the
    operation keeps it, and its writer sends it without estimating it again."""
    try:
        return replace(tx, gas=dry_run(recourse.client, sender, tx, block=block))
    except CaseAlreadyClaimedError as exc:
        record, _ = _chain_record(recourse, entry)  # the refusal's path only: offered, claimed, reported
        exc.extra["case_status"] = _label(record)
        raise


def _proof(session: Session, batch: CaseBatch, entry: CaseEntry) -> list[bytes]:
    return batch_tree(session, batch).proof(entry.position)


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


def _reserve(
    session: Session, ops: list[Operation], *, case_id: str, institution: Institution, void: str | None
) -> None:
    """The claim's reservation, stored with its operation: the table's primary key decides between
    concurrent claims through this gateway. ``void`` names a reservation the chain shows to be void (its
    claim was mined, then dropped by a reorg: the case is back in the pool); it is released."""
    held = _live_claim(session, case_id, void)
    if held is not None:
        raise _claiming(case_id, held.collector, held.operation_id)
    session.add(
        CaseClaim(case_id=case_id, institution=institution.name, collector=institution.address, operation_id=ops[0].id)
    )


def _reserved(session: Session, case_id: str) -> CaseAlreadyClaimedError:
    winner = session.get(CaseClaim, case_id)
    return _claiming(case_id, winner.collector if winner is not None else "another collector")


@reads_chain
def submit_claim(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> Submission:
    """A claim (see the module docstring): asked of the chain first (409 taken or closed, 403 ineligible),
    then 409 if another claim through this gateway holds the case's reservation."""
    entry = _entry(session, case_id)
    spec = OpSpec(key, "cases.claim", {"case_id": entry.case_id}, None)
    if replayed(session, institution=institution.name, specs=(spec,)) is not None:
        return _submission(institution, spec)  # the chain is not asked again: the write path replays it
    batch = _batch_of(session, entry)
    chain_batch = resolve_chain_batch_id(session, recourse, batch)
    tx = recourse.cases.claim_request(chain_batch, case_terms(entry), _proof(session, batch, entry))
    held = session.get(CaseClaim, entry.case_id)
    op = session.get(Operation, held.operation_id) if held is not None else None
    block: int | str = "latest"
    if op is not None and op.status == "succeeded":  # the block asked at matters only to the check below
        try:
            block = recourse.client.block_number()
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot read the chain: {exc}") from exc
    tx = _ask_chain(recourse, institution.address, tx, entry, block=block)
    void: str | None = None
    if held is not None and op is not None:
        # a claim mined at or before the block just asked, yet the case is in the pool there: a reorg
        # dropped it, so its reservation no longer holds the case
        if isinstance(block, int) and (op.block_number or 0) <= block:
            void = held.operation_id
        elif op.status != "failed":
            raise _claiming(entry.case_id, held.collector, held.operation_id)
    case = entry.case_id
    return Submission(
        institution.name,
        institution.address,
        (replace(spec, tx=tx),),
        extra_rows=partial(_reserve, case_id=case, institution=institution, void=void),
        taken=lambda s, _: _reserved(s, case),
    )


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


@reads_chain
def submit_offer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    collector: str,
    window_seconds: int,
) -> Submission:
    entry, batch, chain_batch = _case_and_batch(session, recourse, case_id)
    _own_batch(batch, institution)
    to = to_checksum_address(collector)
    tx = recourse.cases.offer_request(chain_batch, case_terms(entry), _proof(session, batch, entry), to, window_seconds)
    tx = _ask_chain(recourse, institution.address, tx, entry)  # in the pool, open, and ``to`` eligible
    body = {"case_id": entry.case_id, "collector": to, "window_seconds": window_seconds}
    return _submission(institution, OpSpec(key, "cases.offer", body, tx))


def _answer(
    session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str, *, accept: bool
) -> Submission:
    entry = _entry(session, case_id)
    record, _ = _chain_record(recourse, entry)
    _require_status(record, entry, (CaseStatus.OFFERED,), "answer an offer on")
    _require_collector(record, entry, institution)
    cases = recourse.cases
    tx = cases.accept_request(entry.case_id) if accept else cases.decline_request(entry.case_id)
    if accept:
        tx = _ask_chain(recourse, institution.address, tx, entry)  # the offer still open, the collector eligible
    kind = "cases.accept" if accept else "cases.decline"
    return _submission(institution, OpSpec(key, kind, {"case_id": entry.case_id}, tx))


@reads_chain
def submit_accept(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> Submission:
    return _answer(session, recourse, institution, key, case_id, accept=True)


@reads_chain
def submit_decline(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> Submission:
    return _answer(session, recourse, institution, key, case_id, accept=False)


def _evidence_specs(
    recourse: Recourse, key: str, digest: str, root: str | None, proof: Sequence[str]
) -> tuple[list[OpSpec], bytes, bytes, list[bytes]]:
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
    spec = OpSpec(
        f"{key}:anchor",
        "cases.anchor_evidence",
        {"digest": _hex(d), "root": _hex(r)},
        recourse.evidence.anchor_request(r, 1),
    )
    return [spec], d, r, []


@reads_chain
def submit_report(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    evidence_digest: str,
    evidence_root: str | None,
    evidence_proof: Sequence[str],
    action_code: int | None = None,
    amount_fen: int | None = None,
) -> Submission:
    """A collector's report on a case it holds: an action (``action_code``) or a recovery (``amount_fen``),
    with its evidence digest (anchored alone first when no root is given)."""
    if amount_fen is None:
        entry, _, _ = _case_of(session, recourse, institution, case_id, _HELD, "report an action on", party="collector")
        field, value = "action_code", action_code
    else:
        entry, record, _ = _case_of(
            session, recourse, institution, case_id, (CaseStatus.CLAIMED,), "report a recovery on", party="collector"
        )
        most = record.overdue_amount - record.recovered
        if amount_fen > most:
            raise InvalidInputError(f"amount_fen {amount_fen} exceeds what is still overdue ({most} fen)", max_fen=most)
        field, value = "amount_fen", amount_fen
    if value is None:  # pragma: no cover - the request models require one of the two
        raise InvalidInputError("a report needs action_code or amount_fen")
    pre, d, r, p = _evidence_specs(recourse, key, evidence_digest, evidence_root, evidence_proof)
    cases = recourse.cases
    if field == "action_code":
        kind, tx = "cases.report_action", cases.report_action_request(entry.case_id, value, d, r, p)
    else:
        kind, tx = "cases.report_recovery", cases.report_recovery_request(entry.case_id, value, d, r, p)
    body = {"case_id": entry.case_id, field: value, "evidence_digest": _hex(d), "evidence_root": _hex(r)}
    return _submission(institution, *pre, OpSpec(key, kind, body, tx))


def _case_of(
    session: Session,
    recourse: Recourse,
    institution: Institution,
    case_id: str,
    allowed: Sequence[CaseStatus],
    action: str,
    *,
    party: Literal["bank", "collector"],
) -> tuple[CaseEntry, CaseRecord, int]:
    """The case, its on-chain record and the chain's time, once the caller is known to be its ``party``
    (the bank that published it, or the collector holding it) and the case to be in an ``allowed`` state."""
    entry = _entry(session, case_id)
    if party == "bank":
        _own_batch(_batch_of(session, entry), institution)
    record, now = _chain_record(recourse, entry)
    _require_status(record, entry, allowed, action)
    if party == "collector":
        _require_collector(record, entry, institution)
    return entry, record, now


@reads_chain
def submit_answer(
    *,
    session: Session,
    recourse: Recourse,
    institution: Institution,
    key: str,
    case_id: str,
    close_case: bool = False,
    reason_code: int | None = None,
) -> Submission:
    """The bank's answer to a reported recovery: confirm it (the fee is credited; ``close_case`` closes a
    partly recovered case) or, with a ``reason_code``, reject it."""
    verb = "confirm" if reason_code is None else "reject"
    entry, _, _ = _case_of(
        session, recourse, institution, case_id, (CaseStatus.RECOVERY_REPORTED,), f"{verb} a recovery on", party="bank"
    )
    cases = recourse.cases
    if reason_code is None:
        body: dict[str, Any] = {"case_id": entry.case_id, "close_case": close_case}
        spec = OpSpec(
            key, "cases.confirm_recovery", body, cases.confirm_recovery_request(entry.case_id, close_case=close_case)
        )
    else:
        body = {"case_id": entry.case_id, "reason_code": reason_code}
        spec = OpSpec(key, "cases.reject_recovery", body, cases.reject_recovery_request(entry.case_id, reason_code))
    return _submission(institution, spec)


@reads_chain
def submit_recall(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> Submission:
    entry, record, now = _case_of(
        session,
        recourse,
        institution,
        case_id,
        (CaseStatus.NONE, CaseStatus.OFFERED, CaseStatus.CLAIMED),
        "recall",
        party="bank",
    )
    in_pool = record.status is CaseStatus.NONE or (record.status is CaseStatus.OFFERED and now > record.offer_expiry)
    if in_pool:  # nobody holds it (perhaps nobody ever touched it): prove its terms against the batch root
        batch = _batch_of(session, entry)
        chain_batch = resolve_chain_batch_id(session, recourse, batch)
        tx = recourse.cases.recall_from_pool_request(chain_batch, case_terms(entry), _proof(session, batch, entry))
    else:
        tx = recourse.cases.recall_request(entry.case_id)
    return _submission(institution, OpSpec(key, "cases.recall", {"case_id": entry.case_id}, tx))


@reads_chain
def submit_return(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, case_id: str
) -> Submission:
    entry = _entry(session, case_id)
    record, now = _chain_record(recourse, entry)
    _require_status(record, entry, (CaseStatus.CLAIMED, CaseStatus.OFFERED), "return")
    if now <= record.deadline:
        raise CaseStateError(
            f"case {entry.case_id} can be returned only after its deadline {record.deadline}", deadline=record.deadline
        )
    tx = recourse.cases.return_case_request(entry.case_id)
    return _submission(institution, OpSpec(key, "cases.return", {"case_id": entry.case_id}, tx))


@reads_chain
def submit_withdraw_fees(
    *,
    session: Session,  # noqa: ARG001 - every write's planner is called with a session; this one needs none
    recourse: Recourse,
    institution: Institution,
    key: str,
) -> Submission:
    owed, _ = read_fees(recourse=recourse, collector=institution.address)
    if owed == 0:
        raise CaseStateError(f"no fees owed to {institution.name}", owed_fen=0)
    body = {"collector": institution.address, "owed_fen_at_request": owed}
    tx = recourse.cases.withdraw_fees_request()
    return _submission(institution, OpSpec(key, "cases.withdraw_fees", body, tx))


def _own_published_batch(
    session: Session, recourse: Recourse, institution: Institution, batch_id: str
) -> tuple[CaseBatch, int]:
    batch = session.get(CaseBatch, batch_id)
    if batch is None:
        raise CaseNotFoundError(f"no batch {batch_id}")
    _own_batch(batch, institution)
    return batch, resolve_chain_batch_id(session, recourse, batch)


@reads_chain
def submit_withdraw_unspent(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, batch_id: str
) -> Submission:
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
    return _submission(institution, OpSpec(key, "cases.withdraw_unspent", {"batch_id": batch.id}, tx))


@reads_chain
def submit_top_up(
    *, session: Session, recourse: Recourse, institution: Institution, key: str, batch_id: str, amount_fen: int
) -> Submission:
    batch, chain_batch = _own_published_batch(session, recourse, institution, batch_id)
    cases = recourse.cases
    return _submission(
        institution,
        OpSpec(
            f"{key}:approve",
            "cases.approve_budget",
            {"spender": cases.address, "amount_fen": amount_fen, "batch": batch.id},
            recourse.token.request("approve", cases.address, amount_fen),
        ),
        OpSpec(
            key,
            "cases.top_up",
            {"batch_id": batch.id, "amount_fen": amount_fen},
            cases.top_up_budget_request(chain_batch, amount_fen),
        ),
    )
