// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICaseDelegation} from "./ICaseDelegation.sol";
import {IConsortiumGated} from "./IConsortiumGated.sol";
import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";
import {ISettlementToken} from "./ISettlementToken.sol";

/// @title IDisputeDesk
/// @notice Mediation of disputed delegated cases (调解), restructuring agreements paid in instalments, and the
/// court rulings that confirm an agreement (司法确认) or decide the claim, which make a case enforceable.
///
/// Life of a dispute:
/// - the case's bank, or the collector holding the case, opens it (claim amount, evidence roots, collateral);
/// - a certified MEDIATOR claims it (first valid claim wins) or the bank assigns one;
/// - the parties, the mediator and the court add evidence (ERC-1497 style: anchored roots, as events);
/// - the mediator records an agreement (terms, credit commitment and plan digests, an instalment schedule
///   whose total plus the relief granted equals the claim) or a failure;
/// - a COURT rules (ERC-792 style ruling code): on an agreement, CONFIRMED or REFUSED; on a failed mediation
///   (or, when the consortium does not require mediation first, on an open one), FOR_CLAIMANT, DISMISSED or
///   REFUSED. The ruling opens an appeal window;
/// - a party (or a court, recording an appeal filed with it) appeals within the window, and a different court's
///   ruling on appeal is final at once (two instances, 两审终审); otherwise anyone finalises after the window;
/// - a final FOR_CLAIMANT ruling makes the case enforceable; a final CONFIRMED agreement is performing: its
///   instalments, paid in SettlementToken by anyone, are owed to the payee (the bank, or an asset the bank
///   names, e.g. an AssetFractions token holding the claim) and tracked against the schedule; paid in full it is
///   honoured, and an instalment still unpaid after its due date plus the grace period lets anyone mark it
///   defaulted, which makes the case enforceable.
///
/// Collateral registered at opening can be listed in the JudicialAuction only while its case is enforceable
/// (see {enforcementOf}).
///
/// Privacy: events and storage carry addresses, amounts, times and digests only; the debtor never appears.
/// @dev Dispute ids start at 1. Times are block times (Unix seconds). Money is rCNY fen.
interface IDisputeDesk is IConsortiumGated {
    /// @notice Where a dispute is in its life.
    enum DisputeStatus {
        NONE,
        OPEN, // waiting for a mediator
        MEDIATING, // a mediator holds it
        AGREED, // agreement recorded, waiting for a court's confirmation (instalments may already be paid)
        FAILED, // mediation failed, waiting for a court's ruling
        RULED, // a court ruled; the appeal window is open
        APPEALED, // appealed within the window; waiting for a different court's final ruling
        FINAL, // the ruling is final (FOR_CLAIMANT, DISMISSED or REFUSED)
        PERFORMING, // a confirmed agreement is final and being paid
        HONOURED, // a confirmed agreement was paid in full
        DEFAULTED, // a confirmed agreement missed an instalment beyond the grace period
        ABANDONED // withdrawn by its opener before any outcome
    }

    /// @notice A court's ruling (ERC-792 style: 0 is "no ruling yet", REFUSED is "refused to rule").
    enum Ruling {
        NONE,
        REFUSED, // the court refused to confirm or to rule (e.g. outside its jurisdiction)
        CONFIRMED, // 司法确认: the mediation agreement is confirmed and enforceable as agreed
        FOR_CLAIMANT, // the claim is upheld: the case is enforceable once final
        DISMISSED // the claim is dismissed
    }

    /// @notice One instalment of an agreement's schedule.
    /// @param amount Amount due in fen (at least 1).
    /// @param dueAt Last second it may be paid without being late.
    struct Instalment {
        uint128 amount;
        uint64 dueAt;
    }

    /// @notice What a mediator records as the parties' agreement.
    /// @param termsDigest Digest of the signed mediation agreement (调解协议).
    /// @param commitmentDigest Digest of the debtor's credit commitment (信用承诺书).
    /// @param planDigest Digest of the restructuring plan card the agreement follows.
    /// @param relief Interest relief and principal haircut granted, in fen: the schedule's total plus this
    /// equals the claim amount.
    /// @param grace Seconds an instalment may be late before the agreement can be marked defaulted.
    /// @param schedule Instalments in strictly increasing due order, every due date in the future.
    struct Agreement {
        bytes32 termsDigest;
        bytes32 commitmentDigest;
        bytes32 planDigest;
        uint128 relief;
        uint64 grace;
        Instalment[] schedule;
    }

