"""API keys: ``rk_<id>.<secret>``; only an HMAC of the secret is stored. Each key has scopes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from sqlmodel import Session, col, select

from node_api.db.models import ApiKey, utcnow
from node_api.problems import InvalidInputError, NotAuthenticatedError, NotFoundError

__all__ = ["SCOPES", "create_api_key", "list_api_keys", "revoke_api_key", "verify_api_key"]

#: every scope a key can hold; ``*`` grants all of them
SCOPES = (
    "members:read",
    "operations:read",
    "tokens:read",
    "tokens:write",
    "tokens:mint",
    "events:read",
    "webhooks:write",
)


def _hash(secret: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def create_api_key(
    *, session: Session, institution: str, scopes: Sequence[str], label: str, pepper: str
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext token (shown once, never stored)."""
    bad = [s for s in scopes if s != "*" and s not in SCOPES]
    if bad or not scopes:
        raise InvalidInputError(f"unknown scope(s) {bad or '[]'}; choose from {', '.join(SCOPES)} or *")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id, institution=institution, label=label, secret_hash=_hash(secret, pepper), scopes=list(scopes)
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, f"rk_{key_id}.{secret}"


def verify_api_key(*, session: Session, token: str, pepper: str) -> ApiKey:
    if not token.startswith("rk_") or "." not in token:
        raise NotAuthenticatedError("malformed API key: expected rk_<id>.<secret>")
    key_id, _, secret = token[3:].partition(".")
    row = session.get(ApiKey, key_id)
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret, pepper)):
        raise NotAuthenticatedError("unknown API key")
    if row.revoked_at is not None:
        raise NotAuthenticatedError("this API key has been revoked")
    return row


def list_api_keys(*, session: Session, institution: str | None = None) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(col(ApiKey.created_at))
    if institution:
        stmt = stmt.where(ApiKey.institution == institution)
    return list(session.exec(stmt).all())


def revoke_api_key(*, session: Session, key_id: str) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError(f"no API key {key_id!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
        session.refresh(row)
    return row
