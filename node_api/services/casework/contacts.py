"""Case work off chain: debtor contact reads, contact logging under the conduct rules, compliance
records for regulators, and the periodic anchoring of the access and contact logs as evidence.

Ports (tests use fakes): :class:`CaseAccessPort` answers "which collector holds this case now" and "which
bank published it"; :class:`Web3CaseAccess` reads ``CaseDelegation.caseOf`` (``state.recourse.cases``).
:class:`ClockPort` is the gateway's clock (:class:`SystemClock`; ``state.services.casework.clock``).
A collector *holds* a case when the case is ``CLAIMED`` or ``RECOVERY_REPORTED`` with it as collector
(an offer not yet accepted, or a closed case, gives no access to personal data).

Errors: ``CaseNotHeldError`` (CWK-403), ``ContactTimeInvalidError`` (CWK-422), and the conduct refusal
``ContactRefusedError`` (CND-001/002/003, 422, lists every broken rule) from :mod:`.conduct`.

**Contact time.** The gateway's clock decides whether an attempt is allowed now; a collector's clock
never does. Without ``attempted_at`` an attempt is *live*: checked and recorded at the gateway's time.
A client-supplied ``attempted_at`` (:func:`attempt_time`) must carry a UTC offset (a naive time is
``CWK-422``: whose midnight would it be?) and is read against the gateway's clock ``now``:

* more than ``max_clock_skew`` (300 s) ahead: ``CWK-422``;
* up to ``max_clock_skew`` ahead or up to ``live_tolerance`` (30 s) behind: the same moment, so the
  attempt is live and the gateway's time is used (a fast or slow client clock cannot move an attempt
  out of quiet hours);
* further back, up to ``max_backdate`` (7 days): a **late log** of an attempt that already happened. It
  is recorded with ``backdated`` set, the claimed ``attempted_at`` and the gateway's ``recorded_at``,
  checked against quiet hours and the daily cap of the claimed time's local day (where it then counts),
  and shown flagged to the publishing bank and to regulators. A late log claiming a quiet-hours time is
  refused like a live attempt would have been;
* further back still: ``CWK-422``.

**Log anchoring** (:func:`anchor_logs`, run every ``casework.anchor_interval`` seconds by
:func:`start_casework_services`): the new entries of the vault access log and the contact log (ids
after the last anchored range, older than ``ANCHOR_SETTLE`` seconds so concurrent inserts have
committed) become the leaves of one ``StandardMerkleTree`` (leaf value = ``keccak256`` of the entry's
canonical JSON, :func:`access_leaf` / :func:`contact_leaf`). The tree and its id ranges are stored
(``LogAnchor``) **before** the root is submitted as operation ``vault.access_log_anchor`` (an
``EvidenceRegistry.anchor`` signed by ``casework.anchor_institution``, default ``bank``: the
institution operating the vault) with the idempotency key ``vault-logs:a<from>-<to>:c<from>-<to>``. A
crash between the two steps resubmits the same key, which returns the same operation: each range is
anchored exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from eth_utils.crypto import keccak
from sqlalchemy import ColumnElement, Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chain import ChainError
from chain.contracts.case_delegation import ZERO_ADDRESS, CaseStatus
from chain.merkle import StandardMerkleTree
from chain.network import Recourse
from node_api.db.cases_models import CaseBatch, CaseEntry
from node_api.db.casework_models import ConductViolation, ContactAttempt, LogAnchor, VaultAccess, VaultRecord
from node_api.db.models import utcnow
from node_api.institutions import Institution
from node_api.problems import ChainUnavailableError, CoreError
from node_api.services.case_import import DebtorRecord
from node_api.services.casework.conduct import Breach, ConductRules, ContactRefusedError
from node_api.services.casework.settings import ConductSettings
from node_api.services.casework.vault import PiiVault, case_hex
from node_api.services.operations import conflict, request_hash, submit_operation

if TYPE_CHECKING:
    from node_api.state import GatewayState

__all__ = [
    "ANCHOR_KIND",
    "ANCHOR_SETTLE",
    "CHANNELS",
    "OFFSET_EXAMPLE",
    "AttemptTime",
    "CaseAccessPort",
    "CaseNotHeldError",
    "CaseworkRuntime",
    "ClockPort",
    "CollectorRecord",
    "ContactResult",
    "ContactTimeInvalidError",
    "SystemClock",
    "Web3CaseAccess",
    "access_leaf",
    "anchor_logs",
    "attempt_time",
    "build_casework",
    "collector_record",
    "contact_leaf",
    "list_accesses",
    "list_anchors",
    "list_bank_contacts",
    "list_contacts",
    "list_violations",
    "log_contact",
    "read_debtor",
    "start_casework_services",
]

logger = logging.getLogger(__name__)

ANCHOR_KIND = "vault.access_log_anchor"
#: seconds a log entry must be old before it is anchored (lets concurrent transactions commit)
ANCHOR_SETTLE = 2.0
CHANNELS = ("phone", "sms", "letter", "visit", "email", "app")
HOLDING = (CaseStatus.CLAIMED, CaseStatus.RECOVERY_REPORTED)


class CaseNotHeldError(CoreError):
    code, http_status, title = "CWK-403", 403, "Case not held by this collector"


class ContactTimeInvalidError(CoreError):
    code, http_status, title = "CWK-422", 422, "Contact time not acceptable"


#: shown when a contact time has no UTC offset
OFFSET_EXAMPLE = "2026-12-07T14:05:00+08:00"


class ClockPort(Protocol):
    def now(self) -> dt.datetime:
        """The gateway's current time, timezone-aware."""
        ...


