// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumGated} from "./IConsortiumGated.sol";
import {IDisputeDesk} from "./IDisputeDesk.sol";
import {FeedId} from "./IOracleHub.sol";

/// @title IJudicialAuction
/// @notice Online judicial auctions of seized collateral (网络司法拍卖) under the Supreme People's Court's
/// *Provisions on Online Judicial Auctions* (法释〔2016〕18号), with every fen in SettlementToken escrow until the
/// court confirms. One contract holds every lot.
///
/// A lot's life: a BANK (or a COURT for itself) lists it with anchored documents and an appraisal (an OracleHub
/// report for the asset that is not stale, or an appraisal a court entered with its document digest); the
/// starting price is at least 70 % of the appraisal and the deposit 5–20 % of the starting price. A COURT approves
/// it (it becomes the lot's court) and the announcement period starts; bidding runs for at least 24 hours. Active
/// INVESTOR members with the lot's KYC tier lock the deposit, get an anonymous bidder code (竞买代码) and bid; a bid
/// beats the highest by at least the increment, and a bid in the last 5 minutes moves the end to 5 minutes after it
/// (延时), as often as it happens. Pre-emption holders (优先购买权人) the court registered may match the highest price
/// and hold it at an equal price. After the end anyone closes the lot: with no bid it failed (流拍); otherwise the
/// winner pays the balance by the payment deadline and the court confirms the sale (成交裁定), allocating the price
/// to the payees it names (fees, priority creditors, the seller). A winner who does not pay forfeits the deposit to
/// the account the court set and is barred from the relisted lot (悔拍). A failed or defaulted lot may be relisted
/// within 30 days at a starting price at most 20 % lower; after a second failure the court may sell it at a fixed
/// price for a set period (变卖), first valid purchase wins.
///
/// Money: deposits, balances and proceeds are pull payments. The contract's SettlementToken balance always equals
/// {totalDeposits} + {totalPaid} + {totalOwed}.
///
/// Privacy: events carry addresses, bidder codes, amounts and digests only. A bid's event names its bidder code,
/// not its address; only the {DepositLocked} event links a code to an address.
/// @dev Lot ids start at 1. Times are block times (Unix seconds).
interface IJudicialAuction is IConsortiumGated {
    /// @notice Where a lot is in its life.
    enum LotStatus {
        NONE,
        LISTED, // waiting for a court's approval
        APPROVED, // announced; bidding from `startsAt` until `endsAt`
        SUSPENDED, // 暂缓: stopped by the court, the time left is kept
        CANCELLED, // by the court before the first bid; depositors withdraw
        AWAITING_PAYMENT, // closed with a winner, who owes the balance by `paymentDeadline`
        PAID, // the price is in escrow, waiting for the court's confirmation
        CONFIRMED, // 成交裁定: the price was allocated to the payees
        FAILED, // 流拍: closed without a valid bid (or a fixed-price sale found no buyer)
        DEFAULTED // 悔拍: the winner did not pay; the deposit was forfeited
    }

    /// @notice How a lot is sold.
    enum LotKind {
        AUCTION, // ascending bids
        FIXED_PRICE // 变卖: first valid purchase at the price wins
    }

    /// @notice What a seller gives to list a lot.
    /// @param assetRef Digest of the asset reference (the OracleHub subject id, e.g. `keccak256("asset:SH-0042")`).
    /// @param documents Evidence roots already anchored in the EvidenceRegistry (at least one).
    /// @param appraisalFeed The OracleHub feed that values the asset, or zero to use the appraisal a court entered.
    /// @param startPrice Starting price in fen (at least 70 % of the appraisal).
    /// @param deposit Deposit in fen (5–20 % of the starting price).
    /// @param increment Smallest raise over the highest bid, in fen (at least 1).
    /// @param announcement Seconds from the court's approval to the start of bidding.
    /// @param biddingWindow Seconds of bidding (at least 24 hours).
    /// @param paymentWindow Seconds from the end of bidding to the payment deadline (at least 1).
    /// @param kycTier The smallest KYC tier a bidder must have.
    struct Listing {
        bytes32 assetRef;
        bytes32[] documents;
        FeedId appraisalFeed;
        uint96 startPrice;
        uint96 deposit;
        uint96 increment;
        uint64 announcement;
        uint64 biddingWindow;
        uint64 paymentWindow;
        uint8 kycTier;
    }

