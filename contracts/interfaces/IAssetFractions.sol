// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IConsortiumGated} from "./IConsortiumGated.sol";
import {FeedId} from "./IOracleHub.sol";
import {ISettlementToken} from "./ISettlementToken.sol";

/// @title IAssetFractions
/// @notice Tokenised shares of one large asset (an office-tower NPL, a pool of distressed loans): a permissioned
/// ERC-20 that only active INVESTOR members with at least the asset's KYC tier and an allowed region may hold,
/// sold in an escrowed offering, traded between investors delivery-versus-payment, and paying every recovery
/// paid into the asset to its holders pro rata. Deployed by the {IFractionsFactory}, which records every issue.
///
/// Compliance lives in one place, the token's `_update`: every movement of shares (transfer, `transferFrom`,
/// an offer's fill, the mint of a subscription, a court's forced transfer, a key recovery) passes the same rules,
/// and {canTransfer} answers them with the same {Refusal} code before anyone pays gas. The rules of an ordinary
/// transfer: trading not paused; the lock-up date passed; both accounts eligible (active INVESTOR, KYC tier, an
/// allowed region) and neither frozen whole; the amount within the sender's unfrozen balance; the recipient's
/// holding at most `maxPerHolder`; at most `maxHolders` holders. A court's forced transfer and a governed key
/// recovery skip the pause, the lock-up, the sender's eligibility and freezes and the two limits, never the
/// recipient's eligibility. Refusals revert with {FractionsTransferRefused}.
///
/// Recoveries use cumulative per-share accounting (ERC-2222 / ERC-1726 style): a payment raises a magnified
/// amount per share of the whole offering (shares sold, claimed or not), each account keeps a correction that
/// every movement of its shares adjusts, so what a holder may claim stays exact across transfers, mints, forced
/// transfers and recoveries, and each claim is O(1) in the number of holders. A subscriber's shares
/// earn every recovery since the offering settled, minted or not. {claimable} is the entitlement floored to the fen;
/// its fraction of a fen is not lost but carried to its next claim, and the division's remainder is carried to
/// the next payment, so Σ claimable + Σ claimed + dust = {totalPaidIn} to the fen, with the dust (the fractions
/// carried) less than one fen per account plus one.
///
/// Money: subscriptions, the issuer's proceeds and recoveries are pull payments. The contract's SettlementToken
/// balance is never less than {subscriptionEscrow} + {proceedsOwed} + {totalPaidIn} - {totalClaimed}.
///
/// Privacy: events carry addresses, amounts and digests only; court orders and reasons appear as digests of
/// their documents.
/// @dev Shares have 0 decimals (whole shares). Times are block times (Unix seconds). Offer ids start at 1.
interface IAssetFractions is IConsortiumGated, IERC20Metadata {
    /// @notice Why a movement of shares is refused ({canTransfer}, {FractionsTransferRefused}).
    enum Refusal {
        NONE, // allowed
        PAUSED, // trading is paused by the issuer or a regulator
        LOCKED_UP, // before the lock-up date
        INSUFFICIENT_BALANCE, // the sender holds fewer shares
        FROM_FROZEN, // the sender's account is frozen by a court
        AMOUNT_FROZEN, // the amount exceeds the sender's balance less its frozen shares
        TO_FROZEN, // the recipient's account is frozen by a court
        FROM_NOT_INVESTOR, // the sender is not an active INVESTOR member
        FROM_KYC_TIER, // the sender's KYC tier is below the asset's
        FROM_REGION, // the sender's region is not allowed
        TO_NOT_INVESTOR, // the recipient is not an active INVESTOR member
        TO_KYC_TIER, // the recipient's KYC tier is below the asset's
        TO_REGION, // the recipient's region is not allowed
        HOLDER_LIMIT, // a new holder would exceed `maxHolders`
        HOLDING_LIMIT // the recipient would hold more than `maxPerHolder`
    }

    /// @notice Where the offering is.
    enum OfferingStatus {
        OPEN, // subscriptions accepted until the deadline or the hard cap
        SUCCEEDED, // the soft cap was reached: shares are claimable, the proceeds are the issuer's
        FAILED // the soft cap was missed: every subscriber withdraws what it paid
    }