class SystemClock:
    """:class:`ClockPort` over the host's clock (UTC)."""

    def now(self) -> dt.datetime:
        return utcnow()


class CaseAccessPort(Protocol):
    def holder_of(self, case_id: bytes) -> str | None:
        """Checksum address of the collector holding the case now (claimed/accepted, not closed)."""
        ...

    def bank_of(self, case_id: bytes) -> str | None:
        """Address of the bank that published the case, once it is known on chain."""
        ...


class Web3CaseAccess:
    """:class:`CaseAccessPort` over ``CaseDelegation`` (``recourse.cases``)."""

    def __init__(self, recourse: Recourse) -> None:
        self._recourse = recourse

    def holder_of(self, case_id: bytes) -> str | None:
        try:
            rec = self._recourse.cases.case(case_id)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot read case {case_hex(case_id)}: {exc}") from exc
        if rec.status in HOLDING and rec.collector != ZERO_ADDRESS:
            return str(rec.collector)
        return None

    def bank_of(self, case_id: bytes) -> str | None:
        try:
            rec = self._recourse.cases.case(case_id)
            if rec.batch_id == 0:
                return None
            return str(self._recourse.cases.batch(rec.batch_id).bank)
        except ChainError as exc:
            raise ChainUnavailableError(f"cannot read case {case_hex(case_id)}: {exc}") from exc


@dataclass(frozen=True)
class CaseworkRuntime:
    """What the case-work routes need from the gateway state (built once, replaceable in tests)."""

    vault: PiiVault
    rules: ConductRules
    access: CaseAccessPort
    clock: ClockPort


def build_casework(state: GatewayState) -> CaseworkRuntime:
    """The vault, conduct rules, case-access adapter and system clock of this gateway, from its settings."""
    s = state.settings
    return CaseworkRuntime(
        vault=PiiVault.from_settings(s.casework, s.chain.chain_id),
        rules=ConductRules(s.casework.conduct),
        access=Web3CaseAccess(state.recourse),
        clock=SystemClock(),
    )


def _require_holder(access: CaseAccessPort, case_id: bytes, institution: Institution) -> None:
    holder = access.holder_of(case_id)
    if holder is None or holder.lower() != institution.address.lower():
        raise CaseNotHeldError(
            f"{institution.name} ({institution.address}) does not hold case {case_hex(case_id)}: only the collector "
            "that has claimed (or accepted) the case may read the debtor or log contacts",
            holder=holder,
        )


# --- debtor reads ---------------------------------------------------------------------------------


def read_debtor(
    *, session: Session, vault: PiiVault, access: CaseAccessPort, case_id: bytes, institution: Institution
) -> DebtorRecord:
    """The debtor's contact data for the collector holding the case; the read is logged first."""
    _require_holder(access, case_id, institution)
    return vault.read(session, case_id, institution.name, "contact debtor", reader_address=institution.address)


