"""Typed domain errors with stable codes, rendered as RFC 9457 ``application/problem+json``.

Hierarchy::

    CoreError                              root; ``code``, ``http_status``, ``title``
    ├── NotAuthenticatedError      AUTH-001 401  missing/unknown/revoked API key
    ├── AmbiguousCredentialsError  AUTH-004 400  Authorization and X-API-Key carry different keys
    ├── ScopeDeniedError           AUTH-002 403  the key's scopes do not allow this route
    ├── RoleDeniedError            AUTH-003 403  the institution lacks the on-chain role now
    ├── NotFoundError              GEN-404  404  resource does not exist (or is not yours)
    ├── IdempotencyConflictError   OPS-409  409  same Idempotency-Key, different body
    ├── IdempotencyKeyMissingError OPS-400  400  a write without an Idempotency-Key header
    ├── InvalidInputError          GEN-422  422  semantically invalid input
    ├── ChainUnavailableError      CHN-503  503  the chain node cannot be reached
    ├── NotReadyError              GEN-503  503  a dependency is not ready
    ├── EvidenceTooLargeError      EVD-413  413  upload larger than ``evidence.max_upload_bytes``
    ├── EvidenceTooManyError       EVD-422  422  more documents/digests in one call than allowed
    ├── EvidenceNotAnchoredError   EVD-409  409  no receipt yet: the document's batch is not anchored
    ├── EvidenceAccessDeniedError  EVD-403  403  only the submitter, courts and the case's parties
    ├── EvidenceContentUnavailableError EVD-404 404  the bytes are not in the content store
    └── EvidenceStoreError         EVD-502  502  the content store (IPFS node) failed
Every reused ``Idempotency-Key`` with a different request, whatever it keys (operations, evidence items,
webhook subscriptions), is ``IdempotencyConflictError`` built by ``node_api.services.operations.conflict``.
A contract's refusal (a decoded ``ContractReverted``) becomes one of these classes through one table,
``node_api.services.chain_errors.REVERT_PROBLEMS``.
Request validation errors become ``GEN-422`` with an ``errors`` list; a JSON or CSV body over its limit
``GEN-413`` (``node_api.limits``, before the body is read); anything unexpected becomes ``GEN-500``
(logged, never with a stack trace in the body).

Case work (collectors' work on delegated cases, off chain) defines its errors beside its rules, all ``CoreError``s:
``case_import.CaseImportError`` CIM-422 (every bad row by line and field), ``case_import.CaseFileTooLargeError``
CIM-413 (more rows or bytes than one batch takes), ``casework.vault.VaultRecordMissingError`` VLT-404,
``casework.vault.VaultIntegrityError`` VLT-500 (tampered record), ``casework.contacts.CaseNotHeldError`` CWK-403,
``casework.contacts.ContactTimeInvalidError`` CWK-422, ``casework.conduct.ContactRefusedError`` CND-001 quiet
hours / CND-002 daily cap / CND-003 prohibited language, 422, whose ``violations`` lists every rule broken.

Domain families on chain, each with its refusals mapped in ``REVERT_PROBLEMS``: oracles ``ORC-00x``, case
delegation ``CAS-4xx``, judicial auctions ``AUC-4xx``, asset fractions ``FRC-403/404/409/422`` (a compliance
refusal carries ``reason`` and ``reason_code``), disputes ``DSP-403/404/409/422`` (each carries the
``DisputeDesk`` error's name as ``reverted``).

The web console (``node_api.console``): ``CON-403`` a form whose CSRF token is missing or wrong (shown as a page).

The auditor's replay run by the gateway (``node_api.services.audit``): ``AUD-403`` (neither AUDITOR nor
REGULATOR), ``AUD-404`` (no such replay, or no report yet), ``AUD-409`` (a replay is already running).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "AmbiguousCredentialsError",
    "AuditNotAllowedError",
    "AuditNotFoundError",
    "AuditReplayRunningError",
    "ChainUnavailableError",
    "ConsoleFormTokenError",
    "CoreError",
    "EvidenceAccessDeniedError",
    "EvidenceContentUnavailableError",
    "EvidenceNotAnchoredError",
    "EvidenceStoreError",
    "EvidenceTooLargeError",
    "EvidenceTooManyError",
    "IdempotencyConflictError",
    "IdempotencyKeyMissingError",
    "InvalidInputError",
    "NotAuthenticatedError",
    "NotFoundError",
    "NotReadyError",
    "RoleDeniedError",
    "ScopeDeniedError",
    "problem_response",
    "register_problem_handlers",
]

logger = logging.getLogger(__name__)
PROBLEM_BASE = "https://recourse.example/problems/"
MEDIA_TYPE = "application/problem+json"


#: RFC 9457's members plus our ``code``: an extension member never takes one of these names
STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "code"})


class CoreError(Exception):
    code = "GEN-000"
    http_status = 400
    title = "Request refused"

    def __init__(self, detail: str, **extra: Any) -> None:
        shadowed = STANDARD_MEMBERS.intersection(extra)
        if shadowed:  # a programming error, caught by the catalogue test: never let it reach a client
            raise TypeError(f"problem extension members may not shadow RFC 9457 members: {sorted(shadowed)}")
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotAuthenticatedError(CoreError):
    code, http_status, title = "AUTH-001", 401, "Not authenticated"


class AmbiguousCredentialsError(CoreError):
    code, http_status, title = "AUTH-004", 400, "Two different API keys in one request"


class ScopeDeniedError(CoreError):
    code, http_status, title = "AUTH-002", 403, "API key scope does not allow this"


class RoleDeniedError(CoreError):
    code, http_status, title = "AUTH-003", 403, "Institution lacks the on-chain role"


class NotFoundError(CoreError):
    code, http_status, title = "GEN-404", 404, "Not found"


class IdempotencyConflictError(CoreError):
    code, http_status, title = "OPS-409", 409, "Idempotency key reused with a different request"


class IdempotencyKeyMissingError(CoreError):
    code, http_status, title = "OPS-400", 400, "Idempotency-Key header required"


class InvalidInputError(CoreError):
    code, http_status, title = "GEN-422", 422, "Invalid input"


class ChainUnavailableError(CoreError):
    code, http_status, title = "CHN-503", 503, "Chain unavailable"


class NotReadyError(CoreError):
    code, http_status, title = "GEN-503", 503, "Not ready"


class EvidenceTooLargeError(CoreError):
    code, http_status, title = "EVD-413", 413, "Document too large"


class EvidenceTooManyError(CoreError):
    code, http_status, title = "EVD-422", 422, "Too many items in one call"


class EvidenceNotAnchoredError(CoreError):
    code, http_status, title = "EVD-409", 409, "Evidence not anchored yet"


class EvidenceAccessDeniedError(CoreError):
    code, http_status, title = "EVD-403", 403, "Not allowed to read this evidence"


class EvidenceContentUnavailableError(CoreError):
    code, http_status, title = "EVD-404", 404, "Document content unavailable"


class EvidenceStoreError(CoreError):
    code, http_status, title = "EVD-502", 502, "Content store failed"


class ConsoleFormTokenError(CoreError):
    """A console form (``/console``) without its CSRF token, or with one of another browser or session."""

    code, http_status, title = "CON-403", 403, "Form token missing or wrong"


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)  # the standard members always win
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "ApiKey")
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers or None)


_HTTP_CODES = {
    400: ("GEN-400", "Bad request"),
    401: ("AUTH-001", "Not authenticated"),
    403: ("AUTH-002", "Forbidden"),
    404: ("GEN-404", "Not found"),
    405: ("GEN-405", "Method not allowed"),
    406: ("GEN-406", "Not acceptable"),
    413: ("GEN-413", "Request body too large"),
    415: ("GEN-415", "Unsupported media type"),
}


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        out.append({"field": ".".join(loc), "message": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (RFC 9110 ``Allow``). Starlette's own 405 names only
    the methods of the first route that matched the path, though several routes may share it."""
    methods: set[str] = set()
    path = request.url.path
    for route in iter_route_contexts(request.app.router.routes):  # included routers' routes one by one
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods.update(route.methods or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def register_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(CoreError)
    async def _core(request: Request, exc: CoreError) -> JSONResponse:
        return problem_response(
            status=exc.http_status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            instance=request.url.path,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _clean(list(exc.errors()))
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        return problem_response(
            status=422,
            code="GEN-422",
            title="Invalid request",
            detail=f"{first['field']}: {first['message']}",
            instance=request.url.path,
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _HTTP_CODES.get(exc.status_code, (f"GEN-{exc.status_code}", "HTTP error"))
        headers = dict(exc.headers or {})
        detail = str(exc.detail)
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {', '.join(allowed)}"
        return problem_response(
            status=exc.status_code, code=code, title=title, detail=detail, instance=request.url.path, headers=headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("api.unhandled path=%s error=%s", request.url.path, exc.__class__.__name__)
        return problem_response(
            status=500,
            code="GEN-500",
            title="Internal error",
            detail="an unexpected error occurred; it has been logged",
            instance=request.url.path,
        )


# --- oracles (signed valuation reports) and analytics (models served by the gateway) ---


class OracleSignatureInvalidError(CoreError):
    code, http_status, title = "ORC-001", 422, "Oracle signature invalid"


class OracleSignerNotOracleError(CoreError):
    code, http_status, title = "ORC-002", 403, "Signer is not an active oracle"


class OracleValueStaleError(CoreError):
    code, http_status, title = "ORC-003", 409, "Oracle value is stale"


class OracleValueMissingError(CoreError):
    code, http_status, title = "ORC-004", 404, "No oracle value"


class ModelUnavailableError(CoreError):
    """No trained model of the kind asked for is installed on this gateway (a missing resource, not an outage)."""

    code, http_status, title = "ANA-404", 404, "Model not installed"


class AnalyticsRefusedError(CoreError):
    """An analytics refusal; carries the analytics error's own stable code and status (``ANA-00x``)."""

    title = "Analytics refused the input"

    def __init__(self, detail: str, *, code: str, http_status: int) -> None:
        super().__init__(detail)
        self.code = code
        self.http_status = http_status


# --- case delegation (CaseDelegation: batches, claims, offers, recoveries on chain) ---


class CaseNotFoundError(CoreError):
    code, http_status, title = "CAS-404", 404, "No such case or batch"


class CaseAlreadyClaimedError(CoreError):
    code, http_status, title = "CAS-409", 409, "Case already claimed"


class CaseClosedError(CoreError):
    code, http_status, title = "CAS-410", 409, "Case is closed"


class CaseStateError(CoreError):
    code, http_status, title = "CAS-412", 409, "Case is not in the state this action needs"


class CaseIneligibleError(CoreError):
    code, http_status, title = "CAS-403", 403, "Collector not eligible for this case"


class CaseNotYoursError(CoreError):
    code, http_status, title = "CAS-401", 403, "Not your case or batch"


class BatchNotPublishedError(CoreError):
    code, http_status, title = "CAS-425", 409, "Batch not published on chain yet"


# --- judicial auctions (JudicialAuction: lots, deposits, bids, payment, confirmation on chain) ---


class LotNotFoundError(CoreError):
    code, http_status, title = "AUC-404", 404, "No such lot"


class LotStateError(CoreError):
    """The lot is not in the state the action needs (not open, not ended, has bids, deadline passed, ...)."""

    code, http_status, title = "AUC-409", 409, "Lot is not in the state this action needs"


class BidTooLowError(CoreError):
    code, http_status, title = "AUC-412", 409, "Bid below the minimum"


class AuctionTermsError(CoreError):
    """A listing, relisting, fixed-price offer or distribution breaks the auction rules (start price, deposit,
    window, documents, appraisal, payees)."""

    code, http_status, title = "AUC-422", 422, "Terms break the auction rules"


class AuctionNotAllowedError(CoreError):
    """The caller may not take this step on this lot: not eligible to bid (KYC tier, role, barred), no
    deposit, not the lot's seller, court or winner."""

    code, http_status, title = "AUC-403", 403, "Not allowed on this lot"


# --- asset fractions (FractionsFactory, AssetFractions: issue, offering, trading, recoveries, court orders) ---


class FractionsNotAllowedError(CoreError):
    """Compliance refuses a movement of shares (``reason``, ``reason_code``: the ``Refusal`` the token gives), or
    the caller is not the asset's issuer, the offer's seller or a court."""

    code, http_status, title = "FRC-403", 403, "Not allowed on this asset"


class FractionsNotFoundError(CoreError):
    code, http_status, title = "FRC-404", 404, "No such asset or offer"


class FractionsStateError(CoreError):
    """The offering or the asset is not in the state the step needs (offering open/closed/not ended, pause
    unchanged, nothing to pay, no shares yet)."""

    code, http_status, title = "FRC-409", 409, "Asset is not in the state this step needs"


class FractionsTermsError(CoreError):
    """Invalid terms (``field``), a subscription below the minimum or above the hard cap (``available``), an
    offer too small, an invalid freeze, key recovery or source, documents not anchored, asset already issued."""

    code, http_status, title = "FRC-422", 422, "Invalid fractions terms or amounts"


# --- disputes (DisputeDesk: mediation, agreements and instalments, court rulings and appeals) ---


class DisputeNotAllowedError(CoreError):
    """The caller may not take this step on this dispute: not the case's bank or collector, not its bank, not its
    mediator, not an active MEDIATOR (or a party to the case), not a participant, the court that ruled first
    ruling on appeal, or without the consortium role the step needs."""

    code, http_status, title = "DSP-403", 403, "Not allowed on this dispute"


class DisputeNotFoundError(CoreError):
    """No such dispute (on chain or in the index), or the case has no on-chain record or no dispute."""

    code, http_status, title = "DSP-404", 404, "No such dispute or case"


class DisputeStateError(CoreError):
    """The dispute is not in the state this step needs (wrong status, the case already has a dispute, the
    appeal window closed or still open, no instalment late beyond the grace period, a ruling the status does
    not allow, nothing to withdraw, the case recovered in full)."""

    code, http_status, title = "DSP-409", 409, "Dispute is not in the state this step needs"


class DisputeTermsError(CoreError):
    """Invalid terms or amounts (``field``): a claim above what is overdue, a schedule out of order or not
    adding up to the claim less the relief, a grace period too long, a payment above what is outstanding,
    evidence not anchored, collateral of another case, a zero address."""

    code, http_status, title = "DSP-422", 422, "Invalid dispute terms or amounts"


# --- the auditor's replay (run by the gateway, its report served to auditors and regulators) ---


class AuditNotAllowedError(CoreError):
    """Replays and their reports are for members holding the AUDITOR or the REGULATOR role."""

    code, http_status, title = "AUD-403", 403, "Audit reports are for auditors and regulators"


class AuditNotFoundError(CoreError):
    """No such replay on this gateway, or no replay has finished yet (so there is no report)."""

    code, http_status, title = "AUD-404", 404, "No such replay or report"


class AuditReplayRunningError(CoreError):
    """A replay is running: the gateway runs one at a time (``replay_id`` names it)."""

    code, http_status, title = "AUD-409", 409, "A replay is already running"
