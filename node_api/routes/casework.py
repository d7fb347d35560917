"""Debtor contacts (holder only, every read logged), contact logging under the conduct rules, compliance
records for regulators, and case/collector matching.

Scopes: ``cases:contacts`` (read debtor, log and list contacts; a bank lists the contacts on all its
cases, late logs flagged), ``compliance:read`` (regulators),
``cases:read`` (matching). Refusals are RFC 9457 problems: ``CWK-403`` (not the case's holder),
``CND-001``/``CND-002``/``CND-003`` (conduct rules; ``violations`` lists every rule broken).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from chain import ChainError
from chain.contracts.consortium import Role
from node_api.db.casework_models import ConductViolation, ContactAttempt
from node_api.deps import Caller, CaseMarketDep, CaseworkDep, IdempotencyKey, SessionDep, StateDep, authorize
from node_api.openapi import problem
from node_api.problems import ChainUnavailableError
from node_api.schemas.casework import (
    AccessesPublic,
    AccessPublic,
    AnchorPublic,
    AnchorsPublic,
    BreachPublic,
    CollectorCompliancePublic,
    ContactCreate,
    ContactPublic,
    ContactsPublic,
    DebtorPublic,
    ExclusionPublic,
    MatchesPublic,
    MatchPublic,
    ViolationPublic,
    ViolationsPublic,
)
from node_api.services.case_matching import MatchingResult, matches_for_case, matches_for_collector
from node_api.services.casework.contacts import (
    collector_record,
    list_accesses,
    list_anchors,
    list_bank_contacts,
    list_contacts,
    list_violations,
    log_contact,
    read_debtor,
    violations_of,
)
from node_api.state import GatewayState

router = APIRouter(tags=["case contacts and compliance"])

CaseIdPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="bytes32 case id")]
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
#: ineligible candidates listed in a ranking (all are counted)
MAX_EXCLUDED = 100
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _case(case_id: str) -> bytes:
    return bytes.fromhex(case_id[2:])


def _contact_public(c: ContactAttempt, rows: list[ConductViolation], note: str | None = None) -> ContactPublic:
    return ContactPublic(
        id=int(c.id or 0),
        case_id=c.case_id,
        collector=c.collector,
        channel=c.channel,
        attempted_at=c.attempted_at,
        recorded_at=c.recorded_at,
        backdated=c.backdated,
        local_date=c.local_date,
        local_time=c.local_time,
        outcome="refused" if c.outcome == "refused" else "logged",
        note_digest=c.note_digest,
        note=note,
        violations=[
            BreachPublic(
                code=v.code,
                rule_id=v.rule_id,
                category=v.category,
                outcome="block" if v.outcome == "block" else "flag",
                matched=v.matched,
            )
            for v in rows
        ],
    )


def _matches_public(result: MatchingResult) -> MatchesPublic:
    return MatchesPublic(
        subject=result.subject,
        data=[MatchPublic(**m.__dict__) for m in result.matches],
        excluded=[ExclusionPublic(id=e.id, reasons=list(e.reasons)) for e in result.excluded[:MAX_EXCLUDED]],
        excluded_count=len(result.excluded),
        generated_at=result.generated_at,
    )


# --- matching (declared before /cases/{case_id}/... so "matches" is never taken for a case id) ---


@router.get(
    "/cases/matches",
    responses={
        404: problem(404, "GEN-404", "Not found", "the collector (default: the caller) is not a known collector")
    },
)
def get_case_matches(
    market: CaseMarketDep,
    caller: Annotated[Caller, Depends(authorize("cases:read"))],
    collector: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    limit: Limit = 20,
) -> MatchesPublic:
    """Open cases ranked for a collector (default: the caller), at most its spare capacity, each explained."""
    address = to_checksum_address(collector or caller.institution.address)
    result = matches_for_collector(market=market, address=address, now=int(time.time()), limit=limit)
    return _matches_public(result)


@router.get("/cases/{case_id}/matches")
def get_collector_matches(
    case_id: CaseIdPath,
    market: CaseMarketDep,
    _caller: Annotated[Caller, Depends(authorize("cases:read"))],
    limit: Limit = 20,
) -> MatchesPublic:
    """Eligible collectors ranked for an open case (ineligible ones listed with their reasons)."""
    result = matches_for_case(market=market, case_id=case_id.lower(), now=int(time.time()), limit=limit)
    return _matches_public(result)


# --- debtor and contacts ---


@router.get("/cases/contacts", responses={403: PROBLEM})
def get_bank_contacts(
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("cases:contacts", Role.BANK))],
    backdated: Annotated[
        bool | None, Query(description="true: only late logs (backdated); false: only live attempts")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ContactsPublic:
    """Contacts on every case the calling bank published through this gateway, newest first, without notes
    (``GET /cases/{case_id}/contacts`` has them); ``?backdated=true`` lists its collectors' late logs."""
    rows, total = list_bank_contacts(
        session=session, bank=caller.institution, backdated=backdated, limit=limit, offset=offset
    )
    found = violations_of(session, [int(c.id or 0) for c in rows])
    return ContactsPublic(data=[_contact_public(c, found.get(int(c.id or 0), [])) for c in rows], count=total)