    /// @notice A lot as stored. The fields a bid reads share two storage slots (status, kind, times and increment;
    /// the highest bid and bidder), so a bid reads three slots in all, with the bidder's own.
    /// @param status Where it is in its life.
    /// @param kind Auction or fixed-price sale.
    /// @param startsAt When bidding opens (before approval: the announcement period in seconds).
    /// @param endsAt When bidding closes; it moves with late bids and suspensions (before approval: the bidding
    /// window in seconds).
    /// @param increment Smallest raise in fen.
    /// @param highestBidder The current highest bidder (the winner after close; the buyer of a fixed-price sale).
    /// @param highestBid The current highest bid in fen (the price after close).
    /// @param seller The member that listed it.
    /// @param kycTier The smallest KYC tier a bidder must have.
    /// @param round 1 for a first listing, +1 for each relisting of the same asset.
    /// @param failures Failed auctions of this asset so far, this lot included once it failed.
    /// @param bidderCount Deposits locked (the last bidder code issued).
    /// @param origin The first lot of this asset (itself for a first listing).
    /// @param court The court that approved it (zero before approval).
    /// @param paymentDeadline Last second the winner may pay (set at close).
    /// @param relistedAs The lot that relisted it or sold it at a fixed price (zero if none).
    /// @param startPrice Starting price (the price of a fixed-price sale) in fen.
    /// @param deposit Deposit in fen.
    /// @param paymentWindow Seconds from the end of bidding to the payment deadline.
    /// @param paid The price held in escrow after payment, in fen.
    /// @param appraisal The appraisal the starting price was checked against, in fen.
    /// @param closedAt When it closed, failed or defaulted (starts the relisting window).
    /// @param forfeitTo Who receives a defaulting winner's deposit (set by the court).
    /// @param suspendedAt When it was suspended (while SUSPENDED).
    /// @param assetRef Digest of the asset reference.
    struct Lot {
        LotStatus status;
        LotKind kind;
        uint64 startsAt;
        uint64 endsAt;
        uint96 increment;
        address highestBidder;
        uint96 highestBid;
        address seller;
        uint8 kycTier;
        uint8 round;
        uint8 failures;
        uint32 bidderCount;
        uint32 origin;
        address court;
        uint64 paymentDeadline;
        uint32 relistedAs;
        uint96 startPrice;
        uint96 deposit;
        uint64 paymentWindow;
        uint96 paid;
        uint96 appraisal;
        uint64 closedAt;
        address forfeitTo;
        uint64 suspendedAt;
        bytes32 assetRef;
    }

    /// @notice A bidder's place in one lot.
    /// @param deposit Deposit locked and not yet withdrawn, forfeited or applied to the price, in fen.
    /// @param code The anonymous bidder code (1, 2, ... in order of deposit; 0 before depositing).
    /// @param preemption Whether the court registered this bidder as a pre-emption holder.
    struct Bidder {
        uint96 deposit;
        uint32 code;
        bool preemption;
    }

    /// @notice A payee of a confirmed sale and the amount the court allocated to it.
    /// @param account Who may withdraw it.
    /// @param amount Amount in fen.
    struct Payee {
        address account;
        uint96 amount;
    }

    /// @notice An appraisal a court entered for an asset.
    /// @param value Appraised value in fen.
    /// @param court The court.
    /// @param enteredAt When.
    /// @param documentDigest Digest of the appraisal report.
    struct CourtAppraisal {
        uint96 value;
        address court;
        uint64 enteredAt;
        bytes32 documentDigest;
    }