    /// @notice A dispute as stored.
    /// @param status Where it is in its life.
    /// @param ruling The latest ruling (NONE before one).
    /// @param openedAt When it was opened.
    /// @param bank The case's bank (the creditor).
    /// @param appealDeadline Last second of the appeal window (zero before a ruling).
    /// @param collector The collector holding the case when the dispute was opened (zero if none).
    /// @param opener Who opened it (the bank or that collector).
    /// @param mediator The mediator (zero while OPEN).
    /// @param court The court that gave the first ruling (zero before one).
    /// @param appealCourt The court that ruled on appeal (zero if none).
    /// @param caseId The CaseDelegation case.
    /// @param claimAmount The amount claimed, in fen.
    /// @param total The agreement's schedule total in fen (zero without an agreement).
    /// @param paid Instalments paid so far, in fen.
    /// @param payee Who is owed the instalments (the bank unless it named another payee).
    struct Dispute {
        DisputeStatus status;
        Ruling ruling;
        uint64 openedAt;
        address bank;
        uint64 appealDeadline;
        address collector;
        address opener;
        address mediator;
        address court;
        address appealCourt;
        bytes32 caseId;
        uint128 claimAmount;
        uint128 total;
        uint128 paid;
        address payee;
    }

    /// @notice An agreement's terms as stored (the schedule is read with {scheduleOf}).
    /// @param termsDigest Digest of the mediation agreement.
    /// @param commitmentDigest Digest of the credit commitment.
    /// @param planDigest Digest of the restructuring plan card.
    /// @param relief Relief granted in fen.
    /// @param grace Grace period in seconds.
    /// @param agreedAt When the mediator recorded it.
    struct AgreementRecord {
        bytes32 termsDigest;
        bytes32 commitmentDigest;
        bytes32 planDigest;
        uint128 relief;
        uint64 grace;
        uint64 agreedAt;
    }

    // --- errors ---

    /// @notice No dispute has this id.
    error DisputeUnknown(uint256 disputeId);
    /// @notice The dispute is not in a status that allows this.
    error DisputeWrongStatus(uint256 disputeId, DisputeStatus status);
    /// @notice The case has no on-chain record in CaseDelegation (it was never claimed or offered).
    error DisputeCaseUnknown(bytes32 caseId);
    /// @notice The case was recovered in full; there is nothing left to dispute.
    error DisputeCaseSettled(bytes32 caseId);
    /// @notice `account` is neither the case's bank nor the collector holding it.
    error DisputeNotCaseParty(bytes32 caseId, address account);
    /// @notice The case already has a dispute that has not ended (or that made it enforceable).
    error DisputeAlreadyOpen(bytes32 caseId, uint256 disputeId);
    /// @notice The claim amount is zero or more than the case's outstanding overdue amount.
    error DisputeInvalidClaim(uint128 claimAmount, uint128 outstanding);
    /// @notice An evidence root is not anchored in the EvidenceRegistry.
    error DisputeEvidenceNotAnchored(bytes32 root);
    /// @notice The asset is already collateral of another case.
    error DisputeCollateralTaken(bytes32 assetRef, bytes32 caseId);
    /// @notice `account` is not an active MEDIATOR (or is a party to the case, which a mediator may not be).
    error DisputeNotMediator(uint256 disputeId, address account);
    /// @notice `account` is not the dispute's mediator.
    error DisputeNotDisputeMediator(uint256 disputeId, address account);
    /// @notice `account` is not the dispute's bank.
    error DisputeNotBank(uint256 disputeId, address account);
    /// @notice `account` may not do this on the dispute (not a party, its mediator or a court).
    error DisputeNotParticipant(uint256 disputeId, address account);
    /// @notice The schedule is empty, too long, not in strictly increasing future due order, or has a zero amount
    /// (`index` is the first offending instalment; the length for an empty or too long schedule).
    error DisputeInvalidSchedule(uint256 index);
    /// @notice The schedule's total plus the relief is not the claim amount.
    error DisputeAgreementMismatch(uint128 total, uint128 relief, uint128 claimAmount);
    /// @notice The grace period is longer than the longest allowed.
    error DisputeInvalidGrace(uint64 grace, uint64 maximum);
    /// @notice The ruling is not one a court may give in the dispute's status.
    error DisputeRulingNotAllowed(uint256 disputeId, DisputeStatus status, Ruling ruling);
    /// @notice A ruling on appeal must come from a court other than the one that ruled first.
    error DisputeSameCourt(uint256 disputeId, address court);
    /// @notice The appeal window closed at `appealDeadline`.
    error DisputeAppealWindowClosed(uint256 disputeId, uint64 appealDeadline);
    /// @notice The appeal window is open until `appealDeadline`.
    error DisputeAppealWindowOpen(uint256 disputeId, uint64 appealDeadline);
    /// @notice No instalment is unpaid beyond its grace period: `due` was due by now less the grace period.
    error DisputeNotInDefault(uint256 disputeId, uint128 due, uint128 paid);
    /// @notice The payment is zero or more than the `outstanding` balance of the agreement.
    error DisputeInvalidPayment(uint128 amount, uint128 outstanding);
    /// @notice `account` is owed nothing.
    error DisputeNothingToWithdraw(address account);
    /// @notice The payee named cannot hold rCNY: it is neither an active consortium member nor a system contract.
    error DisputeInvalidPayee(address payee);
    /// @notice A governed setting is outside its bounds.
    error DisputeInvalidSetting();
    /// @notice A required address is zero.
    error DisputeZeroAddress();