    /// @notice What an issuer gives to tokenise an asset ({IFractionsFactory-issue}).
    /// @param assetRef Digest of the asset reference (the OracleHub subject, e.g. `keccak256("asset:SH-0042")`).
    /// @param valuationFeed The OracleHub feed that values the asset (zero if none).
    /// @param documentsRoot An evidence root anchored in the EvidenceRegistry (prospectus, title, appraisal).
    /// @param kycTier The lowest KYC tier a holder may have.
    /// @param regions Allowed region codes ({Regions-covers}: `310000` allows all of that province); at most 8;
    /// empty allows every region.
    /// @param lockUpUntil No ordinary transfer before this time (0: none).
    /// @param maxHolders The most accounts that may hold shares at once (0: no limit).
    /// @param maxPerHolder The most shares one account may hold (0: no limit).
    /// @param price Offering price per share, in fen.
    /// @param minSubscription The fewest shares one subscription may ask for.
    /// @param softCap Shares that must be subscribed by the deadline for the offering to succeed.
    /// @param hardCap The most shares the offering sells (the total supply).
    /// @param deadline The end of the subscription period.
    struct Terms {
        bytes32 assetRef;
        FeedId valuationFeed;
        bytes32 documentsRoot;
        uint8 kycTier;
        uint32[] regions;
        uint64 lockUpUntil;
        uint32 maxHolders;
        uint96 maxPerHolder;
        uint96 price;
        uint96 minSubscription;
        uint96 softCap;
        uint96 hardCap;
        uint64 deadline;
    }

    /// @notice The offering's state.
    /// @param status Where it is.
    /// @param sold Shares subscribed.
    /// @param subscribers Accounts that subscribed (and have not been refunded).
    /// @param deadline End of the subscription period.
    struct Offering {
        OfferingStatus status;
        uint96 sold;
        uint32 subscribers;
        uint64 deadline;
    }

    /// @notice A holder's offer to sell shares on the secondary market. The shares stay with the seller until a
    /// buyer fills the offer, so an offer whose seller no longer holds them, or may no longer sell them, cannot
    /// fill.
    /// @param seller The account selling.
    /// @param shares Shares still offered.
    /// @param price Price per share, in fen.
    struct Offer {
        address seller;
        uint96 shares;
        uint96 price;
    }

    // --- errors ---
    /// @notice The movement of shares is refused by compliance.
    /// @param from The sender (zero for a mint).
    /// @param to The recipient.
    /// @param amount Shares.
    /// @param reason Why ({canTransfer} gives the same answer).
    error FractionsTransferRefused(address from, address to, uint256 amount, Refusal reason);
    /// @notice The terms are invalid (caps, price, deadline, regions, limits).
    /// @param field Which term: 1 price, 2 minimum subscription, 3 soft cap, 4 hard cap, 5 deadline, 6 regions,
    /// 7 per-holder maximum, 8 asset reference.
    error FractionsInvalidTerms(uint8 field);
    /// @notice The offering is not in the status this needs.
    /// @param status Its status.
    error FractionsWrongOfferingStatus(OfferingStatus status);
    /// @notice Subscriptions are closed (after the deadline or at the hard cap) or settlement is too early.
    /// @param deadline The subscription deadline.
    error FractionsOfferingClosed(uint64 deadline);
    /// @notice The offering has not ended yet: before the deadline and below the hard cap.
    /// @param deadline The subscription deadline.
    error FractionsOfferingNotEnded(uint64 deadline);
    /// @notice A subscription below the minimum.
    /// @param shares Shares asked for.
    /// @param minimum The minimum subscription.
    error FractionsBelowMinimum(uint96 shares, uint96 minimum);
    /// @notice The subscription would sell more than the hard cap.
    /// @param shares Shares asked for.
    /// @param available Shares left.
    error FractionsHardCapExceeded(uint96 shares, uint96 available);
    /// @notice The account has nothing to claim, refund or withdraw here.
    /// @param account The account.
    error FractionsNothingToPay(address account);
    /// @notice A zero amount, zero price or zero address where one is needed.
    error FractionsZeroAmount();
    /// @notice The offer does not exist, is filled or was cancelled.
    /// @param offerId The offer.
    error FractionsUnknownOffer(uint256 offerId);
    /// @notice A fill asks for more shares than the offer has left.
    /// @param offerId The offer.
    /// @param shares Shares asked for.
    /// @param available Shares left on the offer.
    error FractionsOfferTooSmall(uint256 offerId, uint96 shares, uint96 available);
    /// @notice Only the offer's seller may cancel it.
    /// @param offerId The offer.
    /// @param caller The caller.
    error FractionsNotSeller(uint256 offerId, address caller);
    /// @notice Recoveries can be paid in only once the offering succeeded (there are shares to pay).
    error FractionsNoShares();
    /// @notice The account is not frozen in the way the order would lift, or the freeze would exceed the holding.
    /// @param account The account.
    error FractionsInvalidFreeze(address account);
    /// @notice Trading is already paused (or already running).
    /// @param paused The current state.
    error FractionsPauseUnchanged(bool paused);
    /// @notice A key may be recovered only to an active member with the same name digest that holds no shares.
    /// @param lost The old address.
    /// @param replacement The new address.
    error FractionsInvalidRecovery(address lost, address replacement);
    /// @notice Recoveries can be collected only from a system contract that owes this asset something.
    /// @param source The contract.
    error FractionsInvalidSource(address source);

