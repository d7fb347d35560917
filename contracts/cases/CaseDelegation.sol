// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {ICaseDelegation} from "../interfaces/ICaseDelegation.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Regions} from "../libraries/Regions.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title CaseDelegation
/// @notice Batches of collection cases published as Merkle roots, claimed or offered one by one, worked
/// with anchored evidence, and paid from an escrowed SettlementToken fee budget (see {ICaseDelegation}).
/// @dev The contract must be a consortium system contract to hold rCNY (SetSystemContract proposal).
/// No `nonReentrant`: the only token is the consortium's SettlementToken, fixed at construction, which
/// has no transfer hooks; every transfer still comes after the state change and its event.
contract CaseDelegation is ConsortiumGated, ICaseDelegation, Pausable {
    using SafeERC20 for ISettlementToken;

    /// @notice The longest answer window of a direct offer.
    uint64 public constant MAX_OFFER_WINDOW = 30 days;
    /// @notice The shortest answer window of a direct offer.
    uint64 public constant MIN_OFFER_WINDOW = 1 minutes;
    /// @notice Basis points in 100%.
    uint16 public constant BPS = 10_000;

    // --- storage ---
    ISettlementToken private immutable _token;
    IEvidenceRegistry private immutable _evidence;
    uint256 private immutable _collectorBit;

    uint32 private _maxOpenCases;
    uint128 private _totalFeesOwed;
    uint256 private _batchCount;
    mapping(uint256 batchId => Batch) private _batches;
    mapping(bytes32 root => uint256 batchId) private _batchOfRoot;
    mapping(bytes32 caseId => CaseRecord) private _cases;
    mapping(address collector => uint32) private _openCases;
    mapping(address collector => uint128) private _owed;

    /// @param consortium_ The consortium contract.
    /// @param token_ The settlement token (fees are paid in it).
    /// @param evidence_ The evidence registry (evidence digests must be anchored there).
    /// @param maxOpenCases_ Initial per-collector cap on open cases.
    constructor(IConsortium consortium_, ISettlementToken token_, IEvidenceRegistry evidence_, uint32 maxOpenCases_)
        ConsortiumGated(consortium_)
    {
        if (maxOpenCases_ == 0) revert CaseDelegationInvalidCapacity();
        _token = token_;
        _evidence = evidence_;
        _collectorBit = consortium_.roleBit(Roles.COLLECTOR);
        _maxOpenCases = maxOpenCases_;
        emit MaxOpenCasesSet(0, maxOpenCases_);
    }

    // --- external: bank ---

    /// @inheritdoc ICaseDelegation
    function publishBatch(bytes32 root, uint32 caseCount, uint64 closesAt, uint128 feeBudget, bytes32 metaDigest)
        external
        onlyActiveRole(Roles.BANK)
        whenNotPaused
        returns (uint256 batchId)
    {
        if (root == bytes32(0) || caseCount == 0 || closesAt <= block.timestamp || feeBudget == 0) {
            revert CaseDelegationInvalidBatch();
        }
        uint256 existing = _batchOfRoot[root];
        if (existing != 0) revert CaseDelegationRootExists(root, existing);
        batchId = ++_batchCount;
        SafeCast.toUint32(batchId); // case records keep the batch id in 32 bits
        _batches[batchId] = Batch({
            bank: msg.sender,
            caseCount: caseCount,
            closesAt: closesAt,
            root: root,
            remainingBudget: feeBudget,
            openCases: 0,
            settled: false
        });
        _batchOfRoot[root] = batchId;
        emit BatchPublished(batchId, msg.sender, root, caseCount, closesAt, feeBudget, metaDigest);
        _token.safeTransferFrom(msg.sender, address(this), feeBudget);
    }

    /// @inheritdoc ICaseDelegation
    function topUpBudget(uint256 batchId, uint128 amount) external whenNotPaused {
        Batch storage b = _batchOfBank(batchId);
        if (b.settled) revert CaseDelegationBatchSettled(batchId);
        if (amount == 0) revert CaseDelegationZeroAmount();
        b.remainingBudget += amount;
        emit BudgetToppedUp(batchId, amount, b.remainingBudget);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ICaseDelegation
    function offer(
        uint256 batchId,
        CaseTerms calldata terms,
        bytes32[] calldata proof,
        address collector,
        uint64 window
    ) external onlyActiveRole(Roles.BANK) {
        Batch storage b = _provenBatch(batchId, terms, proof);
        if (msg.sender != b.bank) revert CaseDelegationNotBatchBank(msg.sender, b.bank);
        if (window < MIN_OFFER_WINDOW || window > MAX_OFFER_WINDOW) revert CaseDelegationInvalidOfferWindow(window);
        CaseRecord storage c = _cases[terms.caseId];
        _requireInPool(c, terms.caseId, batchId);
        _requireOpenForWork(b, terms);
        _requireEligible(collector, terms.region);
        _writeTerms(c, batchId, terms);
        uint64 expiry = uint64(block.timestamp) + window;
        c.collector = collector;
        c.status = CaseStatus.OFFERED;
        c.offerExpiry = expiry;
        emit CaseOffered(terms.caseId, batchId, collector, expiry);
    }

    /// @inheritdoc ICaseDelegation
    function confirmRecovery(bytes32 caseId, bool closeCase) external whenNotPaused {
        CaseRecord storage c = _cases[caseId];
        Batch storage b = _batchOfBank(c.batchId);
        if (c.status != CaseStatus.RECOVERY_REPORTED) revert CaseDelegationWrongStatus(caseId, c.status);
        uint128 amount = c.pendingAmount;
        uint128 before = c.recovered;
        uint128 total = before + amount;
        uint128 fee = _fee(total, c.feeBps) - _fee(before, c.feeBps);
        if (fee > b.remainingBudget) revert CaseDelegationBudgetExceeded(c.batchId, fee, b.remainingBudget);
        address collector = c.collector;
        b.remainingBudget -= fee;
        _owed[collector] += fee;
        _totalFeesOwed += fee;
        c.recovered = total;
        c.pendingAmount = 0;
        c.status = CaseStatus.CLAIMED;
        emit RecoveryConfirmed(caseId, collector, amount, fee, total);
        if (total == c.overdueAmount) {
            _close(caseId, c, b, CaseStatus.RECOVERED_FULL);
        } else if (closeCase) {
            _close(caseId, c, b, CaseStatus.RECOVERED_PARTLY);
        }
    }

    /// @inheritdoc ICaseDelegation
    function rejectRecovery(bytes32 caseId, uint8 reasonCode) external {
        CaseRecord storage c = _cases[caseId];
        _batchOfBank(c.batchId);
        if (c.status != CaseStatus.RECOVERY_REPORTED) revert CaseDelegationWrongStatus(caseId, c.status);
        uint128 amount = c.pendingAmount;
        c.pendingAmount = 0;
        c.status = CaseStatus.CLAIMED;
        emit RecoveryRejected(caseId, c.collector, amount, reasonCode);
    }

    /// @inheritdoc ICaseDelegation
    function recall(bytes32 caseId) external {
        CaseRecord storage c = _cases[caseId];
        if (c.batchId == 0) revert CaseDelegationWrongStatus(caseId, CaseStatus.NONE);
        Batch storage b = _batchOfBank(c.batchId);
        CaseStatus status = c.status;
        if (_isFinal(status)) revert CaseDelegationCaseClosed(caseId, status);
        if (status == CaseStatus.RECOVERY_REPORTED) revert CaseDelegationWrongStatus(caseId, status);
        _close(caseId, c, b, CaseStatus.RECALLED);
    }

    /// @inheritdoc ICaseDelegation
    function recallFromPool(uint256 batchId, CaseTerms calldata terms, bytes32[] calldata proof) external {
        Batch storage b = _provenBatch(batchId, terms, proof);
        if (msg.sender != b.bank) revert CaseDelegationNotBatchBank(msg.sender, b.bank);
        CaseRecord storage c = _cases[terms.caseId];
        _requireInPool(c, terms.caseId, batchId);
        _writeTerms(c, batchId, terms);
        _close(terms.caseId, c, b, CaseStatus.RECALLED);
    }

    /// @inheritdoc ICaseDelegation
    function withdrawUnspent(uint256 batchId) external whenNotPaused {
        Batch storage b = _batchOfBank(batchId);
        if (b.settled) revert CaseDelegationBatchSettled(batchId);
        if (block.timestamp <= b.closesAt || b.openCases != 0) {
            revert CaseDelegationBatchNotClosed(batchId, b.closesAt, b.openCases);
        }
        uint128 refund = b.remainingBudget;
        b.remainingBudget = 0;
        b.settled = true;
        emit BatchSettled(batchId, msg.sender, refund);
        if (refund != 0) _token.safeTransfer(msg.sender, refund);
    }

    // --- external: collector ---

    /// @inheritdoc ICaseDelegation
    function claim(uint256 batchId, CaseTerms calldata terms, bytes32[] calldata proof) external {
        Batch storage b = _provenBatch(batchId, terms, proof);
        CaseRecord storage c = _cases[terms.caseId];
        _requireInPool(c, terms.caseId, batchId);
        _requireOpenForWork(b, terms);
        uint32 open = _requireEligible(msg.sender, terms.region);
        _writeTerms(c, batchId, terms);
        c.collector = msg.sender;
        c.status = CaseStatus.CLAIMED;
        c.offerExpiry = 0;
        _openCases[msg.sender] = open + 1;
        b.openCases += 1;
        emit CaseClaimed(terms.caseId, batchId, msg.sender, terms.region, terms.deadline);
    }

    /// @inheritdoc ICaseDelegation
    function accept(bytes32 caseId) external {
        CaseRecord storage c = _cases[caseId];
        if (c.status != CaseStatus.OFFERED) revert CaseDelegationWrongStatus(caseId, c.status);
        if (msg.sender != c.collector) revert CaseDelegationNotCaseCollector(caseId, msg.sender);
        if (block.timestamp > c.offerExpiry) revert CaseDelegationOfferExpired(caseId, c.offerExpiry);
        if (block.timestamp > c.deadline) revert CaseDelegationCaseExpired(caseId, c.deadline);
        uint32 open = _requireEligible(msg.sender, c.region);
        c.status = CaseStatus.CLAIMED;
        c.offerExpiry = 0;
        _openCases[msg.sender] = open + 1;
        _batches[c.batchId].openCases += 1;
        emit OfferAccepted(caseId, msg.sender);
    }

    /// @inheritdoc ICaseDelegation
    function decline(bytes32 caseId) external {
        CaseRecord storage c = _cases[caseId];
        if (c.status != CaseStatus.OFFERED) revert CaseDelegationWrongStatus(caseId, c.status);
        if (msg.sender != c.collector) revert CaseDelegationNotCaseCollector(caseId, msg.sender);
        c.status = CaseStatus.NONE;
        c.collector = address(0);
        c.offerExpiry = 0;
        emit OfferDeclined(caseId, msg.sender);
    }

    /// @inheritdoc ICaseDelegation
    function reportAction(
        bytes32 caseId,
        uint8 actionCode,
        bytes32 evidenceDigest,
        bytes32 evidenceRoot,
        bytes32[] calldata evidenceProof
    ) external {
        CaseRecord storage c = _cases[caseId];
        if (c.status != CaseStatus.CLAIMED && c.status != CaseStatus.RECOVERY_REPORTED) {
            revert CaseDelegationWrongStatus(caseId, c.status);
        }
        if (msg.sender != c.collector) revert CaseDelegationNotCaseCollector(caseId, msg.sender);
        _requireEvidence(evidenceDigest, evidenceRoot, evidenceProof);
        emit ActionReported(caseId, msg.sender, actionCode, evidenceDigest);
    }

    /// @inheritdoc ICaseDelegation
    function reportRecovery(
        bytes32 caseId,
        uint128 amount,
        bytes32 evidenceDigest,
        bytes32 evidenceRoot,
        bytes32[] calldata evidenceProof
    ) external {
        CaseRecord storage c = _cases[caseId];
        if (c.status != CaseStatus.CLAIMED) revert CaseDelegationWrongStatus(caseId, c.status);
        if (msg.sender != c.collector) revert CaseDelegationNotCaseCollector(caseId, msg.sender);
        _checkActiveRole(Roles.COLLECTOR);
        uint128 maxAmount = c.overdueAmount - c.recovered;
        if (amount == 0 || amount > maxAmount) revert CaseDelegationInvalidRecovery(caseId, amount, maxAmount);
        _requireEvidence(evidenceDigest, evidenceRoot, evidenceProof);
        c.status = CaseStatus.RECOVERY_REPORTED;
        c.pendingAmount = amount;
        emit RecoveryReported(caseId, msg.sender, amount, evidenceDigest);
    }

    /// @inheritdoc ICaseDelegation
    function withdrawFees() external whenNotPaused {
        uint128 amount = _owed[msg.sender];
        if (amount == 0) revert CaseDelegationZeroAmount();
        _owed[msg.sender] = 0;
        _totalFeesOwed -= amount;
        emit FeesWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // --- external: anyone ---

    /// @inheritdoc ICaseDelegation
    function returnCase(bytes32 caseId) external {
        CaseRecord storage c = _cases[caseId];
        CaseStatus status = c.status;
        if (_isFinal(status)) revert CaseDelegationCaseClosed(caseId, status);
        if (status != CaseStatus.CLAIMED && status != CaseStatus.OFFERED) {
            revert CaseDelegationWrongStatus(caseId, status);
        }
        if (block.timestamp <= c.deadline) revert CaseDelegationDeadlineNotReached(caseId, c.deadline);
        _close(caseId, c, _batches[c.batchId], c.recovered != 0 ? CaseStatus.RECOVERED_PARTLY : CaseStatus.RETURNED);
    }

    // --- external: regulator ---

    /// @inheritdoc ICaseDelegation
    function setMaxOpenCases(uint32 cap) external onlyActiveRole(Roles.REGULATOR) {
        if (cap == 0) revert CaseDelegationInvalidCapacity();
        uint32 previous = _maxOpenCases;
        if (cap == previous) return;
        _maxOpenCases = cap;
        emit MaxOpenCasesSet(previous, cap);
    }

    /// @inheritdoc ICaseDelegation
    function pause() external onlyActiveRole(Roles.REGULATOR) {
        _pause();
    }

    /// @inheritdoc ICaseDelegation
    function unpause() external onlyActiveRole(Roles.REGULATOR) {
        _unpause();
    }

    // --- external: views ---

    /// @inheritdoc ICaseDelegation
    function batch(uint256 batchId) external view returns (Batch memory) {
        return _batch(batchId);
    }

    /// @inheritdoc ICaseDelegation
    function batchOfRoot(bytes32 root) external view returns (uint256) {
        return _batchOfRoot[root];
    }

    /// @inheritdoc ICaseDelegation
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc ICaseDelegation
    function caseOf(bytes32 caseId) external view returns (CaseRecord memory) {
        return _cases[caseId];
    }

    /// @inheritdoc ICaseDelegation
    function feesOwed(address collector) external view returns (uint128) {
        return _owed[collector];
    }

    /// @inheritdoc ICaseDelegation
    function totalFeesOwed() external view returns (uint128) {
        return _totalFeesOwed;
    }

    /// @inheritdoc ICaseDelegation
    function openCasesOf(address collector) external view returns (uint32) {
        return _openCases[collector];
    }

    /// @inheritdoc ICaseDelegation
    function maxOpenCases() external view returns (uint32) {
        return _maxOpenCases;
    }

    /// @inheritdoc ICaseDelegation
    function regionCovers(uint32 collectorRegion, uint32 caseRegion) external pure returns (bool) {
        return _regionCovers(collectorRegion, caseRegion);
    }

    /// @inheritdoc ICaseDelegation
    function termsDigest(CaseTerms calldata terms) external pure returns (bytes32) {
        return _termsDigest(terms);
    }

    /// @inheritdoc ICaseDelegation
    function token() external view returns (ISettlementToken) {
        return _token;
    }

    /// @inheritdoc ICaseDelegation
    function evidence() external view returns (IEvidenceRegistry) {
        return _evidence;
    }

    // --- internal ---

    function _batch(uint256 batchId) private view returns (Batch storage b) {
        if (batchId == 0 || batchId > _batchCount) revert CaseDelegationUnknownBatch(batchId);
        b = _batches[batchId];
    }

    function _batchOfBank(uint256 batchId) private view returns (Batch storage b) {
        b = _batch(batchId);
        if (msg.sender != b.bank) revert CaseDelegationNotBatchBank(msg.sender, b.bank);
    }

    /// @dev The batch, after checking that `terms` is a leaf of its tree.
    function _provenBatch(uint256 batchId, CaseTerms calldata terms, bytes32[] calldata proof)
        private
        view
        returns (Batch storage b)
    {
        b = _batch(batchId);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(_termsDigest(terms)))));
        if (!MerkleProof.verifyCalldata(proof, b.root, leaf)) revert CaseDelegationInvalidProof(batchId, terms.caseId);
    }

    /// @dev Reverts unless the case is in the pool of `batchId` (untouched, declined, or its offer lapsed).
    function _requireInPool(CaseRecord storage c, bytes32 caseId, uint256 batchId) private {
        if (c.batchId != 0 && c.batchId != batchId) revert CaseDelegationCaseInOtherBatch(caseId, c.batchId);
        CaseStatus status = c.status;
        if (status == CaseStatus.NONE) return;
        if (_isFinal(status)) revert CaseDelegationCaseClosed(caseId, status);
        if (status == CaseStatus.OFFERED && block.timestamp > c.offerExpiry) {
            emit OfferLapsed(caseId, c.collector);
            return;
        }
        revert CaseDelegationAlreadyClaimed(caseId, c.collector);
    }

    function _requireOpenForWork(Batch storage b, CaseTerms calldata terms) private view {
        if (terms.feeBps > BPS || terms.deadline > b.closesAt) revert CaseDelegationInvalidTerms(terms.caseId);
        if (block.timestamp > terms.deadline) revert CaseDelegationCaseExpired(terms.caseId, terms.deadline);
    }

    /// @dev Reverts unless `account` may take one more case in `region`; returns its open cases.
    function _requireEligible(address account, uint32 region) private view returns (uint32 open) {
        IConsortium consortium_ = _consortium();
        if (!consortium_.isMember(account)) revert CaseDelegationNotCollector(account);
        IConsortium.Member memory m = consortium_.getMember(account);
        if (m.roles & _collectorBit == 0) revert CaseDelegationNotCollector(account);
        if (m.suspended) revert CaseDelegationCollectorSuspended(account);
        if (m.licenceExpiry != 0 && block.timestamp > m.licenceExpiry) {
            revert CaseDelegationLicenceExpired(account, m.licenceExpiry);
        }
        if (!_regionCovers(m.region, region)) revert CaseDelegationRegionIneligible(account, m.region, region);
        open = _openCases[account];
        if (open >= _maxOpenCases) revert CaseDelegationAtCapacity(account, open, _maxOpenCases);
    }

    function _requireEvidence(bytes32 digest, bytes32 root, bytes32[] calldata proof) private view {
        if (!_evidence.verify(root, digest, proof)) revert CaseDelegationEvidenceNotAnchored(digest, root);
    }

    function _writeTerms(CaseRecord storage c, uint256 batchId, CaseTerms calldata terms) private {
        if (c.batchId != 0) return;
        c.batchId = SafeCast.toUint32(batchId);
        c.region = terms.region;
        c.feeBps = terms.feeBps;
        c.deadline = terms.deadline;
        c.overdueAmount = terms.overdueAmount;
    }

    /// @dev Ends a case; an assigned case (CLAIMED / RECOVERY_REPORTED) frees its collector's capacity.
    function _close(bytes32 caseId, CaseRecord storage c, Batch storage b, CaseStatus status) private {
        CaseStatus previous = c.status;
        address collector = c.collector;
        if (previous == CaseStatus.CLAIMED || previous == CaseStatus.RECOVERY_REPORTED) {
            _openCases[collector] -= 1;
            b.openCases -= 1;
        }
        c.status = status;
        c.offerExpiry = 0;
        emit CaseClosed(caseId, collector, status, c.recovered, msg.sender);
    }

    function _fee(uint128 recovered, uint16 feeBps) private pure returns (uint128) {
        // recovered < 2^128 and feeBps <= 10_000, so the quotient is at most `recovered` and fits 128 bits
        return uint128((uint256(recovered) * feeBps) / BPS);
    }

    function _isFinal(CaseStatus status) private pure returns (bool) {
        return status == CaseStatus.RECOVERED_FULL || status == CaseStatus.RECOVERED_PARTLY
            || status == CaseStatus.RETURNED || status == CaseStatus.RECALLED;
    }

    function _regionCovers(uint32 collectorRegion, uint32 caseRegion) private pure returns (bool) {
        return Regions.covers(collectorRegion, caseRegion);
    }

    function _termsDigest(CaseTerms calldata terms) private pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }
}
