"""Members from the gateway's index, and this institution's own standing read from the chain."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from chain import ChainError
from chain.contracts.consortium import Role
from chain.network import Recourse
from node_api.db.models import MemberRow
from node_api.institutions import Institution
from node_api.problems import ChainUnavailableError, NotFoundError
from node_api.schemas import InstitutionPublic, MemberPublic, MembersPublic

__all__ = ["get_member", "list_members", "whoami"]


def _public(row: MemberRow) -> MemberPublic:
    return MemberPublic(
        address=row.address,
        name_digest=row.name_digest,
        roles=sorted(r.value for r in Role.from_mask(row.roles)),
        region=row.region,
        licence_expiry=row.licence_expiry,
        kyc_tier=row.kyc_tier,
        suspended=row.suspended,
        admitted_block=row.admitted_block,
    )


def list_members(
    *, session: Session, role: Role | None, suspended: bool | None, limit: int, offset: int
) -> MembersPublic:
    stmt = select(MemberRow)
    count_stmt = select(func.count()).select_from(MemberRow)
    if role is not None:
        stmt = stmt.where(MemberRow.roles.op("&")(role.bit) != 0)  # type: ignore[attr-defined]
        count_stmt = count_stmt.where(MemberRow.roles.op("&")(role.bit) != 0)  # type: ignore[attr-defined]
    if suspended is not None:
        stmt = stmt.where(MemberRow.suspended == suspended)
        count_stmt = count_stmt.where(MemberRow.suspended == suspended)
    rows = session.exec(
        stmt.order_by(col(MemberRow.admitted_block), col(MemberRow.address)).offset(offset).limit(limit)
    )
    total = int(session.exec(count_stmt).one())
    return MembersPublic(data=[_public(r) for r in rows.all()], count=total)


def get_member(*, session: Session, address: str) -> MemberPublic:
    row = session.get(MemberRow, address)
    if row is None:
        raise NotFoundError(f"{address} is not a member (in this gateway's index)")
    return _public(row)


def whoami(*, recourse: Recourse, institution: Institution) -> InstitutionPublic:
    try:
        c = recourse.consortium
        member = c.is_member(institution.address)
        info = c.get_member(institution.address) if member else None
        balance = recourse.token.balance_of(institution.address)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot read the chain: {exc}") from exc
    return InstitutionPublic(
        name=institution.name,
        address=institution.address,
        roles=sorted(r.value for r in info.roles) if info else [],
        active=bool(info and info.active),
        suspended=bool(info and info.suspended),
        member=member,
        balance_fen=balance,
    )
