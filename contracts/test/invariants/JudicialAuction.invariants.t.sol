// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";
import {JudicialAuction} from "../../auctions/JudicialAuction.sol";
import {IJudicialAuction} from "../../interfaces/IJudicialAuction.sol";
import {FeedId} from "../../interfaces/IOracleHub.sol";
import {AuctionFixture} from "../auctions/AuctionFixture.sol";

/// @notice Drives JudicialAuction through listings, relistings, deposits, bids, pre-emption matches, time, closes,
/// payments, defaults, confirmations and withdrawals by four investors, a seller, a court and its treasury. Actions
/// whose preconditions do not hold return early, so most calls do something; a call that still reverts is rolled
/// back with its ghost updates, so the ghosts count only what really happened.
contract JudicialAuctionHandler is Test {
    uint96 internal constant START = 80_000_000;
    uint96 internal constant INCREMENT = 100_000;
    uint64 internal constant WINDOW = 24 hours;
    uint64 internal constant PAYMENT_WINDOW = 2 days;
    uint64 internal constant EXTENSION = 5 minutes;
    uint256 internal constant MAX_LOTS = 24;

    JudicialAuction internal immutable auction;
    address internal immutable seller;
    address internal immutable court;
    address internal immutable treasury;
    bytes32 internal immutable assetRef;
    bytes32 internal immutable docRoot;
    address[] public investors;
    /// @dev investors, then seller, court and treasury: everyone who may put money in or take it out
    address[] public accounts;
    uint256[] public lots;

    // --- ghosts ---
    uint256 public ghostIn; // deposits locked + balances paid
    uint256 public ghostOut; // deposits withdrawn + owed withdrawn
    mapping(address account => uint256) public ghostPaidIn;
    mapping(address account => uint256) public ghostCredited; // by confirm (proceeds) and default (forfeits)
    mapping(address account => uint256) public ghostWithdrawn; // deposits and owed amounts
    mapping(address account => uint256) public ghostWithdrawnOwed; // owed amounts only
    mapping(uint256 lotId => uint96) public ghostHighest;
    mapping(uint256 lotId => uint64) public ghostEndsAt;
    uint256 public ghostHighestDecreased;
    uint256 public ghostExtensions;
    mapping(string action => uint256) public calls;

    constructor(
        JudicialAuction auction_,
        address seller_,
        address court_,
        address treasury_,
        bytes32 assetRef_,
        bytes32 docRoot_,
        address[] memory investors_
    ) {
        auction = auction_;
        seller = seller_;
        court = court_;
        treasury = treasury_;
        assetRef = assetRef_;
        docRoot = docRoot_;
        investors = investors_;
        accounts = investors_;
        accounts.push(seller_);
        accounts.push(court_);
        accounts.push(treasury_);
    }

    function lotCount() external view returns (uint256) {
        return lots.length;
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    function investorCount() external view returns (uint256) {
        return investors.length;
    }

    function _investor(uint256 seed) internal view returns (address) {
        return investors[seed % investors.length];
    }

    /// @dev The first tracked lot from `seed` on (cyclically) in `status` (and, for APPROVED, still open); 0 if none.
    function _find(uint256 seed, IJudicialAuction.LotStatus status) internal view returns (uint256) {
        uint256 n = lots.length;
        for (uint256 i = 0; i < n; i++) {
            uint256 lotId = lots[(seed % n + i) % n];
            IJudicialAuction.Lot memory l = auction.lot(lotId);
            if (l.status != status) continue;
            if (status == IJudicialAuction.LotStatus.APPROVED && block.timestamp >= l.endsAt) continue;
            return lotId;
        }
        return 0;
    }

    /// @dev The first tracked APPROVED lot from `seed` on whose bidding has ended; 0 if none.
    function _findEnded(uint256 seed) internal view returns (uint256) {
        uint256 n = lots.length;
        for (uint256 i = 0; i < n; i++) {
            uint256 lotId = lots[(seed % n + i) % n];
            IJudicialAuction.Lot memory l = auction.lot(lotId);
            if (l.status == IJudicialAuction.LotStatus.APPROVED && block.timestamp >= l.endsAt) return lotId;
        }
        return 0;
    }

    function _approveAndTrack(uint256 lotId, uint256 preemptSeed) internal {
        vm.prank(court);
        auction.approve(lotId, treasury);
        lots.push(lotId);
        ghostEndsAt[lotId] = auction.lot(lotId).endsAt;
        if (preemptSeed % 2 == 0) {
            vm.prank(court);
            auction.registerPreemption(lotId, _investor(preemptSeed / 2));
        }
    }

    // --- actions ---

    /// @notice The seller lists a lot at START on the court's appraisal; the court approves it, bidding opens now.
    function newLot(uint256 preemptSeed) external {
        if (lots.length >= MAX_LOTS) return;
        bytes32[] memory d = new bytes32[](1);
        d[0] = docRoot;
        IJudicialAuction.Listing memory l = IJudicialAuction.Listing({
            assetRef: assetRef,
            documents: d,
            appraisalFeed: FeedId.wrap(bytes32(0)),
            startPrice: START,
            deposit: START / 10,
            increment: INCREMENT,
            announcement: 0,
            biddingWindow: WINDOW,
            paymentWindow: PAYMENT_WINDOW,
            kycTier: 2
        });
        vm.prank(seller);
        uint256 lotId = auction.list(l);
        _approveAndTrack(lotId, preemptSeed);
        calls["newLot"]++;
    }

    /// @notice The seller relists a failed or defaulted lot at 80–100 % of its starting price; the court approves.
    function relist(uint256 lotSeed, uint256 priceSeed, uint256 preemptSeed) external {
        if (lots.length >= MAX_LOTS) return;
        uint256 lotId;
        IJudicialAuction.Lot memory prev;
        for (uint256 i = 0; i < lots.length && lotId == 0; i++) {
            uint256 id = lots[(lotSeed % lots.length + i) % lots.length];
            prev = auction.lot(id);
            bool ended =
                prev.status == IJudicialAuction.LotStatus.FAILED || prev.status == IJudicialAuction.LotStatus.DEFAULTED;
            if (ended && prev.relistedAs == 0 && prev.failures < 2 && block.timestamp <= prev.closedAt + 30 days) {
                lotId = id;
            }
        }
        if (lotId == 0) return;
        uint96 start = uint96(_bound(priceSeed, (uint256(prev.startPrice) * 8 + 9) / 10, prev.startPrice));
        vm.prank(seller);
        uint256 newId = auction.relist(lotId, start, start / 10, INCREMENT, 0, WINDOW, PAYMENT_WINDOW);
        _approveAndTrack(newId, preemptSeed);
        calls["relist"]++;
    }

    function lockDeposit(uint256 lotSeed, uint256 investorSeed) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.APPROVED);
        if (lotId == 0) return;
        address who = _investor(investorSeed);
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        if (auction.bidderOf(lotId, who).code != 0 || auction.isBarred(l.origin, who)) return;
        vm.prank(who);
        auction.lockDeposit(lotId);
        ghostIn += l.deposit;
        ghostPaidIn[who] += l.deposit;
        calls["lockDeposit"]++;
    }

    function bid(uint256 lotSeed, uint256 investorSeed, uint256 raise) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.APPROVED);
        if (lotId == 0) return;
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        address who = _investor(investorSeed);
        if (who == l.highestBidder) who = _investor(investorSeed % investors.length + 1);
        IJudicialAuction.Bidder memory b = auction.bidderOf(lotId, who);
        if (b.code != 0 && b.deposit == 0) return;
        if (b.code == 0) {
            // a bidder without a deposit locks it first (the same ghosts as {lockDeposit})
            if (auction.isBarred(l.origin, who)) return;
            vm.prank(who);
            auction.lockDeposit(lotId);
            ghostIn += l.deposit;
            ghostPaidIn[who] += l.deposit;
        }
        uint96 amount = auction.minimumBid(lotId) + uint96(_bound(raise, 0, 5 * INCREMENT));
        vm.prank(who);
        auction.bid(lotId, amount);
        _afterBid(lotId, l);
        calls["bid"]++;
    }

    function matchBid(uint256 lotSeed, uint256 investorSeed) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.APPROVED);
        if (lotId == 0) return;
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        address who = _investor(investorSeed);
        IJudicialAuction.Bidder memory b = auction.bidderOf(lotId, who);
        if (!b.preemption || b.deposit == 0 || l.highestBidder == address(0) || l.highestBidder == who) return;
        vm.prank(who);
        auction.matchBid(lotId);
        _afterBid(lotId, l);
        calls["matchBid"]++;
    }

    /// @dev Checks the highest bid did not decrease and records the end the extension rule allows.
    function _afterBid(uint256 lotId, IJudicialAuction.Lot memory before) internal {
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        if (l.highestBid < before.highestBid) ghostHighestDecreased++;
        ghostHighest[lotId] = l.highestBid;
        uint64 extended = uint64(block.timestamp) + EXTENSION;
        if (extended > before.endsAt) {
            ghostEndsAt[lotId] = extended;
            ghostExtensions++;
        } else {
            ghostEndsAt[lotId] = before.endsAt;
        }
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 1, 6 hours));
        calls["warp"]++;
    }

    /// @notice Jumps to within 400 s of a lot's end, where bids extend it.
    function warpNearEnd(uint256 lotSeed, uint256 secondsBefore) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.APPROVED);
        if (lotId == 0) return;
        uint64 end = auction.lot(lotId).endsAt;
        uint256 target = uint256(end) - _bound(secondsBefore, 1, 400);
        if (target <= block.timestamp) return;
        vm.warp(target);
        calls["warpNearEnd"]++;
    }

    function close(uint256 lotSeed) external {
        uint256 lotId = _findEnded(lotSeed);
        if (lotId == 0) lotId = _find(lotSeed, IJudicialAuction.LotStatus.APPROVED);
        if (lotId == 0) return;
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        if (block.timestamp < l.endsAt) vm.warp(l.endsAt);
        auction.close(lotId);
        calls["close"]++;
    }

    function pay(uint256 lotSeed) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.AWAITING_PAYMENT);
        if (lotId == 0) return;
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        if (block.timestamp > l.paymentDeadline) return;
        uint96 balance = l.highestBid - auction.bidderOf(lotId, l.highestBidder).deposit;
        vm.prank(l.highestBidder);
        auction.pay(lotId);
        ghostIn += balance;
        ghostPaidIn[l.highestBidder] += balance;
        calls["pay"]++;
    }

    function declareDefault(uint256 lotSeed) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.AWAITING_PAYMENT);
        if (lotId == 0) return;
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        if (block.timestamp <= l.paymentDeadline) vm.warp(l.paymentDeadline + 1);
        uint96 forfeited = auction.bidderOf(lotId, l.highestBidder).deposit;
        auction.declareDefault(lotId);
        ghostCredited[l.forfeitTo] += forfeited;
        calls["declareDefault"]++;
    }

    /// @notice The court confirms a paid lot: a fee to itself (maybe 0, then left out), the rest to the seller.
    function confirm(uint256 lotSeed, uint256 feeSeed) external {
        uint256 lotId = _find(lotSeed, IJudicialAuction.LotStatus.PAID);
        if (lotId == 0) return;
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        uint96 fee = uint96(_bound(feeSeed, 0, l.paid - 1));
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](fee == 0 ? 1 : 2);
        p[0] = IJudicialAuction.Payee({account: seller, amount: l.paid - fee});
        if (fee != 0) p[1] = IJudicialAuction.Payee({account: court, amount: fee});
        vm.prank(court);
        auction.confirm(lotId, p, keccak256("ruling"), keccak256("transfer"));
        ghostCredited[seller] += l.paid - fee;
        ghostCredited[court] += fee;
        calls["confirm"]++;
    }

    function withdrawDeposit(uint256 lotSeed, uint256 investorSeed) external {
        address who = _investor(investorSeed);
        uint256 lotId;
        uint96 amount;
        for (uint256 i = 0; i < lots.length && lotId == 0; i++) {
            uint256 id = lots[(lotSeed % lots.length + i) % lots.length];
            IJudicialAuction.Lot memory l = auction.lot(id);
            amount = auction.bidderOf(id, who).deposit;
            if (
                amount != 0 && l.status != IJudicialAuction.LotStatus.APPROVED
                    && (l.status != IJudicialAuction.LotStatus.AWAITING_PAYMENT || l.highestBidder != who)
            ) lotId = id;
        }
        if (lotId == 0) return;
        vm.prank(who);
        auction.withdrawDeposit(lotId);
        ghostOut += amount;
        ghostWithdrawn[who] += amount;
        calls["withdrawDeposit"]++;
    }

    function withdraw(uint256 accountSeed) external {
        address who = accounts[accountSeed % accounts.length];
        uint256 amount = auction.owed(who);
        if (amount == 0) return;
        vm.prank(who);
        auction.withdraw();
        ghostOut += amount;
        ghostWithdrawn[who] += amount;
        ghostWithdrawnOwed[who] += amount;
        calls["withdraw"]++;
    }
}

