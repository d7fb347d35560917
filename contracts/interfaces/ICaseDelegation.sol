// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumGated} from "./IConsortiumGated.sol";
import {IEvidenceRegistry} from "./IEvidenceRegistry.sol";
import {ISettlementToken} from "./ISettlementToken.sol";

/// @title ICaseDelegation
/// @notice Banks delegate overdue-loan collection cases to licensed collectors. A bank publishes a batch
/// of cases in one transaction that stores only the batch's Merkle root, case count, closing time and the
/// fee budget it escrows in SettlementToken; a case's terms are proven against the root (OpenZeppelin
/// `StandardMerkleTree`, leaf encoding `["bytes32"]` over `keccak256(abi.encode(CaseTerms))`) when it is
/// first claimed or offered, and only then is a per-case record written.
///
/// Lifecycle of a case: (pool) → `claim` → CLAIMED, or (pool) → `offer` → OFFERED → `accept` → CLAIMED /
/// `decline` or no answer within the window → pool; CLAIMED → `reportRecovery` → RECOVERY_REPORTED →
/// `confirmRecovery` (fee credited) → CLAIMED / RECOVERED_FULL / RECOVERED_PARTLY, or `rejectRecovery` →
/// CLAIMED; after the case deadline anyone may `returnCase` (→ RETURNED, or RECOVERED_PARTLY if something
/// was recovered); the bank may `recall` at any time (→ RECALLED), a case nobody holds with
/// `recallFromPool`. The last four states are final.
///
/// Eligibility of a collector (claim, offer, accept): admitted, holds COLLECTOR, not suspended, licence
/// not expired, fewer than `maxOpenCases` open (CLAIMED or RECOVERY_REPORTED) cases, and its region
/// covers the case region. Regions are GB/T 2260 six-digit administrative division codes: a code ending
/// in `0000` (province) covers every code with the same first two digits, one ending in `00` (city) every
/// code with the same first four digits, any other code only itself.
///
/// Fees: on each confirmation the collector is credited `floor(R × feeBps / 10_000) − floor(R₀ × feeBps /
/// 10_000)` where R₀ and R are the case's confirmed recoveries before and after it, so the total fee of a
/// case is exactly `floor(totalRecovered × feeBps / 10_000)` (rounded down, in fen, however the recovery
/// was split). Credits come out of the batch's remaining budget and are withdrawn by the collector (pull
/// payment). At any time the contract's token balance equals the sum of the batches' remaining budgets
/// plus the sum of fees owed to collectors (budget − fees paid − fees owed − unspent refunds).
///
/// @dev No personal data: a debtor appears only as a salted commitment inside the case terms, and the
/// case id is an opaque `bytes32` chosen by the bank's gateway (Recourse derives it as
/// `keccak256(abi.encode(bank, keccak256(caseRef), batchSalt))`). Evidence stays off chain: only digests
/// that are provably in a root anchored in the EvidenceRegistry are accepted. A caller without the role a
/// function needs (an active BANK to publish or offer, an active COLLECTOR to report a recovery, an active
/// REGULATOR for the cap and the pause) is refused with {IConsortiumGated-ConsortiumGatedUnauthorized}.
interface ICaseDelegation is IConsortiumGated {
    /// @notice Where a case stands. NONE means "in the pool" (never taken, or declined / offer lapsed).
    enum CaseStatus {
        NONE,
        OFFERED,
        CLAIMED,
        RECOVERY_REPORTED,
        RECOVERED_FULL,
        RECOVERED_PARTLY,
        RETURNED,
        RECALLED
    }

