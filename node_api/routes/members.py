from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from chain.contracts.consortium import Role
from node_api.deps import Caller, SessionDep, StateDep, authorize
from node_api.problems import InvalidInputError
from node_api.schemas import InstitutionPublic, MemberPublic, MembersPublic
from node_api.services.members import get_member, list_members, whoami

router = APIRouter(tags=["members"])
Reader = Annotated[Caller, Depends(authorize("members:read"))]


@router.get("/members")
def read_members(
    _caller: Reader,
    session: SessionDep,
    role: Annotated[str | None, Query(max_length=32, description="e.g. BANK, COLLECTOR")] = None,
    suspended: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MembersPublic:
    """Member institutions from this gateway's index of chain events."""
    try:
        parsed = Role.parse(role) if role else None
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from exc
    return list_members(session=session, role=parsed, suspended=suspended, limit=limit, offset=offset)


@router.get("/members/{address}")
def read_member(
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], _caller: Reader, session: SessionDep
) -> MemberPublic:
    """One member from the index."""
    from eth_utils.address import to_checksum_address

    return get_member(session=session, address=to_checksum_address(address))


@router.get("/me")
def read_me(state: StateDep, caller: Reader) -> InstitutionPublic:
    """This institution: address, roles and status read from the chain now, and its rCNY balance."""
    return whoami(recourse=state.recourse, institution=caller.institution)
