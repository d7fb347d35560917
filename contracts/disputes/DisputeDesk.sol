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
/// Storage: a dispute is kept without what can be derived (the opener is the bank unless the collector opened it,
/// the payee is the bank unless another was named, the relief is the claim less the schedule total), so `open`
/// writes four slots (three without a collector); the agreement's grace, time and length share slots the dispute
/// writes anyway, and its schedule holds two instalments per slot. An instalment's amount must therefore be below
/// 2^96 fen and its due time at most 2^32 - 1 (7 February 2106); a schedule beyond either is refused with
/// {DisputeInvalidSchedule}.
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

    /// @dev Slots of a schedule: two instalments per slot.
    uint256 private constant _SCHEDULE_SLOTS = MAX_INSTALMENTS / 2;
    /// @dev Bits of an instalment's amount in its half slot (the due time takes the 32 bits above).
    uint256 private constant _AMOUNT_BITS = 96;
    uint256 private constant _AMOUNT_MASK = type(uint96).max;
    uint256 private constant _DUE_MASK = type(uint32).max;

    /// @dev A dispute as stored: {Dispute} less the derived opener and payee, plus its agreement's length, time and
    /// grace, in nine slots (comments); `open` writes slots 0, 1 (with a collector), 5 and 6.
    struct StoredDispute {
        // slot 0
        DisputeStatus status;
        Ruling ruling;
        bool openedByCollector; // the opener is the collector, not the bank
        uint8 instalments; // the agreement's schedule length (zero without an agreement)
        uint64 openedAt;
        address bank;
        // slot 1
        address collector;
        // slot 2
        address mediator;
        uint64 agreedAt;
        uint32 grace; // at most MAX_GRACE
        // slot 3
        address court;
        uint64 appealDeadline;
        // slot 4
        address appealCourt;
        // slot 5
        bytes32 caseId;
        // slot 6
        uint128 claimAmount;
        uint128 total;
        // slot 7
        uint128 paid;
        // slot 8
        address payee; // zero while the payee is the bank
    }

    /// @dev An agreement's digests (its relief, grace and time are derived or kept in {StoredDispute}).
    struct StoredAgreement {
        bytes32 termsDigest;
        bytes32 commitmentDigest;
        bytes32 planDigest;
    }

    // --- storage ---
    ISettlementToken private immutable _token;
    IEvidenceRegistry private immutable _evidence;
    ICaseDelegation private immutable _cases;

    uint64 private _appealWindow;
    bool private _mediationRequired;
    uint256 private _disputeCount;
    uint256 private _totalOwed;
    mapping(uint256 disputeId => StoredDispute) private _disputes;
    mapping(uint256 disputeId => StoredAgreement) private _agreements;
    /// @dev Instalment `i` is the half slot `i % 2` (low, high) of slot `i / 2`: its amount in the low 96 bits, its
    /// due time in the 32 above.
    mapping(uint256 disputeId => uint256[_SCHEDULE_SLOTS]) private _schedules;
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
        StoredDispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.OPEN);
        _requireMediator(disputeId, d, msg.sender);
        d.mediator = msg.sender;
        d.status = DisputeStatus.MEDIATING;
        emit MediatorAssigned(disputeId, msg.sender, false);
    }

    /// @inheritdoc IDisputeDesk
    function assign(uint256 disputeId, address mediator) external {
        StoredDispute storage d = _bankDispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.OPEN);
        _requireMediator(disputeId, d, mediator);
        d.mediator = mediator;
        d.status = DisputeStatus.MEDIATING;
        emit MediatorAssigned(disputeId, mediator, true);
    }

    /// @inheritdoc IDisputeDesk
    function submitEvidence(uint256 disputeId, bytes32 root) external {
        StoredDispute storage d = _dispute(disputeId);
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
    /// @dev Each instalment's amount must be below 2^96 fen and its due time at most 2^32 - 1 (7 February 2106),
    /// the bounds of the packed schedule; otherwise {DisputeInvalidSchedule} names it.
    function recordAgreement(uint256 disputeId, Agreement calldata agreement) external {
        StoredDispute storage d = _mediatorDispute(disputeId);
        uint64 grace = agreement.grace;
        if (grace > MAX_GRACE) revert DisputeInvalidGrace(grace, MAX_GRACE);
        uint128 total = _storeSchedule(_schedules[disputeId], agreement.schedule, agreement.relief, d.claimAmount);
        _agreements[disputeId] = StoredAgreement({
            termsDigest: agreement.termsDigest,
            commitmentDigest: agreement.commitmentDigest,
            planDigest: agreement.planDigest
        });
        d.agreedAt = uint64(block.timestamp);
        // casting to 'uint32' is safe because grace <= MAX_GRACE, below 2^32, was checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        d.grace = uint32(grace);
        d.total = total;
        // casting to 'uint8' is safe because _storeSchedule checked the length is at most MAX_INSTALMENTS (120)
        // forge-lint: disable-next-line(unsafe-typecast)
        d.instalments = uint8(agreement.schedule.length);
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
        StoredDispute storage d = _mediatorDispute(disputeId);
        d.status = DisputeStatus.FAILED;
        emit MediationFailed(disputeId, msg.sender, reasonDigest);
    }

    /// @inheritdoc IDisputeDesk
    function rule(uint256 disputeId, Ruling ruling, bytes32 documentDigest) external {
        StoredDispute storage d = _dispute(disputeId);
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
        StoredDispute storage d = _dispute(disputeId);
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
        StoredDispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.RULED);
        uint64 deadline = d.appealDeadline;
        if (block.timestamp <= deadline) revert DisputeAppealWindowOpen(disputeId, deadline);
        _finalize(disputeId, d);
    }

    /// @inheritdoc IDisputeDesk
    function pay(uint256 disputeId, uint128 amount) external nonReentrant {
        StoredDispute storage d = _dispute(disputeId);
        DisputeStatus status = d.status;
        bool performing = status == DisputeStatus.PERFORMING;
        if (
            !performing && status != DisputeStatus.AGREED
                && ((status != DisputeStatus.RULED && status != DisputeStatus.APPEALED) || d.total == 0)
        ) revert DisputeWrongStatus(disputeId, status);
        uint128 paid = d.paid;
        uint128 outstanding = d.total - paid;
        if (amount == 0 || amount > outstanding) revert DisputeInvalidPayment(amount, outstanding);
        address payee = _payee(d);
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
        StoredDispute storage d = _dispute(disputeId);
        _requireStatus(disputeId, d, DisputeStatus.PERFORMING);
        uint256[_SCHEDULE_SLOTS] storage schedule = _schedules[disputeId];
        uint64 grace = d.grace;
        uint128 paid = d.paid;
        uint128 due;
        uint256 index = type(uint256).max;
        uint256 count = d.instalments;
        uint256 word;
        // Due dates strictly increase, so the instalments late beyond the grace period are a prefix.
        for (uint256 i; i < count; ++i) {
            word = i & 1 == 0 ? schedule[i >> 1] : word >> 128;
            if (((word >> _AMOUNT_BITS) & _DUE_MASK) + grace >= block.timestamp) break;
            // casting to 'uint128' is safe because the amount is masked to 96 bits (and at most MAX_INSTALMENTS of
            // them stay far below 2^128)
            // forge-lint: disable-next-line(unsafe-typecast)
            due += uint128(word & _AMOUNT_MASK);
            if (index == type(uint256).max && due > paid) index = i;
        }
        if (index == type(uint256).max) {
            revert DisputeNotInDefault(disputeId, _dueBy(d, schedule, _lessGrace(grace)), paid);
        }
        d.status = DisputeStatus.DEFAULTED;
        bytes32 caseId = d.caseId;
        _enforceable[caseId] = true;
        emit AgreementDefaulted(disputeId, index, due, paid);
        emit CaseEnforceable(caseId, disputeId);
    }

    /// @inheritdoc IDisputeDesk
    function abandon(uint256 disputeId, bytes32 reasonDigest) external {
        StoredDispute storage d = _dispute(disputeId);
        if (msg.sender != (d.openedByCollector ? d.collector : d.bank)) {
            revert DisputeNotParticipant(disputeId, msg.sender);
        }
        DisputeStatus status = d.status;
        if (status != DisputeStatus.OPEN && status != DisputeStatus.MEDIATING) {
            revert DisputeWrongStatus(disputeId, status);
        }
        d.status = DisputeStatus.ABANDONED;
        emit DisputeAbandoned(disputeId, msg.sender, reasonDigest);
    }

    /// @inheritdoc IDisputeDesk
    function setPayee(uint256 disputeId, address payee) external {
        StoredDispute storage d = _bankDispute(disputeId);
        if (payee == address(0)) revert DisputeZeroAddress();
        DisputeStatus status = d.status;
        if (
            status == DisputeStatus.HONOURED || status == DisputeStatus.DEFAULTED || status == DisputeStatus.ABANDONED
                || status == DisputeStatus.FINAL
        ) revert DisputeWrongStatus(disputeId, status);
        address bank = d.bank;
        address previous = _payee(d);
        if (previous == payee) return;
        IConsortium consortium_ = _consortium();
        // the token's own test of who may hold rCNY (SettlementToken `_requireHolder`)
        if (!consortium_.isActiveMember(payee) && !consortium_.isSystemContract(payee)) {
            revert DisputeInvalidPayee(payee);
        }
        d.payee = payee == bank ? address(0) : payee;
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
    function dispute(uint256 disputeId) external view returns (Dispute memory out) {
        StoredDispute storage d = _dispute(disputeId);
        out.status = d.status;
        out.ruling = d.ruling;
        out.openedAt = d.openedAt;
        out.bank = d.bank;
        out.appealDeadline = d.appealDeadline;
        out.collector = d.collector;
        out.opener = d.openedByCollector ? d.collector : d.bank;
        out.mediator = d.mediator;
        out.court = d.court;
        out.appealCourt = d.appealCourt;
        out.caseId = d.caseId;
        out.claimAmount = d.claimAmount;
        out.total = d.total;
        out.paid = d.paid;
        out.payee = _payee(d);
    }

    /// @inheritdoc IDisputeDesk
    function agreementOf(uint256 disputeId) external view returns (AgreementRecord memory out) {
        StoredDispute storage d = _disputes[disputeId];
        if (d.instalments == 0) return out;
        StoredAgreement storage a = _agreements[disputeId];
        out.termsDigest = a.termsDigest;
        out.commitmentDigest = a.commitmentDigest;
        out.planDigest = a.planDigest;
        out.relief = d.claimAmount - d.total;
        out.grace = d.grace;
        out.agreedAt = d.agreedAt;
    }

    /// @inheritdoc IDisputeDesk
    function scheduleOf(uint256 disputeId) external view returns (Instalment[] memory schedule) {
        uint256 count = _disputes[disputeId].instalments;
        uint256[_SCHEDULE_SLOTS] storage words = _schedules[disputeId];
        schedule = new Instalment[](count);
        uint256 word;
        for (uint256 i; i < count; ++i) {
            word = i & 1 == 0 ? words[i >> 1] : word >> 128;
            // casting to 'uint128' is safe because the amount is masked to 96 bits
            // forge-lint: disable-next-line(unsafe-typecast)
            uint128 amount = uint128(word & _AMOUNT_MASK);
            // casting to 'uint64' is safe because the due time is masked to 32 bits
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 dueAt = uint64((word >> _AMOUNT_BITS) & _DUE_MASK);
            schedule[i] = Instalment({amount: amount, dueAt: dueAt});
        }
    }

    /// @inheritdoc IDisputeDesk
    function dueBy(uint256 disputeId, uint64 timestamp) external view returns (uint128) {
        return _dueBy(_disputes[disputeId], _schedules[disputeId], timestamp);
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

    function _dispute(uint256 disputeId) private view returns (StoredDispute storage d) {
        d = _disputes[disputeId];
        if (d.status == DisputeStatus.NONE) revert DisputeUnknown(disputeId);
    }

    /// @dev The dispute, called by its bank (which must still be an active BANK).
    function _bankDispute(uint256 disputeId) private view returns (StoredDispute storage d) {
        d = _dispute(disputeId);
        if (msg.sender != d.bank) revert DisputeNotBank(disputeId, msg.sender);
        _checkActiveRole(Roles.BANK);
    }

    /// @dev The dispute, MEDIATING and called by its mediator.
    function _mediatorDispute(uint256 disputeId) private view returns (StoredDispute storage d) {
        d = _dispute(disputeId);
        if (msg.sender != d.mediator) revert DisputeNotDisputeMediator(disputeId, msg.sender);
        _requireStatus(disputeId, d, DisputeStatus.MEDIATING);
    }

    function _requireStatus(uint256 disputeId, StoredDispute storage d, DisputeStatus status) private view {
        if (d.status != status) revert DisputeWrongStatus(disputeId, d.status);
    }

    /// @dev `account` is an active MEDIATOR and none of the dispute's bank, collector or opener (the opener is the
    /// bank or the collector).
    function _requireMediator(uint256 disputeId, StoredDispute storage d, address account) private view {
        if (account == d.bank || account == d.collector || !_hasActiveRole(account, Roles.MEDIATOR)) {
            revert DisputeNotMediator(disputeId, account);
        }
    }

    /// @dev Who is owed the dispute's instalments: the named payee, or the bank.
    function _payee(StoredDispute storage d) private view returns (address payee) {
        payee = d.payee;
        if (payee == address(0)) payee = d.bank;
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

    /// @dev Writes a new OPEN dispute (its payee is the bank: `payee` stays zero) as the case's latest and emits
    /// {DisputeOpened}. The opener is the bank or the collector, so a flag records which.
    function _store(bytes32 caseId, uint128 claimAmount, address bank, address collector)
        private
        returns (uint256 disputeId)
    {
        disputeId = ++_disputeCount;
        StoredDispute storage d = _disputes[disputeId];
        d.status = DisputeStatus.OPEN;
        d.openedAt = uint64(block.timestamp);
        d.bank = bank;
        if (msg.sender != bank) d.openedByCollector = true;
        if (collector != address(0)) d.collector = collector;
        d.caseId = caseId;
        d.claimAmount = claimAmount;
        _latest[caseId] = disputeId;
        emit DisputeOpened(disputeId, caseId, msg.sender, bank, collector, claimAmount, uint64(block.timestamp));
    }

    /// @dev Checks a schedule (1 to MAX_INSTALMENTS instalments, each at least 1 fen and below 2^96, due dates
    /// strictly increasing, in the future and below 2^32) and that its total plus `relief` is `claimAmount`, and
    /// writes it into `words`, two instalments per slot; returns the total (a revert undoes the writes).
    function _storeSchedule(
        uint256[_SCHEDULE_SLOTS] storage words,
        Instalment[] calldata schedule,
        uint128 relief,
        uint128 claimAmount
    ) private returns (uint128) {
        uint256 count = schedule.length;
        if (count == 0 || count > MAX_INSTALMENTS) revert DisputeInvalidSchedule(count);
        uint256 total;
        uint256 previous = block.timestamp;
        uint256 word;
        for (uint256 i; i < count; ++i) {
            Instalment calldata instalment = schedule[i];
            uint256 amount = instalment.amount;
            uint256 dueAt = instalment.dueAt;
            if (amount == 0 || amount > _AMOUNT_MASK || dueAt <= previous || dueAt > _DUE_MASK) {
                revert DisputeInvalidSchedule(i);
            }
            previous = dueAt;
            // at most MAX_INSTALMENTS amounts below 2^96: the sum stays far below 2^256
            total += amount;
            uint256 half = amount | (dueAt << _AMOUNT_BITS);
            if (i & 1 == 0) {
                word = half;
            } else {
                words[i >> 1] = word | (half << 128);
            }
        }
        if (count & 1 == 1) words[count >> 1] = word;
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
    function _finalize(uint256 disputeId, StoredDispute storage d) private {
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

    /// @dev The total of the dispute's instalments due by `timestamp` (`schedule` is its packed schedule).
    function _dueBy(StoredDispute storage d, uint256[_SCHEDULE_SLOTS] storage schedule, uint256 timestamp)
        private
        view
        returns (uint128 due)
    {
        uint256 count = d.instalments;
        uint256 word;
        for (uint256 i; i < count; ++i) {
            word = i & 1 == 0 ? schedule[i >> 1] : word >> 128;
            if (((word >> _AMOUNT_BITS) & _DUE_MASK) > timestamp) break;
            // casting to 'uint128' is safe because the amount is masked to 96 bits (and at most MAX_INSTALMENTS of
            // them stay far below 2^128)
            // forge-lint: disable-next-line(unsafe-typecast)
            due += uint128(word & _AMOUNT_MASK);
        }
    }

    /// @dev Now less the grace period (zero if the grace period is longer than the chain's age).
    function _lessGrace(uint64 grace) private view returns (uint256) {
        return block.timestamp > grace ? block.timestamp - grace : 0;
    }

    /// @dev Whether a dispute ended without making its case enforceable (a new one may be opened on the case).
    function _endedWithoutEnforcement(StoredDispute storage d) private view returns (bool) {
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
