"""Contract refusals become problems through ONE table; the contract, not the gateway, holds the rule.

The gateway does not re-implement a contract's checks. It asks the chain: a gas estimate of the very
transaction from the caller's address (:func:`dry_run`), or the view that refuses (``OracleHub.latest``).
A refusal arrives decoded at the chain boundary (``chain.errors``: ``ContractReverted(name, args)``) and
:func:`raise_problem` turns it into the problem a user sees, through :data:`REVERT_PROBLEMS` (error name
→ problem). An error the table does not name is re-raised as it is (``GEN-500``: a refusal nobody
expected is a bug), and so is a ``Panic``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn

from chain import ChainError, ContractPanic, ContractReverted
from chain.client import ChainClient, TxRequest
from chain.contracts.asset_fractions import OfferingStatus, Refusal
from chain.contracts.case_delegation import CaseStatus
from chain.contracts.consortium import EVIDENCE_ANCHORER_ROLE, GOVERNANCE_ROLE, Role
from chain.contracts.dispute_desk import DisputeStatus, Ruling
from chain.contracts.judicial_auction import LotStatus
from node_api.problems import (
    AuctionNotAllowedError,
    AuctionTermsError,
    BatchNotPublishedError,
    BidTooLowError,
    CaseAlreadyClaimedError,
    CaseClosedError,
    CaseIneligibleError,
    CaseNotYoursError,
    CaseStateError,
    ChainUnavailableError,
    CoreError,
    DisputeNotAllowedError,
    DisputeNotFoundError,
    DisputeStateError,
    DisputeTermsError,
    FractionsNotAllowedError,
    FractionsNotFoundError,
    FractionsStateError,
    FractionsTermsError,
    InvalidInputError,
    LotNotFoundError,
    LotStateError,
    OracleValueMissingError,
    OracleValueStaleError,
    RoleDeniedError,
)

__all__ = ["REVERT_PROBLEMS", "case_status_label", "dry_run", "raise_problem", "role_name", "transfer_refused"]

logger = logging.getLogger(__name__)

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


def role_name(role: Any) -> str:
    """A role id (``bytes32``) as the API names it (``COURT``, ``GOVERNANCE``), else its ``0x``-hex."""
    return _ROLE_NAMES.get(role, _hex(role))


def _role(a: Args) -> RoleDeniedError:
    role = role_name(a["role"])
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


def _lot_state(why: str) -> Callable[[Args], CoreError]:
    return lambda a: LotStateError(f"lot {a['lotId']} {why}", lot_id=int(a["lotId"]))


def _lot_status(a: Args) -> CoreError:
    label = LotStatus(int(a["status"])).label
    return LotStateError(f"lot {a['lotId']} is {label}: not in the state this action needs", lot_status=label)


def _not_open(a: Args) -> CoreError:
    return LotStateError(
        f"bidding on lot {a['lotId']} is open from {a['startsAt']} until {a['endsAt']} (block time), not now",
        starts_at=int(a["startsAt"]),
        ends_at=int(a["endsAt"]),
    )


def _bid_too_low(a: Args) -> CoreError:
    return BidTooLowError(
        f"a bid of {a['amount']} fen is below the minimum of {a['minimum']} fen now",
        amount_fen=int(a["amount"]),
        minimum_bid_fen=int(a["minimum"]),
    )


def _start_too_low(a: Args) -> CoreError:
    return AuctionTermsError(
        f"the starting price {a['startPrice']} fen is below the lowest allowed, {a['minimum']} fen "
        "(70 % of the appraisal; a relisting at most 20 % below the previous start)",
        rule="start_price",
        minimum_fen=int(a["minimum"]),
    )


def _deposit_range(a: Args) -> CoreError:
    return AuctionTermsError(
        f"the deposit {a['deposit']} fen is outside 5-20 % of the starting price ({a['minimum']}-{a['maximum']} fen)",
        rule="deposit",
        minimum_fen=int(a["minimum"]),
        maximum_fen=int(a["maximum"]),
    )


def _not_eligible(a: Args) -> CoreError:
    return AuctionNotAllowedError(
        f"{a['account']} is not an active INVESTOR with KYC tier {a['required']} (it has tier {a['kycTier']})",
        rule="kyc_tier",
        kyc_tier=int(a["kycTier"]),
        required_kyc_tier=int(a["required"]),
    )


def _not_allowed(rule: str, why: str) -> Callable[[Args], CoreError]:
    return lambda a: AuctionNotAllowedError(f"{a['account']} {why}", rule=rule)


def _terms(rule: str, why: str) -> Callable[[Args], CoreError]:
    return lambda _: AuctionTermsError(why, rule=rule)


#: ``IAssetFractions.FractionsInvalidTerms(field)`` → the request field it is about
_FRACTIONS_TERMS = {
    1: "price_fen",
    2: "min_subscription",
    3: "soft_cap",
    4: "hard_cap",
    5: "deadline",
    6: "regions",
    7: "max_per_holder",
    8: "asset_ref",
}


def transfer_refused(frm: str, to: str, shares: int, reason: Refusal) -> FractionsNotAllowedError:
    """``FRC-403``: the compliance rule (``AssetFractions.canTransfer``) that refuses moving ``shares``."""
    return FractionsNotAllowedError(
        f"compliance refuses moving {shares} shares from {frm} to {to}: {reason.label}",
        reason=reason.label,
        reason_code=int(reason),
    )


def _refused(a: Args) -> CoreError:
    return transfer_refused(a["from"], a["to"], a["amount"], Refusal(int(a["reason"])))


def _fractions_terms(a: Args) -> CoreError:
    field = _FRACTIONS_TERMS.get(int(a["field"]), str(a["field"]))
    return FractionsTermsError(f"the terms are invalid: {field}", field=field)


def _shares_limit(template: str, limit: str) -> Callable[[Args], CoreError]:
    """``FRC-422`` on ``shares``: ``template`` filled in from the error's arguments, the argument ``limit`` in
    the body."""
    return lambda a: FractionsTermsError(template.format_map(a), field="shares", **{limit: int(a[limit])})


def _offering_status(a: Args) -> CoreError:
    label = OfferingStatus(int(a["status"])).label
    return FractionsStateError(f"the offering is {label}: not in the state this step needs", offering_status=label)


def _dispute_status(a: Args) -> CoreError:
    label = DisputeStatus(int(a["status"])).label
    return DisputeStateError(
        f"dispute {a['disputeId']} is {label}: not in the state this step needs",
        dispute_status=label,
        reverted="DisputeWrongStatus",
    )


def _dispute_denied(name: str, why: str) -> Callable[[Args], CoreError]:
    """``DSP-403``: ``why`` about the account, on the dispute (or case) the error names."""

    def build(a: Args) -> CoreError:
        about = f"dispute {a['disputeId']}" if "disputeId" in a else f"case {_hex(a['caseId'])}"
        return DisputeNotAllowedError(f"{a['account']} {why} {about}", reverted=name)

    return build


def _dispute_terms(name: str, field: str, template: str) -> Callable[[Args], CoreError]:
    """``DSP-422`` on ``field``: ``template`` filled in from the error's arguments (digests as 0x-hex)."""
    return lambda a: DisputeTermsError(
        template.format_map({k: _hex(v) for k, v in a.items()}), field=field, reverted=name
    )