    /// @notice The terms of one case as published (the Merkle tree value is `keccak256(abi.encode(terms))`).
    /// @param caseId Opaque case id (no personal data).
    /// @param debtorCommitment Salted commitment to the debtor's identity (`keccak256(salt ‖ id number)`).
    /// @param principal Outstanding principal in fen.
    /// @param overdueAmount Overdue amount to recover in fen.
    /// @param overdueDays Days overdue at publication.
    /// @param region GB/T 2260 region code of the debtor.
    /// @param feeBps Collector fee in basis points of the recovered amount (at most 10_000).
    /// @param deadline Block time after which the case can be returned (and no longer claimed).
    struct CaseTerms {
        bytes32 caseId;
        bytes32 debtorCommitment;
        uint128 principal;
        uint128 overdueAmount;
        uint32 overdueDays;
        uint32 region;
        uint16 feeBps;
        uint64 deadline;
    }

    /// @notice A published batch.
    /// @param bank The publishing bank.
    /// @param caseCount Number of cases in the tree.
    /// @param closesAt Block time after which no case of the batch can be claimed and the unspent budget can
    /// be withdrawn once no case is open.
    /// @param root The Merkle root of the case terms.
    /// @param remainingBudget Fee budget still escrowed for the batch, in fen.
    /// @param openCases Cases of the batch that are CLAIMED or RECOVERY_REPORTED.
    /// @param settled Whether the bank withdrew the unspent budget (the batch is closed for good).
    struct Batch {
        address bank;
        uint32 caseCount;
        uint64 closesAt;
        bytes32 root;
        uint128 remainingBudget;
        uint32 openCases;
        bool settled;
    }

    /// @notice The on-chain record of a case, written when it is first claimed or offered.
    /// @param collector The collector holding or offered the case (zero in the pool).
    /// @param status Its status.
    /// @param feeBps Fee rate from the terms.
    /// @param deadline Deadline from the terms.
    /// @param batchId The batch it belongs to (zero if the case has no record yet).
    /// @param region Region code from the terms.
    /// @param offerExpiry End of the current offer's answer window (OFFERED only).
    /// @param recovered Recoveries confirmed so far, in fen.
    /// @param overdueAmount Overdue amount from the terms, in fen.
    /// @param pendingAmount The reported, not yet confirmed recovery, in fen.
    struct CaseRecord {
        address collector;
        CaseStatus status;
        uint16 feeBps;
        uint64 deadline;
        uint32 batchId;
        uint32 region;
        uint64 offerExpiry;
        uint128 recovered;
        uint128 overdueAmount;
        uint128 pendingAmount;
    }

