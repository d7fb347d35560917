"""FastAPI dependencies: database session, gateway state, its services, and the authenticated institution.

The services (``IndexerDep``, ``CaseworkDep``, ...) are the ones the lifespan built once into
``state.services``; one that is not running on this gateway (the indexer disabled, say) is a 503
problem (``GEN-503``). Tests replace them with ``app.dependency_overrides[get_casework] = ...``.

``authorize`` and ``get_state`` are ``async``: on the hot path (a known API key, a tracked role) they
answer from memory without a database session, a chain call or a thread-pool hop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from chain import ChainError
from chain.contracts.consortium import Role
from node_api.indexer import Indexer
from node_api.institutions import Institution
from node_api.metrics import Metrics
from node_api.problems import (
    AmbiguousCredentialsError,
    ChainUnavailableError,
    IdempotencyKeyMissingError,
    NotAuthenticatedError,
    NotReadyError,
    RoleDeniedError,
    ScopeDeniedError,
)
from node_api.security import api_key_header, authorization_header
from node_api.services.analytics import ModelRegistry
from node_api.services.apikeys import KnownKey, verify_api_key
from node_api.services.case_matching import SqlCaseMarket
from node_api.services.casework.contacts import CaseworkRuntime
from node_api.services.evidence import EvidenceRuntime
from node_api.state import GatewayState
from node_api.streams import EventHub

__all__ = [
    "Caller",
    "CaseMarketDep",
    "CaseworkDep",
    "EventsDep",
    "EvidenceDep",
    "IdempotencyKey",
    "IndexerDep",
    "MetricsDep",
    "ModelsDep",
    "SessionDep",
    "StateDep",
    "api_token",
    "authorize",
    "get_case_market",
    "get_casework",
    "get_events",
    "get_evidence",
    "get_indexer",
    "get_metrics",
    "get_models",
    "holds_role",
    "in_session",
    "metrics_access",
]


async def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with Session(state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

S = TypeVar("S")


def _running(service: S | None, what: str) -> S:
    if service is None:
        raise NotReadyError(f"{what} is not running on this gateway")
    return service


async def get_metrics(state: StateDep) -> Metrics:
    return _running(state.services.metrics, "the metrics registry")


async def get_indexer(state: StateDep) -> Indexer:
    return _running(state.services.indexer, "the indexer")


async def get_events(state: StateDep) -> EventHub:
    hub = state.services.events
    if hub is None or hub.closed:
        raise NotReadyError("event streams are not running on this gateway")
    return hub


async def get_evidence(state: StateDep) -> EvidenceRuntime:
    return _running(state.services.evidence, "evidence anchoring")


async def get_casework(state: StateDep) -> CaseworkRuntime:
    return _running(state.services.casework, "case work (the PII vault)")


async def get_models(state: StateDep) -> ModelRegistry:
    return _running(state.services.models, "the analytics model registry")


async def get_case_market(state: StateDep) -> SqlCaseMarket:
    return _running(state.services.case_market, "case matching")


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
IndexerDep = Annotated[Indexer, Depends(get_indexer)]
EventsDep = Annotated[EventHub, Depends(get_events)]
EvidenceDep = Annotated[EvidenceRuntime, Depends(get_evidence)]
CaseworkDep = Annotated[CaseworkRuntime, Depends(get_casework)]
ModelsDep = Annotated[ModelRegistry, Depends(get_models)]
CaseMarketDep = Annotated[SqlCaseMarket, Depends(get_case_market)]

T = TypeVar("T")


async def in_session(state: GatewayState, fn: Callable[[Session], T]) -> T:
    """Run ``fn(session)`` (a short read) with a session of its own, for ``async`` routes.

    On SQLite it runs right on the event loop: a local read in WAL mode never waits for writers and
    takes less time than a hop to the thread pool (which, under load, queues behind 40 threads sharing
    the GIL). On a networked database it runs in ONE thread-pool hop."""

    def run() -> T:
        with Session(state.engine) as session:
            return fn(session)

    if state.engine.dialect.name == "sqlite":
        return run()
    return await run_in_threadpool(run)


@dataclass(frozen=True)
class Caller:
    institution: Institution
    key_id: str
    scopes: frozenset[str]


def api_token(authorization: str | None, x_api_key: str | None) -> str:
    """The one API key a request carries. Two different keys (``Authorization`` and ``X-API-Key``) are
    refused rather than one silently preferred: the caller would not know whose authority was used."""
    bearer: str | None = None
    if authorization is not None and authorization.strip():
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticatedError("the Authorization header must be 'Bearer rk_…' (or send 'X-API-Key: rk_…')")
        bearer = value.strip()
    header = x_api_key.strip() if x_api_key is not None and x_api_key.strip() else None
    if bearer is not None and header is not None and bearer != header:
        raise AmbiguousCredentialsError(
            "the Authorization and X-API-Key headers carry different API keys; send one key, in one header"
        )
    token = header or bearer
    if token is None:
        raise NotAuthenticatedError("send an API key as 'Authorization: Bearer rk_…' or 'X-API-Key: rk_…'")
    return token


def _key_from_db(state: GatewayState, token: str) -> KnownKey:
    if state.keys is not None:
        return state.keys.load(token)
    with Session(state.engine) as session:
        row = verify_api_key(session=session, token=token, pepper=state.settings.api_key_pepper.get_secret_value())
        return KnownKey.of(row)


async def holds_role(state: GatewayState, institution: Institution, role: Role | None) -> bool:
    """Whether ``institution`` holds ``role`` on chain (``None``: is an active member) as of the latest block
    the role cache has seen; a chain that cannot answer is ``ChainUnavailableError``."""
    allowed = state.roles.cached(institution.address, role)
    if allowed is None:
        try:
            allowed = await run_in_threadpool(state.roles.check, institution.address, role)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot check on-chain roles: {exc}") from exc
    return bool(allowed)


def authorize(scope: str, role: Role | None = None) -> Callable[..., Awaitable[Caller]]:
    """Dependency: the key's scopes must allow ``scope`` AND the institution must hold ``role`` on chain
    (``None``: be an active member) as of the latest block the role cache has seen (it re-reads the
    roles at every new block; see ``RoleCache``). Reads and writes use the same answers: a member
    suspended on chain is refused from the first poll after the suspending block."""

    async def dependency(
        request: Request,
        authorization: Annotated[str | None, Depends(authorization_header)],
        x_api_key: Annotated[str | None, Depends(api_key_header)],
    ) -> Caller:
        state: GatewayState = request.app.state.gateway
        token = api_token(authorization, x_api_key)
        key = state.keys.verify(token) if state.keys is not None else None
        if key is None:
            key = await run_in_threadpool(_key_from_db, state, token)
        scopes = key.scopes
        if scope not in scopes and "*" not in scopes:
            raise ScopeDeniedError(f"this API key lacks the scope {scope!r}", required_scope=scope)
        institution = state.institutions.get(key.institution)
        if institution is None:
            raise NotAuthenticatedError(f"this gateway no longer hosts institution {key.institution!r}")
        if not await holds_role(state, institution, role):
            need = f"the {role.value} role" if role is not None else "active membership"
            raise RoleDeniedError(
                f"{institution.name} ({institution.address}) does not hold {need} on chain right now",
                required_role=role.value if role is not None else "MEMBER",
            )
        return Caller(institution=institution, key_id=key.id, scopes=scopes)

    return dependency


async def idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="a key built from business data: the same key and body return the original operation",
            # documented bounds only: a missing or over-long key is answered here (400 OPS-400), not by
            # FastAPI's validation (422); node_api.openapi marks the header required in the document
            json_schema_extra={"minLength": 1, "maxLength": 200, "pattern": r"\S"},
        ),
    ] = None,
) -> str:
    if idempotency_key is None or not idempotency_key.strip():
        raise IdempotencyKeyMissingError("writes need an 'Idempotency-Key' header (build it from business data)")
    key = idempotency_key.strip()
    if len(key) > 200:
        raise IdempotencyKeyMissingError("Idempotency-Key must be at most 200 characters")
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]


async def metrics_access(
    request: Request,
    authorization: Annotated[str | None, Depends(authorization_header)],
    x_api_key: Annotated[str | None, Depends(api_key_header)],
) -> None:
    """``/metrics``: open when ``api.metrics_auth = "open"`` (a scraper on a private network); otherwise
    a key with the ``metrics:read`` scope. No on-chain role is asked: monitoring a gateway must keep
    working while its institution is suspended or the chain is down."""
    state: GatewayState = request.app.state.gateway
    if state.settings.api.metrics_auth == "open":
        return
    token = api_token(authorization, x_api_key)
    key = state.keys.verify(token) if state.keys is not None else None
    if key is None:
        key = await run_in_threadpool(_key_from_db, state, token)
    if "metrics:read" not in key.scopes and "*" not in key.scopes:
        raise ScopeDeniedError("this API key lacks the scope 'metrics:read'", required_scope="metrics:read")