    // --- events ---

    /// @notice A dispute was opened on a case (`openedAt`: the block time, which ratings measure from).
    event DisputeOpened(
        uint256 indexed disputeId,
        bytes32 indexed caseId,
        address indexed opener,
        address bank,
        address collector,
        uint128 claimAmount,
        uint64 openedAt
    );
    /// @notice An asset was registered as the case's collateral (it may be auctioned only once enforceable).
    event CollateralRegistered(uint256 indexed disputeId, bytes32 indexed assetRef, bytes32 indexed caseId);
    /// @notice ERC-1497 style evidence: an anchored root added to the dispute by `party`.
    event EvidenceSubmitted(uint256 indexed disputeId, address indexed party, bytes32 root);
    /// @notice A mediator took the dispute (`byBank`: the bank assigned it; otherwise the mediator claimed it).
    event MediatorAssigned(uint256 indexed disputeId, address indexed mediator, bool byBank);
    /// @notice The mediator recorded the parties' agreement (`agreedAt`: the block time).
    event AgreementRecorded(
        uint256 indexed disputeId,
        address indexed mediator,
        bytes32 termsDigest,
        bytes32 commitmentDigest,
        bytes32 planDigest,
        uint128 total,
        uint128 relief,
        uint64 grace,
        uint64 agreedAt,
        Instalment[] schedule
    );
    /// @notice The mediator recorded that mediation failed.
    event MediationFailed(uint256 indexed disputeId, address indexed mediator, bytes32 reasonDigest);
    /// @notice A court ruled (ERC-792 `Ruling`); `onAppeal` rulings are final at once (`appealDeadline` zero).
    event RulingGiven(
        uint256 indexed disputeId,
        address indexed court,
        Ruling ruling,
        bytes32 documentDigest,
        uint64 appealDeadline,
        bool onAppeal
    );
    /// @notice `by` appealed the ruling within the window.
    event RulingAppealed(uint256 indexed disputeId, address indexed by, bytes32 reasonDigest);
    /// @notice The ruling became final; `status` is FINAL, PERFORMING or HONOURED.
    event RulingFinal(uint256 indexed disputeId, Ruling ruling, DisputeStatus status);
    /// @notice The case became enforceable: its collateral may now be listed in a judicial auction.
    event CaseEnforceable(bytes32 indexed caseId, uint256 indexed disputeId);
    /// @notice An instalment payment was received and is owed to `payee`.
    event InstalmentPaid(
        uint256 indexed disputeId, address indexed payer, address indexed payee, uint128 amount, uint128 paid
    );
    /// @notice A confirmed agreement was paid in full.
    event AgreementHonoured(uint256 indexed disputeId, uint128 paid);
    /// @notice A confirmed agreement defaulted: instalment `index` was unpaid beyond the grace period.
    event AgreementDefaulted(uint256 indexed disputeId, uint256 index, uint128 due, uint128 paid);
    /// @notice The opener withdrew the dispute.
    event DisputeAbandoned(uint256 indexed disputeId, address indexed by, bytes32 reasonDigest);
    /// @notice The bank named who is owed the instalments.
    event PayeeChanged(uint256 indexed disputeId, address previous, address current);
    /// @notice `payee` withdrew what it was owed.
    event PaymentWithdrawn(address indexed payee, uint256 amount);
    /// @notice The appeal window was set (also emitted by the constructor, `previous` zero).
    event AppealWindowChanged(uint64 previous, uint64 current);
    /// @notice Whether a court may rule only after mediation failed was set (also emitted by the constructor).
    event MediationRequirementChanged(bool required);

    // --- functions ---

