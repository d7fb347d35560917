"""Operations: durable, idempotent chain writes.

``submit`` persists the operation (status ``pending``) before the API acknowledges it. The same
``Idempotency-Key`` with the same request returns the original operation; with a different request it
raises ``IdempotencyConflictError`` (409).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chain.client import TxRequest
from node_api.db.models import Operation
from node_api.problems import IdempotencyConflictError, NotFoundError

__all__ = ["get_operation", "list_operations", "request_hash", "submit_operation"]


def request_hash(kind: str, body: dict[str, Any]) -> str:
    blob = json.dumps({"kind": kind, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _existing(session: Session, institution: str, key: str) -> Operation | None:
    stmt = select(Operation).where(Operation.institution == institution, Operation.idempotency_key == key)
    return session.exec(stmt).first()


def submit_operation(
    *,
    session: Session,
    institution: str,
    sender: str,
    idempotency_key: str,
    kind: str,
    body: dict[str, Any],
    tx: TxRequest,
) -> tuple[Operation, bool]:
    """Persist a pending operation; returns ``(operation, created)``."""
    digest = request_hash(kind, body)
    found = _existing(session, institution, idempotency_key)
    if found is not None:
        return _replay(found, digest), False
    op = Operation(
        id=str(uuid.uuid4()),
        institution=institution,
        sender=sender,
        idempotency_key=idempotency_key,
        request_hash=digest,
        kind=kind,
        request=body,
        to_address=tx.to,
        data="0x" + tx.data.hex(),
        value=tx.value,
    )
    session.add(op)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        found = _existing(session, institution, idempotency_key)
        if found is None:
            raise
        return _replay(found, digest), False
    session.refresh(op)
    return op, True


def _replay(found: Operation, digest: str) -> Operation:
    if found.request_hash != digest:
        raise IdempotencyConflictError(
            f"Idempotency-Key {found.idempotency_key!r} was used for a different request "
            f"(operation {found.id}); use a new key for a new request",
            operation_id=found.id,
        )
    return found


def get_operation(*, session: Session, institution: str, operation_id: str) -> Operation:
    op = session.get(Operation, operation_id)
    if op is None or op.institution != institution:
        raise NotFoundError(f"no operation {operation_id}")
    return op


def list_operations(
    *, session: Session, institution: str, status: str | None, limit: int, offset: int
) -> tuple[Sequence[Operation], int]:
    stmt = select(Operation).where(Operation.institution == institution)
    if status:
        stmt = stmt.where(Operation.status == status)
    rows = session.exec(stmt.order_by(col(Operation.created_at).desc()).offset(offset).limit(limit)).all()
    total = len(session.exec(select(Operation.id).where(Operation.institution == institution)).all())
    return rows, total