    // --- errors ---
    /// @notice The caller is not the bank that published the batch.
    /// @param account The caller.
    /// @param bank The batch's bank.
    error CaseDelegationNotBatchBank(address account, address bank);
    /// @notice The account is not an admitted member holding COLLECTOR (the eligibility check of `claim`,
    /// `offer` and `accept`, which also names suspension, licence, region and capacity).
    /// @param account The account.
    error CaseDelegationNotCollector(address account);
    /// @notice The collector is suspended.
    /// @param account The collector.
    error CaseDelegationCollectorSuspended(address account);
    /// @notice The collector's licence has expired.
    /// @param account The collector.
    /// @param licenceExpiry Its licence expiry (block time).
    error CaseDelegationLicenceExpired(address account, uint64 licenceExpiry);
    /// @notice The collector's region does not cover the case's region.
    /// @param account The collector.
    /// @param collectorRegion Its region code.
    /// @param caseRegion The case's region code.
    error CaseDelegationRegionIneligible(address account, uint32 collectorRegion, uint32 caseRegion);
    /// @notice The collector already holds the maximum number of open cases.
    /// @param account The collector.
    /// @param openCases Its open cases.
    /// @param maxOpenCases The cap.
    error CaseDelegationAtCapacity(address account, uint32 openCases, uint32 maxOpenCases);
    /// @notice The batch does not exist.
    /// @param batchId The id.
    error CaseDelegationUnknownBatch(uint256 batchId);
    /// @notice A batch with this root was already published.
    /// @param root The root.
    /// @param batchId The existing batch.
    error CaseDelegationRootExists(bytes32 root, uint256 batchId);
    /// @notice Publication parameters are invalid (zero root, zero cases, closing time not in the future,
    /// or zero budget).
    error CaseDelegationInvalidBatch();
    /// @notice The terms are not a leaf of the batch (forged or altered), or the proof is wrong.
    /// @param batchId The batch.
    /// @param caseId The claimed case id.
    error CaseDelegationInvalidProof(uint256 batchId, bytes32 caseId);
    /// @notice The terms are in the tree but invalid (fee above 100%, deadline after the batch closes).
    /// @param caseId The case.
    error CaseDelegationInvalidTerms(bytes32 caseId);
    /// @notice The case has a record in another batch (a case id is used once).
    /// @param caseId The case.
    /// @param batchId The batch it belongs to.
    error CaseDelegationCaseInOtherBatch(bytes32 caseId, uint32 batchId);
    /// @notice The case is already claimed by (or offered to) a collector.
    /// @param caseId The case.
    /// @param collector Its holder.
    error CaseDelegationAlreadyClaimed(bytes32 caseId, address collector);
    /// @notice The case is in a final state.
    /// @param caseId The case.
    /// @param status Its status.
    error CaseDelegationCaseClosed(bytes32 caseId, CaseStatus status);
    /// @notice The case's deadline (or its batch's closing time) has passed.
    /// @param caseId The case.
    /// @param deadline The deadline that passed.
    error CaseDelegationCaseExpired(bytes32 caseId, uint64 deadline);
    /// @notice The action needs another status.
    /// @param caseId The case.
    /// @param status Its current status.
    error CaseDelegationWrongStatus(bytes32 caseId, CaseStatus status);
    /// @notice The caller is not the case's collector (or the collector it was offered to).
    /// @param caseId The case.
    /// @param account The caller.
    error CaseDelegationNotCaseCollector(bytes32 caseId, address account);
    /// @notice The offer's answer window has passed.
    /// @param caseId The case.
    /// @param offerExpiry The end of the window.
    error CaseDelegationOfferExpired(bytes32 caseId, uint64 offerExpiry);
    /// @notice The offer window must be between one minute and `MAX_OFFER_WINDOW`.
    /// @param window The requested window in seconds.
    error CaseDelegationInvalidOfferWindow(uint64 window);
    /// @notice The case's deadline has not passed yet.
    /// @param caseId The case.
    /// @param deadline Its deadline.
    error CaseDelegationDeadlineNotReached(bytes32 caseId, uint64 deadline);
    /// @notice The evidence digest is not in an anchored EvidenceRegistry root.
    /// @param digest The digest.
    /// @param root The root given.
    error CaseDelegationEvidenceNotAnchored(bytes32 digest, bytes32 root);
    /// @notice A recovery must be positive and must not take the total above the overdue amount.
    /// @param caseId The case.
    /// @param amount The reported amount.
    /// @param maxAmount The most that can still be reported.
    error CaseDelegationInvalidRecovery(bytes32 caseId, uint128 amount, uint128 maxAmount);
    /// @notice The fee exceeds the batch's remaining budget (the bank can top it up).
    /// @param batchId The batch.
    /// @param fee The fee due.
    /// @param remainingBudget What is left.
    error CaseDelegationBudgetExceeded(uint256 batchId, uint128 fee, uint128 remainingBudget);
    /// @notice The batch cannot be settled yet: it has not closed or cases are still open.
    /// @param batchId The batch.
    /// @param closesAt Its closing time.
    /// @param openCases Its open cases.
    error CaseDelegationBatchNotClosed(uint256 batchId, uint64 closesAt, uint32 openCases);
    /// @notice The batch is settled already.
    /// @param batchId The batch.
    error CaseDelegationBatchSettled(uint256 batchId);
    /// @notice Nothing to withdraw, or a zero amount.
    error CaseDelegationZeroAmount();
    /// @notice The open-case cap must be positive.
    error CaseDelegationInvalidCapacity();