# --- contacts -------------------------------------------------------------------------------------

_contact_lock = threading.Lock()


@dataclass(frozen=True)
class ContactResult:
    contact: ContactAttempt
    flags: list[Breach]
    created: bool


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class AttemptTime:
    """When an attempt is taken to have happened (``at``, checked by the rules), whether that is a claimed
    past time (``backdated``), and the gateway's time of recording (``recorded_at``)."""

    at: dt.datetime
    recorded_at: dt.datetime
    backdated: bool


def _require_offset(claimed: dt.datetime) -> None:
    if claimed.utcoffset() is None:
        raise ContactTimeInvalidError(
            f"attempted_at {claimed.isoformat()} has no UTC offset; an offset is required, e.g. {OFFSET_EXAMPLE} "
            "(or leave attempted_at out for a contact happening now)",
            example=OFFSET_EXAMPLE,
        )


def attempt_time(*, claimed: dt.datetime | None, now: dt.datetime, settings: ConductSettings) -> AttemptTime:
    """Read a client-supplied contact time against the gateway's clock ``now`` (see the module docstring).

    Raises ``ContactTimeInvalidError`` for a time without a UTC offset, too far ahead or too far back.
    """
    if claimed is None:
        return AttemptTime(at=now, recorded_at=now, backdated=False)
    _require_offset(claimed)
    skew, tolerance, back = settings.max_clock_skew, settings.live_tolerance, settings.max_backdate
    if claimed > now + dt.timedelta(seconds=skew):
        raise ContactTimeInvalidError(
            f"attempted_at {claimed.isoformat()} is in the future (allowed skew {skew} s)", now=now.isoformat()
        )
    if claimed >= now - dt.timedelta(seconds=tolerance):
        return AttemptTime(at=now, recorded_at=now, backdated=False)
    if claimed < now - dt.timedelta(seconds=back):
        raise ContactTimeInvalidError(
            f"attempted_at {claimed.isoformat()} is more than {back} s in the past", now=now.isoformat()
        )
    return AttemptTime(at=claimed.astimezone(dt.UTC), recorded_at=now, backdated=True)