    // --- events ---
    /// @notice The asset was issued (emitted once, by the constructor).
    /// @param issuer The issuing BANK.
    /// @param assetRef Digest of the asset reference.
    /// @param valuationFeed The OracleHub feed valuing it.
    /// @param documentsRoot The anchored evidence root of its documents.
    event FractionsTerms(address indexed issuer, bytes32 indexed assetRef, FeedId valuationFeed, bytes32 documentsRoot);
    /// @notice The compliance limits (emitted once, by the constructor).
    /// @param kycTier Lowest KYC tier of a holder.
    /// @param regions Allowed regions (empty: all).
    /// @param lockUpUntil End of the lock-up.
    /// @param maxHolders Most holders (0: no limit).
    /// @param maxPerHolder Most shares per holder (0: no limit).
    event FractionsLimits(uint8 kycTier, uint32[] regions, uint64 lockUpUntil, uint32 maxHolders, uint96 maxPerHolder);
    /// @notice The offering's terms (emitted once, by the constructor).
    /// @param price Fen per share.
    /// @param minSubscription Fewest shares per subscription.
    /// @param softCap Shares needed to succeed.
    /// @param hardCap Most shares sold.
    /// @param deadline End of subscriptions.
    event OfferingTerms(uint96 price, uint96 minSubscription, uint96 softCap, uint96 hardCap, uint64 deadline);
    /// @notice An investor subscribed and its payment is in escrow.
    /// @param subscriber The investor.
    /// @param shares Shares subscribed now.
    /// @param paid Fen paid now.
    /// @param sold Shares subscribed in total after this.
    event Subscribed(address indexed subscriber, uint96 shares, uint256 paid, uint96 sold);
    /// @notice The offering was settled.
    /// @param status SUCCEEDED or FAILED.
    /// @param sold Shares subscribed.
    /// @param proceeds Fen owed to the issuer (0 if it failed).
    event OfferingSettled(OfferingStatus status, uint96 sold, uint256 proceeds);
    /// @notice A subscriber's shares were minted to it after a successful offering.
    /// @param subscriber The investor.
    /// @param shares Shares minted.
    event SharesClaimed(address indexed subscriber, uint96 shares);
    /// @notice A subscriber withdrew its payment after a failed offering.
    /// @param subscriber The investor.
    /// @param amount Fen returned.
    event SubscriptionRefunded(address indexed subscriber, uint256 amount);
    /// @notice The issuer withdrew the proceeds of a successful offering.
    /// @param issuer The issuer.
    /// @param amount Fen.
    event ProceedsWithdrawn(address indexed issuer, uint256 amount);
    /// @notice A holder offered shares for sale.
    /// @param offerId The new offer.
    /// @param seller The holder.
    /// @param shares Shares offered.
    /// @param price Fen per share.
    event OfferMade(uint256 indexed offerId, address indexed seller, uint96 shares, uint96 price);
    /// @notice An offer was filled (all or in part): shares and payment moved together.
    /// @param offerId The offer.
    /// @param buyer The buyer.
    /// @param shares Shares bought.
    /// @param paid Fen paid to the seller.
    /// @param remaining Shares left on the offer.
    event OfferFilled(uint256 indexed offerId, address indexed buyer, uint96 shares, uint256 paid, uint96 remaining);
    /// @notice The seller withdrew an offer.
    /// @param offerId The offer.
    event OfferCancelled(uint256 indexed offerId);
    /// @notice A recovery was paid in for the holders.
    /// @param payer Who paid it (an account, or the contract collected from).
    /// @param sourceRef What it recovers from (a case id, a lot, a settlement digest).
    /// @param amount Fen.
    /// @param totalPaidIn All recoveries paid in so far, in fen.
    event RecoveryPaid(address indexed payer, bytes32 indexed sourceRef, uint256 amount, uint256 totalPaidIn);
    /// @notice A holder claimed its share of the recoveries.
    /// @param holder The holder.
    /// @param amount Fen.
    event RecoveryClaimed(address indexed holder, uint256 amount);
    /// @notice A court froze an account whole: it may neither send nor receive shares.
    /// @param account The account.
    /// @param court The ordering court.
    /// @param orderDigest Digest of the order.
    event AccountFrozen(address indexed account, address indexed court, bytes32 orderDigest);
    /// @notice A court lifted a whole-account freeze.
    /// @param account The account.
    /// @param court The ordering court.
    /// @param orderDigest Digest of the order.
    event AccountUnfrozen(address indexed account, address indexed court, bytes32 orderDigest);
    /// @notice A court froze (or unfroze) part of an account's shares.
    /// @param account The account.
    /// @param court The ordering court.
    /// @param frozen Shares frozen after the order.
    /// @param orderDigest Digest of the order.
    event SharesFrozen(address indexed account, address indexed court, uint96 frozen, bytes32 orderDigest);
    /// @notice A court ordered shares moved.
    /// @param from The account they left.
    /// @param to The account they went to.
    /// @param amount Shares.
    /// @param court The ordering court.
    /// @param orderDigest Digest of the order.
    event ForcedTransfer(
        address indexed from, address indexed to, uint256 amount, address indexed court, bytes32 orderDigest
    );
    /// @notice The governors recovered a lost key: shares, freezes and unclaimed recoveries moved to the
    /// member's new address.
    /// @param lost The old address.
    /// @param replacement The new address.
    /// @param shares Shares moved.
    /// @param recoveries Unclaimed fen moved.
    /// @param orderDigest Digest of the decision.
    event AccountRecovered(
        address indexed lost, address indexed replacement, uint256 shares, uint256 recoveries, bytes32 orderDigest
    );
    /// @notice Trading was paused (every movement but court orders and key recoveries stops).
    /// @param by The issuer or the regulator.
    /// @param reasonDigest Digest of the reason.
    event TradingPaused(address indexed by, bytes32 reasonDigest);
    /// @notice Trading resumed.
    /// @param by The issuer or the regulator.
    event TradingResumed(address indexed by);