    // --- events ---
    /// @notice A bank published a batch and escrowed its fee budget.
    /// @param batchId The new batch.
    /// @param bank The bank.
    /// @param root Merkle root of the case terms.
    /// @param caseCount Number of cases.
    /// @param closesAt Closing time of the batch.
    /// @param feeBudget Fee budget escrowed, in fen.
    /// @param metaDigest Digest of the batch metadata kept off chain.
    event BatchPublished(
        uint256 indexed batchId,
        address indexed bank,
        bytes32 indexed root,
        uint32 caseCount,
        uint64 closesAt,
        uint128 feeBudget,
        bytes32 metaDigest
    );
    /// @notice The bank added to a batch's fee budget.
    /// @param batchId The batch.
    /// @param amount Amount added, in fen.
    /// @param remainingBudget The new remaining budget.
    event BudgetToppedUp(uint256 indexed batchId, uint128 amount, uint128 remainingBudget);
    /// @notice The bank withdrew the unspent budget of a closed batch.
    /// @param batchId The batch.
    /// @param bank The bank.
    /// @param refund Amount returned, in fen.
    event BatchSettled(uint256 indexed batchId, address indexed bank, uint128 refund);
    /// @notice A collector claimed a case from the open pool.
    /// @param caseId The case.
    /// @param batchId Its batch.
    /// @param collector The collector.
    /// @param region The case's region.
    /// @param deadline The case's deadline.
    event CaseClaimed(
        bytes32 indexed caseId, uint256 indexed batchId, address indexed collector, uint32 region, uint64 deadline
    );
    /// @notice A bank offered a case to one collector.
    /// @param caseId The case.
    /// @param batchId Its batch.
    /// @param collector The collector.
    /// @param offerExpiry End of the answer window.
    event CaseOffered(bytes32 indexed caseId, uint256 indexed batchId, address indexed collector, uint64 offerExpiry);
    /// @notice The collector accepted an offer.
    /// @param caseId The case.
    /// @param collector The collector.
    event OfferAccepted(bytes32 indexed caseId, address indexed collector);
    /// @notice The collector declined an offer; the case is back in the pool.
    /// @param caseId The case.
    /// @param collector The collector.
    event OfferDeclined(bytes32 indexed caseId, address indexed collector);
    /// @notice An unanswered offer lapsed (recorded when the case is next claimed or offered).
    /// @param caseId The case.
    /// @param collector The collector who did not answer.
    event OfferLapsed(bytes32 indexed caseId, address indexed collector);
    /// @notice The collector reported a collection action.
    /// @param caseId The case.
    /// @param collector The collector.
    /// @param actionCode What was done (gateway catalogue: 1 call, 2 letter, 3 visit, 4 agreement, …).
    /// @param evidenceDigest Digest of the evidence, in an anchored EvidenceRegistry root.
    event ActionReported(bytes32 indexed caseId, address indexed collector, uint8 actionCode, bytes32 evidenceDigest);
    /// @notice The collector reported a recovery awaiting the bank's confirmation.
    /// @param caseId The case.
    /// @param collector The collector.
    /// @param amount Amount recovered, in fen.
    /// @param evidenceDigest Digest of the evidence, in an anchored EvidenceRegistry root.
    event RecoveryReported(bytes32 indexed caseId, address indexed collector, uint128 amount, bytes32 evidenceDigest);
    /// @notice The bank confirmed a recovery and the fee was credited to the collector.
    /// @param caseId The case.
    /// @param collector The collector.
    /// @param amount Amount confirmed, in fen.
    /// @param fee Fee credited, in fen.
    /// @param recoveredTotal Recoveries confirmed so far.
    event RecoveryConfirmed(
        bytes32 indexed caseId, address indexed collector, uint128 amount, uint128 fee, uint128 recoveredTotal
    );
    /// @notice The bank rejected a reported recovery.
    /// @param caseId The case.
    /// @param collector The collector.
    /// @param amount Amount rejected.
    /// @param reasonCode Why (gateway catalogue: 1 not received, 2 amount mismatch, 3 evidence insufficient, …).
    event RecoveryRejected(bytes32 indexed caseId, address indexed collector, uint128 amount, uint8 reasonCode);
    /// @notice A case reached a final state (RECOVERED_FULL, RECOVERED_PARTLY, RETURNED or RECALLED).
    /// @param caseId The case.
    /// @param collector Its last collector (zero if none).
    /// @param status The final status.
    /// @param recovered Recoveries confirmed, in fen.
    /// @param by Who closed it.
    event CaseClosed(
        bytes32 indexed caseId, address indexed collector, CaseStatus status, uint128 recovered, address by
    );
    /// @notice A collector withdrew its fees.
    /// @param collector The collector.
    /// @param amount Amount paid, in fen.
    event FeesWithdrawn(address indexed collector, uint128 amount);
    /// @notice The per-collector cap on open cases changed.
    /// @param previous Old cap.
    /// @param current New cap.
    event MaxOpenCasesSet(uint32 previous, uint32 current);

