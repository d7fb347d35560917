"""Webhook subscriptions of an institution, and how a delivery is signed.

A subscription names an http(s) URL and optional contract / event filters. Each delivery is one event
(the same JSON as ``GET /events`` and the SSE ``data``), POSTed with:

* ``X-Recourse-Signature: sha256=<hex>`` — HMAC-SHA256 of the exact request body with the
  subscription's secret (returned once, when the subscription is created);
* ``X-Recourse-Event-Key`` — the event key, for de-duplication (delivery is at-least-once);
* ``X-Recourse-Webhook-Id`` and ``X-Recourse-Event`` (``Contract.EventName``).

Verify on the receiver: ``hmac.compare_digest(header, "sha256=" + hmac.new(secret, body, sha256).hexdigest())``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from node_api.db.models import Webhook
from node_api.problems import InvalidInputError, NotFoundError
from node_api.services.events import EventFilter, latest_event_key, parse_event_key
from node_api.services.operations import conflict, request_hash, write_once

__all__ = [
    "MAX_WEBHOOKS",
    "SIGNATURE_HEADER",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookPublic",
    "WebhooksPublic",
    "create_webhook",
    "delete_webhook",
    "list_webhooks",
    "sign_body",
    "validate_url",
]

SIGNATURE_HEADER = "X-Recourse-Signature"
#: subscriptions one institution may hold
MAX_WEBHOOKS = 100


class WebhookCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL that receives POSTed events")
    contracts: list[str] = Field(default_factory=list, max_length=32, description="contract names; empty = all")
    events: list[str] = Field(
        default_factory=list, max_length=64, description="event names (Transfer) or Contract.Event; empty = all"
    )
    start: Literal["newest", "oldest"] = Field(
        default="newest",
        description="newest: only events indexed after the subscription is created; oldest: every event",
    )
    after: str | None = Field(
        default=None, max_length=27, description="resume after this event key (overrides `start`)"
    )


class WebhookPublic(BaseModel):
    id: str
    url: str
    contracts: list[str]
    events: list[str]
    active: bool
    cursor: str = Field(description="key of the last event delivered with a 2xx answer")
    delivered: int
    attempts: int = Field(description="failed attempts for the next event (0 when healthy)")
    next_attempt_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="HMAC-SHA256 key for X-Recourse-Signature; shown only in this response")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


def validate_url(url: str) -> str:
    """Only absolute http(s) URLs with a host (redirects are never followed when delivering)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError as exc:
        raise InvalidInputError(f"invalid webhook URL: {exc}", field="url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("a webhook URL must be an absolute http:// or https:// URL", field="url")
    if any(ch.isspace() for ch in text):
        raise InvalidInputError("a webhook URL must not contain whitespace", field="url")
    return text


def sign_body(secret: str, body: bytes) -> str:
    """The ``X-Recourse-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _public(row: Webhook) -> WebhookPublic:
    return WebhookPublic(
        id=row.id,
        url=row.url,
        contracts=list(row.contracts),
        events=list(row.events),
        active=row.active,
        cursor=row.cursor,
        delivered=row.delivered,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
    )


def _created(row: Webhook) -> WebhookCreated:
    return WebhookCreated(**_public(row).model_dump(), secret=row.secret)


def create_webhook(
    *,
    session: Session,
    institution: str,
    body: WebhookCreate,
    catalogue: Mapping[str, frozenset[str]],
    idempotency_key: str | None = None,
) -> WebhookCreated:
    """Subscribe; with ``idempotency_key`` a replay (same key, same body) returns the original
    subscription (with its secret) and a different body raises ``IdempotencyConflictError`` (409)."""
    digest = request_hash("webhook.create", body.model_dump(mode="json"))

    def find(s: Session) -> Webhook | None:
        if idempotency_key is None:
            return None
        row = s.exec(
            select(Webhook).where(Webhook.institution == institution, Webhook.idempotency_key == idempotency_key)
        ).first()
        if row is not None and row.request_hash != digest:
            raise conflict(idempotency_key, f"webhook {row.id}", webhook_id=row.id)
        return row

    def create(s: Session) -> Webhook:
        url = validate_url(body.url)
        flt = EventFilter.parse(contracts=body.contracts, events=body.events, catalogue=catalogue)
        count = len(s.exec(select(Webhook.id).where(Webhook.institution == institution)).all())
        if count >= MAX_WEBHOOKS:
            raise InvalidInputError(f"an institution may hold at most {MAX_WEBHOOKS} webhooks; delete one first")
        if body.after is not None:
            cursor = parse_event_key(body.after) if body.after else ""
        else:
            cursor = latest_event_key(session=s) if body.start == "newest" else ""
        row = Webhook(
            id=str(uuid.uuid4()),
            institution=institution,
            url=url,
            secret="whsec_" + secrets.token_hex(32),
            contracts=sorted(flt.contracts),
            events=flt.event_list,
            cursor=cursor,
            idempotency_key=idempotency_key,
            request_hash=digest if idempotency_key is not None else None,
        )
        s.add(row)
        return row

    row, _ = write_once(session, find=find, create=create)
    return _created(row)


def list_webhooks(*, session: Session, institution: str) -> WebhooksPublic:
    rows = session.exec(
        select(Webhook).where(Webhook.institution == institution).order_by(col(Webhook.created_at), col(Webhook.id))
    ).all()
    return WebhooksPublic(data=[_public(r) for r in rows], count=len(rows))


def delete_webhook(*, session: Session, institution: str, webhook_id: str) -> None:
    row = session.get(Webhook, webhook_id)
    if row is None or row.institution != institution:
        raise NotFoundError(f"no webhook {webhook_id!r} for this institution")
    session.delete(row)
    session.commit()
