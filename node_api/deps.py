"""FastAPI dependencies: database session, gateway state, and the authenticated institution."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from chain import ChainError
from chain.contracts.consortium import Role
from node_api.institutions import Institution
from node_api.problems import (
    ChainUnavailableError,
    IdempotencyKeyMissingError,
    NotAuthenticatedError,
    RoleDeniedError,
    ScopeDeniedError,
)
from node_api.services.apikeys import verify_api_key
from node_api.state import GatewayState

__all__ = ["Caller", "IdempotencyKey", "SessionDep", "StateDep", "authorize"]


def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with Session(state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    institution: Institution
    key_id: str
    scopes: frozenset[str]


def _token(authorization: str | None, x_api_key: str | None) -> str:
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    raise NotAuthenticatedError("send an API key as 'Authorization: Bearer rk_…' or 'X-API-Key: rk_…'")


def authorize(scope: str, role: Role | None = None, *, write: bool = False) -> Callable[..., Caller]:
    """Dependency: the key's scopes must allow ``scope`` AND the institution must hold ``role`` on chain
    now (``None``: be an active member). Writes always ask the chain; reads use a 0.5 s cache."""

    def dependency(
        state: StateDep,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Caller:
        # a short session of its own: the connection goes back to the pool before the route runs
        with Session(state.engine) as session:
            key = verify_api_key(
                session=session,
                token=_token(authorization, x_api_key),
                pepper=state.settings.api_key_pepper.get_secret_value(),
            )
        scopes = frozenset(key.scopes)
        if scope not in scopes and "*" not in scopes:
            raise ScopeDeniedError(f"this API key lacks the scope {scope!r}", required_scope=scope)
        institution = state.institutions.get(key.institution)
        if institution is None:
            raise NotAuthenticatedError(f"this gateway no longer hosts institution {key.institution!r}")
        try:
            allowed = state.roles.check(institution.address, role, fresh=write)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot check on-chain roles: {exc}") from exc
        if not allowed:
            need = f"the {role.value} role" if role is not None else "active membership"
            raise RoleDeniedError(
                f"{institution.name} ({institution.address}) does not hold {need} on chain right now",
                required_role=role.value if role is not None else "MEMBER",
            )
        return Caller(institution=institution, key_id=key.id, scopes=scopes)

    return dependency


def idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    if idempotency_key is None or not idempotency_key.strip():
        raise IdempotencyKeyMissingError("writes need an 'Idempotency-Key' header (build it from business data)")
    key = idempotency_key.strip()
    if len(key) > 200:
        raise IdempotencyKeyMissingError("Idempotency-Key must be at most 200 characters")
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]
