"""Contract refusals become problems through ONE table; the contract, not the gateway, holds the rule.

The gateway does not re-implement a contract's checks. It asks the chain: a gas estimate of the very
transaction from the caller's address (:func:`dry_run`), or the view that refuses (``OracleHub.latest``).
A refusal arrives decoded at the chain boundary (``chain.errors``: ``ContractReverted(name, args)``) and
:func:`raise_problem` turns it into the problem a user sees, through :data:`REVERT_PROBLEMS` (error name
→ problem). An error the table does not name is re-raised as it is (``GEN-500``: a refusal nobody
expected is a bug), and so is a ``Panic``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from chain import ChainError, ContractPanic, ContractReverted
from chain.client import ChainClient, TxRequest
from chain.contracts.case_delegation import CaseStatus
from chain.contracts.consortium import EVIDENCE_ANCHORER_ROLE, GOVERNANCE_ROLE, Role
from node_api.problems import (
    BatchNotPublishedError,
    CaseAlreadyClaimedError,
    CaseClosedError,
    CaseIneligibleError,
    CaseNotYoursError,
    CaseStateError,
    ChainUnavailableError,
    CoreError,
    InvalidInputError,
    OracleValueMissingError,
    OracleValueStaleError,
    RoleDeniedError,
)

__all__ = ["REVERT_PROBLEMS", "case_status_label", "dry_run", "raise_problem"]

Args = dict[str, Any]

_ROLE_NAMES = {r.id: r.value for r in Role} | {
    GOVERNANCE_ROLE: "GOVERNANCE",
    EVIDENCE_ANCHORER_ROLE: "EVIDENCE_ANCHORER",
}


def case_status_label(status: int) -> str:
    """A case status as the API names it (``open`` for a case in the pool)."""
    s = CaseStatus(int(status))
    return "open" if s is CaseStatus.NONE else s.label


def _hex(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


def _role(a: Args) -> RoleDeniedError:
    role = _ROLE_NAMES.get(a["role"], _hex(a["role"]))
    return RoleDeniedError(f"{a['account']} does not hold {role} on chain now", required_role=role)


def _ineligible(rule: str, why: str) -> Callable[[Args], CoreError]:
    return lambda a: CaseIneligibleError(f"{a['account']} {why}", rule=rule)


def _region(a: Args) -> CoreError:
    return CaseIneligibleError(
        f"{a['account']}'s region {a['collectorRegion']} does not cover the case region {a['caseRegion']}",
        rule="region",
        collector_region=int(a["collectorRegion"]),
        case_region=int(a["caseRegion"]),
    )


def _capacity(a: Args) -> CoreError:
    return CaseIneligibleError(
        f"{a['account']} already holds {a['openCases']} open cases (cap {a['maxOpenCases']})",
        rule="capacity",
        open_cases=int(a["openCases"]),
        max_open_cases=int(a["maxOpenCases"]),
    )


def _licence(a: Args) -> CoreError:
    expiry = int(a["licenceExpiry"])
    return CaseIneligibleError(f"{a['account']}'s licence expired at {expiry}", rule="licence", licence_expiry=expiry)


def _claimed(a: Args) -> CoreError:
    case_id = _hex(a["caseId"])
    return CaseAlreadyClaimedError(
        f"case {case_id} is already held by {a['collector']}",
        case_id=case_id,
        collector=a["collector"],
        case_status="claimed",
    )


def _closed(a: Args) -> CoreError:
    label = case_status_label(a["status"])
    return CaseClosedError(f"case {_hex(a['caseId'])} is closed ({label})", case_status=label)


def _expired(a: Args) -> CoreError:
    return CaseClosedError(f"case {_hex(a['caseId'])} passed its deadline {a['deadline']}", case_status="expired")


def _wrong_status(a: Args) -> CoreError:
    label = case_status_label(a["status"])
    return CaseStateError(f"case {_hex(a['caseId'])} is {label}: not in the state this action needs", case_status=label)


def _stale(a: Args) -> CoreError:
    return OracleValueStaleError(
        f"the latest value was observed at {a['observedAt']}, {a['age']} s ago, older than max_age {a['maxAge']} s",
        observed_at=int(a["observedAt"]),
        age_s=int(a["age"]),
        max_age_s=int(a["maxAge"]),
        reverted="OracleHubStaleReport",
    )


#: decoded custom error name → the problem it is for a user (contracts/interfaces/*.sol name the errors)
REVERT_PROBLEMS: dict[str, Callable[[Args], CoreError]] = {
    "ConsortiumGatedUnauthorized": _role,
    # CaseDelegation._requireEligible, in its order
    "CaseDelegationNotCollector": _ineligible("collector", "is not an admitted member holding COLLECTOR"),
    "CaseDelegationCollectorSuspended": _ineligible("suspended", "is suspended"),
    "CaseDelegationLicenceExpired": _licence,
    "CaseDelegationRegionIneligible": _region,
    "CaseDelegationAtCapacity": _capacity,
    # a case's state
    "CaseDelegationAlreadyClaimed": _claimed,
    "CaseDelegationCaseClosed": _closed,
    "CaseDelegationCaseExpired": _expired,
    "CaseDelegationWrongStatus": _wrong_status,
    "CaseDelegationOfferExpired": lambda a: CaseStateError(
        f"the offer of case {_hex(a['caseId'])} lapsed at {a['offerExpiry']}", offer_expiry=int(a["offerExpiry"])
    ),
    "CaseDelegationDeadlineNotReached": lambda a: CaseStateError(
        f"case {_hex(a['caseId'])} can be returned only after its deadline {a['deadline']}",
        deadline=int(a["deadline"]),
    ),
    "CaseDelegationNotCaseCollector": lambda a: CaseNotYoursError(
        f"case {_hex(a['caseId'])} is not held by {a['account']}"
    ),
    "CaseDelegationNotBatchBank": lambda a: CaseNotYoursError(
        f"the batch was published by {a['bank']}, not by {a['account']}"
    ),
    "CaseDelegationUnknownBatch": lambda a: BatchNotPublishedError(f"batch {a['batchId']} is not on chain"),
    "CaseDelegationInvalidOfferWindow": lambda a: InvalidInputError(
        f"an offer window of {a['window']} s is outside what the contract allows", window_seconds=int(a["window"])
    ),
    "CaseDelegationInvalidProof": lambda a: InvalidInputError(
        f"case {_hex(a['caseId'])} is not proven in batch {a['batchId']}"
    ),
    "CaseDelegationInvalidTerms": lambda a: InvalidInputError(f"case {_hex(a['caseId'])} has invalid terms"),
    "CaseDelegationEvidenceNotAnchored": lambda a: InvalidInputError(
        f"evidence digest {_hex(a['digest'])} is not proven in an anchored root {_hex(a['root'])}"
    ),
    "CaseDelegationInvalidRecovery": lambda a: InvalidInputError(
        f"amount_fen {a['amount']} exceeds what is still overdue ({a['maxAmount']} fen)", max_fen=int(a["maxAmount"])
    ),
    "CaseDelegationBatchNotClosed": lambda a: CaseStateError(
        f"batch {a['batchId']} can be settled after {a['closesAt']} with no open case ({a['openCases']} open)",
        closes_at=int(a["closesAt"]),
        open_cases=int(a["openCases"]),
    ),
    "CaseDelegationBatchSettled": lambda a: CaseStateError(f"batch {a['batchId']} is already settled"),
    "CaseDelegationZeroAmount": lambda _: CaseStateError("nothing to withdraw"),
    # OracleHub.latest
    "OracleHubNoReport": lambda a: OracleValueMissingError(
        f"no report was ever accepted for feed {_hex(a['feedId'])} and subject {_hex(a['subjectId'])}"
    ),
    "OracleHubStaleReport": _stale,
}


def raise_problem(exc: ContractReverted, **extra: Any) -> NoReturn:
    """Raise the problem :data:`REVERT_PROBLEMS` names for ``exc`` (``extra`` adds members the caller
    knows better, e.g. a case's current status); ``exc`` itself when the table does not name it."""
    build = REVERT_PROBLEMS.get(exc.name)
    if build is None or isinstance(exc, ContractPanic):
        raise exc
    problem = build(exc.arguments)
    problem.extra.update(extra)
    raise problem from exc


def dry_run(client: ChainClient, sender: str, tx: TxRequest, *, block: int | str = "latest") -> int:
    """Ask the chain whether ``sender`` may send ``tx`` now: an ``eth_estimateGas`` of it from that address
    (the node runs the transaction, as ``eth_call`` would, and refuses with the same custom error). A
    refusal is raised as its problem (:func:`raise_problem`); an answer is the gas limit to send it with
    (the estimate with a margin), so the writer need not run it a second time to estimate it."""
    if tx.to is None:  # pragma: no cover - every request of a deployed contract has its address
        raise ValueError("a deployment cannot be dry-run")
    try:
        return client.estimate_gas(sender, tx, block=block)
    except ContractReverted as exc:
        raise_problem(exc)
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot ask the chain: {exc}") from exc