    // --- errors ---
    /// @notice No lot has this id.
    /// @param lotId The id.
    error AuctionUnknownLot(uint256 lotId);
    /// @notice The lot is not in the status this step needs.
    /// @param lotId The lot.
    /// @param status Its status.
    error AuctionWrongStatus(uint256 lotId, LotStatus status);
    /// @notice A document root is not anchored in the EvidenceRegistry (or no document was given).
    /// @param root The root (zero when the list is empty).
    error AuctionDocumentNotAnchored(bytes32 root);
    /// @notice No court appraisal was entered for the asset, and no appraisal feed was named.
    /// @param assetRef The asset.
    error AuctionNoAppraisal(bytes32 assetRef);
    /// @notice An appraisal must be positive and fit in 96 bits.
    /// @param value The appraisal.
    error AuctionInvalidAppraisal(int256 value);
    /// @notice The starting price is below 70 % of the appraisal (or, for a relisting, more than 20 % below the
    /// previous starting price; for a fixed-price sale, below the last starting price).
    /// @param startPrice The starting price.
    /// @param minimum The lowest allowed.
    error AuctionStartPriceTooLow(uint96 startPrice, uint96 minimum);
    /// @notice The deposit is outside 5–20 % of the starting price.
    /// @param deposit The deposit.
    /// @param minimum 5 % of the starting price (rounded up).
    /// @param maximum 20 % of the starting price (rounded down).
    error AuctionInvalidDeposit(uint96 deposit, uint96 minimum, uint96 maximum);
    /// @notice The bidding window is shorter than 24 hours (or a fixed-price period is zero).
    /// @param window The window.
    error AuctionWindowTooShort(uint64 window);
    /// @notice A listing parameter is invalid (zero increment or payment window, zero starting price).
    error AuctionInvalidTerms();
    /// @notice The caller is not the lot's seller.
    /// @param account The caller.
    error AuctionNotSeller(address account);
    /// @notice The caller is not the lot's court.
    /// @param account The caller.
    error AuctionNotLotCourt(address account);
    /// @notice Bidding is not open now.
    /// @param lotId The lot.
    /// @param startsAt When it opens.
    /// @param endsAt When it closes.
    error AuctionNotOpen(uint256 lotId, uint64 startsAt, uint64 endsAt);
    /// @notice Bidding has not ended yet.
    /// @param lotId The lot.
    /// @param endsAt When it ends.
    error AuctionNotEnded(uint256 lotId, uint64 endsAt);
    /// @notice The caller is not an active INVESTOR with the lot's KYC tier.
    /// @param account The caller.
    /// @param kycTier Its KYC tier.
    /// @param required The lot's KYC tier.
    error AuctionBidderNotEligible(address account, uint8 kycTier, uint8 required);
    /// @notice The caller defaulted on an earlier round of this asset and may not bid on it again.
    /// @param account The caller.
    error AuctionBidderBarred(address account);
    /// @notice The caller already locked the deposit for this lot.
    /// @param account The caller.
    error AuctionDepositAlreadyLocked(address account);
    /// @notice The caller has not locked the deposit for this lot.
    /// @param account The caller.
    error AuctionNoDeposit(address account);
    /// @notice The bid does not beat the highest by the increment (or the first bid is below the starting price).
    /// @param amount The bid.
    /// @param minimum The lowest valid bid now.
    error AuctionBidTooLow(uint96 amount, uint96 minimum);
    /// @notice The caller already holds the highest bid.
    /// @param account The caller.
    error AuctionAlreadyHighest(address account);
    /// @notice Only a registered pre-emption holder may match, and only a highest bid held by someone else who is
    /// not a pre-emption holder.
    /// @param account The caller.
    error AuctionCannotMatch(address account);
    /// @notice The lot has a bid: the court can no longer cancel it.
    /// @param lotId The lot.
    error AuctionHasBids(uint256 lotId);
    /// @notice The payment deadline has passed.
    /// @param lotId The lot.
    /// @param deadline The deadline.
    error AuctionPaymentDeadlinePassed(uint256 lotId, uint64 deadline);
    /// @notice The payment deadline has not passed yet.
    /// @param lotId The lot.
    /// @param deadline The deadline.
    error AuctionPaymentDeadlineNotReached(uint256 lotId, uint64 deadline);
    /// @notice The caller is not the lot's winner.
    /// @param account The caller.
    error AuctionNotWinner(address account);
    /// @notice The payees' amounts do not add up to the price, or a payee is zero.
    /// @param total What they add up to.
    /// @param price The price.
    error AuctionInvalidDistribution(uint256 total, uint96 price);
    /// @notice The lot may not be relisted (already relisted, too many failures, or the 30 days have passed).
    /// @param lotId The lot.
    error AuctionCannotRelist(uint256 lotId);
    /// @notice A fixed-price sale needs a lot that failed for the second time and was not relisted.
    /// @param lotId The lot.
    error AuctionCannotSellAtFixedPrice(uint256 lotId);
    /// @notice The winner may not withdraw the deposit: it is part of the price.
    /// @param account The caller.
    error AuctionDepositApplied(address account);
    /// @notice Nothing to withdraw.
    /// @param account The caller.
    error AuctionNothingToWithdraw(address account);
    /// @notice A governed setting is invalid (an appraisal maximum age of zero).
    error AuctionInvalidSetting();
    /// @notice An address that must be set is zero.
    error AuctionZeroAddress();
    /// @notice A payee or the forfeiture account cannot hold rCNY (not an active member or system contract).
    /// @param account The address.
    error AuctionNotMember(address account);
    /// @notice The asset is registered collateral of a case that is not enforceable (see
    /// {IDisputeDesk-enforcementOf}): it may be listed only once a dispute made the case enforceable.
    /// @param assetRef The asset.
    /// @param caseId The case it is collateral of.
    error AuctionCaseNotEnforceable(bytes32 assetRef, bytes32 caseId);