@router.get("/cases/{case_id}/debtor", responses={403: PROBLEM, 404: PROBLEM})
def get_debtor(
    case_id: CaseIdPath,
    casework: CaseworkDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("cases:contacts", Role.COLLECTOR))],
) -> DebtorPublic:
    """The debtor's contact data, only for the collector holding the case now; the read is logged."""
    debtor = read_debtor(
        session=session,
        vault=casework.vault,
        access=casework.access,
        case_id=_case(case_id),
        institution=caller.institution,
    )
    local = casework.rules.local_time(casework.clock.now(), debtor.timezone)
    return DebtorPublic(
        case_id=case_id.lower(),
        name=debtor.name,
        id_number=debtor.id_number,
        phone=debtor.phone,
        address=debtor.address,
        timezone=debtor.timezone,
        local_time=f"{local:%H:%M}",
    )


@router.post(
    "/cases/{case_id}/contacts",
    status_code=201,
    responses={
        201: {"model": ContactPublic, "description": "logged (or refused and recorded: see `outcome`)"},
        200: {"model": ContactPublic, "description": "a replay of the Idempotency-Key: the first answer"},
        403: PROBLEM,
        422: PROBLEM,
    },
)
def create_contact(
    case_id: CaseIdPath,
    body: ContactCreate,
    key: IdempotencyKey,
    casework: CaseworkDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("cases:contacts", Role.COLLECTOR))],
) -> JSONResponse:
    """Log a contact attempt. Conduct rules are checked at the gateway's time, or for a late log (a past
    ``attempted_at``, recorded ``backdated``) at the claimed time; a refusal (422, every broken rule listed)
    is still recorded with its violations. A time without a UTC offset is 422 ``CWK-422``. Replaying the
    Idempotency-Key returns the first answer (200)."""
    result = log_contact(
        session=session,
        vault=casework.vault,
        rules=casework.rules,
        access=casework.access,
        case_id=_case(case_id),
        institution=caller.institution,
        channel=body.channel,
        attempted_at=body.attempted_at,
        note=body.note,
        now=casework.clock.now(),
        idempotency_key=key,
    )
    contact = result.contact
    rows = violations_of(session, [int(contact.id or 0)]).get(int(contact.id or 0), [])
    public = _contact_public(contact, rows)
    return JSONResponse(public.model_dump(mode="json"), status_code=201 if result.created else 200)


def _is_regulator(state: GatewayState, caller: Caller) -> bool:
    try:
        return state.roles.check(caller.institution.address, Role.REGULATOR)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot check on-chain roles: {exc}") from exc


