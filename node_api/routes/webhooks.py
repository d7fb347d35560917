"""Routes: webhook subscriptions of the caller's institution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import ConfigDict, Field

from node_api.deps import Caller, IdempotencyKey, SessionDep, StateDep, authorize
from node_api.services.events import EVENT_KEY_PATTERN
from node_api.services.webhooks import (
    WebhookCreate,
    WebhookCreated,
    WebhooksPublic,
    create_webhook,
    delete_webhook,
    list_webhooks,
)
from node_api.streams import catalogue_of

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


_PORT = r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[0-5]?[0-9]{0,4}))?"
#: what ``validate_url`` accepts: an absolute http(s) URL with a host, a valid port, no whitespace
_URL = r"^[hH][tT][tT][pP][sS]?://[^\s/?#:@\[\]]+" + _PORT + r"([/?#]\S*)?$"


class WebhookCreateIn(WebhookCreate):
    """The subscription as a strict request body (unknown fields and cross-type values refused)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"url": "https://collector.example/hooks/recourse", "contracts": ["CaseDelegation"], "start": "newest"}
            ]
        },
    )

    url: str = Field(min_length=8, max_length=2000, pattern=_URL, description="http(s) URL that receives POSTed events")
    after: str | None = Field(
        default=None, pattern=EVENT_KEY_PATTERN, description="resume after this event key (overrides `start`)"
    )


Writer = Annotated[Caller, Depends(authorize("webhooks:write"))]


@router.post("", status_code=201)
def post_webhook(
    body: WebhookCreateIn, caller: Writer, key: IdempotencyKey, state: StateDep, session: SessionDep
) -> WebhookCreated:
    """Subscribe a URL to events (filtered by contract and event). The HMAC secret is returned only here
    (and to a replay of the same `Idempotency-Key` with the same body; another body with that key is a 409);
    every delivery carries `X-Recourse-Signature: sha256=<hex HMAC of the body>`, `X-Recourse-Event-Key`
    and `X-Recourse-Webhook-Id`. Delivery is at-least-once, in key order, retried with backoff."""
    return create_webhook(
        session=session,
        institution=caller.institution.name,
        body=body,
        catalogue=catalogue_of(state),
        idempotency_key=key,
    )


@router.get("")
def get_webhooks(caller: Writer, session: SessionDep) -> WebhooksPublic:
    """This institution's subscriptions with their delivery state (secrets are never shown again)."""
    return list_webhooks(session=session, institution=caller.institution.name)


@router.delete("/{webhook_id}", status_code=204, response_class=Response)
def remove_webhook(webhook_id: Annotated[str, Path(max_length=36)], caller: Writer, session: SessionDep) -> Response:
    """Delete a subscription of this institution (404 for another institution's)."""
    delete_webhook(session=session, institution=caller.institution.name, webhook_id=webhook_id)
    return Response(status_code=204)