    // --- bank ---
    /// @notice Publish a batch and escrow its fee budget (approve this contract for `feeBudget` first).
    /// @param root Merkle root of the case terms.
    /// @param caseCount Number of cases in the tree.
    /// @param closesAt Block time after which the batch accepts no claims (at least every case deadline).
    /// @param feeBudget Fee budget in fen, pulled from the bank.
    /// @param metaDigest Digest of off-chain batch metadata (may be zero).
    /// @return batchId The new batch id (1, 2, …).
    function publishBatch(bytes32 root, uint32 caseCount, uint64 closesAt, uint128 feeBudget, bytes32 metaDigest)
        external
        returns (uint256 batchId);
    /// @notice Add to a batch's fee budget (approve first).
    /// @param batchId The batch.
    /// @param amount Amount in fen.
    function topUpBudget(uint256 batchId, uint128 amount) external;
    /// @notice Offer a case directly to one eligible collector, who must answer within `window` seconds.
    /// @param batchId The batch.
    /// @param terms The case terms.
    /// @param proof Merkle proof of the terms.
    /// @param collector The collector.
    /// @param window Answer window in seconds.
    function offer(
        uint256 batchId,
        CaseTerms calldata terms,
        bytes32[] calldata proof,
        address collector,
        uint64 window
    ) external;
    /// @notice Confirm the reported recovery; credits the fee; `closeCase` ends a partly recovered case.
    /// @param caseId The case.
    /// @param closeCase Whether to close the case as RECOVERED_PARTLY if it is not recovered in full.
    function confirmRecovery(bytes32 caseId, bool closeCase) external;
    /// @notice Reject the reported recovery; the case goes back to CLAIMED.
    /// @param caseId The case.
    /// @param reasonCode Why.
    function rejectRecovery(bytes32 caseId, uint8 reasonCode) external;
    /// @notice Recall a case (offered or held, without a pending recovery) for good.
    /// @param caseId The case.
    function recall(bytes32 caseId) external;
    /// @notice Recall a case nobody holds yet (never claimed, declined, or its offer lapsed), proving its
    /// terms against the batch root, so that it can no longer be claimed or offered (→ RECALLED).
    /// @param batchId The batch the case was published in.
    /// @param terms The case's published terms.
    /// @param proof Merkle proof of the terms against the batch root.
    function recallFromPool(uint256 batchId, CaseTerms calldata terms, bytes32[] calldata proof) external;
    /// @notice Withdraw a batch's unspent budget once it has closed and no case is open.
    /// @param batchId The batch.
    function withdrawUnspent(uint256 batchId) external;