def _dispute_state(name: str, template: str, **numbers: str) -> Callable[[Args], CoreError]:
    """``DSP-409``: ``template`` filled in from the error's arguments; ``numbers`` maps body members to
    integer arguments."""
    return lambda a: DisputeStateError(
        template.format_map({k: _hex(v) for k, v in a.items()}),
        reverted=name,
        **{member: int(a[arg]) for member, arg in numbers.items()},
    )


def _ruling_not_allowed(a: Args) -> CoreError:
    status, ruling = DisputeStatus(int(a["status"])).label, Ruling(int(a["ruling"])).label
    return DisputeStateError(
        f"a ruling {ruling} is not one a court may give on dispute {a['disputeId']} while it is {status} "
        "(an agreement is confirmed or refused; a failed mediation is decided; mediation comes first)",
        dispute_status=status,
        ruling=ruling,
        reverted="DisputeRulingNotAllowed",
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
    # JudicialAuction
    "AuctionUnknownLot": lambda a: LotNotFoundError(f"no lot {a['lotId']} on chain"),
    "AuctionWrongStatus": _lot_status,
    "AuctionNotOpen": _not_open,
    "AuctionNotEnded": lambda a: LotStateError(
        f"bidding on lot {a['lotId']} ends at {a['endsAt']} (block time)", ends_at=int(a["endsAt"])
    ),
    "AuctionHasBids": _lot_state("has a bid: it can no longer be cancelled"),
    "AuctionPaymentDeadlinePassed": lambda a: LotStateError(
        f"the payment deadline of lot {a['lotId']} passed at {a['deadline']}", deadline=int(a["deadline"])
    ),
    "AuctionPaymentDeadlineNotReached": lambda a: LotStateError(
        f"the winner of lot {a['lotId']} may pay until {a['deadline']}", deadline=int(a["deadline"])
    ),
    "AuctionCannotRelist": _lot_state(
        "cannot be relisted (already relisted, failed twice, or more than 30 days since it closed)"
    ),
    "AuctionCannotSellAtFixedPrice": _lot_state("is not a second failed auction that can be sold at a fixed price"),
    "AuctionBidTooLow": _bid_too_low,
    "AuctionStartPriceTooLow": _start_too_low,
    "AuctionInvalidDeposit": _deposit_range,
    "AuctionWindowTooShort": lambda a: AuctionTermsError(
        f"a bidding window of {a['window']} s is shorter than 24 hours", rule="bidding_window"
    ),
    "AuctionInvalidTerms": _terms("terms", "the starting price, increment and payment window must be positive"),
    "AuctionDocumentNotAnchored": lambda a: AuctionTermsError(
        f"document root {_hex(a['root'])} is not anchored in the evidence registry (anchor it first)",
        rule="documents",
    ),
    "AuctionNoAppraisal": lambda a: AuctionTermsError(
        f"no court appraisal was entered for asset {_hex(a['assetRef'])}; name an appraisal feed or ask the court",
        rule="appraisal",
    ),
    "AuctionInvalidAppraisal": lambda a: AuctionTermsError(
        f"the appraisal {a['value']} is not a positive amount in fen", rule="appraisal"
    ),
    "AuctionInvalidDistribution": lambda a: AuctionTermsError(
        f"the payees add up to {a['total']} fen, not the price of {a['price']} fen (and none may be zero)",
        rule="payees",
    ),
    "AuctionZeroAddress": _terms("address", "an address that must be set is zero"),
    "AuctionNotMember": lambda a: AuctionTermsError(
        f"{a['account']} cannot receive rCNY (not an active member): name a member as payee or forfeiture account",
        rule="payees",
    ),
    "AuctionBidderNotEligible": _not_eligible,
    "AuctionBidderBarred": _not_allowed("barred", "defaulted on an earlier round of this asset and may not bid"),
    "AuctionDepositAlreadyLocked": lambda a: LotStateError(f"{a['account']} already locked the deposit"),
    "AuctionNoDeposit": _not_allowed("deposit", "has not locked the deposit of this lot"),
    "AuctionAlreadyHighest": lambda a: LotStateError(f"{a['account']} already holds the highest bid"),
    "AuctionCannotMatch": _not_allowed(
        "preemption", "is not a pre-emption holder who may match (or the highest is one already)"
    ),
    "AuctionNotSeller": _not_allowed("seller", "is not the seller of this lot"),
    "AuctionNotLotCourt": _not_allowed("court", "is not the court of this lot"),
    "AuctionNotWinner": _not_allowed("winner", "is not the winner of this lot"),
    "AuctionDepositApplied": lambda a: LotStateError(
        f"{a['account']} won: its deposit is part of the price and cannot be withdrawn"
    ),
    "AuctionNothingToWithdraw": lambda a: LotStateError(f"{a['account']} has nothing to withdraw here"),
    "AuctionCaseNotEnforceable": lambda a: LotStateError(
        f"asset {_hex(a['assetRef'])} is collateral of case {_hex(a['caseId'])}, which is not enforceable: the case "
        "must be enforceable first (a final ruling for the claimant, or a confirmed agreement in default)",
        case_id=_hex(a["caseId"]),
        rule="enforceable",
    ),
    # FractionsFactory and AssetFractions
    "FractionsTransferRefused": _refused,
    "FractionsInvalidTerms": _fractions_terms,
    "FractionsWrongOfferingStatus": _offering_status,
    "FractionsOfferingClosed": lambda a: FractionsStateError(
        f"subscriptions are closed (the deadline {a['deadline']} passed or the hard cap was reached)",
        deadline=int(a["deadline"]),
    ),
    "FractionsOfferingNotEnded": lambda a: FractionsStateError(
        f"the offering runs until {a['deadline']} (block time) or the hard cap", deadline=int(a["deadline"])
    ),
    "FractionsBelowMinimum": _shares_limit("{shares} shares is below the minimum subscription of {minimum}", "minimum"),
    "FractionsHardCapExceeded": _shares_limit(
        "{shares} shares exceed the {available} left below the hard cap", "available"
    ),
    "FractionsNothingToPay": lambda a: FractionsStateError(f"{a['account']} has nothing to claim, refund or withdraw"),
    "FractionsZeroAmount": lambda _: FractionsTermsError("an amount, price or address that must be set is zero"),
    "FractionsUnknownOffer": lambda a: FractionsNotFoundError(
        f"offer {a['offerId']} does not exist, is filled or was cancelled", offer_id=int(a["offerId"])
    ),
    "FractionsOfferTooSmall": _shares_limit(
        "offer {offerId} has {available} shares left, fewer than {shares}", "available"
    ),
    "FractionsNotSeller": lambda a: FractionsNotAllowedError(
        f"{a['caller']} is not the seller of offer {a['offerId']}", rule="seller"
    ),
    "FractionsNoShares": lambda _: FractionsStateError(
        "no shares yet: recoveries are paid in once the offering succeeded"
    ),
    "FractionsInvalidFreeze": lambda a: FractionsTermsError(
        f"{a['account']} is not frozen that way, or the freeze exceeds its holding", field="account"
    ),
    "FractionsPauseUnchanged": lambda a: FractionsStateError(
        f"trading is already {'paused' if a['paused'] else 'running'}", paused=bool(a["paused"])
    ),
    "FractionsInvalidRecovery": lambda a: FractionsTermsError(
        f"{a['lost']}'s shares cannot be recovered to {a['replacement']}", field="replacement"
    ),
    "FractionsInvalidSource": lambda a: FractionsTermsError(
        f"{a['source']} is not a system contract that owes this asset anything", field="source"
    ),
    "FractionsAlreadyIssued": lambda a: FractionsTermsError(
        f"asset {_hex(a['assetRef'])} already has a token {a['asset']}", field="asset_ref", asset=a["asset"]
    ),
    "FractionsDocumentsNotAnchored": lambda a: FractionsTermsError(
        f"documents root {_hex(a['root'])} is not anchored in the evidence registry (anchor it first)",
        field="documents_root",
    ),
    # DisputeDesk
    "DisputeUnknown": lambda a: DisputeNotFoundError(
        f"no dispute {a['disputeId']} on chain", reverted="DisputeUnknown"
    ),
    "DisputeCaseUnknown": lambda a: DisputeNotFoundError(
        f"case {_hex(a['caseId'])} has no on-chain record (it was never published)", reverted="DisputeCaseUnknown"
    ),
    "DisputeWrongStatus": _dispute_status,
    "DisputeCaseSettled": _dispute_state("DisputeCaseSettled", "case {caseId} was recovered in full"),
    "DisputeAlreadyOpen": _dispute_state(
        "DisputeAlreadyOpen", "case {caseId} already has dispute {disputeId}", dispute_id="disputeId"
    ),
    "DisputeRulingNotAllowed": _ruling_not_allowed,
    "DisputeAppealWindowClosed": _dispute_state(
        "DisputeAppealWindowClosed",
        "the appeal window of dispute {disputeId} closed at {appealDeadline} (block time)",
        appeal_deadline="appealDeadline",
    ),
    "DisputeAppealWindowOpen": _dispute_state(
        "DisputeAppealWindowOpen",
        "dispute {disputeId} may be appealed until {appealDeadline} (block time): finalise after that",
        appeal_deadline="appealDeadline",
    ),
    "DisputeNotInDefault": _dispute_state(
        "DisputeNotInDefault",
        "dispute {disputeId} is not in default: {due} fen fell due before the grace period and {paid} fen is paid",
        due_fen="due",
        paid_fen="paid",
    ),
    "DisputeNothingToWithdraw": _dispute_state("DisputeNothingToWithdraw", "{account} is owed nothing here"),
    "DisputeNotCaseParty": _dispute_denied("DisputeNotCaseParty", "is neither the bank nor the collector of"),
    "DisputeNotMediator": _dispute_denied(
        "DisputeNotMediator", "is not an active MEDIATOR who is no party to the case of"
    ),
    "DisputeNotDisputeMediator": _dispute_denied("DisputeNotDisputeMediator", "is not the mediator of"),
    "DisputeNotBank": _dispute_denied("DisputeNotBank", "is not the bank of"),
    "DisputeNotParticipant": _dispute_denied(
        "DisputeNotParticipant", "is not a party, the mediator or a court (or the opener, to abandon) of"
    ),
    "DisputeSameCourt": lambda a: DisputeNotAllowedError(
        f"{a['court']} gave the first ruling on dispute {a['disputeId']}: a different court rules on appeal",
        reverted="DisputeSameCourt",
    ),
    "DisputeInvalidClaim": _dispute_terms(
        "DisputeInvalidClaim",
        "claim_amount_fen",
        "a claim of {claimAmount} fen must be positive and at most the {outstanding} fen still overdue",
    ),
    "DisputeEvidenceNotAnchored": _dispute_terms(
        "DisputeEvidenceNotAnchored", "evidence", "evidence root {root} is not anchored (anchor it first)"
    ),
    "DisputeCollateralTaken": _dispute_terms(
        "DisputeCollateralTaken", "collateral", "asset {assetRef} is already collateral of case {caseId}"
    ),
    "DisputeInvalidSchedule": _dispute_terms(
        "DisputeInvalidSchedule",
        "schedule",
        "the schedule is invalid at instalment {index}: 1 to 120 instalments, each at least 1 fen and below "
        "2**96 fen, due in the future (before 2106) in strictly increasing order",
    ),
    "DisputeAgreementMismatch": _dispute_terms(
        "DisputeAgreementMismatch",
        "schedule",
        "the schedule's total {total} fen plus the relief {relief} fen is not the claim of {claimAmount} fen",
    ),
    "DisputeInvalidGrace": _dispute_terms(
        "DisputeInvalidGrace", "grace_seconds", "a grace period of {grace} s is longer than {maximum} s"
    ),
    "DisputeInvalidPayment": _dispute_terms(
        "DisputeInvalidPayment",
        "amount_fen",
        "a payment of {amount} fen must be positive and at most the {outstanding} fen outstanding",
    ),
    "DisputeInvalidSetting": _dispute_terms("DisputeInvalidSetting", "setting", "the setting is outside its bounds"),
    "DisputeZeroAddress": _dispute_terms("DisputeZeroAddress", "payee", "an address that must be set is zero"),
    "DisputeInvalidPayee": _dispute_terms(
        "DisputeInvalidPayee",
        "payee",
        "{payee} cannot hold rCNY: a payee is an active member or a system contract (e.g. an AssetFractions token)",
    ),
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


def dry_run(
    client: ChainClient,
    sender: str,
    tx: TxRequest,
    *,
    block: int | str = "latest",
    refused: Callable[[ContractReverted], NoReturn] = raise_problem,
) -> int:
    """Ask the chain whether ``sender`` may send ``tx`` now: an ``eth_estimateGas`` of it from that address
    (the node runs the transaction, as ``eth_call`` would, and refuses with the same custom error). A
    refusal is raised through ``refused`` (by default as its problem, :func:`raise_problem`); an answer is the
    gas limit to send it with (the estimate with a margin), so the writer need not run it a second time to
    estimate it."""
    if tx.to is None:  # pragma: no cover - every request of a deployed contract has its address
        raise ValueError("a deployment cannot be dry-run")
    try:
        return client.estimate_gas(sender, tx, block=block)
    except ContractReverted as exc:
        try:
            refused(exc)
        except ContractReverted as unmapped:
            # The chain refuses the request as given, with a reason the table does not name yet (e.g. an
            # arithmetic limit such as SafeCast's): a 422 naming it, not a 500. Nothing was sent.
            logger.warning("chain_errors.unmapped error=%s selector=%s", unmapped.name, unmapped.selector)
            raise InvalidInputError(
                f"the chain refuses this request ({unmapped.name})", error_name=unmapped.name
            ) from unmapped
    except ChainError as exc:
        raise ChainUnavailableError(f"cannot ask the chain: {exc}") from exc