@router.get("/cases/{case_id}/contacts", responses={403: PROBLEM})
def get_contacts(
    case_id: CaseIdPath,
    state: StateDep,
    casework: CaseworkDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("cases:contacts"))],
    backdated: Annotated[
        bool | None, Query(description="true: only late logs (backdated); false: only live attempts")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ContactsPublic:
    """Contacts of a case with notes: for the collector holding it, the publishing bank and regulators.
    Late logs are flagged ``backdated`` (with the claimed ``attempted_at`` and the gateway's ``recorded_at``)."""
    rows, total = list_contacts(
        session=session,
        vault=casework.vault,
        access=casework.access,
        case_id=_case(case_id),
        institution=caller.institution,
        regulator=_is_regulator(state, caller),
        backdated=backdated,
        limit=limit,
        offset=offset,
    )
    found = violations_of(session, [int(c.id or 0) for c, _ in rows])
    return ContactsPublic(
        data=[_contact_public(c, found.get(int(c.id or 0), []), note) for c, note in rows], count=total
    )


@router.get("/cases/{case_id}/debtor/reads", responses={403: PROBLEM})
def get_debtor_reads(
    case_id: CaseIdPath,
    state: StateDep,
    casework: CaseworkDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(authorize("cases:contacts"))],
    limit: Limit = 100,
    offset: Offset = 0,
) -> AccessesPublic:
    """The access log of a case's personal data (who, when, why), for its holder, its bank and regulators."""
    rows, total = list_accesses(
        session=session,
        access=casework.access,
        case_id=_case(case_id),
        institution=caller.institution,
        regulator=_is_regulator(state, caller),
        limit=limit,
        offset=offset,
    )
    return AccessesPublic(
        data=[
            AccessPublic(
                id=int(a.id or 0),
                case_id=a.case_id,
                reader=a.reader,
                reader_address=a.reader_address,
                purpose=a.purpose,
                accessed_at=a.accessed_at,
            )
            for a in rows
        ],
        count=total,
    )


# --- compliance (regulators) ---


@router.get("/compliance/collectors/{address}")
def get_collector_compliance(
    address: AddressPath,
    session: SessionDep,
    _caller: Annotated[Caller, Depends(authorize("compliance:read", Role.REGULATOR))],
) -> CollectorCompliancePublic:
    """A collector's compliance record: contacts logged/refused, every violation counted by code and rule."""
    rec = collector_record(session=session, collector=to_checksum_address(address))
    return CollectorCompliancePublic(**rec.__dict__)


@router.get("/compliance/violations")
def get_violations(
    session: SessionDep,
    _caller: Annotated[Caller, Depends(authorize("compliance:read", Role.REGULATOR))],
    collector: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    case_id: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> ViolationsPublic:
    """Conduct violations, newest first, optionally of one collector or one case."""
    rows, total = list_violations(session=session, collector=collector, case_id=case_id, limit=limit, offset=offset)
    return ViolationsPublic(data=[ViolationPublic(**_violation(v)) for v in rows], count=total)


def _violation(v: ConductViolation) -> dict[str, Any]:
    return {**v.model_dump(), "id": int(v.id or 0)}


@router.get("/compliance/log-anchors")
def get_log_anchors(
    session: SessionDep,
    _caller: Annotated[Caller, Depends(authorize("compliance:read", Role.REGULATOR))],
    limit: Limit = 100,
    offset: Offset = 0,
) -> AnchorsPublic:
    """Merkle roots of the access and contact logs anchored in EvidenceRegistry, newest first."""
    rows, total = list_anchors(session=session, limit=limit, offset=offset)
    return AnchorsPublic(
        data=[
            AnchorPublic(
                id=int(a.id or 0),
                root=a.root,
                leaf_count=a.leaf_count,
                access=(a.access_from, a.access_to),
                contacts=(a.contact_from, a.contact_to),
                institution=a.institution,
                operation_id=a.operation_id,
                created_at=a.created_at,
            )
            for a in rows
        ],
        count=total,
    )


__all__ = ["router"]