    // --- collector ---
    /// @notice Claim a case from the open pool; the first valid claim wins.
    /// @param batchId The batch.
    /// @param terms The case terms.
    /// @param proof Merkle proof of the terms.
    function claim(uint256 batchId, CaseTerms calldata terms, bytes32[] calldata proof) external;
    /// @notice Accept an offer within its window.
    /// @param caseId The case.
    function accept(bytes32 caseId) external;
    /// @notice Decline an offer; the case goes back to the pool.
    /// @param caseId The case.
    function decline(bytes32 caseId) external;
    /// @notice Report a collection action with evidence.
    /// @param caseId The case.
    /// @param actionCode What was done.
    /// @param evidenceDigest Evidence digest.
    /// @param evidenceRoot Anchored EvidenceRegistry root containing it.
    /// @param evidenceProof Proof of the digest in that root.
    function reportAction(
        bytes32 caseId,
        uint8 actionCode,
        bytes32 evidenceDigest,
        bytes32 evidenceRoot,
        bytes32[] calldata evidenceProof
    ) external;
    /// @notice Report a recovery with evidence, for the bank to confirm.
    /// @param caseId The case.
    /// @param amount Amount recovered, in fen.
    /// @param evidenceDigest Evidence digest.
    /// @param evidenceRoot Anchored EvidenceRegistry root containing it.
    /// @param evidenceProof Proof of the digest in that root.
    function reportRecovery(
        bytes32 caseId,
        uint128 amount,
        bytes32 evidenceDigest,
        bytes32 evidenceRoot,
        bytes32[] calldata evidenceProof
    ) external;
    /// @notice Withdraw every fee owed to the caller.
    function withdrawFees() external;

    // --- anyone ---
    /// @notice Return an unresolved case after its deadline (RETURNED, or RECOVERED_PARTLY if any
    /// recovery was confirmed). A case with a pending recovery report waits for the bank's answer.
    /// @param caseId The case.
    function returnCase(bytes32 caseId) external;

    // --- regulator ---
    /// @notice Set the per-collector cap on open cases.
    /// @param cap The new cap (positive).
    function setMaxOpenCases(uint32 cap) external;
    /// @notice Pause value-moving functions.
    function pause() external;
    /// @notice Unpause.
    function unpause() external;

    // --- views ---
    /// @notice A batch.
    /// @param batchId The batch.
    /// @return The batch (reverts if unknown).
    function batch(uint256 batchId) external view returns (Batch memory);
    /// @notice The batch published with `root`.
    /// @param root The Merkle root.
    /// @return The batch id, 0 if no batch has this root.
    function batchOfRoot(bytes32 root) external view returns (uint256);
    /// @notice Number of batches published.
    /// @return The count (ids are 1..count).
    function batchCount() external view returns (uint256);
    /// @notice A case record.
    /// @param caseId The case.
    /// @return The record (all zero if the case is untouched).
    function caseOf(bytes32 caseId) external view returns (CaseRecord memory);
    /// @notice Fees owed to a collector.
    /// @param collector The collector.
    /// @return Amount in fen.
    function feesOwed(address collector) external view returns (uint128);
    /// @notice Sum of fees owed to every collector.
    /// @return Amount in fen.
    function totalFeesOwed() external view returns (uint128);
    /// @notice Open cases of a collector.
    /// @param collector The collector.
    /// @return The count.
    function openCasesOf(address collector) external view returns (uint32);
    /// @notice The per-collector cap on open cases.
    /// @return The cap.
    function maxOpenCases() external view returns (uint32);
    /// @notice Whether a collector's region covers a case region (see the contract notice).
    /// @param collectorRegion The collector's region code.
    /// @param caseRegion The case's region code.
    /// @return Whether it does.
    function regionCovers(uint32 collectorRegion, uint32 caseRegion) external pure returns (bool);
    /// @notice The Merkle tree value of a case's terms.
    /// @param terms The terms.
    /// @return `keccak256(abi.encode(terms))`.
    function termsDigest(CaseTerms calldata terms) external pure returns (bytes32);
    /// @notice The settlement token.
    /// @return It.
    function token() external view returns (ISettlementToken);
    /// @notice The evidence registry.
    /// @return It.
    function evidence() external view returns (IEvidenceRegistry);
}
