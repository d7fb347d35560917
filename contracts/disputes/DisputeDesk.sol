// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {ICaseDelegation} from "../interfaces/ICaseDelegation.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IDisputeDesk} from "../interfaces/IDisputeDesk.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title DisputeDesk
/// @notice Mediation, restructuring agreements, court rulings and enforceability of delegated cases (see
/// {IDisputeDesk}).
/// @dev The contract must be a consortium system contract to hold rCNY (SetSystemContract proposal). Instalments
/// are pulled from the payer into this contract and credited to the payee, who withdraws them (`withdraw`); the
/// payment out is made after the state change and its event, and `pay` and `withdraw` share a transient
/// reentrancy lock, so even a token with transfer hooks could not withdraw twice.
/// Not `Pausable`: every movement of value here is a SettlementToken transfer, which the regulator's token pause
/// already stops.
contract DisputeDesk is ConsortiumGated, IDisputeDesk, ReentrancyGuardTransient {
    using SafeERC20 for ISettlementToken;

    /// @notice The longest instalment schedule.
    uint256 public constant MAX_INSTALMENTS = 120;
    /// @notice The longest grace period an agreement may give.
    uint64 public constant MAX_GRACE = 90 days;
    /// @notice The shortest appeal window the consortium may set.
    uint64 public constant MIN_APPEAL_WINDOW = 1 hours;
    /// @notice The longest appeal window the consortium may set.
    uint64 public constant MAX_APPEAL_WINDOW = 90 days;

    // --- storage ---
    ISettlementToken private immutable _token;
    IEvidenceRegistry private immutable _evidence;
    ICaseDelegation private immutable _cases;

    uint64 private _appealWindow;
    bool private _mediationRequired;
    uint256 private _disputeCount;
    uint256 private _totalOwed;
    mapping(uint256 disputeId => Dispute) private _disputes;
    mapping(uint256 disputeId => AgreementRecord) private _agreements;
    mapping(uint256 disputeId => Instalment[]) private _schedules;
    mapping(bytes32 caseId => uint256 disputeId) private _latest;
    mapping(bytes32 caseId => bool) private _enforceable;
    mapping(bytes32 assetRef => bytes32 caseId) private _collateral;
    mapping(address account => uint256) private _owed;

    /// @param consortium_ The consortium contract.
    /// @param token_ The settlement token (instalments are paid in it).
    /// @param evidence_ The evidence registry (evidence roots must be anchored there).
    /// @param cases_ The case registry (disputes are opened on its cases).
    /// @param appealWindow_ The appeal window in seconds (1 hour to 90 days).
    constructor(
        IConsortium consortium_,
        ISettlementToken token_,
        IEvidenceRegistry evidence_,
        ICaseDelegation cases_,
        uint64 appealWindow_
    ) ConsortiumGated(consortium_) {
        if (address(token_) == address(0) || address(evidence_) == address(0) || address(cases_) == address(0)) {
            revert DisputeZeroAddress();
        }
        _token = token_;
        _evidence = evidence_;
        _cases = cases_;
        _setAppealWindow(appealWindow_);
        _mediationRequired = true;
        emit MediationRequirementChanged(true);
    }

    // --- external: parties ---

    /// @inheritdoc IDisputeDesk
    function open(bytes32 caseId, uint128 claimAmount, bytes32[] calldata evidenceRoots, bytes32[] calldata collateral)
        external
        returns (uint256 disputeId)
    {
        (address bank, address collector) = _requireCaseParty(caseId, claimAmount);
        _checkOpening(caseId, evidenceRoots, collateral);
        disputeId = _store(caseId, claimAmount, bank, collector);
        uint256 roots = evidenceRoots.length;
        for (uint256 i; i < roots; ++i) {
            emit EvidenceSubmitted(disputeId, msg.sender, evidenceRoots[i]);
        }
        uint256 assets = collateral.length;
        for (uint256 i; i < assets; ++i) {
            _collateral[collateral[i]] = caseId;
            emit CollateralRegistered(disputeId, collateral[i], caseId);
        }
    }

    /// @inheritdoc IDisputeDesk
    function claim(uint256 disputeId) external {
        Dispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.OPEN);
        _requireMediator(disputeId, d, msg.sender);
        d.mediator = msg.sender;
        d.status = DisputeStatus.MEDIATING;
        emit MediatorAssigned(disputeId, msg.sender, false);
    }

    /// @inheritdoc IDisputeDesk
    function assign(uint256 disputeId, address mediator) external {
        Dispute storage d = _bankDispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.OPEN);
        _requireMediator(disputeId, d, mediator);
        d.mediator = mediator;
        d.status = DisputeStatus.MEDIATING;
        emit MediatorAssigned(disputeId, mediator, true);
    }

    /// @inheritdoc IDisputeDesk
    function submitEvidence(uint256 disputeId, bytes32 root) external {
        Dispute storage d = _dispute(disputeId);
        DisputeStatus status = d.status;
        if (
            status == DisputeStatus.ABANDONED || status == DisputeStatus.FINAL || status == DisputeStatus.HONOURED
                || status == DisputeStatus.DEFAULTED
        ) revert DisputeWrongStatus(disputeId, status);
        if (
            msg.sender != d.bank && msg.sender != d.collector && msg.sender != d.mediator
                && !_hasActiveRole(msg.sender, Roles.COURT)
        ) revert DisputeNotParticipant(disputeId, msg.sender);
        if (!_evidence.isAnchored(root)) revert DisputeEvidenceNotAnchored(root);
        emit EvidenceSubmitted(disputeId, msg.sender, root);
    }

    /// @inheritdoc IDisputeDesk
    function recordAgreement(uint256 disputeId, Agreement calldata agreement) external {
        Dispute storage d = _mediatorDispute(disputeId);
        if (agreement.grace > MAX_GRACE) revert DisputeInvalidGrace(agreement.grace, MAX_GRACE);
        uint128 total = _checkSchedule(agreement.schedule, agreement.relief, d.claimAmount);
        _agreements[disputeId] = AgreementRecord({
            termsDigest: agreement.termsDigest,
            commitmentDigest: agreement.commitmentDigest,
            planDigest: agreement.planDigest,
            relief: agreement.relief,
            grace: agreement.grace,
            agreedAt: uint64(block.timestamp)
        });
        Instalment[] storage schedule = _schedules[disputeId];
        uint256 count = agreement.schedule.length;
        for (uint256 i; i < count; ++i) {
            schedule.push(agreement.schedule[i]);
        }
        d.total = total;
        d.status = DisputeStatus.AGREED;
        emit AgreementRecorded(
            disputeId,
            msg.sender,
            agreement.termsDigest,
            agreement.commitmentDigest,
            agreement.planDigest,
            total,
            agreement.relief,
            agreement.grace,
            uint64(block.timestamp),
            agreement.schedule
        );
    }

    /// @inheritdoc IDisputeDesk
    function recordFailure(uint256 disputeId, bytes32 reasonDigest) external {
        Dispute storage d = _mediatorDispute(disputeId);
        d.status = DisputeStatus.FAILED;
        emit MediationFailed(disputeId, msg.sender, reasonDigest);
    }

    /// @inheritdoc IDisputeDesk
    function rule(uint256 disputeId, Ruling ruling, bytes32 documentDigest) external {
        Dispute storage d = _dispute(disputeId);
        _checkActiveRole(Roles.COURT);
        DisputeStatus status = d.status;
        if (status == DisputeStatus.APPEALED) {
            if (msg.sender == d.court) revert DisputeSameCourt(disputeId, msg.sender);
            if (!(d.total != 0 ? _confirmsOrRefuses(ruling) : _decides(ruling))) {
                revert DisputeRulingNotAllowed(disputeId, status, ruling);
            }
            d.appealCourt = msg.sender;
            d.ruling = ruling;
            emit RulingGiven(disputeId, msg.sender, ruling, documentDigest, 0, true);
            _finalize(disputeId, d);
            return;
        }
        bool allowed;
        if (status == DisputeStatus.AGREED) {
            allowed = _confirmsOrRefuses(ruling);
        } else if (status == DisputeStatus.FAILED) {
            allowed = _decides(ruling);
        } else if (status == DisputeStatus.OPEN || status == DisputeStatus.MEDIATING) {
            allowed = !_mediationRequired && _decides(ruling);
        } else {
            revert DisputeWrongStatus(disputeId, status);
        }
        if (!allowed) revert DisputeRulingNotAllowed(disputeId, status, ruling);
        uint64 deadline = uint64(block.timestamp) + _appealWindow;
        d.court = msg.sender;
        d.ruling = ruling;
        d.appealDeadline = deadline;
        d.status = DisputeStatus.RULED;
        emit RulingGiven(disputeId, msg.sender, ruling, documentDigest, deadline, false);
    }

    /// @inheritdoc IDisputeDesk
    function appeal(uint256 disputeId, bytes32 reasonDigest) external {
        Dispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.RULED);
        uint64 deadline = d.appealDeadline;
        if (block.timestamp > deadline) revert DisputeAppealWindowClosed(disputeId, deadline);
        if (msg.sender != d.bank && msg.sender != d.collector && !_hasActiveRole(msg.sender, Roles.COURT)) {
            revert DisputeNotParticipant(disputeId, msg.sender);
        }
        d.status = DisputeStatus.APPEALED;
        emit RulingAppealed(disputeId, msg.sender, reasonDigest);
    }

    /// @inheritdoc IDisputeDesk
    function finalize(uint256 disputeId) external {
        Dispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.RULED);
        uint64 deadline = d.appealDeadline;
        if (block.timestamp <= deadline) revert DisputeAppealWindowOpen(disputeId, deadline);
        _finalize(disputeId, d);
    }

    /// @inheritdoc IDisputeDesk
    function pay(uint256 disputeId, uint128 amount) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        DisputeStatus status = d.status;
        bool performing = status == DisputeStatus.PERFORMING;
        if (
            !performing && status != DisputeStatus.AGREED
                && ((status != DisputeStatus.RULED && status != DisputeStatus.APPEALED) || d.total == 0)
        ) revert DisputeWrongStatus(disputeId, status);
        uint128 paid = d.paid;
        uint128 outstanding = d.total - paid;
        if (amount == 0 || amount > outstanding) revert DisputeInvalidPayment(amount, outstanding);
        address payee = d.payee;
        paid += amount;
        d.paid = paid;
        _owed[payee] += amount;
        _totalOwed += amount;
        emit InstalmentPaid(disputeId, msg.sender, payee, amount, paid);
        if (performing && amount == outstanding) {
            d.status = DisputeStatus.HONOURED;
            emit AgreementHonoured(disputeId, paid);
        }
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IDisputeDesk
    function markDefault(uint256 disputeId) external {
        Dispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.PERFORMING);
        Instalment[] storage schedule = _schedules[disputeId];
        uint64 grace = _agreements[disputeId].grace;
        uint128 paid = d.paid;
        uint128 due;
        uint256 index = type(uint256).max;
        uint256 count = schedule.length;
        // Due dates strictly increase, so the instalments late beyond the grace period are a prefix.
        for (uint256 i; i < count; ++i) {
            Instalment storage instalment = schedule[i];
            if (uint256(instalment.dueAt) + grace >= block.timestamp) break;
            due += instalment.amount;
            if (index == type(uint256).max && due > paid) index = i;
        }
        if (index == type(uint256).max) {
            revert DisputeNotInDefault(disputeId, _dueBy(disputeId, _lessGrace(grace)), paid);
        }
        d.status = DisputeStatus.DEFAULTED;
        bytes32 caseId = d.caseId;
        _enforceable[caseId] = true;
        emit AgreementDefaulted(disputeId, index, due, paid);
        emit CaseEnforceable(caseId, disputeId);
    }

    /// @inheritdoc IDisputeDesk
    function abandon(uint256 disputeId, bytes32 reasonDigest) external {
        Dispute storage d = _dispute(disputeId);
        if (msg.sender != d.opener) revert DisputeNotParticipant(disputeId, msg.sender);
        DisputeStatus status = d.status;
        if (status != DisputeStatus.OPEN && status != DisputeStatus.MEDIATING) {
            revert DisputeWrongStatus(disputeId, status);
        }
        d.status = DisputeStatus.ABANDONED;
        emit DisputeAbandoned(disputeId, msg.sender, reasonDigest);
    }

    /// @inheritdoc IDisputeDesk
    function setPayee(uint256 disputeId, address payee) external {
        Dispute storage d = _bankDispute(disputeId);
        if (payee == address(0)) revert DisputeZeroAddress();
        DisputeStatus status = d.status;
        if (
            status == DisputeStatus.HONOURED || status == DisputeStatus.DEFAULTED || status == DisputeStatus.ABANDONED
                || status == DisputeStatus.FINAL
        ) revert DisputeWrongStatus(disputeId, status);
        address previous = d.payee;
        if (previous == payee) return;
        d.payee = payee;
        emit PayeeChanged(disputeId, previous, payee);
    }

    /// @inheritdoc IDisputeDesk
    function withdraw() external nonReentrant {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert DisputeNothingToWithdraw(msg.sender);
        _owed[msg.sender] = 0;
        _totalOwed -= amount;
        emit PaymentWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // --- external: governed settings ---

    /// @inheritdoc IDisputeDesk
    function setAppealWindow(uint64 window) external onlyConsortium {
        _setAppealWindow(window);
    }

    /// @inheritdoc IDisputeDesk
    function setMediationRequired(bool required) external onlyConsortium {
        _mediationRequired = required;
        emit MediationRequirementChanged(required);
    }

    // --- external: views ---

    /// @inheritdoc IDisputeDesk
    function dispute(uint256 disputeId) external view returns (Dispute memory) {
        return _dispute(disputeId);
    }

    /// @inheritdoc IDisputeDesk
    function agreementOf(uint256 disputeId) external view returns (AgreementRecord memory) {
        return _agreements[disputeId];
    }

    /// @inheritdoc IDisputeDesk
    function scheduleOf(uint256 disputeId) external view returns (Instalment[] memory) {
        return _schedules[disputeId];
    }

    /// @inheritdoc IDisputeDesk
    function dueBy(uint256 disputeId, uint64 timestamp) external view returns (uint128) {
        return _dueBy(disputeId, timestamp);
    }

    /// @inheritdoc IDisputeDesk
    function disputeOfCase(bytes32 caseId) external view returns (uint256) {
        return _latest[caseId];
    }

    /// @inheritdoc IDisputeDesk
    function isEnforceable(bytes32 caseId) external view returns (bool) {
        return _enforceable[caseId];
    }

    /// @inheritdoc IDisputeDesk
    function enforcementOf(bytes32 assetRef) external view returns (bytes32 caseId, bool enforceable) {
        caseId = _collateral[assetRef];
        enforceable = caseId != bytes32(0) && _enforceable[caseId];
    }

    /// @inheritdoc IDisputeDesk
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    /// @inheritdoc IDisputeDesk
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc IDisputeDesk
    function totalOwed() external view returns (uint256) {
        return _totalOwed;
    }

    /// @inheritdoc IDisputeDesk
    function appealWindow() external view returns (uint64) {
        return _appealWindow;
    }

    /// @inheritdoc IDisputeDesk
    function mediationRequired() external view returns (bool) {
        return _mediationRequired;
    }

    /// @inheritdoc IDisputeDesk
    function token() external view returns (ISettlementToken) {
        return _token;
    }

    /// @inheritdoc IDisputeDesk
    function evidence() external view returns (IEvidenceRegistry) {
        return _evidence;
    }

    /// @inheritdoc IDisputeDesk
    function cases() external view returns (ICaseDelegation) {
        return _cases;
    }

    // --- private ---

    function _dispute(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.status == DisputeStatus.NONE) revert DisputeUnknown(disputeId);
    }

    /// @dev The dispute, called by its bank (which must still be an active BANK).
    function _bankDispute(uint256 disputeId) private view returns (Dispute storage d) {
        d = _dispute(disputeId);
        if (msg.sender != d.bank) revert DisputeNotBank(disputeId, msg.sender);
        _checkActiveRole(Roles.BANK);
    }

    /// @dev The dispute, MEDIATING and called by its mediator.
    function _mediatorDispute(uint256 disputeId) private view returns (Dispute storage d) {
        d = _dispute(disputeId);
        if (msg.sender != d.mediator) revert DisputeNotDisputeMediator(disputeId, msg.sender);
        _requireStatus(disputeId, d, DisputeStatus.MEDIATING);
    }

    function _requireStatus(uint256 disputeId, Dispute storage d, DisputeStatus status) private view {
        if (d.status != status) revert DisputeWrongStatus(disputeId, d.status);
    }

    /// @dev `account` is an active MEDIATOR and none of the dispute's bank, collector or opener.
    function _requireMediator(uint256 disputeId, Dispute storage d, address account) private view {
        if (
            account == d.bank || account == d.collector || account == d.opener
                || !_hasActiveRole(account, Roles.MEDIATOR)
        ) revert DisputeNotMediator(disputeId, account);
    }

    /// @dev The caller may open a dispute on `caseId` for `claimAmount`: the case has a record, is not recovered in
    /// full, the caller is its batch's bank (an active BANK) or the collector holding it (an active COLLECTOR), and
    /// the claim is within the outstanding overdue amount. Returns the bank and the collector holding the case.
    function _requireCaseParty(bytes32 caseId, uint128 claimAmount)
        private
        view
        returns (address bank, address collector)
    {
        ICaseDelegation.CaseRecord memory record = _cases.caseOf(caseId);
        if (record.batchId == 0) revert DisputeCaseUnknown(caseId);
        ICaseDelegation.CaseStatus caseStatus = record.status;
        if (caseStatus == ICaseDelegation.CaseStatus.RECOVERED_FULL) revert DisputeCaseSettled(caseId);
        bank = _cases.batch(record.batchId).bank;
        if (
            caseStatus == ICaseDelegation.CaseStatus.CLAIMED
                || caseStatus == ICaseDelegation.CaseStatus.RECOVERY_REPORTED
        ) {
            collector = record.collector;
        }
        if (msg.sender == bank) {
            _checkActiveRole(Roles.BANK);
        } else if (collector != address(0) && msg.sender == collector) {
            _checkActiveRole(Roles.COLLECTOR);
        } else {
            revert DisputeNotCaseParty(caseId, msg.sender);
        }
        uint128 outstanding = record.overdueAmount - record.recovered;
        if (claimAmount == 0 || claimAmount > outstanding) revert DisputeInvalidClaim(claimAmount, outstanding);
    }

    /// @dev The case has no dispute that is still running or made it enforceable, every evidence root is anchored
    /// and no asset is another case's collateral.
    function _checkOpening(bytes32 caseId, bytes32[] calldata evidenceRoots, bytes32[] calldata collateral)
        private
        view
    {
        uint256 latest = _latest[caseId];
        if (latest != 0 && !_endedWithoutEnforcement(_disputes[latest])) revert DisputeAlreadyOpen(caseId, latest);
        uint256 roots = evidenceRoots.length;
        for (uint256 i; i < roots; ++i) {
            if (!_evidence.isAnchored(evidenceRoots[i])) revert DisputeEvidenceNotAnchored(evidenceRoots[i]);
        }
        uint256 assets = collateral.length;
        for (uint256 i; i < assets; ++i) {
            bytes32 holder = _collateral[collateral[i]];
            if (holder != bytes32(0) && holder != caseId) revert DisputeCollateralTaken(collateral[i], holder);
        }
    }

    /// @dev Writes a new OPEN dispute (its payee is the bank) as the case's latest and emits {DisputeOpened}.
    function _store(bytes32 caseId, uint128 claimAmount, address bank, address collector)
        private
        returns (uint256 disputeId)
    {
        disputeId = ++_disputeCount;
        Dispute storage d = _disputes[disputeId];
        d.status = DisputeStatus.OPEN;
        d.openedAt = uint64(block.timestamp);
        d.bank = bank;
        d.collector = collector;
        d.opener = msg.sender;
        d.caseId = caseId;
        d.claimAmount = claimAmount;
        d.payee = bank;
        _latest[caseId] = disputeId;
        emit DisputeOpened(disputeId, caseId, msg.sender, bank, collector, claimAmount, uint64(block.timestamp));
    }

    /// @dev Checks a schedule (1 to MAX_INSTALMENTS instalments, each at least 1 fen, due dates strictly increasing
    /// and in the future) and that its total plus `relief` is `claimAmount`; returns the total.
    function _checkSchedule(Instalment[] calldata schedule, uint128 relief, uint128 claimAmount)
        private
        view
        returns (uint128)
    {
        uint256 count = schedule.length;
        if (count == 0 || count > MAX_INSTALMENTS) revert DisputeInvalidSchedule(count);
        uint256 total;
        uint256 previous = block.timestamp;
        for (uint256 i; i < count; ++i) {
            Instalment calldata instalment = schedule[i];
            if (instalment.amount == 0 || instalment.dueAt <= previous) revert DisputeInvalidSchedule(i);
            previous = instalment.dueAt;
            // at most MAX_INSTALMENTS amounts below 2^128: the sum stays far below 2^256
            total += instalment.amount;
        }
        if (total + relief != claimAmount) {
            // casting to 'uint128' is safe because the larger totals are reported as type(uint128).max
            // forge-lint: disable-next-line(unsafe-typecast)
            uint128 reported = total > type(uint128).max ? type(uint128).max : uint128(total);
            revert DisputeAgreementMismatch(reported, relief, claimAmount);
        }
        // casting to 'uint128' is safe because total <= claimAmount, a uint128, was checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint128(total);
    }

    /// @dev Makes the dispute's ruling final: FOR_CLAIMANT makes the case enforceable, DISMISSED and REFUSED end the
    /// dispute, CONFIRMED starts the agreement's performance (or honours it, if it is already paid in full).
    function _finalize(uint256 disputeId, Dispute storage d) private {
        Ruling ruling = d.ruling;
        DisputeStatus status = DisputeStatus.FINAL;
        if (ruling == Ruling.CONFIRMED) {
            status = d.paid == d.total ? DisputeStatus.HONOURED : DisputeStatus.PERFORMING;
        }
        d.status = status;
        emit RulingFinal(disputeId, ruling, status);
        if (ruling == Ruling.FOR_CLAIMANT) {
            bytes32 caseId = d.caseId;
            _enforceable[caseId] = true;
            emit CaseEnforceable(caseId, disputeId);
        } else if (status == DisputeStatus.HONOURED) {
            emit AgreementHonoured(disputeId, d.paid);
        }
    }

    function _dueBy(uint256 disputeId, uint256 timestamp) private view returns (uint128 due) {
        Instalment[] storage schedule = _schedules[disputeId];
        uint256 count = schedule.length;
        for (uint256 i; i < count; ++i) {
            Instalment storage instalment = schedule[i];
            if (instalment.dueAt > timestamp) break;
            due += instalment.amount;
        }
    }

    /// @dev Now less the grace period (zero if the grace period is longer than the chain's age).
    function _lessGrace(uint64 grace) private view returns (uint256) {
        return block.timestamp > grace ? block.timestamp - grace : 0;
    }

    /// @dev Whether a dispute ended without making its case enforceable (a new one may be opened on the case).
    function _endedWithoutEnforcement(Dispute storage d) private view returns (bool) {
        DisputeStatus status = d.status;
        if (status == DisputeStatus.ABANDONED || status == DisputeStatus.HONOURED) return true;
        return status == DisputeStatus.FINAL && d.ruling != Ruling.FOR_CLAIMANT;
    }

    /// @dev A ruling on an agreement: confirm it or refuse to.
    function _confirmsOrRefuses(Ruling ruling) private pure returns (bool) {
        return ruling == Ruling.CONFIRMED || ruling == Ruling.REFUSED;
    }

    /// @dev A ruling on the claim itself: uphold it, dismiss it or refuse to rule.
    function _decides(Ruling ruling) private pure returns (bool) {
        return ruling == Ruling.FOR_CLAIMANT || ruling == Ruling.DISMISSED || ruling == Ruling.REFUSED;
    }

    function _setAppealWindow(uint64 window) private {
        if (window < MIN_APPEAL_WINDOW || window > MAX_APPEAL_WINDOW) revert DisputeInvalidSetting();
        emit AppealWindowChanged(_appealWindow, window);
        _appealWindow = window;
    }
}
