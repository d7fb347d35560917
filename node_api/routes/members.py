from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from chain.contracts.consortium import Role
from node_api.deps import Caller, StateDep, authorize, in_session
from node_api.schemas import InstitutionPublic, MemberPublic, MembersPublic
from node_api.services.members import get_member, list_members, whoami

router = APIRouter(tags=["members"])
Reader = Annotated[Caller, Depends(authorize("members:read"))]


@router.get("/members")
async def read_members(
    _caller: Reader,
    state: StateDep,
    role: Annotated[Role | None, Query(description="only members holding this role")] = None,
    suspended: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> MembersPublic:
    """Member institutions from this gateway's index of chain events."""
    parsed = role
    key = ("members", parsed, suspended, limit, offset)
    hit: MembersPublic | None = state.index_reads.get(key)
    if hit is not None:
        return hit
    generation = state.index_reads.generation()
    value = await in_session(
        state, lambda s: list_members(session=s, role=parsed, suspended=suspended, limit=limit, offset=offset)
    )
    state.index_reads.put(key, generation, value)
    return value


@router.get("/members/{address}")
async def read_member(
    address: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], _caller: Reader, state: StateDep
) -> MemberPublic:
    """One member from the index."""
    from eth_utils.address import to_checksum_address

    checksum = to_checksum_address(address)
    return await in_session(state, lambda s: get_member(session=s, address=checksum))


@router.get("/me")
async def read_me(state: StateDep, caller: Reader) -> InstitutionPublic:
    """This institution: address, roles and status read from the chain at the newest block the gateway has
    seen, and its rCNY balance (answers are shared until the next block)."""
    inst = caller.institution
    return await state.reads.get(("me", inst.name), lambda: whoami(recourse=state.recourse, institution=inst))