def log_contact(
    *,
    session: Session,
    vault: PiiVault,
    rules: ConductRules,
    access: CaseAccessPort,
    case_id: bytes,
    institution: Institution,
    channel: str,
    attempted_at: dt.datetime | None,
    note: str,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> ContactResult:
    """Check a contact attempt against the conduct rules and record it (and every broken rule).

    ``now`` is the gateway's clock (the route passes the runtime's :class:`ClockPort`); ``attempted_at``
    the collector's claim, if any, read by :func:`attempt_time`: a live attempt is checked at ``now``, a
    late log at its claimed time, in that local day's cap, and recorded ``backdated``.

    A blocking breach records the attempt as ``refused`` with its violations, commits, and raises
    ``ContactRefusedError`` listing every broken rule; flags are recorded and returned.
    """
    if attempted_at is not None:
        _require_offset(attempted_at)  # a malformed time is refused before anything else is looked up
    _require_holder(access, case_id, institution)
    key = case_hex(case_id)
    digest = request_hash(
        "cases.contact",
        {
            "case_id": key,
            "channel": channel,
            "attempted_at": attempted_at.isoformat() if attempted_at is not None else None,
            "note": note,
        },
    )
    if idempotency_key:
        found = session.exec(
            select(ContactAttempt).where(
                ContactAttempt.institution == institution.name, ContactAttempt.idempotency_key == idempotency_key
            )
        ).first()
        if found is not None:
            earlier = found.request_hash or None  # rows from before request hashes: compare case and channel
            same = earlier == digest if earlier else (found.case_id, found.channel) == (key, channel)
            if not same:
                raise conflict(idempotency_key, f"contact {found.id} on case {found.case_id}", contact_id=found.id)
            return _replay(session, found)
    timing = attempt_time(claimed=attempted_at, now=_aware(now or utcnow()), settings=rules.settings)
    when = timing.at
    meta = vault.meta(session, case_id)
    local = rules.local_time(when, meta.timezone)
    local_date = f"{local:%Y-%m-%d}"
    note_nonce, note_ct = vault.seal_note(case_id, note) if note else (None, None)
    with _contact_lock:  # count + insert as one step within this gateway ...
        # ... and across gateway processes on PostgreSQL: lock the debtor's vault rows until commit
        session.exec(select(VaultRecord.case_id).where(VaultRecord.debtor_key == meta.debtor_key).with_for_update())
        today = session.exec(
            select(func.count())
            .select_from(ContactAttempt)
            .where(
                ContactAttempt.debtor_key == meta.debtor_key,
                ContactAttempt.local_date == local_date,
                ContactAttempt.outcome == "logged",
            )
        ).one()
        breaches = rules.check(at=when, timezone=meta.timezone, contacts_today=int(today), texts=[note])
        blocked = any(b.outcome == "block" for b in breaches)
        attempt = ContactAttempt(
            case_id=key,
            debtor_key=meta.debtor_key,
            institution=institution.name,
            collector=institution.address,
            channel=channel,
            attempted_at=when.astimezone(dt.UTC),
            recorded_at=timing.recorded_at.astimezone(dt.UTC),
            backdated=timing.backdated,
            local_date=local_date,
            local_time=f"{local:%H:%M}",
            outcome="refused" if blocked else "logged",
            note_digest=hashlib.sha256(note.encode()).hexdigest() if note else "",
            note_nonce=note_nonce,
            note_ciphertext=note_ct,
            idempotency_key=idempotency_key,
            request_hash=digest if idempotency_key else None,
        )
        session.add(attempt)
        session.flush()
        for b in breaches:
            session.add(
                ConductViolation(
                    contact_id=int(attempt.id or 0),
                    case_id=key,
                    collector=institution.address,
                    rule_id=b.rule_id,
                    code=b.code,
                    category=b.category,
                    outcome=b.outcome,
                    matched=b.matched[:200],
                )
            )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise
    session.refresh(attempt)
    logger.info(
        "casework.contact case=%s collector=%s outcome=%s backdated=%s rules=%s",
        key,
        institution.name,
        attempt.outcome,
        attempt.backdated,
        ",".join(b.rule_id for b in breaches) or "-",
    )
    if blocked:
        raise ContactRefusedError(breaches, contact_id=attempt.id, backdated=attempt.backdated)
    return ContactResult(contact=attempt, flags=breaches, created=True)


def _breaches_of(session: Session, contact_id: int) -> list[ConductViolation]:
    stmt = select(ConductViolation).where(ConductViolation.contact_id == contact_id).order_by(col(ConductViolation.id))
    return list(session.exec(stmt).all())


def _replay(session: Session, found: ContactAttempt) -> ContactResult:
    rows = _breaches_of(session, int(found.id or 0))
    breaches = [
        Breach(
            code=v.code, rule_id=v.rule_id, category=v.category, outcome="block" if v.outcome == "block" else "flag",
            message=f"recorded violation of {v.rule_id}", matched=v.matched,
        )
        for v in rows
    ]  # fmt: skip
    if found.outcome == "refused":
        raise ContactRefusedError(breaches, contact_id=found.id, backdated=found.backdated)
    return ContactResult(contact=found, flags=breaches, created=False)


def violations_of(session: Session, contact_ids: Sequence[int]) -> dict[int, list[ConductViolation]]:
    if not contact_ids:
        return {}
    stmt = select(ConductViolation).where(col(ConductViolation.contact_id).in_(list(contact_ids)))
    out: dict[int, list[ConductViolation]] = {}
    for v in session.exec(stmt.order_by(col(ConductViolation.id))).all():
        out.setdefault(v.contact_id, []).append(v)
    return out


def _require_party(
    access: CaseAccessPort, case_id: bytes, institution: Institution, regulator: bool, what: str
) -> None:
    """The holder of the case, the bank that published it, or a regulator."""
    if regulator:
        return
    me = institution.address.lower()
    holder, bank = access.holder_of(case_id), access.bank_of(case_id)
    if me not in {(holder or "").lower(), (bank or "").lower()}:
        raise CaseNotHeldError(
            f"{institution.name} neither holds nor published case {case_hex(case_id)}; "
            f"only they and regulators read its {what}"
        )


def list_accesses(
    *,
    session: Session,
    access: CaseAccessPort,
    case_id: bytes,
    institution: Institution,
    regulator: bool,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[VaultAccess], int]:
    """Who read this case's personal data, when and why (newest first): for its parties and regulators."""
    _require_party(access, case_id, institution, regulator, "access log")
    where = VaultAccess.case_id == case_hex(case_id)
    total = int(session.exec(select(func.count()).select_from(VaultAccess).where(where)).one())
    stmt = select(VaultAccess).where(where).order_by(col(VaultAccess.id).desc()).offset(offset).limit(limit)
    return list(session.exec(stmt).all()), total


def list_bank_contacts(
    *, session: Session, bank: Institution, backdated: bool | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[ContactAttempt], int]:
    """Contacts on every case ``bank`` published through this gateway, newest first, without notes (one
    case's notes are read, and logged, at :func:`list_contacts`): lets a bank review its collectors' late
    logs (``backdated`` True) without walking its cases one by one."""
    published = (
        select(CaseEntry.case_id)
        .join(CaseBatch, col(CaseEntry.batch_id) == col(CaseBatch.id))
        .where(func.lower(CaseBatch.bank) == bank.address.lower())
    )
    where: list[ColumnElement[bool]] = [col(ContactAttempt.case_id).in_(published)]
    if backdated is not None:
        where.append(col(ContactAttempt.backdated).is_(backdated))
    total = int(session.exec(select(func.count()).select_from(ContactAttempt).where(*where)).one())
    stmt = select(ContactAttempt).where(*where).order_by(col(ContactAttempt.id).desc()).offset(offset).limit(limit)
    return list(session.exec(stmt).all()), total


def list_contacts(
    *,
    session: Session,
    vault: PiiVault,
    access: CaseAccessPort,
    case_id: bytes,
    institution: Institution,
    regulator: bool,
    backdated: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[tuple[ContactAttempt, str | None]], int]:
    """Contacts of a case with their decrypted notes: for the holder, the publishing bank and regulators.

    ``backdated`` True lists only the late logs, False only the live attempts. Notes may contain personal
    data, so returning them is logged as a vault access.
    """
    key = case_hex(case_id)
    _require_party(access, case_id, institution, regulator, "contacts")
    where: list[ColumnElement[bool]] = [col(ContactAttempt.case_id) == key]
    if backdated is not None:
        where.append(col(ContactAttempt.backdated).is_(backdated))
    total = int(session.exec(select(func.count()).select_from(ContactAttempt).where(*where)).one())
    rows = list(
        session.exec(select(ContactAttempt).where(*where).order_by(col(ContactAttempt.id)).offset(offset).limit(limit))
    )
    if any(r.note_ciphertext for r in rows):
        session.add(
            VaultAccess(
                case_id=key, reader=institution.name, reader_address=institution.address, purpose="contact notes"
            )
        )
        session.commit()
    out: list[tuple[ContactAttempt, str | None]] = []
    for r in rows:
        note = None
        if r.note_nonce is not None and r.note_ciphertext is not None:
            note = vault.open_note(case_id, r.note_nonce, r.note_ciphertext)
        out.append((r, note))
    return out, total


# --- compliance records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectorRecord:
    collector: str
    contacts_logged: int
    contacts_refused: int
    contacts_backdated: int
    cases_contacted: int
    violations: int
    blocked: int
    flagged: int
    by_code: dict[str, int]
    by_rule: dict[str, int]
    by_category: dict[str, int]
    compliance_rate: float
    last_violation_at: dt.datetime | None


def collector_record(*, session: Session, collector: str) -> CollectorRecord:
    """Counts of a collector's contacts and violations (every recorded violation counts)."""
    addr = collector
    contacts = session.exec(
        select(ContactAttempt.outcome, ContactAttempt.case_id, ContactAttempt.backdated).where(
            func.lower(ContactAttempt.collector) == addr.lower()
        )
    ).all()
    violations = list(
        session.exec(select(ConductViolation).where(func.lower(ConductViolation.collector) == addr.lower())).all()
    )
    outcomes = Counter(o for o, _, _ in contacts)
    attempts = len(contacts)
    with_violation = {v.contact_id for v in violations}
    clean = attempts - len(with_violation)
    return CollectorRecord(
        collector=addr,
        contacts_logged=outcomes.get("logged", 0),
        contacts_refused=outcomes.get("refused", 0),
        contacts_backdated=sum(1 for _, _, late in contacts if late),
        cases_contacted=len({c for _, c, _ in contacts}),
        violations=len(violations),
        blocked=sum(1 for v in violations if v.outcome == "block"),
        flagged=sum(1 for v in violations if v.outcome == "flag"),
        by_code=dict(sorted(Counter(v.code for v in violations).items())),
        by_rule=dict(sorted(Counter(v.rule_id for v in violations).items())),
        by_category=dict(sorted(Counter(v.category for v in violations).items())),
        compliance_rate=round(clean / attempts, 6) if attempts else 1.0,
        last_violation_at=max((v.created_at for v in violations), default=None),
    )


def list_violations(
    *, session: Session, collector: str | None, case_id: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[ConductViolation], int]:
    stmt = select(ConductViolation)
    count = select(func.count()).select_from(ConductViolation)
    if collector:
        stmt = stmt.where(func.lower(ConductViolation.collector) == collector.lower())
        count = count.where(func.lower(ConductViolation.collector) == collector.lower())
    if case_id:
        stmt = stmt.where(ConductViolation.case_id == case_id.lower())
        count = count.where(ConductViolation.case_id == case_id.lower())
    rows = list(session.exec(stmt.order_by(col(ConductViolation.id).desc()).offset(offset).limit(limit)).all())
    return rows, int(session.exec(count).one())


# --- log anchoring --------------------------------------------------------------------------------


def _iso(at: dt.datetime) -> str:
    return _aware(at).astimezone(dt.UTC).isoformat()


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def access_leaf(a: VaultAccess) -> bytes:
    """Leaf value of a vault access entry: ``keccak256`` of its canonical JSON."""
    return keccak(
        _canonical(
            {
                "log": "vault_access",
                "id": a.id,
                "case_id": a.case_id,
                "reader": a.reader,
                "reader_address": a.reader_address,
                "purpose": a.purpose,
                "at": _iso(a.accessed_at),
            }
        )
    )


def contact_leaf(c: ContactAttempt, rule_ids: Sequence[str]) -> bytes:
    """Leaf value of a contact log entry (with the ids of the rules it broke). A late log also carries
    ``backdated`` and the gateway's ``recorded_at``; a live entry's leaf is as it always was."""
    entry: dict[str, Any] = {
        "log": "contact",
        "id": c.id,
        "case_id": c.case_id,
        "collector": c.collector,
        "channel": c.channel,
        "attempted_at": _iso(c.attempted_at),
        "outcome": c.outcome,
        "note_digest": c.note_digest,
        "violations": list(rule_ids),
    }
    if c.backdated:
        entry |= {"backdated": True, "recorded_at": _iso(c.recorded_at)}
    return keccak(_canonical(entry))


def _last(session: Session, column: Any) -> int:
    value = session.exec(select(func.max(column))).one()
    return int(value) if value is not None else 0


def _submit_anchor(session: Session, recourse: Recourse, institution: Institution, anchor: LogAnchor) -> str:
    tree = StandardMerkleTree.load(anchor.tree)
    meta = keccak(
        _canonical(
            {
                "kind": "recourse/vault-logs/v1",
                "access": [anchor.access_from, anchor.access_to],
                "contacts": [anchor.contact_from, anchor.contact_to],
            }
        )
    )
    op, _ = submit_operation(
        session=session,
        institution=institution.name,
        sender=institution.address,
        idempotency_key=anchor.idempotency_key,
        kind=ANCHOR_KIND,
        body={
            "root": anchor.root,
            "leaf_count": anchor.leaf_count,
            "access": [anchor.access_from, anchor.access_to],
            "contacts": [anchor.contact_from, anchor.contact_to],
        },
        tx=recourse.evidence.anchor_request(tree.root, len(tree), meta),
    )
    anchor.operation_id = op.id
    session.add(anchor)
    session.commit()
    session.refresh(anchor)
    return op.id


def anchor_logs(
    *,
    engine: Engine,
    recourse: Recourse,
    institution: Institution,
    max_leaves: int = 50_000,
    settle: float = ANCHOR_SETTLE,
    now: dt.datetime | None = None,
) -> list[LogAnchor]:
    """Anchor the new log entries (and finish any anchor stored but not yet submitted); returns the anchors
    submitted by this call."""
    done: list[LogAnchor] = []
    with Session(engine) as session:
        for pending in session.exec(select(LogAnchor).where(col(LogAnchor.operation_id).is_(None))).all():
            _submit_anchor(session, recourse, institution, pending)
            done.append(pending)
        cutoff = _aware(now or utcnow()) - dt.timedelta(seconds=settle)
        a_last, c_last = _last(session, LogAnchor.access_to), _last(session, LogAnchor.contact_to)
        accesses = list(
            session.exec(
                select(VaultAccess)
                .where(col(VaultAccess.id) > a_last, col(VaultAccess.accessed_at) <= cutoff)
                .order_by(col(VaultAccess.id))
                .limit(max_leaves)
            ).all()
        )
        contacts = list(
            session.exec(
                select(ContactAttempt)
                .where(col(ContactAttempt.id) > c_last, col(ContactAttempt.created_at) <= cutoff)
                .order_by(col(ContactAttempt.id))
                .limit(max(max_leaves - len(accesses), 0))
            ).all()
        )
        if not accesses and not contacts:
            return _detached(session, done)
        rules = violations_of(session, [c.id for c in contacts if c.id is not None])
        leaves = [access_leaf(a) for a in accesses] + [
            contact_leaf(c, [v.rule_id for v in rules.get(c.id or 0, [])]) for c in contacts
        ]
        tree = StandardMerkleTree.of(leaves)
        a_to = accesses[-1].id if accesses else a_last
        c_to = contacts[-1].id if contacts else c_last
        anchor = LogAnchor(
            access_from=a_last + 1,
            access_to=int(a_to or 0),
            contact_from=c_last + 1,
            contact_to=int(c_to or 0),
            root=tree.root_hex,
            leaf_count=len(tree),
            tree=tree.dump(),
            institution=institution.name,
            idempotency_key=f"vault-logs:a{a_last + 1}-{a_to}:c{c_last + 1}-{c_to}",
        )
        session.add(anchor)
        try:
            session.commit()
        except IntegrityError:  # another gateway process stored this range first
            session.rollback()
            return _detached(session, done)
        session.refresh(anchor)
        _submit_anchor(session, recourse, institution, anchor)
        logger.info(
            "casework.logs_anchored root=%s leaves=%d access=%d-%d contacts=%d-%d operation_id=%s",
            anchor.root,
            anchor.leaf_count,
            anchor.access_from,
            anchor.access_to,
            anchor.contact_from,
            anchor.contact_to,
            anchor.operation_id,
        )
        done.append(anchor)
        return _detached(session, done)


def _detached(session: Session, rows: list[LogAnchor]) -> list[LogAnchor]:
    for r in rows:
        session.expunge(r)
    return rows


def start_casework_services(state: GatewayState) -> Callable[[], None]:
    """Lifespan hook: the vault, the conduct rules, the case-access adapter, and the anchoring thread."""
    cfg = state.settings.casework
    if state.services.casework is None:
        state.services.casework = build_casework(state)
    stop = threading.Event()
    institution = state.institutions.get(cfg.anchor_institution)
    if cfg.anchor_interval <= 0 or institution is None:
        if institution is None:
            logger.warning("casework.anchoring_off institution=%s not hosted", cfg.anchor_institution)
        return stop.set

    def run() -> None:
        while not stop.wait(cfg.anchor_interval):
            try:
                anchored = anchor_logs(
                    engine=state.engine,
                    recourse=state.recourse,
                    institution=institution,
                    max_leaves=cfg.anchor_max_leaves,
                )
                if anchored and institution.name in state.writers:
                    state.writer_for(institution.name).wake()
            except Exception:  # keep the service alive; the next run retries the same range
                logger.exception("casework.anchor_failed")

    thread = threading.Thread(target=run, name="casework-anchor", daemon=True)
    thread.start()

    def shutdown() -> None:
        stop.set()
        thread.join(timeout=5)

    return shutdown


def list_anchors(*, session: Session, limit: int = 100, offset: int = 0) -> tuple[list[LogAnchor], int]:
    rows = list(session.exec(select(LogAnchor).order_by(col(LogAnchor.id).desc()).offset(offset).limit(limit)).all())
    return rows, int(session.exec(select(func.count()).select_from(LogAnchor)).one())