    /// @notice Open a dispute on a case the caller is the bank of, or the collector holding.
    /// @param caseId The CaseDelegation case (it must have an on-chain record and not be recovered in full).
    /// @param claimAmount The amount claimed in fen (at most the overdue amount not yet recovered).
    /// @param evidenceRoots Roots already anchored in the EvidenceRegistry (may be empty).
    /// @param collateral Asset references (OracleHub subject ids) pledged for the case (may be empty).
    /// @return disputeId The new dispute.
    function open(bytes32 caseId, uint128 claimAmount, bytes32[] calldata evidenceRoots, bytes32[] calldata collateral)
        external
        returns (uint256 disputeId);

    /// @notice Take an open dispute as its mediator (active MEDIATOR, not a party). First valid claim wins.
    function claim(uint256 disputeId) external;

    /// @notice The dispute's bank assigns an active MEDIATOR to an open dispute.
    function assign(uint256 disputeId, address mediator) external;

    /// @notice Add an anchored evidence root (a party, the mediator or a court; before the dispute ends).
    function submitEvidence(uint256 disputeId, bytes32 root) external;

    /// @notice The mediator records the parties' agreement.
    function recordAgreement(uint256 disputeId, Agreement calldata agreement) external;

    /// @notice The mediator records that mediation failed.
    function recordFailure(uint256 disputeId, bytes32 reasonDigest) external;

    /// @notice An active COURT rules; on an APPEALED dispute a different court's ruling is final at once.
    function rule(uint256 disputeId, Ruling ruling, bytes32 documentDigest) external;

    /// @notice Appeal a ruling within its window (a party, or an active COURT recording an appeal filed with it).
    function appeal(uint256 disputeId, bytes32 reasonDigest) external;

    /// @notice Anyone makes a ruling final once its appeal window has passed.
    function finalize(uint256 disputeId) external;

    /// @notice Pay toward an agreement (AGREED, RULED or APPEALED on a confirmation, or PERFORMING); the caller
    /// must have approved this contract for `amount`. The amount is owed to the payee.
    function pay(uint256 disputeId, uint128 amount) external;

    /// @notice Anyone marks a performing agreement defaulted once an instalment is unpaid beyond the grace period.
    function markDefault(uint256 disputeId) external;

    /// @notice The opener withdraws a dispute that is OPEN or MEDIATING.
    function abandon(uint256 disputeId, bytes32 reasonDigest) external;

    /// @notice The dispute's bank names who is owed the instalments (e.g. an AssetFractions token).
    function setPayee(uint256 disputeId, address payee) external;

    /// @notice Withdraw everything the caller is owed (a pull payment; AssetFractions calls it from `collect`).
    function withdraw() external;

    /// @notice Governed (consortium `Call` proposal): the appeal window in seconds (1 hour to 90 days).
    function setAppealWindow(uint64 window) external;

    /// @notice Governed: whether a court may rule only after mediation failed.
    function setMediationRequired(bool required) external;

    // --- views ---

    /// @notice A dispute (reverts if unknown).
    function dispute(uint256 disputeId) external view returns (Dispute memory);

    /// @notice A dispute's agreement terms (all zero without an agreement).
    function agreementOf(uint256 disputeId) external view returns (AgreementRecord memory);

    /// @notice A dispute's instalment schedule (empty without an agreement).
    function scheduleOf(uint256 disputeId) external view returns (Instalment[] memory);

    /// @notice The total of the instalments due by `timestamp` (cumulative).
    function dueBy(uint256 disputeId, uint64 timestamp) external view returns (uint128);

    /// @notice The case's latest dispute (zero if none).
    function disputeOfCase(bytes32 caseId) external view returns (uint256);

    /// @notice Whether a dispute made the case enforceable.
    function isEnforceable(bytes32 caseId) external view returns (bool);

    /// @notice The case an asset is collateral of, and whether that case is enforceable now (zero, false if the
    /// asset was never registered). The JudicialAuction refuses a listing of registered collateral unless
    /// `enforceable`.
    function enforcementOf(bytes32 assetRef) external view returns (bytes32 caseId, bool enforceable);

    /// @notice The number of disputes opened.
    function disputeCount() external view returns (uint256);

    /// @notice What `account` may withdraw, in fen.
    function owed(address account) external view returns (uint256);

    /// @notice Everything owed to payees, in fen (equals this contract's token balance).
    function totalOwed() external view returns (uint256);

    /// @notice The appeal window in seconds.
    function appealWindow() external view returns (uint64);

    /// @notice Whether a court may rule only after mediation failed.
    function mediationRequired() external view returns (bool);

    /// @notice The settlement token instalments are paid in.
    function token() external view returns (ISettlementToken);

    /// @notice The evidence registry evidence roots are checked against.
    function evidence() external view returns (IEvidenceRegistry);

    /// @notice The case registry disputes are opened on.
    function cases() external view returns (ICaseDelegation);
}