    // --- events ---
    /// @notice A court entered an appraisal for an asset.
    /// @param assetRef The asset.
    /// @param court The court.
    /// @param value Appraised value in fen.
    /// @param documentDigest Digest of the appraisal report.
    event AppraisalEntered(bytes32 indexed assetRef, address indexed court, uint96 value, bytes32 documentDigest);
    /// @notice A lot was listed (first listing, relisting or fixed-price sale); its {LotTerms} follow in the same
    /// transaction.
    /// @param lotId The lot.
    /// @param seller Who listed it.
    /// @param assetRef The asset.
    /// @param origin The first lot of the asset.
    /// @param round 1, 2, ...
    /// @param kind Auction or fixed-price sale.
    /// @param appraisal The appraisal in fen.
    /// @param kycTier Smallest KYC tier of a bidder.
    /// @param documents The evidence roots (empty for a relisting, which keeps the origin's).
    event LotListed(
        uint256 indexed lotId,
        address indexed seller,
        bytes32 indexed assetRef,
        uint256 origin,
        uint8 round,
        LotKind kind,
        uint96 appraisal,
        uint8 kycTier,
        bytes32[] documents
    );
    /// @notice The sale terms of a newly listed lot.
    /// @param lotId The lot.
    /// @param startPrice Starting price (fixed price) in fen.
    /// @param deposit Deposit in fen (0 for a fixed-price sale).
    /// @param increment Smallest raise in fen (0 for a fixed-price sale).
    /// @param announcement Seconds from approval to bidding.
    /// @param biddingWindow Seconds of bidding (of the offer, for a fixed-price sale).
    /// @param paymentWindow Seconds from the end to the payment deadline (0 for a fixed-price sale).
    event LotTerms(
        uint256 indexed lotId,
        uint96 startPrice,
        uint96 deposit,
        uint96 increment,
        uint64 announcement,
        uint64 biddingWindow,
        uint64 paymentWindow
    );
    /// @notice A lot failed or defaulted and was relisted (or offered at a fixed price) as a new lot; it follows the
    /// new lot's {LotListed} and {LotTerms} events in the same transaction.
    /// @param lotId The old lot.
    /// @param newLotId The new lot.
    event LotRelisted(uint256 indexed lotId, uint256 indexed newLotId);
    /// @notice A court approved a lot; bidding runs from `startsAt` to `endsAt`.
    /// @param lotId The lot.
    /// @param court The lot's court from now on.
    /// @param startsAt When bidding opens.
    /// @param endsAt When bidding closes.
    /// @param forfeitTo Who receives a defaulting winner's deposit.
    event LotApproved(uint256 indexed lotId, address indexed court, uint64 startsAt, uint64 endsAt, address forfeitTo);
    /// @notice The court suspended a lot (暂缓).
    /// @param lotId The lot.
    /// @param reasonDigest Digest of the court's order.
    event LotSuspended(uint256 indexed lotId, bytes32 reasonDigest);
    /// @notice The court resumed a lot; its times moved by the time it was suspended.
    /// @param lotId The lot.
    /// @param startsAt When bidding opens.
    /// @param endsAt When bidding closes.
    event LotResumed(uint256 indexed lotId, uint64 startsAt, uint64 endsAt);
    /// @notice The court cancelled a lot before its first bid.
    /// @param lotId The lot.
    /// @param reasonDigest Digest of the court's order.
    event LotCancelled(uint256 indexed lotId, bytes32 reasonDigest);
    /// @notice The court registered a pre-emption holder (优先购买权人) for a lot.
    /// @param lotId The lot.
    /// @param holder The holder.
    event PreemptionRegistered(uint256 indexed lotId, address indexed holder);
    /// @notice A bidder locked the deposit and received its bidder code.
    /// @param lotId The lot.
    /// @param bidder The bidder.
    /// @param code Its anonymous bidder code for this lot.
    /// @param amount The deposit in fen.
    event DepositLocked(uint256 indexed lotId, address indexed bidder, uint32 code, uint96 amount);
    /// @notice A bid became the highest. `endsAt` is the lot's end after the bid (later than before if the bid came
    /// in the last 5 minutes).
    /// @param lotId The lot.
    /// @param code The bidder code.
    /// @param amount The bid in fen.
    /// @param endsAt The lot's end after this bid.
    /// @param preemption Whether a pre-emption holder matched the highest price.
    event BidPlaced(uint256 indexed lotId, uint32 code, uint96 amount, uint64 endsAt, bool preemption);
    /// @notice Bidding ended and the lot was closed.
    /// @param lotId The lot.
    /// @param status AWAITING_PAYMENT (with a winner) or FAILED.
    /// @param winnerCode The winner's bidder code (0 if failed).
    /// @param price The winning bid in fen (0 if failed).
    /// @param paymentDeadline Last second to pay the balance (0 if failed).
    event LotClosed(uint256 indexed lotId, LotStatus status, uint32 winnerCode, uint96 price, uint64 paymentDeadline);
    /// @notice The winner paid the balance (or a fixed-price buyer paid the price); the price is in escrow.
    /// @param lotId The lot.
    /// @param winner The winner.
    /// @param amount What was paid now, in fen.
    /// @param price The price now held in escrow.
    event BalancePaid(uint256 indexed lotId, address indexed winner, uint96 amount, uint96 price);
    /// @notice The winner did not pay by the deadline: the deposit was forfeited (悔拍).
    /// @param lotId The lot.
    /// @param winner The winner, barred from later rounds of this asset.
    /// @param forfeitTo Who was credited the deposit.
    /// @param amount The deposit in fen.
    event WinnerDefaulted(uint256 indexed lotId, address indexed winner, address forfeitTo, uint96 amount);
    /// @notice The court allocated part of a confirmed sale's price to a payee.
    /// @param lotId The lot.
    /// @param payee The payee.
    /// @param amount Amount in fen.
    event ProceedsAllocated(uint256 indexed lotId, address indexed payee, uint96 amount);
    /// @notice The court confirmed the sale (成交裁定); the price was allocated to the payees.
    /// @param lotId The lot.
    /// @param winner The buyer.
    /// @param price The price in fen.
    /// @param rulingDigest Digest of the court's ruling.
    /// @param transferDigest Digest of the asset-transfer record.
    event SaleConfirmed(
        uint256 indexed lotId, address indexed winner, uint96 price, bytes32 rulingDigest, bytes32 transferDigest
    );
    /// @notice A bidder withdrew its deposit.
    /// @param lotId The lot.
    /// @param bidder The bidder.
    /// @param amount Amount in fen.
    event DepositWithdrawn(uint256 indexed lotId, address indexed bidder, uint96 amount);
    /// @notice A payee withdrew what it was owed (proceeds or forfeited deposits).
    /// @param payee The payee.
    /// @param amount Amount in fen.
    event ProceedsWithdrawn(address indexed payee, uint256 amount);
    /// @notice The longest age of an oracle appraisal accepted at listing changed.
    /// @param previous The old maximum age in seconds (0 at deployment).
    /// @param current The new maximum age in seconds.
    event AppraisalMaxAgeChanged(uint64 previous, uint64 current);

