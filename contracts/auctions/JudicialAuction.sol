// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IDisputeDesk} from "../interfaces/IDisputeDesk.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";
import {IJudicialAuction} from "../interfaces/IJudicialAuction.sol";
import {FeedId, IOracleHub, SubjectId} from "../interfaces/IOracleHub.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title JudicialAuction
/// @notice Escrowed online judicial auctions of seized collateral (see {IJudicialAuction}).
/// @dev The contract must be a consortium system contract to hold rCNY (SetSystemContract proposal). Every
/// payment out is a pull (`withdrawDeposit`, `withdraw`), made after the state change and its event, and guarded
/// by a transient reentrancy lock, so even a token with transfer hooks could not withdraw twice.
/// Not `Pausable`: every movement of value here is a SettlementToken transfer, which the regulator's token
/// pause already stops; a lot is stopped by its court (suspension). Bids move no value.
contract JudicialAuction is ConsortiumGated, IJudicialAuction, ReentrancyGuardTransient {
    using SafeERC20 for ISettlementToken;

    /// @notice Basis points in 100 %.
    uint16 public constant BPS = 10_000;
    /// @notice The starting price is at least this share of the appraisal (70 %).
    uint16 public constant MIN_START_BPS = 7_000;
    /// @notice The deposit is at least this share of the starting price (5 %).
    uint16 public constant MIN_DEPOSIT_BPS = 500;
    /// @notice The deposit is at most this share of the starting price (20 %).
    uint16 public constant MAX_DEPOSIT_BPS = 2_000;
    /// @notice A relisting's starting price is at least this share of the previous one (at most 20 % lower).
    uint16 public constant MIN_RELIST_BPS = 8_000;
    /// @notice The shortest bidding window.
    uint64 public constant MIN_BIDDING_WINDOW = 24 hours;
    /// @notice A bid this close to the end moves the end to this long after the bid (延时).
    uint64 public constant EXTENSION = 5 minutes;
    /// @notice A failed or defaulted lot may be relisted within this time.
    uint64 public constant RELIST_WINDOW = 30 days;
    /// @notice After this many failed auctions of an asset it may only be sold at a fixed price.
    uint8 public constant MAX_FAILURES = 2;

    // --- storage ---
    ISettlementToken private immutable _token;
    IEvidenceRegistry private immutable _evidence;
    IOracleHub private immutable _oracle;
    IDisputeDesk private immutable _disputes;

    uint64 private _appraisalMaxAge;
    uint32 private _lotCount;
    uint256 private _totalDeposits;
    uint256 private _totalPaid;
    uint256 private _totalOwed;
    mapping(uint256 lotId => Lot) private _lots;
    mapping(uint256 lotId => mapping(address account => Bidder)) private _bidders;
    mapping(uint256 origin => mapping(address account => bool)) private _barred;
    mapping(bytes32 assetRef => CourtAppraisal) private _appraisals;
    mapping(address account => uint256) private _owed;

    /// @param consortium_ The consortium contract.
    /// @param token_ The settlement token (deposits and prices are paid in it).
    /// @param evidence_ The evidence registry (a lot's documents must be anchored there).
    /// @param oracle_ The oracle hub (appraisals).
    /// @param disputes_ The dispute desk (registered collateral may be listed only once its case is enforceable).
    /// @param appraisalMaxAge_ The longest age of an oracle appraisal accepted at listing, in seconds.
    constructor(
        IConsortium consortium_,
        ISettlementToken token_,
        IEvidenceRegistry evidence_,
        IOracleHub oracle_,
        IDisputeDesk disputes_,
        uint64 appraisalMaxAge_
    ) ConsortiumGated(consortium_) {
        if (
            address(token_) == address(0) || address(evidence_) == address(0) || address(oracle_) == address(0)
                || address(disputes_) == address(0)
        ) revert AuctionZeroAddress();
        _token = token_;
        _evidence = evidence_;
        _oracle = oracle_;
        _disputes = disputes_;
        _setAppraisalMaxAge(appraisalMaxAge_);
    }

    // --- external: sellers and courts ---

    /// @inheritdoc IJudicialAuction
    function enterAppraisal(bytes32 assetRef, uint96 value, bytes32 documentDigest)
        external
        onlyActiveRole(Roles.COURT)
    {
        if (value == 0) revert AuctionInvalidAppraisal(0);
        _appraisals[assetRef] = CourtAppraisal({
            value: value, court: msg.sender, enteredAt: uint64(block.timestamp), documentDigest: documentDigest
        });
        emit AppraisalEntered(assetRef, msg.sender, value, documentDigest);
    }

    /// @inheritdoc IJudicialAuction
    function list(Listing calldata listing) external returns (uint256 lotId) {
        _requireSeller(msg.sender);
        uint256 count = listing.documents.length;
        if (count == 0) revert AuctionDocumentNotAnchored(bytes32(0));
        for (uint256 i; i < count; ++i) {
            bytes32 root = listing.documents[i];
            if (!_evidence.isAnchored(root)) revert AuctionDocumentNotAnchored(root);
        }
        _requireEnforceable(listing.assetRef);
        uint96 appraisal = _appraisal(listing.assetRef, listing.appraisalFeed);
        uint96 minimum = _ceilBps(appraisal, MIN_START_BPS);
        if (listing.startPrice < minimum) revert AuctionStartPriceTooLow(listing.startPrice, minimum);
        _checkTerms(
            listing.startPrice, listing.deposit, listing.increment, listing.biddingWindow, listing.paymentWindow
        );
        lotId = _nextLotId();
        Lot storage l = _lots[lotId];
        l.seller = msg.sender;
        l.status = LotStatus.LISTED;
        l.kycTier = listing.kycTier;
        l.round = 1;
        l.origin = _lotCount; // == lotId, which _nextLotId keeps in 32 bits
        l.assetRef = listing.assetRef;
        l.appraisal = appraisal;
        _writeTerms(
            l,
            listing.startPrice,
            listing.deposit,
            listing.increment,
            listing.announcement,
            listing.biddingWindow,
            listing.paymentWindow
        );
        emit LotListed(
            lotId,
            msg.sender,
            listing.assetRef,
            lotId,
            1,
            LotKind.AUCTION,
            appraisal,
            listing.kycTier,
            listing.documents
        );
        _emitTerms(lotId, l, listing.announcement, listing.biddingWindow, listing.paymentWindow);
    }

    /// @inheritdoc IJudicialAuction
    function relist(
        uint256 lotId,
        uint96 startPrice,
        uint96 deposit,
        uint96 increment,
        uint64 announcement,
        uint64 biddingWindow,
        uint64 paymentWindow
    ) external returns (uint256 newLotId) {
        Lot storage prev = _lot(lotId);
        if (msg.sender != prev.seller) revert AuctionNotSeller(msg.sender);
        _requireSeller(msg.sender);
        LotStatus status = prev.status;
        if (status != LotStatus.FAILED && status != LotStatus.DEFAULTED) revert AuctionWrongStatus(lotId, status);
        if (
            prev.kind != LotKind.AUCTION || prev.relistedAs != 0 || prev.failures >= MAX_FAILURES
                || block.timestamp > uint256(prev.closedAt) + RELIST_WINDOW
        ) revert AuctionCannotRelist(lotId);
        uint96 minimum = _ceilBps(prev.startPrice, MIN_RELIST_BPS);
        if (startPrice < minimum) revert AuctionStartPriceTooLow(startPrice, minimum);
        _checkTerms(startPrice, deposit, increment, biddingWindow, paymentWindow);
        newLotId = _nextLotId();
        Lot storage l = _successor(prev, newLotId, LotKind.AUCTION);
        _writeTerms(l, startPrice, deposit, increment, announcement, biddingWindow, paymentWindow);
        _emitSuccessor(newLotId, l, announcement, biddingWindow, paymentWindow);
        emit LotRelisted(lotId, newLotId);
    }

    /// @inheritdoc IJudicialAuction
    function approve(uint256 lotId, address forfeitTo) external onlyActiveRole(Roles.COURT) {
        Lot storage l = _lot(lotId);
        if (l.status != LotStatus.LISTED) revert AuctionWrongStatus(lotId, l.status);
        if (forfeitTo == address(0)) revert AuctionZeroAddress();
        _requireHolder(forfeitTo);
        // Before approval startsAt and endsAt hold the announcement period and the bidding window.
        uint64 startsAt = uint64(block.timestamp) + l.startsAt;
        uint64 endsAt = startsAt + l.endsAt;
        l.status = LotStatus.APPROVED;
        l.court = msg.sender;
        l.forfeitTo = forfeitTo;
        l.startsAt = startsAt;
        l.endsAt = endsAt;
        emit LotApproved(lotId, msg.sender, startsAt, endsAt, forfeitTo);
    }

    /// @inheritdoc IJudicialAuction
    function suspend(uint256 lotId, bytes32 reasonDigest) external {
        Lot storage l = _courtLot(lotId);
        if (l.status != LotStatus.APPROVED) revert AuctionWrongStatus(lotId, l.status);
        if (block.timestamp >= l.endsAt) revert AuctionNotOpen(lotId, l.startsAt, l.endsAt);
        l.status = LotStatus.SUSPENDED;
        l.suspendedAt = uint64(block.timestamp);
        emit LotSuspended(lotId, reasonDigest);
    }

    /// @inheritdoc IJudicialAuction
    function resume(uint256 lotId) external {
        Lot storage l = _courtLot(lotId);
        if (l.status != LotStatus.SUSPENDED) revert AuctionWrongStatus(lotId, l.status);
        uint64 suspendedAt = l.suspendedAt;
        uint64 delta = uint64(block.timestamp) - suspendedAt;
        if (l.startsAt > suspendedAt) l.startsAt += delta;
        l.endsAt += delta;
        l.status = LotStatus.APPROVED;
        l.suspendedAt = 0;
        emit LotResumed(lotId, l.startsAt, l.endsAt);
    }

    /// @inheritdoc IJudicialAuction
    function cancel(uint256 lotId, bytes32 reasonDigest) external {
        Lot storage l = _lot(lotId);
        LotStatus status = l.status;
        if (status == LotStatus.LISTED) {
            _checkActiveRole(Roles.COURT);
        } else {
            _requireLotCourt(l);
            if (status != LotStatus.APPROVED && status != LotStatus.SUSPENDED) {
                revert AuctionWrongStatus(lotId, status);
            }
            if (l.highestBidder != address(0)) revert AuctionHasBids(lotId);
        }
        l.status = LotStatus.CANCELLED;
        l.closedAt = uint64(block.timestamp);
        emit LotCancelled(lotId, reasonDigest);
    }

    /// @inheritdoc IJudicialAuction
    function registerPreemption(uint256 lotId, address holder) external {
        Lot storage l = _courtLot(lotId);
        LotStatus status = l.status;
        if (l.kind != LotKind.AUCTION || (status != LotStatus.APPROVED && status != LotStatus.SUSPENDED)) {
            revert AuctionWrongStatus(lotId, status);
        }
        if (block.timestamp >= l.endsAt) revert AuctionNotOpen(lotId, l.startsAt, l.endsAt);
        if (!_hasActiveRole(holder, Roles.INVESTOR)) revert AuctionBidderNotEligible(holder, 0, 0);
        Bidder storage b = _bidders[lotId][holder];
        if (b.preemption) revert AuctionCannotMatch(holder);
        b.preemption = true;
        emit PreemptionRegistered(lotId, holder);
    }

    /// @inheritdoc IJudicialAuction
    function confirm(uint256 lotId, Payee[] calldata payees, bytes32 rulingDigest, bytes32 transferDigest) external {
        Lot storage l = _courtLot(lotId);
        if (l.status != LotStatus.PAID) revert AuctionWrongStatus(lotId, l.status);
        uint96 price = l.paid;
        uint256 total;
        uint256 count = payees.length;
        for (uint256 i; i < count; ++i) {
            Payee calldata p = payees[i];
            if (p.account == address(0) || p.amount == 0) revert AuctionInvalidDistribution(total, price);
            _requireHolder(p.account);
            total += p.amount;
        }
        if (total != price) revert AuctionInvalidDistribution(total, price);
        l.status = LotStatus.CONFIRMED;
        l.paid = 0;
        _totalPaid -= price;
        _totalOwed += price;
        for (uint256 i; i < count; ++i) {
            Payee calldata p = payees[i];
            _owed[p.account] += p.amount;
            emit ProceedsAllocated(lotId, p.account, p.amount);
        }
        emit SaleConfirmed(lotId, l.highestBidder, price, rulingDigest, transferDigest);
    }

    /// @inheritdoc IJudicialAuction
    function offerFixedPrice(uint256 lotId, uint96 price, uint64 period) external returns (uint256 newLotId) {
        Lot storage prev = _courtLot(lotId);
        if (
            prev.status != LotStatus.FAILED || prev.kind != LotKind.AUCTION || prev.failures < MAX_FAILURES
                || prev.relistedAs != 0
        ) revert AuctionCannotSellAtFixedPrice(lotId);
        if (price < prev.startPrice) revert AuctionStartPriceTooLow(price, prev.startPrice);
        if (period == 0) revert AuctionWindowTooShort(0);
        newLotId = _nextLotId();
        Lot storage l = _successor(prev, newLotId, LotKind.FIXED_PRICE);
        uint64 startsAt = uint64(block.timestamp);
        l.status = LotStatus.APPROVED;
        l.court = msg.sender;
        l.forfeitTo = prev.forfeitTo;
        l.startPrice = price;
        l.startsAt = startsAt;
        l.endsAt = startsAt + period;
        _emitSuccessor(newLotId, l, 0, period, 0);
        emit LotRelisted(lotId, newLotId);
        emit LotApproved(newLotId, msg.sender, startsAt, startsAt + period, prev.forfeitTo);
    }

    // --- external: bidders ---

    /// @inheritdoc IJudicialAuction
    function lockDeposit(uint256 lotId) external returns (uint32 code) {
        Lot storage l = _lot(lotId);
        LotStatus status = l.status;
        if (l.kind != LotKind.AUCTION || (status != LotStatus.APPROVED && status != LotStatus.SUSPENDED)) {
            revert AuctionWrongStatus(lotId, status);
        }
        if (block.timestamp >= l.endsAt) revert AuctionNotOpen(lotId, l.startsAt, l.endsAt);
        Bidder storage b = _bidders[lotId][msg.sender];
        if (b.code != 0) revert AuctionDepositAlreadyLocked(msg.sender);
        _requireEligibleBidder(l, msg.sender, b.preemption);
        code = ++l.bidderCount;
        uint96 amount = l.deposit;
        b.code = code;
        b.deposit = amount;
        _totalDeposits += amount;
        emit DepositLocked(lotId, msg.sender, code, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IJudicialAuction
    function bid(uint256 lotId, uint96 amount) external {
        Lot storage l = _lots[lotId];
        uint64 endsAt = _requireBiddingOpen(l, lotId);
        Bidder storage b = _bidders[lotId][msg.sender];
        uint32 code = b.code;
        if (code == 0 || b.deposit == 0) revert AuctionNoDeposit(msg.sender);
        address highest = l.highestBidder;
        if (highest == msg.sender) revert AuctionAlreadyHighest(msg.sender);
        uint96 minimum = highest == address(0) ? l.startPrice : l.highestBid + l.increment;
        if (amount < minimum) revert AuctionBidTooLow(amount, minimum);
        _requireStillActive();
        l.highestBidder = msg.sender;
        l.highestBid = amount;
        endsAt = _extend(l, endsAt);
        emit BidPlaced(lotId, code, amount, endsAt, false);
    }

    /// @inheritdoc IJudicialAuction
    function matchBid(uint256 lotId) external {
        Lot storage l = _lots[lotId];
        uint64 endsAt = _requireBiddingOpen(l, lotId);
        Bidder storage b = _bidders[lotId][msg.sender];
        if (b.code == 0 || b.deposit == 0) revert AuctionNoDeposit(msg.sender);
        address highest = l.highestBidder;
        if (!b.preemption || highest == address(0) || highest == msg.sender || _bidders[lotId][highest].preemption) {
            revert AuctionCannotMatch(msg.sender);
        }
        _requireStillActive();
        l.highestBidder = msg.sender;
        endsAt = _extend(l, endsAt);
        emit BidPlaced(lotId, b.code, l.highestBid, endsAt, true);
    }

    /// @inheritdoc IJudicialAuction
    function buy(uint256 lotId) external {
        Lot storage l = _lot(lotId);
        if (l.kind != LotKind.FIXED_PRICE || l.status != LotStatus.APPROVED) {
            revert AuctionWrongStatus(lotId, l.status);
        }
        if (block.timestamp < l.startsAt || block.timestamp >= l.endsAt) {
            revert AuctionNotOpen(lotId, l.startsAt, l.endsAt);
        }
        Bidder storage b = _bidders[lotId][msg.sender];
        _requireEligibleBidder(l, msg.sender, false);
        uint96 price = l.startPrice;
        uint32 code = ++l.bidderCount;
        b.code = code;
        l.highestBidder = msg.sender;
        l.highestBid = price;
        l.paid = price;
        l.status = LotStatus.PAID;
        l.closedAt = uint64(block.timestamp);
        _totalPaid += price;
        emit DepositLocked(lotId, msg.sender, code, 0);
        emit LotClosed(lotId, LotStatus.PAID, code, price, 0);
        emit BalancePaid(lotId, msg.sender, price, price);
        _token.safeTransferFrom(msg.sender, address(this), price);
    }

    /// @inheritdoc IJudicialAuction
    function pay(uint256 lotId) external {
        Lot storage l = _lot(lotId);
        if (l.status != LotStatus.AWAITING_PAYMENT) revert AuctionWrongStatus(lotId, l.status);
        if (msg.sender != l.highestBidder) revert AuctionNotWinner(msg.sender);
        if (block.timestamp > l.paymentDeadline) revert AuctionPaymentDeadlinePassed(lotId, l.paymentDeadline);
        Bidder storage b = _bidders[lotId][msg.sender];
        uint96 deposit = b.deposit;
        uint96 price = l.highestBid;
        uint96 balance = price - deposit;
        b.deposit = 0;
        l.paid = price;
        l.status = LotStatus.PAID;
        _totalDeposits -= deposit;
        _totalPaid += price;
        emit BalancePaid(lotId, msg.sender, balance, price);
        if (balance != 0) _token.safeTransferFrom(msg.sender, address(this), balance);
    }

    /// @inheritdoc IJudicialAuction
    function withdrawDeposit(uint256 lotId) external nonReentrant {
        Lot storage l = _lot(lotId);
        LotStatus status = l.status;
        if (
            status == LotStatus.LISTED || status == LotStatus.APPROVED || status == LotStatus.SUSPENDED
                || status == LotStatus.NONE
        ) revert AuctionWrongStatus(lotId, status);
        Bidder storage b = _bidders[lotId][msg.sender];
        uint96 amount = b.deposit;
        if (amount == 0) revert AuctionNothingToWithdraw(msg.sender);
        if (status == LotStatus.AWAITING_PAYMENT && msg.sender == l.highestBidder) {
            revert AuctionDepositApplied(msg.sender);
        }
        b.deposit = 0;
        _totalDeposits -= amount;
        emit DepositWithdrawn(lotId, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IJudicialAuction
    function withdraw() external nonReentrant {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert AuctionNothingToWithdraw(msg.sender);
        _owed[msg.sender] = 0;
        _totalOwed -= amount;
        emit ProceedsWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // --- external: anyone ---

    /// @inheritdoc IJudicialAuction
    function close(uint256 lotId) external {
        Lot storage l = _lot(lotId);
        if (l.status != LotStatus.APPROVED) revert AuctionWrongStatus(lotId, l.status);
        uint64 endsAt = l.endsAt;
        if (block.timestamp < endsAt) revert AuctionNotEnded(lotId, endsAt);
        l.closedAt = uint64(block.timestamp);
        address winner = l.highestBidder;
        if (winner == address(0)) {
            l.status = LotStatus.FAILED;
            if (l.kind == LotKind.AUCTION) ++l.failures;
            emit LotClosed(lotId, LotStatus.FAILED, 0, 0, 0);
            return;
        }
        uint64 deadline = endsAt + l.paymentWindow;
        l.status = LotStatus.AWAITING_PAYMENT;
        l.paymentDeadline = deadline;
        emit LotClosed(lotId, LotStatus.AWAITING_PAYMENT, _bidders[lotId][winner].code, l.highestBid, deadline);
    }

    /// @inheritdoc IJudicialAuction
    function declareDefault(uint256 lotId) external {
        Lot storage l = _lot(lotId);
        if (l.status != LotStatus.AWAITING_PAYMENT) revert AuctionWrongStatus(lotId, l.status);
        uint64 deadline = l.paymentDeadline;
        if (block.timestamp <= deadline) revert AuctionPaymentDeadlineNotReached(lotId, deadline);
        address winner = l.highestBidder;
        Bidder storage b = _bidders[lotId][winner];
        uint96 amount = b.deposit;
        address forfeitTo = l.forfeitTo;
        b.deposit = 0;
        l.status = LotStatus.DEFAULTED;
        l.closedAt = uint64(block.timestamp);
        _barred[l.origin][winner] = true;
        _totalDeposits -= amount;
        _totalOwed += amount;
        _owed[forfeitTo] += amount;
        emit WinnerDefaulted(lotId, winner, forfeitTo, amount);
    }

    // --- external: governed settings ---

    /// @inheritdoc IJudicialAuction
    function setAppraisalMaxAge(uint64 maxAge) external onlyConsortium {
        _setAppraisalMaxAge(maxAge);
    }

    // --- external: views ---

    /// @inheritdoc IJudicialAuction
    function lot(uint256 lotId) external view returns (Lot memory) {
        return _lot(lotId);
    }

    /// @inheritdoc IJudicialAuction
    function bidderOf(uint256 lotId, address account) external view returns (Bidder memory) {
        return _bidders[lotId][account];
    }

    /// @inheritdoc IJudicialAuction
    function minimumBid(uint256 lotId) external view returns (uint96) {
        Lot storage l = _lot(lotId);
        return l.highestBidder == address(0) ? l.startPrice : l.highestBid + l.increment;
    }

    /// @inheritdoc IJudicialAuction
    function isBarred(uint256 origin, address account) external view returns (bool) {
        return _barred[origin][account];
    }

    /// @inheritdoc IJudicialAuction
    function courtAppraisal(bytes32 assetRef) external view returns (CourtAppraisal memory) {
        return _appraisals[assetRef];
    }

    /// @inheritdoc IJudicialAuction
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @inheritdoc IJudicialAuction
    function lotCount() external view returns (uint256) {
        return _lotCount;
    }

    /// @inheritdoc IJudicialAuction
    function totalDeposits() external view returns (uint256) {
        return _totalDeposits;
    }

    /// @inheritdoc IJudicialAuction
    function totalPaid() external view returns (uint256) {
        return _totalPaid;
    }

    /// @inheritdoc IJudicialAuction
    function totalOwed() external view returns (uint256) {
        return _totalOwed;
    }

    /// @inheritdoc IJudicialAuction
    function appraisalMaxAge() external view returns (uint64) {
        return _appraisalMaxAge;
    }

    /// @inheritdoc IJudicialAuction
    function disputes() external view returns (IDisputeDesk) {
        return _disputes;
    }

    /// @notice The settlement token.
    /// @return The token.
    function token() external view returns (ISettlementToken) {
        return _token;
    }

    // --- private ---

    function _lot(uint256 lotId) private view returns (Lot storage l) {
        l = _lots[lotId];
        if (l.status == LotStatus.NONE) revert AuctionUnknownLot(lotId);
    }

    function _courtLot(uint256 lotId) private view returns (Lot storage l) {
        l = _lot(lotId);
        _requireLotCourt(l);
    }

    function _requireLotCourt(Lot storage l) private view {
        if (msg.sender != l.court) revert AuctionNotLotCourt(msg.sender);
        _checkActiveRole(Roles.COURT);
    }

    /// @dev A bidder's INVESTOR role and KYC tier were checked when it locked the deposit; at each bid the
    /// chain checks it is still an active member, so a suspension (or an expired licence) stops it at once.
    /// `isActiveMember` reads one slot of the consortium where `hasActiveRole` reads two: it keeps a bid,
    /// even one that moves the end, below the gas of one rCNY transfer.
    function _requireStillActive() private view {
        if (!_consortium().isActiveMember(msg.sender)) revert ConsortiumGatedUnauthorized(msg.sender, Roles.INVESTOR);
    }

    /// @dev `account` can receive rCNY (an active member or a system contract), so what it is owed can be paid.
    function _requireHolder(address account) private view {
        IConsortium c = _consortium();
        if (!c.isActiveMember(account) && !c.isSystemContract(account)) revert AuctionNotMember(account);
    }

    /// @dev An asset registered as a case's collateral in the dispute desk may be sold only once its case is
    /// enforceable; an asset that is no case's collateral may always be listed.
    function _requireEnforceable(bytes32 assetRef) private view {
        (bytes32 caseId, bool enforceable) = _disputes.enforcementOf(assetRef);
        if (caseId != bytes32(0) && !enforceable) revert AuctionCaseNotEnforceable(assetRef, caseId);
    }

    function _requireSeller(address account) private view {
        if (!_hasActiveRole(account, Roles.BANK) && !_hasActiveRole(account, Roles.COURT)) {
            revert ConsortiumGatedUnauthorized(account, Roles.BANK);
        }
    }

    /// @dev Bidding is open on an approved auction lot now; returns its end.
    function _requireBiddingOpen(Lot storage l, uint256 lotId) private view returns (uint64 endsAt) {
        if (l.status != LotStatus.APPROVED || l.kind != LotKind.AUCTION) {
            if (l.status == LotStatus.NONE) revert AuctionUnknownLot(lotId);
            revert AuctionWrongStatus(lotId, l.status);
        }
        endsAt = l.endsAt;
        uint64 startsAt = l.startsAt;
        if (block.timestamp < startsAt || block.timestamp >= endsAt) revert AuctionNotOpen(lotId, startsAt, endsAt);
    }

    /// @dev A bid at `block.timestamp` later than `endsAt - EXTENSION` moves the end to `EXTENSION` after it.
    function _extend(Lot storage l, uint64 endsAt) private returns (uint64) {
        uint64 extended = uint64(block.timestamp) + EXTENSION;
        if (extended > endsAt) {
            l.endsAt = extended;
            return extended;
        }
        return endsAt;
    }

    function _requireEligibleBidder(Lot storage l, address account, bool preemption) private view {
        IConsortium c = _consortium();
        // getMember reverts for a non-member: ask only members, so an outsider gets the auction's own error
        uint8 tier = c.isMember(account) ? c.getMember(account).kycTier : 0;
        if (!_hasActiveRole(account, Roles.INVESTOR) || (!preemption && tier < l.kycTier)) {
            revert AuctionBidderNotEligible(account, tier, l.kycTier);
        }
        if (_barred[l.origin][account]) revert AuctionBidderBarred(account);
    }

    function _appraisal(bytes32 assetRef, FeedId feed) private view returns (uint96) {
        int256 value;
        if (FeedId.unwrap(feed) == bytes32(0)) {
            value = int256(uint256(_appraisals[assetRef].value));
            if (value == 0) revert AuctionNoAppraisal(assetRef);
        } else {
            value = _oracle.latest(feed, SubjectId.wrap(assetRef), _appraisalMaxAge).value;
        }
        if (value <= 0 || value > int256(uint256(type(uint96).max))) revert AuctionInvalidAppraisal(value);
        // casting to 'uint96' is safe because 0 < value <= type(uint96).max was checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint96(uint256(value));
    }

    function _checkTerms(uint96 startPrice, uint96 deposit, uint96 increment, uint64 window, uint64 paymentWindow)
        private
        pure
    {
        if (startPrice == 0 || increment == 0 || paymentWindow == 0) revert AuctionInvalidTerms();
        uint96 minDeposit = _ceilBps(startPrice, MIN_DEPOSIT_BPS);
        uint96 maxDeposit = uint96((uint256(startPrice) * MAX_DEPOSIT_BPS) / BPS);
        if (deposit < minDeposit || deposit > maxDeposit) {
            revert AuctionInvalidDeposit(deposit, minDeposit, maxDeposit);
        }
        if (window < MIN_BIDDING_WINDOW) revert AuctionWindowTooShort(window);
    }

    function _writeTerms(
        Lot storage l,
        uint96 startPrice,
        uint96 deposit,
        uint96 increment,
        uint64 announcement,
        uint64 biddingWindow,
        uint64 paymentWindow
    ) private {
        l.startPrice = startPrice;
        l.deposit = deposit;
        l.increment = increment;
        l.paymentWindow = paymentWindow;
        // Relative until the court approves (see {approve}).
        l.startsAt = announcement;
        l.endsAt = biddingWindow;
    }

    /// @dev A new lot that continues `prev` (same asset, seller, appraisal, KYC tier and origin).
    function _successor(Lot storage prev, uint256 newLotId, LotKind kind) private returns (Lot storage l) {
        prev.relistedAs = _lotCount; // == newLotId, just issued by _nextLotId
        l = _lots[newLotId];
        l.seller = prev.seller;
        l.status = LotStatus.LISTED;
        l.kind = kind;
        l.kycTier = prev.kycTier;
        l.round = prev.round + 1;
        l.failures = prev.failures;
        l.origin = prev.origin;
        l.assetRef = prev.assetRef;
        l.appraisal = prev.appraisal;
    }

    function _emitSuccessor(uint256 newLotId, Lot storage l, uint64 announcement, uint64 window, uint64 paymentWindow)
        private
    {
        emit LotListed(
            newLotId, l.seller, l.assetRef, l.origin, l.round, l.kind, l.appraisal, l.kycTier, new bytes32[](0)
        );
        _emitTerms(newLotId, l, announcement, window, paymentWindow);
    }

    function _emitTerms(uint256 lotId, Lot storage l, uint64 announcement, uint64 window, uint64 paymentWindow)
        private
    {
        emit LotTerms(lotId, l.startPrice, l.deposit, l.increment, announcement, window, paymentWindow);
    }

    function _nextLotId() private returns (uint256) {
        uint32 id = _lotCount + 1;
        _lotCount = id;
        return id;
    }

    function _setAppraisalMaxAge(uint64 maxAge) private {
        if (maxAge == 0) revert AuctionInvalidSetting();
        emit AppraisalMaxAgeChanged(_appraisalMaxAge, maxAge);
        _appraisalMaxAge = maxAge;
    }

    /// @dev `value * bps / BPS`, rounded up (a minimum is never rounded in the lister's favour).
    function _ceilBps(uint96 value, uint16 bps) private pure returns (uint96) {
        return SafeCast.toUint96((uint256(value) * bps + BPS - 1) / BPS);
    }
}
