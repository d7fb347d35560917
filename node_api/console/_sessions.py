"""Signed-in console sessions, held on the server: the cookie carries only a random session id.

A session remembers the API key it was opened with (in this process's memory only, never in a cookie or a
log), so every request re-checks the key exactly as the HTTP API does: a revoked key or a suspended member
loses the console at once. Sessions end after ``idle_minutes`` without a request and after ``max_minutes`` in
any case; beyond ``max_sessions`` the least recently used is dropped. They live in the gateway process: behind
several workers, the load balancer must keep a browser on one worker (sticky sessions), or it signs in again.

Forms carry a CSRF token: an HMAC, under a secret drawn when the process starts, of the browser's own random
``rc_csrf`` cookie together with its session id (empty before sign-in). A forged form from another origin has
neither the cookie (``SameSite=Strict``) nor the token; a token lifted before sign-in is worthless after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["ConsoleSession", "SessionStore", "csrf_token", "csrf_valid"]


@dataclass
class ConsoleSession:
    id: str
    token: str = field(repr=False)
    institution: str
    key_id: str
    created: float
    seen: float


class SessionStore:
    def __init__(self, *, idle_seconds: float, max_seconds: float, capacity: int) -> None:
        self.idle, self.max, self.capacity = idle_seconds, max_seconds, capacity
        self._sessions: OrderedDict[str, ConsoleSession] = OrderedDict()
        self._lock = threading.Lock()
        self.secret = secrets.token_bytes(32)

    def open(self, *, token: str, institution: str, key_id: str) -> ConsoleSession:
        now = time.monotonic()
        session = ConsoleSession(
            id=secrets.token_urlsafe(32), token=token, institution=institution, key_id=key_id, created=now, seen=now
        )
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> ConsoleSession | None:
        if not session_id:
            return None
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.created > self.max:
                del self._sessions[session_id]
                return None
            session.seen = now
            self._sessions.move_to_end(session_id)
            return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)


def csrf_token(secret: bytes, browser: str, session_id: str | None) -> str:
    """The token a form of this browser (its ``rc_csrf`` cookie) in this session must carry."""
    message = f"{browser}\x00{session_id or ''}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, browser: str | None, session_id: str | None, sent: str | None) -> bool:
    if not browser or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, browser, session_id), sent)