    // --- offering ---
    /// @notice Subscribe `shares` at the offering price; the payment (price × shares) moves into escrow. The
    /// subscriber must be eligible to hold shares and stay within the holder limits.
    /// @param shares Shares (at least the minimum subscription; the total at most the hard cap).
    function subscribe(uint96 shares) external;
    /// @notice Settle the offering once the deadline passed or the hard cap was reached: SUCCEEDED if the soft
    /// cap was reached (the proceeds become the issuer's), else FAILED. Anyone may call.
    function settleOffering() external;
    /// @notice Mint `subscriber`'s shares after a successful offering. Anyone may call; the shares go to the
    /// subscriber and pass compliance like any other movement.
    /// @param subscriber The subscriber.
    function claimShares(address subscriber) external;
    /// @notice Withdraw the caller's payment after a failed offering: exactly what it paid.
    function refund() external;
    /// @notice The issuer withdraws the proceeds of a successful offering.
    function withdrawProceeds() external;

    // --- secondary market ---
    /// @notice Offer `shares` of the caller's for sale at `price` fen each. The shares stay with the caller.
    /// @param shares Shares.
    /// @param price Fen per share.
    /// @return offerId The new offer.
    function makeOffer(uint96 shares, uint96 price) external returns (uint256 offerId);
    /// @notice Buy `shares` of an offer: the shares move to the caller and the price to the seller in one
    /// transaction, or neither moves. The caller must have approved the payment in SettlementToken.
    /// @param offerId The offer.
    /// @param shares Shares (at most what the offer has left).
    function buy(uint256 offerId, uint96 shares) external;
    /// @notice The seller withdraws an offer.
    /// @param offerId The offer.
    function cancelOffer(uint256 offerId) external;

    // --- recoveries ---
    /// @notice Pay `amount` fen of recoveries into the asset for its holders (the caller approved it); anyone
    /// may pay: a bank forwarding a case's recovery, the issuer, a settlement.
    /// @param amount Fen.
    /// @param sourceRef What it recovers from.
    function payIn(uint256 amount, bytes32 sourceRef) external;
    /// @notice Collect what a system contract owes this asset (e.g. a judicial auction's proceeds that a court
    /// allocated to it) by calling its `withdraw()`, and distribute it to the holders. Anyone may call.
    /// @param source The system contract.
    function collect(address source) external;
    /// @notice Withdraw the caller's share of the recoveries paid in so far.
    function claim() external;