    // --- sellers and courts ---
    /// @notice Enter a court appraisal of an asset (replaces an earlier one). Only an active COURT.
    /// @param assetRef The asset.
    /// @param value Appraised value in fen.
    /// @param documentDigest Digest of the appraisal report.
    function enterAppraisal(bytes32 assetRef, uint96 value, bytes32 documentDigest) external;
    /// @notice List a lot. Only an active BANK or COURT.
    /// @param listing The terms.
    /// @return lotId The new lot.
    function list(Listing calldata listing) external returns (uint256 lotId);
    /// @notice Relist a failed or defaulted lot within 30 days, at a starting price at most 20 % lower. Only its
    /// seller, still an active BANK or COURT. The new lot keeps the asset, appraisal, documents and KYC tier and
    /// needs a court's approval again.
    /// @param lotId The failed or defaulted lot.
    /// @param startPrice The new starting price.
    /// @param deposit The new deposit (5–20 % of it).
    /// @param increment The new increment.
    /// @param announcement Seconds from approval to bidding.
    /// @param biddingWindow Seconds of bidding (at least 24 hours).
    /// @param paymentWindow Seconds from the end to the payment deadline.
    /// @return newLotId The new lot.
    function relist(
        uint256 lotId,
        uint96 startPrice,
        uint96 deposit,
        uint96 increment,
        uint64 announcement,
        uint64 biddingWindow,
        uint64 paymentWindow
    ) external returns (uint256 newLotId);
    /// @notice Approve a listed lot. Only an active COURT, which becomes the lot's court.
    /// @param lotId The lot.
    /// @param forfeitTo Who receives a defaulting winner's deposit.
    function approve(uint256 lotId, address forfeitTo) external;
    /// @notice Suspend an approved lot before its end (暂缓). Only the lot's court.
    /// @param lotId The lot.
    /// @param reasonDigest Digest of the court's order.
    function suspend(uint256 lotId, bytes32 reasonDigest) external;
    /// @notice Resume a suspended lot; its start (if still ahead) and end move by the time it was suspended. Only
    /// the lot's court.
    /// @param lotId The lot.
    function resume(uint256 lotId) external;
    /// @notice Cancel a lot before its first bid. Only the lot's court (or, before approval, any active COURT).
    /// @param lotId The lot.
    /// @param reasonDigest Digest of the court's order.
    function cancel(uint256 lotId, bytes32 reasonDigest) external;
    /// @notice Register a pre-emption holder for a lot before its end. Only the lot's court.
    /// @param lotId The lot.
    /// @param holder The holder (an active INVESTOR member; it still locks the deposit to bid).
    function registerPreemption(uint256 lotId, address holder) external;
    /// @notice Confirm a paid sale (成交裁定) and allocate the price to payees, who withdraw it. Only the lot's court.
    /// @param lotId The lot.
    /// @param payees Who receives what; the amounts add up to the price.
    /// @param rulingDigest Digest of the ruling.
    /// @param transferDigest Digest of the asset-transfer record.
    function confirm(uint256 lotId, Payee[] calldata payees, bytes32 rulingDigest, bytes32 transferDigest) external;
    /// @notice Offer a lot that failed for the second time at a fixed price for `period` seconds (变卖), as a new lot
    /// open at once. Only the lot's court; the price is at least the failed lot's starting price.
    /// @param lotId The lot that failed for the second time.
    /// @param price The fixed price in fen.
    /// @param period Seconds the offer stays open (at least 1).
    /// @return newLotId The new lot.
    function offerFixedPrice(uint256 lotId, uint96 price, uint64 period) external returns (uint256 newLotId);

