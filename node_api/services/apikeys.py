"""API keys: ``rk_<id>.<secret>``; only an HMAC of the secret is stored. Each key has scopes.

:class:`ApiKeyCache` lets the gateway authenticate from memory: it holds each key's id, institution,
scopes, revocation and the stored HMAC (never a secret), reloads them all every ``refresh`` seconds in a
background thread (so a key revoked by ``recourse apikeys revoke`` in another process is refused within
that time) and reads the database only for a key id it has not seen yet.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from node_api.db.models import ApiKey, utcnow
from node_api.problems import InvalidInputError, NotAuthenticatedError, NotFoundError
from node_api.scopes import SCOPES

__all__ = ["SCOPES", "ApiKeyCache", "KnownKey", "create_api_key", "list_api_keys", "revoke_api_key", "verify_api_key"]

logger = logging.getLogger(__name__)


def _hash(secret: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).hexdigest()


def create_api_key(
    *, session: Session, institution: str, scopes: Sequence[str], label: str, pepper: str
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext token (shown once, never stored)."""
    bad = [s for s in scopes if s != "*" and s not in SCOPES]
    if bad or not scopes:
        raise InvalidInputError(
            f"unknown scope(s) {bad or '[]'}; the scopes are listed by `recourse apikeys create --help`"
        )
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id, institution=institution, label=label, secret_hash=_hash(secret, pepper), scopes=list(scopes)
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, f"rk_{key_id}.{secret}"


def _split(token: str) -> tuple[str, str]:
    if not token.startswith("rk_") or "." not in token:
        raise NotAuthenticatedError("malformed API key: expected rk_<id>.<secret>")
    key_id, _, secret = token[3:].partition(".")
    return key_id, secret


def verify_api_key(*, session: Session, token: str, pepper: str) -> ApiKey:
    key_id, secret = _split(token)
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


@dataclass(frozen=True)
class KnownKey:
    """What authentication needs of a stored key (the HMAC, never the secret)."""

    id: str
    institution: str
    scopes: frozenset[str]
    secret_hash: str
    revoked: bool

    @classmethod
    def of(cls, row: ApiKey) -> KnownKey:
        return cls(row.id, row.institution, frozenset(row.scopes), row.secret_hash, row.revoked_at is not None)


class ApiKeyCache:
    """Verified API keys in memory; see the module docstring."""

    def __init__(self, engine: Engine, pepper: str, *, refresh: float = 0.5) -> None:
        self._engine = engine
        self._pepper = pepper
        self._refresh = refresh
        self._keys: dict[str, KnownKey] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.reload()
        self._thread = threading.Thread(target=self._run, name="api-key-cache", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._refresh):
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - keep serving the last known keys; retry next period
                logger.exception("apikeys.reload.error")

    def reload(self) -> None:
        """Replace the cache with every stored key (revocations made by other processes included)."""
        with Session(self._engine) as s:
            rows = s.exec(select(ApiKey)).all()
            self._keys = {r.id: KnownKey.of(r) for r in rows}

    def invalidate(self, key_id: str) -> None:
        self._keys.pop(key_id, None)

    def verify(self, token: str) -> KnownKey | None:
        """The key of ``token`` from memory; ``None`` if its id is not cached (ask :meth:`load`).

        Raises ``NotAuthenticatedError`` for a malformed token, a wrong secret or a revoked key."""
        key_id, secret = _split(token)
        known = self._keys.get(key_id)
        if known is None:
            return None
        return self._check(known, secret)

    def load(self, token: str) -> KnownKey:
        """Verify ``token`` against the database (a key created since the last reload) and cache it."""
        key_id, secret = _split(token)
        with Session(self._engine) as s:
            row = s.get(ApiKey, key_id)
            if row is None:
                raise NotAuthenticatedError("unknown API key")
            known = KnownKey.of(row)
        self._keys[key_id] = known
        return self._check(known, secret)

    def _check(self, known: KnownKey, secret: str) -> KnownKey:
        if not hmac.compare_digest(known.secret_hash, _hash(secret, self._pepper)):
            raise NotAuthenticatedError("unknown API key")
        if known.revoked:
            raise NotAuthenticatedError("this API key has been revoked")
        return known