    // --- court orders ---
    /// @notice Freeze `account` whole. Only an active COURT.
    /// @param account The account.
    /// @param orderDigest Digest of the order.
    function freezeAccount(address account, bytes32 orderDigest) external;
    /// @notice Lift a whole-account freeze. Only an active COURT.
    /// @param account The account.
    /// @param orderDigest Digest of the order.
    function unfreezeAccount(address account, bytes32 orderDigest) external;
    /// @notice Set the number of `account`'s shares that are frozen (0 lifts a partial freeze); at most its
    /// balance. Only an active COURT.
    /// @param account The account.
    /// @param frozen Shares frozen after the order.
    /// @param orderDigest Digest of the order.
    function setFrozenShares(address account, uint96 frozen, bytes32 orderDigest) external;
    /// @notice Move `amount` shares from `from` to `to` by court order, whatever the pause, the lock-up, freezes
    /// and limits; `to` must be eligible and not frozen. Only an active COURT.
    /// @param from The account they leave (frozen shares go first only if the rest does not suffice).
    /// @param to The account they go to.
    /// @param amount Shares.
    /// @param orderDigest Digest of the order.
    function forcedTransfer(address from, address to, uint256 amount, bytes32 orderDigest) external;

    // --- governance and issuer ---
    /// @notice Move every share, subscription, freeze and unclaimed recovery of `lost` to `replacement`, an active member
    /// with the same name digest (the same institution's new key). Only the consortium, executing a `Call`
    /// proposal its governors approved.
    /// @param lost The old address.
    /// @param replacement The new address.
    /// @param orderDigest Digest of the decision.
    function recoverAccount(address lost, address replacement, bytes32 orderDigest) external;
    /// @notice Pause trading. The issuer or an active REGULATOR.
    /// @param reasonDigest Digest of the reason.
    function pause(bytes32 reasonDigest) external;
    /// @notice Resume trading. The issuer or an active REGULATOR.
    function unpause() external;

    // --- views ---
    /// @notice Whether moving `amount` shares from `from` to `to` would pass compliance now, and why not.
    /// @param from The sender (zero for a mint).
    /// @param to The recipient.
    /// @param amount Shares.
    /// @return allowed Whether it would pass.
    /// @return reason {Refusal.NONE} or the first rule it breaks.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool allowed, Refusal reason);
    /// @notice The issuer.
    /// @return The issuing BANK.
    function issuer() external view returns (address);
    /// @notice The factory that deployed the asset.
    /// @return The factory.
    function factory() external view returns (address);
    /// @notice The settlement token payments are made in.
    /// @return The token.
    function token() external view returns (ISettlementToken);
    /// @notice The terms the asset was issued with.
    /// @return The terms.
    function terms() external view returns (Terms memory);
    /// @notice The offering's state.
    /// @return The offering.
    function offering() external view returns (Offering memory);
    /// @notice Shares `account` subscribed and has not yet claimed (or been refunded).
    /// @param account The account.
    /// @return Shares.
    function subscriptionOf(address account) external view returns (uint96);
    /// @notice An offer.
    /// @param offerId The offer.
    /// @return The offer (zero seller if unknown, filled or cancelled).
    function offerOf(uint256 offerId) external view returns (Offer memory);
    /// @notice Offers made so far.
    /// @return The count.
    function offerCount() external view returns (uint256);
    /// @notice How `account` is frozen.
    /// @param account The account.
    /// @return whole Whether the whole account is frozen.
    /// @return shares Shares frozen.
    function frozenOf(address account) external view returns (bool whole, uint96 shares);
    /// @notice Accounts holding shares now.
    /// @return The count.
    function holderCount() external view returns (uint32);
    /// @notice Whether trading is paused.
    /// @return Whether paused.
    function paused() external view returns (bool);
    /// @notice Fen of recoveries `account` may claim now.
    /// @param account The account.
    /// @return Fen.
    function claimable(address account) external view returns (uint256);
    /// @notice Fen of recoveries `account` has claimed.
    /// @param account The account.
    /// @return Fen.
    function claimed(address account) external view returns (uint256);
    /// @notice All recoveries paid in, in fen.
    /// @return Fen.
    function totalPaidIn() external view returns (uint256);
    /// @notice All recoveries claimed, in fen.
    /// @return Fen.
    function totalClaimed() external view returns (uint256);
    /// @notice Fen held for subscriptions (not yet refunded or released to the issuer).
    /// @return Fen.
    function subscriptionEscrow() external view returns (uint256);
    /// @notice Fen of offering proceeds the issuer has not withdrawn.
    /// @return Fen.
    function proceedsOwed() external view returns (uint256);
}