    // --- bidders ---
    /// @notice Lock the lot's deposit (transferred from the caller) and get a bidder code. Only an active INVESTOR
    /// with the lot's KYC tier (a registered pre-emption holder needs only the role), not barred, before the end.
    /// @param lotId The lot.
    /// @return code The bidder code.
    function lockDeposit(uint256 lotId) external returns (uint32 code);
    /// @notice Bid `amount` while bidding is open: at least the starting price for the first bid, else the highest
    /// plus the increment. A bid in the last 5 minutes moves the end to 5 minutes after it.
    /// @param lotId The lot.
    /// @param amount The bid in fen.
    function bid(uint256 lotId, uint96 amount) external;
    /// @notice A pre-emption holder takes the highest bid at the same price.
    /// @param lotId The lot.
    function matchBid(uint256 lotId) external;
    /// @notice Buy a fixed-price lot while its offer is open, paying the price in full. First valid purchase wins.
    /// @param lotId The lot.
    function buy(uint256 lotId) external;
    /// @notice The winner pays the balance (price minus deposit) by the payment deadline, inclusive.
    /// @param lotId The lot.
    function pay(uint256 lotId) external;
    /// @notice Withdraw the caller's deposit from a lot that was cancelled or closed and that it did not win.
    /// @param lotId The lot.
    function withdrawDeposit(uint256 lotId) external;
    /// @notice Withdraw everything the caller is owed (proceeds and forfeited deposits).
    function withdraw() external;

