"""Evidence: submit documents (streamed) or digests, read status and receipts, download, verify."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import UploadFile

from chain import ChainError
from chain.contracts.consortium import Role
from node_api.db.evidence_models import EvidenceItem
from node_api.deps import Caller, EvidenceDep, IdempotencyKey, StateDep, api_token, authorize
from node_api.openapi import problem
from node_api.problems import (
    ChainUnavailableError,
    EvidenceContentUnavailableError,
    EvidenceTooLargeError,
    EvidenceTooManyError,
    InvalidInputError,
    NotAuthenticatedError,
    RoleDeniedError,
)
from node_api.routes import _paths  # noqa: F401 - registers the {evidence_id:evidence_id} segment
from node_api.schemas.evidence import DigestSubmissionIn, VerifyRequestIn
from node_api.security import api_key_header, authorization_header
from node_api.services.apikeys import verify_api_key
from node_api.services.evidence import EvidenceRuntime
from node_api.services.evidence.schemas import (
    DIGEST_PATTERN,
    EvidenceAccepted,
    EvidencePublic,
    Verification,
    VerificationBatch,
)
from node_api.services.evidence.service import (
    MAX_DIGESTS_PER_CALL,
    NewEvidence,
    get_evidence,
    receipt_of,
    record_submission,
    to_public,
    verify_digests,
)
from node_api.services.evidence.store import StoredContent
from node_api.state import GatewayState

router = APIRouter(prefix="/evidence", tags=["evidence"])

ANCHOR_ROLES = (Role.BANK, Role.COLLECTOR, Role.COURT)
EvidenceId = Annotated[str, Path(pattern=r"^ev_[0-9a-f]{32}$")]
CaseRef = Annotated[str | None, Query(max_length=200, description="case reference the documents belong to")]
Parties = Annotated[
    list[str] | None,
    Query(description="member addresses that are parties to the case (may download the documents)"),
]
UPLOAD_DOC = {
    "requestBody": {
        "description": "one document as the raw body (any content type), or several as multipart/form-data "
        "(field `file`, repeatable); streamed, never held in memory",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}, "minItems": 1}
                    },
                }
            },
        },
    }
}
VERIFY_DOC = {
    "requestBody": {
        "description": "JSON (`digest`, or up to 1,000 `digests`; optional `evidence_id`/`case_ref`), or the "
        "document itself as the raw body (streamed; `evidence_id`/`case_ref` as query parameters)",
        "content": {
            "application/json": {"schema": VerifyRequestIn.model_json_schema()},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


_STORE_FAILED = problem(502, "EVD-502", "Content store failed", "the content store (IPFS node) failed")
_TOO_LARGE = "`EVD-413` for a document over `RECOURSE_EVIDENCE__MAX_UPLOAD_BYTES`"
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": EvidenceAccepted,
        "description": "accepted: persisted before this answer, then batched and anchored",
    },
    413: {"description": _TOO_LARGE},
    422: {"description": "`EVD-422`: more than 1,000 documents or digests in one call"},
    502: _STORE_FAILED,
}
VERIFIED: dict[int | str, dict[str, Any]] = {
    200: {"model": Verification | VerificationBatch, "description": "one answer per digest"},
    403: problem(
        403, "AUTH-003", "Institution lacks the on-chain role", "the key's institution is not an active member"
    ),
    404: problem(404, "GEN-404", "Not found", "the named evidence_id does not exist"),
    413: {"description": _TOO_LARGE},
    503: problem(503, "CHN-503", "Chain unavailable", "cannot check on-chain roles or anchors: connection refused"),
}
_RECEIPT_EXAMPLE = {
    "format": "recourse-evidence-receipt/1",
    "evidence_id": "ev_5d41402abc4b2a76b9719d911017c592",
    "digest": "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "digest_algorithm": "sha256",
    "root": "0x2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    "proof": ["0xfcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"],
    "chain_id": 31337,
    "contract": "EvidenceRegistry",
    "tx_hash": "0x5f3c1e6a2b9d4c8e7f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
    "block_number": 1234,
}
RECEIPT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the receipt: check it with `recourse verify-receipt FILE RECEIPT --rpc URL`",
        "content": {"application/json": {"schema": {"type": "object"}, "example": _RECEIPT_EXAMPLE}},
    },
    409: problem(409, "EVD-409", "Evidence not anchored yet", "the document's batch is not anchored yet"),
}
CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the document as submitted, with its own media type (`X-Evidence-Digest`: its SHA-256)",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}, "example": "<document bytes>"}},
    },
    502: _STORE_FAILED,
}


def anchorer(state: StateDep, caller: Annotated[Caller, Depends(authorize("evidence:write"))]) -> Caller:
    """Anchoring needs BANK, COLLECTOR or COURT on chain now (the registry enforces the same)."""
    address = caller.institution.address
    try:
        allowed = any(state.roles.check(address, role, fresh=True) for role in ANCHOR_ROLES)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot check on-chain roles: {exc}") from exc
    if not allowed:
        raise RoleDeniedError(
            f"{caller.institution.name} ({address}) holds none of BANK, COLLECTOR, COURT on chain: it cannot anchor",
            required_role="BANK|COLLECTOR|COURT",
        )
    return caller


#: a verifier's API key is re-read from the database after this many seconds (a revoked key stops
#: verifying within it)
KEY_TTL = 2.0


def _verifier(state: GatewayState, evidence: EvidenceRuntime, token: str) -> Caller:
    digest = hashlib.sha256(token.encode()).hexdigest()
    keys = evidence.verifier_keys
    hit = keys.get(digest)
    if hit is None or hit[0] < time.monotonic():
        with Session(state.engine) as session:
            key = verify_api_key(session=session, token=token, pepper=state.settings.api_key_pepper.get_secret_value())
        hit = (time.monotonic() + KEY_TTL, key.institution, key.id, frozenset(key.scopes))
        if len(keys) > 10_000:
            keys.clear()
        keys[digest] = hit
    institution = state.institutions.get(hit[1])
    if institution is None:
        raise NotAuthenticatedError(f"this gateway no longer hosts institution {hit[1]!r}")
    try:
        active = state.roles.check(institution.address, None, fresh=False)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot check on-chain roles: {exc}") from exc
    if not active:
        raise RoleDeniedError(f"{institution.name} is not an active member", required_role="MEMBER")
    return Caller(institution=institution, key_id=hit[2], scopes=hit[3])


async def member_key(
    authorization: Annotated[str | None, Depends(authorization_header)],
    x_api_key: Annotated[str | None, Depends(api_key_header)],
) -> str:
    """Any API key of an active member (whatever its scopes) may verify evidence; checked in the route's
    worker thread together with the verification (one thread-pool hop per request)."""
    return api_token(authorization, x_api_key)


def _readable(session: Session, state: GatewayState, caller: Caller, evidence_id: str) -> EvidenceItem:
    """The evidence row, if the caller may read it (its submitter, a court, or a party to its case)."""
    return get_evidence(
        session=session, evidence_id=evidence_id, reader=caller.institution, reader_is_court=_is_court(state, caller)
    )


def _is_court(state: GatewayState, caller: Caller) -> bool:
    try:
        return state.roles.check(caller.institution.address, Role.COURT, fresh=False)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot check on-chain roles: {exc}") from exc


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise EvidenceTooLargeError(
            f"upload of {length} bytes is larger than the limit of {limit} bytes", max_upload_bytes=limit
        )


def _parties(parties: list[str] | None) -> list[str]:
    out = []
    for p in parties or []:
        if not (len(p) == 42 and p.startswith("0x")):
            raise InvalidInputError(f"party {p!r} is not an address (0x + 40 hex)")
        try:
            int(p, 16)
        except ValueError as exc:
            raise InvalidInputError(f"party {p!r} is not an address (0x + 40 hex)") from exc
        out.append(p)
    return out


async def _store_stream(runtime: EvidenceRuntime, chunks: AsyncIterator[bytes]) -> StoredContent:
    upload = runtime.store.begin(runtime.settings.max_upload_bytes)
    try:
        async for chunk in chunks:
            if chunk:
                upload.write(chunk)
    except BaseException:
        upload.abort()
        raise
    return await run_in_threadpool(runtime.store.commit, upload)


async def _upload_chunks(f: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await f.read(1 << 20):
        yield chunk


@router.post("", status_code=202, openapi_extra=UPLOAD_DOC, responses=ACCEPTED)
async def submit_documents(
    request: Request,
    key: IdempotencyKey,
    state: StateDep,
    evidence: EvidenceDep,
    caller: Annotated[Caller, Depends(anchorer)],
    case_ref: CaseRef = None,
    parties: Parties = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> JSONResponse:
    """Submit documents (streamed into the content store); each is persisted before the 202, batched,
    and anchored. Returns the evidence ids."""
    limit = evidence.settings.max_upload_bytes
    _check_length(request, limit * MAX_DIGESTS_PER_CALL)
    party_list = _parties(parties)
    content_type = request.headers.get("content-type", "application/octet-stream")
    items: list[NewEvidence] = []
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=MAX_DIGESTS_PER_CALL, max_fields=20) as form:
            files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            if not files:
                raise InvalidInputError("multipart upload without a file part")
            for f in files:
                stored = await _store_stream(evidence, _upload_chunks(f))
                items.append(
                    NewEvidence.stored(
                        stored, filename=f.filename, media_type=f.content_type, case_ref=case_ref, parties=party_list
                    )
                )
    else:
        _check_length(request, limit)
        stored = await _store_stream(evidence, request.stream())
        items.append(
            NewEvidence.stored(
                stored, filename=filename, media_type=content_type[:127], case_ref=case_ref, parties=party_list
            )
        )
    return await _record(state, evidence, caller, key, items)


async def _record(
    state: GatewayState, evidence: EvidenceRuntime, caller: Caller, key: str, items: list[NewEvidence]
) -> JSONResponse:
    def work() -> list[EvidencePublic]:
        with Session(state.engine) as session:
            rows, _ = record_submission(session=session, institution=caller.institution, key=key, items=items)
            return [to_public(r) for r in rows]

    public = await run_in_threadpool(work)
    evidence.wake()
    body = EvidenceAccepted.model_construct(evidence=public, count=len(public))
    return JSONResponse(body.model_dump(mode="json"), status_code=202)


@router.post("/digests", status_code=202, responses=ACCEPTED)
async def submit_digests(
    body: DigestSubmissionIn,
    key: IdempotencyKey,
    state: StateDep,
    evidence: EvidenceDep,
    caller: Annotated[Caller, Depends(anchorer)],
) -> JSONResponse:
    """Submit up to 1,000 SHA-256 digests of documents the submitter keeps (nothing is uploaded)."""
    if len(body.items) > MAX_DIGESTS_PER_CALL:
        raise EvidenceTooManyError(
            f"{len(body.items)} digests in one call; at most {MAX_DIGESTS_PER_CALL}", limit=MAX_DIGESTS_PER_CALL
        )
    items = [NewEvidence(digest=i.digest, case_ref=i.case_ref, parties=tuple(_parties(i.parties))) for i in body.items]
    return await _record(state, evidence, caller, key, items)


@router.post("/verify", openapi_extra=VERIFY_DOC, responses=VERIFIED)
async def verify_evidence(
    request: Request,
    state: StateDep,
    evidence: EvidenceDep,
    token: Annotated[str, Depends(member_key)],
    evidence_id: Annotated[str | None, Query(max_length=40)] = None,
    case_ref: CaseRef = None,
) -> JSONResponse:
    """Court check: verified (where, when, by whom), not_anchored, or mismatch (when the expected
    evidence id or case reference is named and the bytes differ). Consults the chain."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.body()
        if len(raw) > 200_000:
            raise EvidenceTooManyError(f"verification request of {len(raw)} bytes; send at most 1,000 digests")
        try:
            body = VerifyRequestIn.model_validate(json.loads(raw or b"null"))
        except (ValueError, ValidationError) as exc:
            raise InvalidInputError(f"invalid verification request: {str(exc)[:300]}") from exc
        single = body.digest is not None
        digests = [body.digest] if body.digest is not None else list(body.digests or [])
        if body.digest is not None and body.digests:
            raise InvalidInputError("send either 'digest' or 'digests'")
        if not digests:
            raise InvalidInputError("send 'digest' or 'digests' (or the document as the body)")
        if len(digests) > MAX_DIGESTS_PER_CALL:
            raise EvidenceTooManyError(
                f"{len(digests)} digests in one call; at most {MAX_DIGESTS_PER_CALL}", limit=MAX_DIGESTS_PER_CALL
            )
        evidence_id = body.evidence_id or evidence_id
        case_ref = body.case_ref or case_ref
    else:
        await run_in_threadpool(_verifier, state, evidence, token)  # before reading a (possibly large) body
        limit = evidence.settings.max_upload_bytes
        _check_length(request, limit)
        h = hashlib.sha256()
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise EvidenceTooLargeError(f"document larger than the limit of {limit} bytes", max_upload_bytes=limit)
            h.update(chunk)
        digests = ["0x" + h.hexdigest()]
        single = True
    bad = [d for d in digests if not re.match(DIGEST_PATTERN, d)]
    if bad:
        raise InvalidInputError(f"not a SHA-256 digest (0x + 64 hex): {bad[0][:80]!r}")

    def work() -> list[Verification]:
        _verifier(state, evidence, token)
        with Session(state.engine) as session:
            return verify_digests(
                session=session,
                recourse=state.recourse,
                cache=evidence.cache,
                institutions=state.institutions,
                digests=digests,
                evidence_id=evidence_id,
                case_ref=case_ref,
            )

    # a few digests on SQLite take well under a millisecond: on the event loop they avoid two thread
    # hand-offs per request (each waiting for the GIL under load); large batches and PostgreSQL round trips
    # go to the thread pool
    inline = state.engine.dialect.name == "sqlite" and len(digests) <= 16
    results = work() if inline else await run_in_threadpool(work)
    if single:
        return JSONResponse(results[0].model_dump(mode="json"))
    return JSONResponse(VerificationBatch(results=results, count=len(results)).model_dump(mode="json"))


