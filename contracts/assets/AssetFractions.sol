// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IAssetFractions} from "../interfaces/IAssetFractions.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {FeedId} from "../interfaces/IOracleHub.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Regions} from "../libraries/Regions.sol";
import {Roles} from "../libraries/Roles.sol";

/// @notice A Recourse system contract that owes accounts pull payments (e.g. JudicialAuction's proceeds).
interface IPullPayments {
    /// @notice Pay the caller what it is owed.
    function withdraw() external;
}

/// @title AssetFractions
/// @notice Tokenised shares of one asset, sold in an escrowed offering, traded delivery-versus-payment and paying
/// recoveries pro rata (see {IAssetFractions}).
/// @dev Deployed by the FractionsFactory, which enrols it as a consortium system contract so it can hold rCNY.
/// Every payment out is a pull made after the state change and its event, under a transient reentrancy lock.
/// Per account one storage slot holds the balance, the recoveries correction and the flags (frozen whole, has a
/// hold), so an ordinary transfer reads and writes one slot per side; the rarer frozen shares and unclaimed
/// subscription live in a second slot read only when the flag says so; the compliance limits are immutables and
/// the pause, holder count and per-share recoveries share one slot. Shares are capped at 2^80 - 1 (the hard cap
/// is checked at construction).
contract AssetFractions is ConsortiumGated, IAssetFractions, IERC20Errors, ReentrancyGuardTransient {
    using SafeERC20 for ISettlementToken;
    using SafeCast for uint256;
    using SafeCast for int256;

    /// @notice Magnification of the recoveries per share. With the division's remainder carried, the error of
    /// an account's entitlement stays below its shares / 2^48 fen.
    uint256 public constant MAGNITUDE = 1 << 48;
    /// @notice The magnified recoveries per share stay below this (2^86: 2^38 fen, about 2.7 billion yuan, per
    /// share), so that every correction (per share × at most 2^80 shares) fits the 168 bits it is stored in.
    uint256 public constant MAX_PER_SHARE = 1 << 86;

    /// @dev How a movement of shares is checked: an ordinary transfer, the mint of a subscription, or an order
    /// (court forced transfer, governed key recovery) that only checks the recipient.
    enum Mode {
        ORDINARY,
        MINT,
        ORDER
    }

    /// @dev One slot per account: all an ordinary transfer reads and writes on each side. `correction` is the
    /// magnified recoveries correction (see `_claimable`); `flags` holds FROZEN_WHOLE and HAS_HOLD.
    struct Account {
        uint80 balance;
        int168 correction;
        uint8 flags;
    }

    /// @dev What few accounts have, read only when the account's HAS_HOLD flag is set: shares a court froze and
    /// an unclaimed subscription.
    struct Hold {
        uint80 frozen;
        uint80 subscription;
    }

    uint8 private constant FROZEN_WHOLE = 1;
    uint8 private constant HAS_HOLD = 2;

    // --- storage: immutables ---
    ISettlementToken private immutable _token;
    address private immutable _factory;
    address private immutable _issuer;
    bytes32 private immutable _assetRef;
    FeedId private immutable _valuationFeed;
    bytes32 private immutable _documentsRoot;
    uint256 private immutable _investorBit;
    uint256 private immutable _regions; // up to 8 region codes, 32 bits each, lowest first
    uint256 private immutable _regionCount;
    uint8 private immutable _kycTier;
    uint64 private immutable _lockUpUntil;
    uint32 private immutable _maxHolders;
    uint96 private immutable _maxPerHolder;
    uint96 private immutable _price;
    uint96 private immutable _minSubscription;
    uint96 private immutable _softCap;
    uint96 private immutable _hardCap;
    uint64 private immutable _deadline;

    // --- storage ---
    string private _name;
    string private _symbol;
    // one slot: what every transfer reads
    uint80 private _totalSupply;
    uint32 private _holderCount;
    bool private _paused;
    uint128 private _perShare; // magnified recoveries per share of the offering, cumulative
    // one slot: the offering
    OfferingStatus private _status;
    uint96 private _sold;
    uint32 private _subscribers;
    uint256 private _carry; // magnified remainder of the last division, added to the next payment
    uint256 private _totalPaidIn;
    uint256 private _totalClaimed;
    uint256 private _escrow;
    uint256 private _proceedsOwed;
    uint256 private _offerCount;
    mapping(address account => Account) private _accounts;
    mapping(address account => Hold) private _holds;
    mapping(address account => uint256) private _claimed;
    mapping(address owner => mapping(address spender => uint256)) private _allowances;
    mapping(uint256 offerId => Offer) private _offers;

    /// @param consortium_ The consortium.
    /// @param token_ The settlement token.
    /// @param factory_ The factory issuing it.
    /// @param issuer_ The issuing BANK.
    /// @param terms_ The asset's terms (checked by the factory).
    /// @param name_ Token name.
    /// @param symbol_ Token symbol.
    constructor(
        IConsortium consortium_,
        ISettlementToken token_,
        address factory_,
        address issuer_,
        Terms memory terms_,
        string memory name_,
        string memory symbol_
    ) ConsortiumGated(consortium_) {
        if (address(token_) == address(0) || factory_ == address(0) || issuer_ == address(0)) {
            revert FractionsZeroAmount();
        }
        _token = token_;
        _factory = factory_;
        _issuer = issuer_;
        _assetRef = terms_.assetRef;
        _valuationFeed = terms_.valuationFeed;
        _documentsRoot = terms_.documentsRoot;
        _investorBit = consortium_.roleBit(Roles.INVESTOR);
        uint256 packed;
        uint256 count = terms_.regions.length;
        for (uint256 i; i < count; ++i) {
            packed |= uint256(terms_.regions[i]) << (32 * i);
        }
        _regions = packed;
        _regionCount = count;
        _kycTier = terms_.kycTier;
        _lockUpUntil = terms_.lockUpUntil;
        _maxHolders = terms_.maxHolders;
        _maxPerHolder = terms_.maxPerHolder;
        _price = terms_.price;
        _minSubscription = terms_.minSubscription;
        _softCap = terms_.softCap;
        _hardCap = terms_.hardCap;
        _deadline = terms_.deadline;
        _name = name_;
        _symbol = symbol_;
        emit FractionsTerms(issuer_, terms_.assetRef, terms_.valuationFeed, terms_.documentsRoot);
        emit FractionsLimits(terms_.kycTier, terms_.regions, terms_.lockUpUntil, terms_.maxHolders, terms_.maxPerHolder);
        emit OfferingTerms(terms_.price, terms_.minSubscription, terms_.softCap, terms_.hardCap, terms_.deadline);
    }

    // --- external: ERC-20 ---

    /// @inheritdoc IERC20
    function transfer(address to, uint256 value) external returns (bool) {
        _update(msg.sender, to, value, Mode.ORDINARY);
        return true;
    }

    /// @inheritdoc IERC20
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = _allowances[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert ERC20InsufficientAllowance(msg.sender, allowed, value);
            unchecked {
                _allowances[from][msg.sender] = allowed - value;
            }
        }
        _update(from, to, value, Mode.ORDINARY);
        return true;
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    // --- external: offering ---

    /// @inheritdoc IAssetFractions
    function subscribe(uint96 shares) external {
        if (_status != OfferingStatus.OPEN || block.timestamp >= _deadline || _sold >= _hardCap) {
            revert FractionsOfferingClosed(_deadline);
        }
        if (shares < _minSubscription) revert FractionsBelowMinimum(shares, _minSubscription);
        uint96 available = _hardCap - _sold;
        if (shares > available) revert FractionsHardCapExceeded(shares, available);
        Refusal reason = _recipientRefusal(msg.sender, shares, Mode.MINT, false);
        if (reason != Refusal.NONE) revert FractionsTransferRefused(address(0), msg.sender, shares, reason);
        Account storage a = _accounts[msg.sender];
        Hold memory h = _hold(msg.sender, a);
        if (h.subscription == 0) {
            ++_subscribers;
            ++_holderCount; // no balances exist before the offering settles
        }
        // casting to uint80 is safe because shares <= hard cap - sold and the hard cap fits in 80 bits
        // forge-lint: disable-next-line(unsafe-typecast)
        _setHold(msg.sender, a, h.frozen, h.subscription + uint80(shares));
        uint96 sold = _sold + shares;
        _sold = sold;
        uint256 cost = uint256(shares) * _price;
        _escrow += cost;
        emit Subscribed(msg.sender, shares, cost, sold);
        _token.safeTransferFrom(msg.sender, address(this), cost);
    }

    /// @inheritdoc IAssetFractions
    function settleOffering() external {
        if (_status != OfferingStatus.OPEN) revert FractionsWrongOfferingStatus(_status);
        uint96 sold = _sold;
        if (block.timestamp < _deadline && sold < _hardCap) revert FractionsOfferingNotEnded(_deadline);
        uint256 proceeds;
        if (sold >= _softCap) {
            _status = OfferingStatus.SUCCEEDED;
            proceeds = uint256(sold) * _price;
            _escrow -= proceeds;
            _proceedsOwed = proceeds;
        } else {
            _status = OfferingStatus.FAILED;
        }
        emit OfferingSettled(_status, sold, proceeds);
    }

    /// @inheritdoc IAssetFractions
    function claimShares(address subscriber) external {
        if (_status != OfferingStatus.SUCCEEDED) revert FractionsWrongOfferingStatus(_status);
        Account storage a = _accounts[subscriber];
        Hold memory h = _hold(subscriber, a);
        uint80 shares = h.subscription;
        if (shares == 0) revert FractionsNothingToPay(subscriber);
        Refusal reason = _paused ? Refusal.PAUSED : _recipientRefusal(subscriber, 0, Mode.MINT, false);
        if (reason != Refusal.NONE) revert FractionsTransferRefused(address(0), subscriber, shares, reason);
        // the subscriber counted as a holder since it subscribed, and its shares carry every recovery since the
        // offering settled (the per-share accounting divides by the shares sold): no correction, no new holder
        _setHold(subscriber, a, h.frozen, 0);
        a.balance += shares;
        _totalSupply += shares;
        emit SharesClaimed(subscriber, shares);
        emit Transfer(address(0), subscriber, shares);
    }

    /// @inheritdoc IAssetFractions
    function refund() external nonReentrant {
        if (_status != OfferingStatus.FAILED) revert FractionsWrongOfferingStatus(_status);
        Account storage a = _accounts[msg.sender];
        Hold memory h = _hold(msg.sender, a);
        uint80 shares = h.subscription;
        if (shares == 0) revert FractionsNothingToPay(msg.sender);
        _setHold(msg.sender, a, h.frozen, 0);
        --_subscribers;
        --_holderCount;
        uint256 amount = uint256(shares) * _price;
        _escrow -= amount;
        emit SubscriptionRefunded(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IAssetFractions
    function withdrawProceeds() external nonReentrant {
        if (msg.sender != _issuer) revert ConsortiumGatedUnauthorized(msg.sender, Roles.BANK);
        uint256 amount = _proceedsOwed;
        if (amount == 0) revert FractionsNothingToPay(msg.sender);
        _proceedsOwed = 0;
        emit ProceedsWithdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // --- external: secondary market ---

    /// @inheritdoc IAssetFractions
    function makeOffer(uint96 shares, uint96 price) external returns (uint256 offerId) {
        if (shares == 0 || price == 0) revert FractionsZeroAmount();
        if (_accounts[msg.sender].balance < shares) {
            revert FractionsTransferRefused(msg.sender, address(0), shares, Refusal.INSUFFICIENT_BALANCE);
        }
        offerId = ++_offerCount;
        _offers[offerId] = Offer({seller: msg.sender, shares: shares, price: price});
        emit OfferMade(offerId, msg.sender, shares, price);
    }

    /// @inheritdoc IAssetFractions
    function buy(uint256 offerId, uint96 shares) external nonReentrant {
        Offer storage o = _offers[offerId];
        address seller = o.seller;
        if (seller == address(0)) revert FractionsUnknownOffer(offerId);
        if (shares == 0) revert FractionsZeroAmount();
        uint96 left = o.shares;
        if (shares > left) revert FractionsOfferTooSmall(offerId, shares, left);
        uint256 paid = uint256(shares) * o.price;
        unchecked {
            left -= shares;
        }
        if (left == 0) delete _offers[offerId];
        else o.shares = left;
        _update(seller, msg.sender, shares, Mode.ORDINARY);
        emit OfferFilled(offerId, msg.sender, shares, paid, left);
        _token.safeTransferFrom(msg.sender, seller, paid);
    }

    /// @inheritdoc IAssetFractions
    function cancelOffer(uint256 offerId) external {
        address seller = _offers[offerId].seller;
        if (seller == address(0)) revert FractionsUnknownOffer(offerId);
        if (seller != msg.sender) revert FractionsNotSeller(offerId, msg.sender);
        delete _offers[offerId];
        emit OfferCancelled(offerId);
    }

    // --- external: recoveries ---

    /// @inheritdoc IAssetFractions
    function payIn(uint256 amount, bytes32 sourceRef) external nonReentrant {
        if (amount == 0) revert FractionsZeroAmount();
        _distribute(msg.sender, sourceRef, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IAssetFractions
    function collect(address source) external nonReentrant {
        if (source == address(this) || !_consortium().isSystemContract(source)) revert FractionsInvalidSource(source);
        if (_status != OfferingStatus.SUCCEEDED) revert FractionsNoShares();
        uint256 before = _token.balanceOf(address(this));
        IPullPayments(source).withdraw();
        uint256 received = _token.balanceOf(address(this)) - before;
        if (received == 0) revert FractionsInvalidSource(source);
        _distribute(source, bytes32(uint256(uint160(source))), received);
    }

    /// @inheritdoc IAssetFractions
    function claim() external nonReentrant {
        uint256 amount = _claimable(msg.sender);
        if (amount == 0) revert FractionsNothingToPay(msg.sender);
        _claimed[msg.sender] += amount;
        _totalClaimed += amount;
        emit RecoveryClaimed(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // --- external: court orders ---

    /// @inheritdoc IAssetFractions
    function freezeAccount(address account, bytes32 orderDigest) external onlyActiveRole(Roles.COURT) {
        Account storage a = _accounts[account];
        if (a.flags & FROZEN_WHOLE != 0) revert FractionsInvalidFreeze(account);
        a.flags |= FROZEN_WHOLE;
        emit AccountFrozen(account, msg.sender, orderDigest);
    }

    /// @inheritdoc IAssetFractions
    function unfreezeAccount(address account, bytes32 orderDigest) external onlyActiveRole(Roles.COURT) {
        Account storage a = _accounts[account];
        if (a.flags & FROZEN_WHOLE == 0) revert FractionsInvalidFreeze(account);
        a.flags &= ~FROZEN_WHOLE;
        emit AccountUnfrozen(account, msg.sender, orderDigest);
    }

    /// @inheritdoc IAssetFractions
    function setFrozenShares(address account, uint96 frozen, bytes32 orderDigest) external onlyActiveRole(Roles.COURT) {
        Account storage a = _accounts[account];
        Hold memory h = _hold(account, a);
        if (frozen > a.balance || frozen == h.frozen) revert FractionsInvalidFreeze(account);
        // casting to uint80 is safe because frozen <= the balance, an uint80
        // forge-lint: disable-next-line(unsafe-typecast)
        _setHold(account, a, uint80(frozen), h.subscription);
        emit SharesFrozen(account, msg.sender, frozen, orderDigest);
    }

    /// @inheritdoc IAssetFractions
    function forcedTransfer(address from, address to, uint256 amount, bytes32 orderDigest)
        external
        onlyActiveRole(Roles.COURT)
    {
        if (amount == 0) revert FractionsZeroAmount();
        Account storage f = _accounts[from];
        uint80 frozenBefore = _hold(from, f).frozen;
        _update(from, to, amount, Mode.ORDER);
        emit ForcedTransfer(from, to, amount, msg.sender, orderDigest);
        uint80 frozenAfter = _hold(from, f).frozen;
        if (frozenAfter != frozenBefore) emit SharesFrozen(from, msg.sender, frozenAfter, orderDigest);
    }

    // --- external: governance and issuer ---

    /// @inheritdoc IAssetFractions
    function recoverAccount(address lost, address replacement, bytes32 orderDigest) external onlyConsortium {
        _checkRecovery(lost, replacement);
        uint256 owed = _claimable(lost);
        uint80 shares = _moveAccount(lost, replacement);
        if (owed != 0) {
            int168 magnified = (owed * MAGNITUDE).toInt256().toInt168();
            _accounts[lost].correction -= magnified;
            _accounts[replacement].correction += magnified;
        }
        emit AccountRecovered(lost, replacement, shares, owed, orderDigest);
    }

    /// @inheritdoc IAssetFractions
    function pause(bytes32 reasonDigest) external {
        _requireIssuerOrRegulator();
        if (_paused) revert FractionsPauseUnchanged(true);
        _paused = true;
        emit TradingPaused(msg.sender, reasonDigest);
    }

    /// @inheritdoc IAssetFractions
    function unpause() external {
        _requireIssuerOrRegulator();
        if (!_paused) revert FractionsPauseUnchanged(false);
        _paused = false;
        emit TradingResumed(msg.sender);
    }

    // --- external: views ---

    /// @inheritdoc IAssetFractions
    function canTransfer(address from, address to, uint256 amount) external view returns (bool, Refusal) {
        Refusal reason;
        if (from == address(0)) {
            reason = _paused ? Refusal.PAUSED : _recipientRefusal(to, amount, Mode.MINT, false);
        } else {
            reason = _refusal(from, to, amount);
        }
        return (reason == Refusal.NONE, reason);
    }

    /// @notice The token name.
    /// @return The name.
    function name() external view returns (string memory) {
        return _name;
    }

    /// @notice The token symbol.
    /// @return The symbol.
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @notice Shares are whole: 0 decimals.
    /// @return 0.
    function decimals() external pure returns (uint8) {
        return 0;
    }

    /// @inheritdoc IERC20
    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view returns (uint256) {
        return _accounts[account].balance;
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @inheritdoc IAssetFractions
    function issuer() external view returns (address) {
        return _issuer;
    }

    /// @inheritdoc IAssetFractions
    function factory() external view returns (address) {
        return _factory;
    }

    /// @inheritdoc IAssetFractions
    function token() external view returns (ISettlementToken) {
        return _token;
    }

    /// @inheritdoc IAssetFractions
    function terms() external view returns (Terms memory t) {
        uint256 count = _regionCount;
        uint32[] memory regions = new uint32[](count);
        for (uint256 i; i < count; ++i) {
            // casting to uint32 is safe because each region code was packed from an uint32
            // forge-lint: disable-next-line(unsafe-typecast)
            regions[i] = uint32(_regions >> (32 * i));
        }
        t = Terms({
            assetRef: _assetRef,
            valuationFeed: _valuationFeed,
            documentsRoot: _documentsRoot,
            kycTier: _kycTier,
            regions: regions,
            lockUpUntil: _lockUpUntil,
            maxHolders: _maxHolders,
            maxPerHolder: _maxPerHolder,
            price: _price,
            minSubscription: _minSubscription,
            softCap: _softCap,
            hardCap: _hardCap,
            deadline: _deadline
        });
    }

    /// @inheritdoc IAssetFractions
    function offering() external view returns (Offering memory) {
        return Offering({status: _status, sold: _sold, subscribers: _subscribers, deadline: _deadline});
    }

    /// @inheritdoc IAssetFractions
    function subscriptionOf(address account) external view returns (uint96) {
        return _hold(account, _accounts[account]).subscription;
    }

    /// @inheritdoc IAssetFractions
    function offerOf(uint256 offerId) external view returns (Offer memory) {
        return _offers[offerId];
    }

    /// @inheritdoc IAssetFractions
    function offerCount() external view returns (uint256) {
        return _offerCount;
    }

    /// @inheritdoc IAssetFractions
    function frozenOf(address account) external view returns (bool whole, uint96 shares) {
        Account storage a = _accounts[account];
        return (a.flags & FROZEN_WHOLE != 0, _hold(account, a).frozen);
    }

    /// @inheritdoc IAssetFractions
    function holderCount() external view returns (uint32) {
        return _holderCount;
    }

    /// @inheritdoc IAssetFractions
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc IAssetFractions
    function claimable(address account) external view returns (uint256) {
        return _claimable(account);
    }

    /// @inheritdoc IAssetFractions
    function claimed(address account) external view returns (uint256) {
        return _claimed[account];
    }

    /// @inheritdoc IAssetFractions
    function totalPaidIn() external view returns (uint256) {
        return _totalPaidIn;
    }

    /// @inheritdoc IAssetFractions
    function totalClaimed() external view returns (uint256) {
        return _totalClaimed;
    }

    /// @inheritdoc IAssetFractions
    function subscriptionEscrow() external view returns (uint256) {
        return _escrow;
    }

    /// @inheritdoc IAssetFractions
    function proceedsOwed() external view returns (uint256) {
        return _proceedsOwed;
    }

    // --- internal: movements ---

    /// @dev The one place shares move between accounts: the compliance check for `mode` (ORDINARY: every rule;
    /// ORDER, a court's or the governors': the sender's balance and the recipient's eligibility and freeze), then
    /// the move; an order releases the sender's frozen shares as far as the move needs them. (A subscription's
    /// mint, in `claimShares`, checks the recipient's rules with the same `_recipientRefusal`.)
    function _update(address from, address to, uint256 amount, Mode mode) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        Account storage f = _accounts[from];
        Refusal reason;
        if (mode == Mode.ORDINARY) reason = _refusal(from, to, amount);
        else if (f.balance < amount) reason = Refusal.INSUFFICIENT_BALANCE;
        else reason = _recipientRefusal(to, 0, Mode.ORDER, false);
        if (reason != Refusal.NONE) revert FractionsTransferRefused(from, to, amount, reason);
        _move(from, to, amount);
        if (mode == Mode.ORDER) {
            Hold memory h = _hold(from, f);
            if (h.frozen > f.balance) _setHold(from, f, f.balance, h.subscription);
        }
    }

    /// @dev Moves `amount` shares (checked before) and keeps the holder count and the recovery corrections.
    function _move(address from, address to, uint256 amount) private {
        emit Transfer(from, to, amount);
        if (from == to || amount == 0) return;
        // casting to uint80 is safe because amount <= the sender's balance (an uint80), checked by the caller
        // forge-lint: disable-next-line(unsafe-typecast)
        uint80 value = uint80(amount);
        // |per share × amount| < 2^86 × 2^80: within int168
        int168 magnified = (uint256(_perShare) * amount).toInt256().toInt168();
        Account memory f = _accounts[from];
        Account memory t = _accounts[to];
        uint80 toBefore = t.balance;
        f.balance -= value;
        f.correction += magnified;
        t.balance = toBefore + value;
        t.correction -= magnified;
        _accounts[from] = f;
        _accounts[to] = t;
        bool senderLeaves = f.balance == 0 && (f.flags & HAS_HOLD == 0 || _holds[from].subscription == 0);
        bool recipientJoins = toBefore == 0 && (t.flags & HAS_HOLD == 0 || _holds[to].subscription == 0);
        if (senderLeaves != recipientJoins) {
            if (senderLeaves) --_holderCount;
            else ++_holderCount;
        }
    }

    function _distribute(address payer, bytes32 sourceRef, uint256 amount) private {
        if (_status != OfferingStatus.SUCCEEDED) revert FractionsNoShares();
        uint256 total = amount * MAGNITUDE + _carry;
        uint256 sold = _sold;
        uint256 perShare = _perShare + total / sold;
        if (perShare >= MAX_PER_SHARE) revert SafeCast.SafeCastOverflowedUintDowncast(86, perShare);
        // casting to uint128 is safe because perShare < MAX_PER_SHARE = 2^86
        // forge-lint: disable-next-line(unsafe-typecast)
        _perShare = uint128(perShare);
        _carry = total % sold;
        uint256 paidIn = _totalPaidIn + amount;
        _totalPaidIn = paidIn;
        emit RecoveryPaid(payer, sourceRef, amount, paidIn);
    }

    // --- internal: compliance ---

    /// @dev The first rule an ordinary transfer of `amount` from `from` to `to` breaks, or NONE.
    function _refusal(address from, address to, uint256 amount) private view returns (Refusal) {
        if (_paused) return Refusal.PAUSED;
        if (block.timestamp < _lockUpUntil) return Refusal.LOCKED_UP;
        Account storage f = _accounts[from];
        uint80 balance = f.balance;
        if (amount > balance) return Refusal.INSUFFICIENT_BALANCE;
        if (f.flags & FROZEN_WHOLE != 0) return Refusal.FROM_FROZEN;
        Hold memory h = _hold(from, f);
        if (amount > balance - h.frozen) return Refusal.AMOUNT_FROZEN;
        (uint256 roles, uint32 region, uint8 tier, bool active) = _consortium().eligibility(from);
        Refusal reason = _eligibility(roles, region, tier, active);
        if (reason != Refusal.NONE) return Refusal(uint8(reason) - 3); // TO_* -> FROM_*
        if (from == to) return Refusal.NONE;
        return _recipientRefusal(to, amount, Mode.ORDINARY, amount == balance && h.subscription == 0);
    }

    /// @dev The first rule receiving `amount` more shares breaks for `to`: freeze, eligibility and, unless by
    /// order, the holding limit (and for a subscription, the holder limit). `amount` counts towards the holding.
    function _recipientRefusal(address to, uint256 amount, Mode mode, bool senderLeaves)
        private
        view
        returns (Refusal)
    {
        Account storage t = _accounts[to];
        uint8 flags = t.flags;
        if (flags & FROZEN_WHOLE != 0) return Refusal.TO_FROZEN;
        (uint256 roles, uint32 region, uint8 tier, bool active) = _consortium().eligibility(to);
        Refusal reason = _eligibility(roles, region, tier, active);
        if (reason != Refusal.NONE || mode == Mode.ORDER) return reason;
        uint80 balance = t.balance;
        uint80 subscription = flags & HAS_HOLD != 0 ? _holds[to].subscription : 0;
        if (_maxPerHolder != 0 && uint256(balance) + subscription + amount > _maxPerHolder) {
            return Refusal.HOLDING_LIMIT;
        }
        if (
            _maxHolders != 0 && amount != 0 && balance == 0 && subscription == 0 && !senderLeaves
                && _holderCount >= _maxHolders
        ) return Refusal.HOLDER_LIMIT;
        return Refusal.NONE;
    }

    /// @dev TO_NOT_INVESTOR, TO_KYC_TIER, TO_REGION or NONE for a member's profile.
    function _eligibility(uint256 roles, uint32 region, uint8 tier, bool active) private view returns (Refusal) {
        if (!active || roles & _investorBit == 0) return Refusal.TO_NOT_INVESTOR;
        if (tier < _kycTier) return Refusal.TO_KYC_TIER;
        uint256 count = _regionCount;
        if (count == 0) return Refusal.NONE;
        uint256 packed = _regions;
        for (uint256 i; i < count; ++i) {
            // casting to uint32 is safe because each region code was packed from an uint32
            // forge-lint: disable-next-line(unsafe-typecast)
            if (Regions.covers(uint32(packed >> (32 * i)), region)) return Refusal.NONE;
        }
        return Refusal.TO_REGION;
    }

    // --- internal: other ---

    /// @dev Reverts unless `replacement` is another active key of the member `lost` belongs to and holds nothing.
    function _checkRecovery(address lost, address replacement) private view {
        IConsortium c = _consortium();
        Account storage r = _accounts[replacement];
        if (
            lost == replacement || !c.isMember(lost) || !c.isActiveMember(replacement)
                || c.getMember(lost).nameDigest != c.getMember(replacement).nameDigest || r.balance != 0 || r.flags != 0
        ) revert FractionsInvalidRecovery(lost, replacement);
        // checked here as well as by the move of the shares: a lost key may hold only a subscription
        Refusal reason = _recipientRefusal(replacement, 0, Mode.ORDER, false);
        if (reason != Refusal.NONE) {
            revert FractionsTransferRefused(lost, replacement, _accounts[lost].balance, reason);
        }
    }

    /// @dev Moves shares, subscription and freezes of `lost` to `replacement`; returns the shares moved.
    function _moveAccount(address lost, address replacement) private returns (uint80 shares) {
        Account storage l = _accounts[lost];
        shares = l.balance;
        Hold memory h = _hold(lost, l);
        uint8 whole = l.flags & FROZEN_WHOLE;
        // the replacement holds nothing yet and the lost key keeps nothing: the holder count does not change
        uint32 holders = _holderCount;
        l.flags &= ~FROZEN_WHOLE;
        _setHold(lost, l, 0, 0);
        if (shares != 0) _update(lost, replacement, shares, Mode.ORDER);
        Account storage r = _accounts[replacement];
        _setHold(replacement, r, h.frozen, h.subscription);
        r.flags |= whole;
        _holderCount = holders;
        if (h.subscription != 0) {
            // the subscribed shares earn recoveries like held ones: move their entitlement as a transfer would
            int168 magnified = (uint256(_perShare) * h.subscription).toInt256().toInt168();
            l.correction += magnified;
            r.correction -= magnified;
        }
    }

    function _hold(address account, Account storage a) private view returns (Hold memory h) {
        if (a.flags & HAS_HOLD != 0) h = _holds[account];
    }

    function _setHold(address account, Account storage a, uint80 frozen, uint80 subscription) private {
        _holds[account] = Hold({frozen: frozen, subscription: subscription});
        if (frozen != 0 || subscription != 0) a.flags |= HAS_HOLD;
        else a.flags &= ~HAS_HOLD;
    }

    function _claimable(address account) private view returns (uint256) {
        Account storage a = _accounts[account];
        // subscribed shares not yet minted earn recoveries from the settlement on, like minted ones
        uint256 shares = uint256(a.balance) + _hold(account, a).subscription;
        // casting to int256 is safe because per share < 2^86 and shares < 2^81
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 magnified = int256(uint256(_perShare) * shares) + a.correction;
        // casting to uint256 is safe because magnified is positive here
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 accrued = magnified <= 0 ? 0 : uint256(magnified) / MAGNITUDE;
        uint256 done = _claimed[account];
        return accrued > done ? accrued - done : 0;
    }

    function _requireIssuerOrRegulator() private view {
        if (msg.sender == _issuer
                ? !_hasActiveRole(msg.sender, Roles.BANK)
                : !_hasActiveRole(msg.sender, Roles.REGULATOR)) {
            revert ConsortiumGatedUnauthorized(msg.sender, Roles.REGULATOR);
        }
    }
}