    // --- anyone ---
    /// @notice Close a lot whose bidding has ended: FAILED without a bid, else AWAITING_PAYMENT.
    /// @param lotId The lot.
    function close(uint256 lotId) external;
    /// @notice Record the winner's default after the payment deadline: its deposit goes to the court's account and
    /// it is barred from later rounds of the asset.
    /// @param lotId The lot.
    function declareDefault(uint256 lotId) external;

    // --- governed settings ---
    /// @notice Set the longest age of an oracle appraisal accepted at listing. Only the consortium.
    /// @param maxAge Seconds (at least 1).
    function setAppraisalMaxAge(uint64 maxAge) external;

    // --- views ---
    /// @notice A lot.
    /// @param lotId The lot.
    /// @return The lot (reverts with {AuctionUnknownLot}).
    function lot(uint256 lotId) external view returns (Lot memory);
    /// @notice A bidder's place in a lot.
    /// @param lotId The lot.
    /// @param account The bidder.
    /// @return Its deposit, code and pre-emption flag.
    function bidderOf(uint256 lotId, address account) external view returns (Bidder memory);
    /// @notice The smallest valid bid on a lot now (its starting price before the first bid).
    /// @param lotId The lot.
    /// @return The amount in fen.
    function minimumBid(uint256 lotId) external view returns (uint96);
    /// @notice Whether `account` defaulted on a round of the asset whose first lot is `origin`.
    /// @param origin The first lot of the asset.
    /// @param account The account.
    /// @return Whether it is barred.
    function isBarred(uint256 origin, address account) external view returns (bool);
    /// @notice The court appraisal of an asset (zero value if none).
    /// @param assetRef The asset.
    /// @return The appraisal.
    function courtAppraisal(bytes32 assetRef) external view returns (CourtAppraisal memory);
    /// @notice What `account` is owed and may withdraw with {withdraw}.
    /// @param account The payee.
    /// @return Amount in fen.
    function owed(address account) external view returns (uint256);
    /// @notice Number of lots.
    /// @return The count (the last lot id).
    function lotCount() external view returns (uint256);
    /// @notice Deposits locked and not yet withdrawn, forfeited or applied to a price.
    /// @return Amount in fen.
    function totalDeposits() external view returns (uint256);
    /// @notice Prices paid and not yet allocated by a confirmation.
    /// @return Amount in fen.
    function totalPaid() external view returns (uint256);
    /// @notice Amounts allocated or forfeited to payees and not yet withdrawn.
    /// @return Amount in fen.
    function totalOwed() external view returns (uint256);
    /// @notice The longest age of an oracle appraisal accepted at listing, in seconds.
    /// @return Seconds.
    function appraisalMaxAge() external view returns (uint64);
    /// @notice The dispute desk asked at listing whether the asset's case is enforceable.
    /// @return The dispute desk.
    function disputes() external view returns (IDisputeDesk);
}