/// @notice The escrow and bidding invariants of {IJudicialAuction} under the handler above.
contract JudicialAuctionInvariants is StdInvariant, AuctionFixture {
    JudicialAuctionHandler internal handler;

    function setUp() public {
        deployAuction();
        vm.prank(court);
        auction.enterAppraisal(ASSET, APPRAISAL, ORDER); // never stale, however far the handler warps
        address[] memory inv = new address[](4);
        (inv[0], inv[1], inv[2], inv[3]) = (inv1, inv2, inv3, investorB);
        handler = new JudicialAuctionHandler(auction, seller, court, treasury, ASSET, docRoot, inv);
        handler.newLot(0);

        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = JudicialAuctionHandler.newLot.selector;
        selectors[1] = JudicialAuctionHandler.relist.selector;
        selectors[2] = JudicialAuctionHandler.lockDeposit.selector;
        selectors[3] = JudicialAuctionHandler.bid.selector;
        selectors[4] = JudicialAuctionHandler.bid.selector; // bids twice as often
        selectors[5] = JudicialAuctionHandler.matchBid.selector;
        selectors[6] = JudicialAuctionHandler.warp.selector;
        selectors[7] = JudicialAuctionHandler.warpNearEnd.selector;
        selectors[8] = JudicialAuctionHandler.close.selector;
        selectors[9] = JudicialAuctionHandler.pay.selector;
        selectors[10] = JudicialAuctionHandler.declareDefault.selector;
        selectors[11] = JudicialAuctionHandler.confirm.selector;
        selectors[12] = JudicialAuctionHandler.withdrawDeposit.selector;
        selectors[13] = JudicialAuctionHandler.withdraw.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice (1) balance = deposits + paid + owed = what came in − what went out, and each total is the sum of
    /// its parts (per-bidder deposits, per-lot paid prices, per-payee owed amounts).
    function invariant_escrowEqualsDepositsPaidOwed() public view {
        uint256 balance = token.balanceOf(address(auction));
        assertEq(balance, auction.totalDeposits() + auction.totalPaid() + auction.totalOwed(), "balance vs totals");
        assertEq(balance, handler.ghostIn() - handler.ghostOut(), "balance vs ghosts");
        uint256 deposits;
        uint256 paid;
        for (uint256 i = 0; i < handler.lotCount(); i++) {
            uint256 lotId = handler.lots(i);
            paid += auction.lot(lotId).paid;
            for (uint256 k = 0; k < handler.investorCount(); k++) {
                deposits += auction.bidderOf(lotId, handler.investors(k)).deposit;
            }
        }
        uint256 owedSum;
        for (uint256 k = 0; k < handler.accountCount(); k++) {
            owedSum += auction.owed(handler.accounts(k));
        }
        assertEq(deposits, auction.totalDeposits(), "deposits");
        assertEq(paid, auction.totalPaid(), "paid");
        assertEq(owedSum, auction.totalOwed(), "owed");
    }

    /// @notice (2) A lot's highest bid never decreases, and only bids and matches change it.
    function invariant_highestBidNeverDecreases() public view {
        assertEq(handler.ghostHighestDecreased(), 0);
        for (uint256 i = 0; i < handler.lotCount(); i++) {
            uint256 lotId = handler.lots(i);
            assertEq(auction.lot(lotId).highestBid, handler.ghostHighest(lotId));
        }
    }

    /// @notice (3) After approval a lot's end moves only by the extension rule: a bid at t with t + 300 > end moves
    /// it to t + 300, any other bid leaves it.
    function invariant_endMovesOnlyByExtension() public view {
        for (uint256 i = 0; i < handler.lotCount(); i++) {
            uint256 lotId = handler.lots(i);
            assertEq(auction.lot(lotId).endsAt, handler.ghostEndsAt(lotId));
        }
    }

    /// @notice (4) Nobody withdraws more than it paid in plus what a confirmation or a default credited to it.
    function invariant_noOneWithdrawsMoreThanPaidInOrCredited() public view {
        for (uint256 k = 0; k < handler.accountCount(); k++) {
            address a = handler.accounts(k);
            assertLe(handler.ghostWithdrawn(a), handler.ghostPaidIn(a) + handler.ghostCredited(a));
            // and what is owed is exactly what was credited and not yet withdrawn
            assertEq(auction.owed(a), handler.ghostCredited(a) - handler.ghostWithdrawnOwed(a));
        }
    }

    function afterInvariant() external view {
        string[13] memory names = [
            "newLot",
            "relist",
            "lockDeposit",
            "bid",
            "matchBid",
            "warp",
            "warpNearEnd",
            "close",
            "pay",
            "declareDefault",
            "confirm",
            "withdrawDeposit",
            "withdraw"
        ];
        for (uint256 i = 0; i < 13; i++) {
            console2.log(string.concat("calls: ", names[i]), handler.calls(names[i]));
        }
        console2.log("extensions", handler.ghostExtensions());
    }
}