@router.get("/{evidence_id:evidence_id}")
def get_evidence_status(
    evidence_id: EvidenceId, state: StateDep, caller: Annotated[Caller, Depends(authorize("evidence:read"))]
) -> EvidencePublic:
    """Status of one document, with its receipt once anchored (submitter, courts and parties only)."""
    with Session(state.engine) as session:
        item = _readable(session, state, caller, evidence_id)
        receipt = (
            receipt_of(session=session, item=item, recourse=state.recourse, institutions=state.institutions)
            if item.status == "anchored"
            else None
        )
        return to_public(item, receipt)


@router.get("/{evidence_id:evidence_id}/receipt", responses=RECEIPT)
def get_receipt(
    evidence_id: EvidenceId, state: StateDep, caller: Annotated[Caller, Depends(authorize("evidence:read"))]
) -> JSONResponse:
    """The JSON receipt (409 until anchored): check it with `recourse verify-receipt FILE RECEIPT --rpc URL`."""
    with Session(state.engine) as session:
        item = _readable(session, state, caller, evidence_id)
        return JSONResponse(
            receipt_of(session=session, item=item, recourse=state.recourse, institutions=state.institutions)
        )


@router.get("/{evidence_id:evidence_id}/content", response_class=StreamingResponse, responses=CONTENT)
def get_content(
    evidence_id: EvidenceId,
    state: StateDep,
    evidence: EvidenceDep,
    caller: Annotated[Caller, Depends(authorize("evidence:read"))],
) -> StreamingResponse:
    """Download the document (streamed): only its submitter, courts, and parties to its case."""
    with Session(state.engine) as session:
        item = _readable(session, state, caller, evidence_id)
    if item.store == "none":
        raise EvidenceContentUnavailableError(f"evidence {item.id} was submitted as a digest; its submitter keeps it")
    chunks: Iterator[bytes] = evidence.store.open(digest=bytes.fromhex(item.digest[2:]), cid=item.cid)
    headers = {"X-Evidence-Digest": item.digest}
    if item.size is not None:
        headers["Content-Length"] = str(item.size)
    return StreamingResponse(
        iterate_in_threadpool(chunks), media_type=item.media_type or "application/octet-stream", headers=headers
    )
