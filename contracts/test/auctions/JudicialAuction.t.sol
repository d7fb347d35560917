// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {JudicialAuction} from "../../auctions/JudicialAuction.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {IEvidenceRegistry} from "../../interfaces/IEvidenceRegistry.sol";
import {IJudicialAuction} from "../../interfaces/IJudicialAuction.sol";
import {FeedId, IOracleHub} from "../../interfaces/IOracleHub.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {HostileToken, ITransferHook} from "../utils/HostileToken.sol";
import {AuctionFixture} from "./AuctionFixture.sol";

/// @notice Every rule of {JudicialAuction} at its boundaries, each with the exact error or event.
contract JudicialAuctionTest is AuctionFixture {
    using LotStatusNames for IJudicialAuction.LotStatus;

    function setUp() public {
        deployAuction();
    }

    function expectErr(bytes memory err) internal {
        vm.expectRevert(err);
    }

    function wrongStatus(uint256 lotId, IJudicialAuction.LotStatus s) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IJudicialAuction.AuctionWrongStatus.selector, lotId, s);
    }

    function notOpen(uint256 lotId) internal view returns (bytes memory) {
        IJudicialAuction.Lot memory l = auction.lot(lotId);
        return abi.encodeWithSelector(IJudicialAuction.AuctionNotOpen.selector, lotId, l.startsAt, l.endsAt);
    }

    function assertStatus(uint256 lotId, IJudicialAuction.LotStatus expected) internal view {
        assertEq(uint8(statusOf(lotId)), uint8(expected), expected.name());
    }

    // =====================================================================
    // constructor, settings
    // =====================================================================

    function test_constructor_wiresAndEmitsMaxAge() public {
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectEmit(expected);
        emit IJudicialAuction.AppraisalMaxAgeChanged(0, MAX_AGE);
        JudicialAuction a = new JudicialAuction(consortium, token, registry, hub, desk, MAX_AGE);
        assertEq(address(a.consortium()), address(consortium));
        assertEq(address(a.token()), address(token));
        assertEq(address(a.disputes()), address(desk));
        assertEq(a.appraisalMaxAge(), MAX_AGE);
        assertEq(a.lotCount(), 0);
        assertEq(a.BPS(), 10_000);
        assertEq(a.MIN_START_BPS(), 7_000);
        assertEq(a.MIN_DEPOSIT_BPS(), 500);
        assertEq(a.MAX_DEPOSIT_BPS(), 2_000);
        assertEq(a.MIN_RELIST_BPS(), 8_000);
        assertEq(a.MIN_BIDDING_WINDOW(), 24 hours);
        assertEq(a.EXTENSION(), 5 minutes);
        assertEq(a.RELIST_WINDOW(), 30 days);
        assertEq(a.MAX_FAILURES(), 2);
    }

    function test_constructor_refusesZeroAddressesAndZeroMaxAge() public {
        bytes memory zero = abi.encodeWithSelector(IJudicialAuction.AuctionZeroAddress.selector);
        expectErr(zero);
        new JudicialAuction(consortium, ISettlementToken(address(0)), registry, hub, desk, MAX_AGE);
        expectErr(zero);
        new JudicialAuction(consortium, token, IEvidenceRegistry(address(0)), hub, desk, MAX_AGE);
        expectErr(zero);
        new JudicialAuction(consortium, token, registry, IOracleHub(address(0)), desk, MAX_AGE);
        expectErr(zero);
        new JudicialAuction(consortium, token, registry, hub, IDisputeDesk(address(0)), MAX_AGE);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidSetting.selector));
        new JudicialAuction(consortium, token, registry, hub, desk, 0);
    }

    function test_setAppraisalMaxAge_revertsForEveryCallerButTheConsortium() public {
        address[6] memory callers = [outsider, regulator, court, seller, inv1, govs[0]];
        for (uint256 i = 0; i < callers.length; i++) {
            expectErr(
                abi.encodeWithSelector(
                    IConsortiumGated.ConsortiumGatedUnauthorized.selector, callers[i], GOVERNANCE_ROLE
                )
            );
            vm.prank(callers[i]);
            auction.setAppraisalMaxAge(1 days);
        }
        assertEq(auction.appraisalMaxAge(), MAX_AGE);
    }

    function test_setAppraisalMaxAge_throughConsortiumProposalChangesIt() public {
        ProposalId id = propose(
            IConsortium.ProposalKind.Call,
            address(auction),
            abi.encodeCall(IJudicialAuction.setAppraisalMaxAge, (1 days))
        );
        approveBy(id, 1, THRESHOLD - 1);
        expectErr(
            abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, id, THRESHOLD - 1, THRESHOLD)
        );
        vm.prank(govs[0]);
        consortium.execute(id);
        assertEq(auction.appraisalMaxAge(), MAX_AGE); // one approval short: nothing changes
        approveBy(id, THRESHOLD - 1, THRESHOLD);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.AppraisalMaxAgeChanged(MAX_AGE, 1 days);
        vm.prank(govs[0]);
        consortium.execute(id);
        assertEq(auction.appraisalMaxAge(), 1 days);
        // and it takes effect: a report 1 day + 1 s old is now stale
        vm.warp(reportedAt + 1 days + 1);
        expectErr(
            abi.encodeWithSelector(
                IOracleHub.OracleHubStaleReport.selector, FEED, SUBJECT, reportedAt, 1 days + 1, 1 days
            )
        );
        listAs(seller, defaultListing());
    }

    function test_setAppraisalMaxAge_refusesZero() public {
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidSetting.selector));
        vm.prank(address(consortium));
        auction.setAppraisalMaxAge(0);
    }

    // =====================================================================
    // court appraisals
    // =====================================================================

    function test_enterAppraisal_storesAndEmits() public {
        bytes32 asset = keccak256("asset:plant-7");
        vm.expectEmit(address(auction));
        emit IJudicialAuction.AppraisalEntered(asset, court, 5_000_000, ORDER);
        vm.prank(court);
        auction.enterAppraisal(asset, 5_000_000, ORDER);
        IJudicialAuction.CourtAppraisal memory a = auction.courtAppraisal(asset);
        assertEq(a.value, 5_000_000);
        assertEq(a.court, court);
        assertEq(a.enteredAt, block.timestamp);
        assertEq(a.documentDigest, ORDER);
        // a later one replaces it
        vm.prank(court2);
        auction.enterAppraisal(asset, 6_000_000, REASON);
        assertEq(auction.courtAppraisal(asset).value, 6_000_000);
        assertEq(auction.courtAppraisal(asset).court, court2);
    }

    function test_enterAppraisal_refusesNonCourtAndZero() public {
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, seller, COURT_ROLE));
        vm.prank(seller);
        auction.enterAppraisal(ASSET, 1, ORDER);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidAppraisal.selector, int256(0)));
        vm.prank(court);
        auction.enterAppraisal(ASSET, 0, ORDER);
    }

    // =====================================================================
    // listing
    // =====================================================================

    function test_list_withOracleAppraisalStoresLotAndEmits() public {
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotListed(
            1, seller, ASSET, 1, 1, IJudicialAuction.LotKind.AUCTION, APPRAISAL, LOT_KYC, docs()
        );
        emit IJudicialAuction.LotTerms(1, START_PRICE, DEPOSIT, INCREMENT, ANNOUNCEMENT, WINDOW, PAYMENT_WINDOW);
        uint256 id = listLot();
        assertEq(id, 1);
        assertEq(auction.lotCount(), 1);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertEq(l.seller, seller);
        assertStatus(id, IJudicialAuction.LotStatus.LISTED);
        assertEq(uint8(l.kind), uint8(IJudicialAuction.LotKind.AUCTION));
        assertEq(l.kycTier, LOT_KYC);
        assertEq(l.round, 1);
        assertEq(l.failures, 0);
        assertEq(l.origin, 1);
        assertEq(l.court, address(0));
        assertEq(l.startsAt, ANNOUNCEMENT); // relative until approval
        assertEq(l.endsAt, WINDOW);
        assertEq(l.startPrice, START_PRICE);
        assertEq(l.deposit, DEPOSIT);
        assertEq(l.increment, INCREMENT);
        assertEq(l.paymentWindow, PAYMENT_WINDOW);
        assertEq(l.appraisal, APPRAISAL);
        assertEq(l.assetRef, ASSET);
        assertEq(auction.minimumBid(id), START_PRICE);
    }

    function test_list_startPriceExactly70PercentOk() public {
        uint256 id = listAs(seller, listing(MIN_START, MIN_START / 10));
        assertEq(auction.lot(id).startPrice, MIN_START);
    }

    function test_list_startPriceOneFenBelow70PercentRefused() public {
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionStartPriceTooLow.selector, MIN_START - 1, MIN_START));
        listAs(seller, listing(MIN_START - 1, MIN_START / 10));
    }

    function test_list_minimumStartRoundsUp() public {
        // 70 % of 100,000,001 is 70,000,000.7: the minimum is 70,000,001, never rounded in the lister's favour
        submitAppraisalAfter(1, int256(uint256(APPRAISAL)) + 1);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionStartPriceTooLow.selector, MIN_START, MIN_START + 1));
        listAs(seller, listing(MIN_START, MIN_START / 10));
        listAs(seller, listing(MIN_START + 1, MIN_START / 10));
    }

    function test_list_depositExactly5And20PercentOk() public {
        uint256 a = listAs(seller, listing(START_PRICE, START_PRICE / 20));
        uint256 b = listAs(seller, listing(START_PRICE, START_PRICE / 5));
        assertEq(auction.lot(a).deposit, 4_000_000);
        assertEq(auction.lot(b).deposit, 16_000_000);
    }

    function test_list_depositOneFenBelow5PercentRefused() public {
        expectErr(
            abi.encodeWithSelector(
                IJudicialAuction.AuctionInvalidDeposit.selector, 3_999_999, uint96(4_000_000), uint96(16_000_000)
            )
        );
        listAs(seller, listing(START_PRICE, 3_999_999));
    }

    function test_list_depositOneFenAbove20PercentRefused() public {
        expectErr(
            abi.encodeWithSelector(
                IJudicialAuction.AuctionInvalidDeposit.selector, 16_000_001, uint96(4_000_000), uint96(16_000_000)
            )
        );
        listAs(seller, listing(START_PRICE, 16_000_001));
    }

    function test_list_depositBoundsRoundInward() public {
        // 5 % of 70,000,001 is 3,500,000.05 (minimum 3,500,001); 20 % is 14,000,000.2 (maximum 14,000,000)
        uint96 start = MIN_START + 1;
        expectErr(
            abi.encodeWithSelector(
                IJudicialAuction.AuctionInvalidDeposit.selector, 3_500_000, uint96(3_500_001), uint96(14_000_000)
            )
        );
        listAs(seller, listing(start, 3_500_000));
        expectErr(
            abi.encodeWithSelector(
                IJudicialAuction.AuctionInvalidDeposit.selector, 14_000_001, uint96(3_500_001), uint96(14_000_000)
            )
        );
        listAs(seller, listing(start, 14_000_001));
        listAs(seller, listing(start, 3_500_001));
        listAs(seller, listing(start, 14_000_000));
    }

    function test_list_biddingWindowExactly24HoursOk() public {
        IJudicialAuction.Listing memory l = defaultListing();
        l.biddingWindow = 24 hours;
        uint256 id = listAs(seller, l);
        approveLot(id);
        assertEq(endsAt(id) - auction.lot(id).startsAt, 24 hours);
    }

    function test_list_biddingWindowOneSecondShortRefused() public {
        IJudicialAuction.Listing memory l = defaultListing();
        l.biddingWindow = 24 hours - 1;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionWindowTooShort.selector, uint64(24 hours - 1)));
        listAs(seller, l);
    }

    function test_list_refusesZeroIncrementOrPaymentWindow() public {
        IJudicialAuction.Listing memory l = defaultListing();
        l.increment = 0;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidTerms.selector));
        listAs(seller, l);
        l = defaultListing();
        l.paymentWindow = 0;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidTerms.selector));
        listAs(seller, l);
    }

    function test_list_oracleAppraisalAtMaxAgeOkOneSecondLaterStale() public {
        vm.warp(reportedAt + MAX_AGE);
        listLot();
        vm.warp(reportedAt + MAX_AGE + 1);
        expectErr(
            abi.encodeWithSelector(
                IOracleHub.OracleHubStaleReport.selector, FEED, SUBJECT, reportedAt, uint256(MAX_AGE) + 1, MAX_AGE
            )
        );
        listAs(seller, defaultListing());
    }

    function test_list_refusesFeedWithoutReport() public {
        IJudicialAuction.Listing memory l = defaultListing();
        l.appraisalFeed = FeedId.wrap(keccak256("valuation:industrial"));
        expectErr(abi.encodeWithSelector(IOracleHub.OracleHubNoReport.selector, l.appraisalFeed, SUBJECT));
        listAs(seller, l);
    }

    function test_list_refusesNonPositiveOracleAppraisal() public {
        submitAppraisalAfter(1, 0);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidAppraisal.selector, int256(0)));
        listAs(seller, defaultListing());
        submitAppraisalAfter(1, -5);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidAppraisal.selector, int256(-5)));
        listAs(seller, defaultListing());
    }

    function test_list_withCourtAppraisal() public {
        vm.prank(court);
        auction.enterAppraisal(ASSET, 50_000_000, ORDER);
        IJudicialAuction.Listing memory l = listing(35_000_000, 3_500_000); // exactly 70 % of the court's value
        l.appraisalFeed = noFeed();
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotListed(
            1, seller, ASSET, 1, 1, IJudicialAuction.LotKind.AUCTION, 50_000_000, LOT_KYC, docs()
        );
        uint256 id = listAs(seller, l);
        assertEq(auction.lot(id).appraisal, 50_000_000);
        // the court appraisal does not go stale with the oracle's maximum age
        vm.warp(block.timestamp + MAX_AGE + 1);
        l.startPrice = 35_000_000 - 1;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionStartPriceTooLow.selector, l.startPrice, 35_000_000));
        listAs(seller, l);
    }

    function test_list_refusesWithoutAnyAppraisal() public {
        IJudicialAuction.Listing memory l = defaultListing();
        l.appraisalFeed = noFeed();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNoAppraisal.selector, ASSET));
        listAs(seller, l);
    }

    function test_list_refusesUnanchoredDocument() public {
        bytes32 fake = keccak256("never anchored");
        IJudicialAuction.Listing memory l = defaultListing();
        l.documents = new bytes32[](2);
        l.documents[0] = docRoot;
        l.documents[1] = fake;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionDocumentNotAnchored.selector, fake));
        listAs(seller, l);
    }

    function test_list_refusesNoDocuments() public {
        IJudicialAuction.Listing memory l = defaultListing();
        l.documents = new bytes32[](0);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionDocumentNotAnchored.selector, bytes32(0)));
        listAs(seller, l);
    }

    function test_list_refusesNonBankNonCourt() public {
        address[4] memory callers = [inv1, regulator, oracles[0], outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            expectErr(
                abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, callers[i], BANK_ROLE)
            );
            listAs(callers[i], defaultListing());
        }
        // a suspended bank too
        suspend(bankA);
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bankA, BANK_ROLE));
        listAs(bankA, defaultListing());
    }

    function test_list_byCourtForItself() public {
        uint256 id = listAs(court, defaultListing());
        assertEq(auction.lot(id).seller, court);
    }

    function test_lot_refusesUnknownLot() public {
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionUnknownLot.selector, 7));
        auction.lot(7);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionUnknownLot.selector, 7));
        auction.minimumBid(7);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionUnknownLot.selector, 7));
        bidAs(inv1, 7, START_PRICE);
    }

    // =====================================================================
    // approval, suspension, cancellation, pre-emption
    // =====================================================================

    function test_approve_setsTimesAndEmits() public {
        uint256 id = listLot();
        uint64 starts = uint64(block.timestamp) + ANNOUNCEMENT;
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotApproved(id, court, starts, starts + WINDOW, treasury);
        approveLot(id);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertStatus(id, IJudicialAuction.LotStatus.APPROVED);
        assertEq(l.court, court);
        assertEq(l.forfeitTo, treasury);
        assertEq(l.startsAt, starts);
        assertEq(l.endsAt, starts + WINDOW);
    }

    function test_approve_refusesNonCourt() public {
        uint256 id = listLot();
        address[3] memory callers = [seller, inv1, outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            expectErr(
                abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, callers[i], COURT_ROLE)
            );
            vm.prank(callers[i]);
            auction.approve(id, treasury);
        }
        suspend(court);
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, court, COURT_ROLE));
        vm.prank(court);
        auction.approve(id, treasury);
    }

    function test_approve_refusesZeroForfeitTwiceAndUnknown() public {
        uint256 id = listLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionZeroAddress.selector));
        vm.prank(court);
        auction.approve(id, address(0));
        approveLot(id);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.APPROVED));
        vm.prank(court2);
        auction.approve(id, treasury);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionUnknownLot.selector, 2));
        vm.prank(court);
        auction.approve(2, treasury);
    }

    function test_suspendResume_duringBiddingMovesOnlyTheEnd() public {
        uint256 id = openLot();
        vm.warp(block.timestamp + 1 hours);
        IJudicialAuction.Lot memory before = auction.lot(id);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotSuspended(id, ORDER);
        vm.prank(court);
        auction.suspend(id, ORDER);
        assertStatus(id, IJudicialAuction.LotStatus.SUSPENDED);
        assertEq(auction.lot(id).suspendedAt, block.timestamp);

        lockAs(inv1, id); // deposits may still be locked while suspended
        vm.prank(inv1);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.SUSPENDED));
        auction.bid(id, START_PRICE);

        vm.warp(block.timestamp + 3 days);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotResumed(id, before.startsAt, before.endsAt + 3 days);
        vm.prank(court);
        auction.resume(id);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertStatus(id, IJudicialAuction.LotStatus.APPROVED);
        assertEq(l.startsAt, before.startsAt);
        assertEq(l.endsAt, before.endsAt + 3 days);
        assertEq(l.suspendedAt, 0);
        bidAs(inv1, id, START_PRICE);
    }

    function test_suspendResume_duringAnnouncementMovesBothTimes() public {
        uint256 id = listLot();
        approveLot(id);
        IJudicialAuction.Lot memory before = auction.lot(id);
        vm.warp(block.timestamp + 1 days);
        vm.prank(court);
        auction.suspend(id, ORDER);
        vm.warp(block.timestamp + 2 days + 17);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotResumed(id, before.startsAt + 2 days + 17, before.endsAt + 2 days + 17);
        vm.prank(court);
        auction.resume(id);
        assertEq(auction.lot(id).startsAt, before.startsAt + 2 days + 17);
        assertEq(endsAt(id), before.endsAt + 2 days + 17);
    }

    function test_suspend_refusesOtherCourtWrongStatusAndAfterEnd() public {
        uint256 id = listLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court));
        vm.prank(court);
        auction.suspend(id, ORDER); // not approved: no lot court yet
        approveLot(id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court2));
        vm.prank(court2);
        auction.suspend(id, ORDER);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.APPROVED));
        vm.prank(court);
        auction.resume(id);
        vm.warp(endsAt(id));
        expectErr(notOpen(id));
        vm.prank(court);
        auction.suspend(id, ORDER);
    }

    function test_close_refusesSuspendedLot() public {
        uint256 id = openLot();
        vm.prank(court);
        auction.suspend(id, ORDER);
        vm.warp(endsAt(id));
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.SUSPENDED));
        auction.close(id);
    }

    function test_cancel_beforeApprovalByAnyCourt() public {
        uint256 id = listLot();
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, seller, COURT_ROLE));
        vm.prank(seller);
        auction.cancel(id, ORDER);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotCancelled(id, ORDER);
        vm.prank(court2);
        auction.cancel(id, ORDER);
        assertStatus(id, IJudicialAuction.LotStatus.CANCELLED);
        assertEq(auction.lot(id).closedAt, block.timestamp);
    }

    function test_cancel_beforeFirstBidOkAndDepositorsWithdraw() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        lockAs(inv2, id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court2));
        vm.prank(court2);
        auction.cancel(id, ORDER);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotCancelled(id, ORDER);
        vm.prank(court);
        auction.cancel(id, ORDER);
        assertStatus(id, IJudicialAuction.LotStatus.CANCELLED);
        address[2] memory depositors = [inv1, inv2];
        for (uint256 i = 0; i < 2; i++) {
            vm.expectEmit(address(auction));
            emit IJudicialAuction.DepositWithdrawn(id, depositors[i], DEPOSIT);
            vm.prank(depositors[i]);
            auction.withdrawDeposit(id);
            assertEq(token.balanceOf(depositors[i]), INVESTOR_CASH);
        }
        assertEq(auction.totalDeposits(), 0);
        assertEq(token.balanceOf(address(auction)), 0);
    }

    function test_cancel_whileSuspendedBeforeFirstBid() public {
        uint256 id = openLot();
        vm.prank(court);
        auction.suspend(id, ORDER);
        vm.prank(court);
        auction.cancel(id, ORDER);
        assertStatus(id, IJudicialAuction.LotStatus.CANCELLED);
    }

    function test_cancel_afterFirstBidRefused() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        bidAs(inv1, id, START_PRICE);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionHasBids.selector, id));
        vm.prank(court);
        auction.cancel(id, ORDER);
        vm.prank(court);
        auction.suspend(id, ORDER);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionHasBids.selector, id));
        vm.prank(court);
        auction.cancel(id, ORDER);
    }

    function test_cancel_refusesClosedLot() public {
        uint256 id = failedLot();
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.FAILED));
        vm.prank(court);
        auction.cancel(id, ORDER);
    }

    function test_registerPreemption_rules() public {
        uint256 id = listLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court));
        vm.prank(court);
        auction.registerPreemption(id, inv3);
        approveLot(id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court2));
        vm.prank(court2);
        auction.registerPreemption(id, inv3);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidderNotEligible.selector, seller, 0, 0));
        vm.prank(court);
        auction.registerPreemption(id, seller);

        vm.expectEmit(address(auction));
        emit IJudicialAuction.PreemptionRegistered(id, inv3);
        vm.prank(court);
        auction.registerPreemption(id, inv3);
        assertTrue(auction.bidderOf(id, inv3).preemption);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotMatch.selector, inv3));
        vm.prank(court);
        auction.registerPreemption(id, inv3);

        vm.warp(endsAt(id));
        expectErr(notOpen(id));
        vm.prank(court);
        auction.registerPreemption(id, inv2);
    }

    // =====================================================================
    // deposits
    // =====================================================================

    function test_lockDeposit_issuesCodesTransfersAndEmits() public {
        uint256 id = listLot();
        approveLot(id); // during the announcement: deposits may be locked before bidding opens
        vm.expectEmit(address(auction));
        emit IJudicialAuction.DepositLocked(id, inv1, 1, DEPOSIT);
        assertEq(lockAs(inv1, id), 1);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.DepositLocked(id, inv2, 2, DEPOSIT);
        assertEq(lockAs(inv2, id), 2);
        IJudicialAuction.Bidder memory b = auction.bidderOf(id, inv2);
        assertEq(b.deposit, DEPOSIT);
        assertEq(b.code, 2);
        assertFalse(b.preemption);
        assertEq(auction.lot(id).bidderCount, 2);
        assertEq(auction.totalDeposits(), 2 * DEPOSIT);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH - DEPOSIT);
        assertEq(token.balanceOf(address(auction)), 2 * DEPOSIT);
        assertEscrowBalanced();
    }

    function test_lockDeposit_refusesKycTierTooLow() public {
        uint256 id = openLot();
        expectErr(
            abi.encodeWithSelector(IJudicialAuction.AuctionBidderNotEligible.selector, lowTier, LOT_KYC - 1, LOT_KYC)
        );
        lockAs(lowTier, id);
    }

    function test_lockDeposit_preemptionHolderNeedsOnlyTheRole() public {
        uint256 id = openLot();
        vm.prank(court);
        auction.registerPreemption(id, lowTier);
        assertEq(lockAs(lowTier, id), 1);
    }

    function test_lockDeposit_refusesNonInvestorAndSuspendedInvestor() public {
        uint256 id = openLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidderNotEligible.selector, seller, KYC_TIER, LOT_KYC));
        lockAs(seller, id);
        suspend(inv1);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidderNotEligible.selector, inv1, KYC_TIER, LOT_KYC));
        lockAs(inv1, id);
    }

    function test_lockDeposit_refusesTwice() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionDepositAlreadyLocked.selector, inv1));
        lockAs(inv1, id);
    }

    function test_lockDeposit_refusesUnapprovedLotAndAfterEnd() public {
        uint256 id = listLot();
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.LISTED));
        lockAs(inv1, id);
        approveLot(id);
        vm.warp(endsAt(id) - 1);
        lockAs(inv1, id);
        vm.warp(endsAt(id));
        expectErr(notOpen(id));
        lockAs(inv2, id);
    }

    // =====================================================================
    // bids
    // =====================================================================

    function test_bid_firstAtStartPriceBecomesHighestAndEmits() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        uint64 end = endsAt(id);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BidPlaced(id, 1, START_PRICE, end, false);
        bidAs(inv1, id, START_PRICE);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertEq(l.highestBidder, inv1);
        assertEq(l.highestBid, START_PRICE);
        assertEq(l.endsAt, end);
        assertEq(auction.minimumBid(id), START_PRICE + INCREMENT);
    }

    function test_bid_firstOneFenBelowStartRefused() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidTooLow.selector, START_PRICE - 1, START_PRICE));
        bidAs(inv1, id, START_PRICE - 1);
    }

    function test_bid_oneFenBelowHighestPlusIncrementRefusedExactOk() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        lockAs(inv2, id);
        bidAs(inv1, id, START_PRICE + 7);
        uint96 minimum = START_PRICE + 7 + INCREMENT;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidTooLow.selector, minimum - 1, minimum));
        bidAs(inv2, id, minimum - 1);
        uint64 end = endsAt(id);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BidPlaced(id, 2, minimum, end, false);
        bidAs(inv2, id, minimum);
        assertEq(auction.lot(id).highestBidder, inv2);
    }

    function test_bid_refusesCurrentHighest() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        bidAs(inv1, id, START_PRICE);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionAlreadyHighest.selector, inv1));
        bidAs(inv1, id, START_PRICE + INCREMENT);
    }

    function test_bid_refusesWithoutDeposit() public {
        uint256 id = openLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNoDeposit.selector, inv1));
        bidAs(inv1, id, START_PRICE);
    }

    function test_bid_refusesBeforeStartOkAtStart() public {
        uint256 id = listLot();
        approveLot(id);
        lockAs(inv1, id);
        uint64 starts = auction.lot(id).startsAt;
        vm.warp(starts - 1);
        expectErr(notOpen(id));
        bidAs(inv1, id, START_PRICE);
        vm.warp(starts);
        bidAs(inv1, id, START_PRICE);
        assertEq(auction.lot(id).highestBidder, inv1);
    }

    function test_bid_refusesAtEndOkOneSecondBefore() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        lockAs(inv2, id);
        uint64 end = endsAt(id);
        vm.warp(end - 1);
        bidAs(inv1, id, START_PRICE); // moves the end to end - 1 + 300
        uint64 newEnd = endsAt(id);
        assertEq(newEnd, end - 1 + EXTENSION);
        vm.warp(newEnd);
        expectErr(notOpen(id));
        bidAs(inv2, id, START_PRICE + INCREMENT);
    }

    function test_bid_refusesUnapprovedLot() public {
        uint256 id = listLot();
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.LISTED));
        bidAs(inv1, id, START_PRICE);
    }

    function test_bid_refusesInvestorSuspendedAfterDeposit() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        suspend(inv1);
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, inv1, INVESTOR_ROLE));
        bidAs(inv1, id, START_PRICE);
    }

    function test_bid_exactlyFiveMinutesBeforeEndLeavesEnd() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        uint64 end = endsAt(id);
        vm.warp(end - EXTENSION);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BidPlaced(id, 1, START_PRICE, end, false);
        bidAs(inv1, id, START_PRICE);
        assertEq(endsAt(id), end);
    }

    function test_bid_oneSecondIntoLastFiveMinutesMovesEnd() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        uint64 end = endsAt(id);
        uint64 t = end - EXTENSION + 1;
        vm.warp(t);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BidPlaced(id, 1, START_PRICE, t + EXTENSION, false);
        bidAs(inv1, id, START_PRICE);
        assertEq(endsAt(id), t + EXTENSION);
        assertEq(endsAt(id), end + 1);
    }

    function test_bid_repeatedExtensions() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        lockAs(inv2, id);
        uint64 end = endsAt(id);
        uint96 amount = START_PRICE;
        address[2] memory who = [inv1, inv2];
        // each bid 10 s before the current end moves it to 290 s after the old end
        for (uint256 i = 0; i < 6; i++) {
            uint64 t = endsAt(id) - 10;
            vm.warp(t);
            vm.expectEmit(address(auction));
            emit IJudicialAuction.BidPlaced(id, uint32(i % 2 + 1), amount, t + EXTENSION, false);
            bidAs(who[i % 2], id, amount);
            assertEq(endsAt(id), t + EXTENSION);
            amount += INCREMENT;
        }
        assertEq(endsAt(id), end + 6 * (EXTENSION - 10));
        // a bid earlier in the (moved) window does not pull the end back
        uint64 last = endsAt(id);
        vm.warp(last - EXTENSION - 1);
        bidAs(inv1, id, amount);
        assertEq(endsAt(id), last);
    }

    // =====================================================================
    // pre-emption (优先购买权)
    // =====================================================================

    function preemptionLot() internal returns (uint256 id) {
        id = openLot();
        vm.prank(court);
        auction.registerPreemption(id, inv3);
        lockAs(inv1, id);
        lockAs(inv2, id);
        lockAs(inv3, id);
    }

    function test_matchBid_holderTakesHighestAtEqualPrice() public {
        uint256 id = preemptionLot();
        bidAs(inv1, id, START_PRICE + 50);
        uint64 end = endsAt(id);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BidPlaced(id, 3, START_PRICE + 50, end, true);
        vm.prank(inv3);
        auction.matchBid(id);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertEq(l.highestBidder, inv3);
        assertEq(l.highestBid, START_PRICE + 50);
        // a plain bidder must raise by the increment; the holder may match again
        expectErr(
            abi.encodeWithSelector(
                IJudicialAuction.AuctionBidTooLow.selector, START_PRICE + 50, START_PRICE + 50 + INCREMENT
            )
        );
        bidAs(inv1, id, START_PRICE + 50);
        bidAs(inv2, id, START_PRICE + 50 + INCREMENT);
        vm.prank(inv3);
        auction.matchBid(id);
        closeLot(id);
        IJudicialAuction.Lot memory closed = auction.lot(id);
        assertEq(closed.highestBidder, inv3);
        assertEq(closed.highestBid, START_PRICE + 50 + INCREMENT);
    }

    function test_matchBid_refusals() public {
        uint256 id = preemptionLot();
        bytes memory nobody = abi.encodeWithSelector(IJudicialAuction.AuctionCannotMatch.selector, inv3);
        expectErr(nobody); // no bid to match
        vm.prank(inv3);
        auction.matchBid(id);
        bidAs(inv1, id, START_PRICE);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotMatch.selector, inv2)); // not a holder
        vm.prank(inv2);
        auction.matchBid(id);
        vm.prank(inv3);
        auction.matchBid(id);
        expectErr(nobody); // already the highest
        vm.prank(inv3);
        auction.matchBid(id);
        // a holder cannot take the price from another holder
        vm.prank(court);
        auction.registerPreemption(id, inv2);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotMatch.selector, inv2));
        vm.prank(inv2);
        auction.matchBid(id);
    }

    function test_matchBid_refusesHolderWithoutDepositAndOutsideBidding() public {
        uint256 id = openLot();
        vm.prank(court);
        auction.registerPreemption(id, inv3);
        lockAs(inv1, id);
        bidAs(inv1, id, START_PRICE);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNoDeposit.selector, inv3));
        vm.prank(inv3);
        auction.matchBid(id);
        lockAs(inv3, id);
        vm.warp(endsAt(id));
        expectErr(notOpen(id));
        vm.prank(inv3);
        auction.matchBid(id);
    }

    function test_matchBid_inLastFiveMinutesExtends() public {
        uint256 id = preemptionLot();
        bidAs(inv1, id, START_PRICE);
        uint64 t = endsAt(id) - 60;
        vm.warp(t);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BidPlaced(id, 3, START_PRICE, t + EXTENSION, true);
        vm.prank(inv3);
        auction.matchBid(id);
        assertEq(endsAt(id), t + EXTENSION);
    }

    // =====================================================================
    // close, pay, default
    // =====================================================================

    function test_close_refusesBeforeEnd() public {
        uint256 id = openLot();
        uint64 end = endsAt(id);
        vm.warp(end - 1);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotEnded.selector, id, end));
        auction.close(id);
    }

    function test_close_withoutBidFails() public {
        uint256 id = openLot();
        vm.warp(endsAt(id));
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotClosed(id, IJudicialAuction.LotStatus.FAILED, 0, 0, 0);
        vm.prank(outsider); // anyone
        auction.close(id);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertStatus(id, IJudicialAuction.LotStatus.FAILED);
        assertEq(l.failures, 1);
        assertEq(l.closedAt, block.timestamp);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.FAILED));
        auction.close(id);
    }

    function test_close_withBidAwaitsPayment() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        lockAs(inv2, id);
        bidAs(inv1, id, START_PRICE);
        bidAs(inv2, id, START_PRICE + INCREMENT);
        uint64 end = endsAt(id);
        vm.warp(end + 1 hours); // closing late does not move the payment deadline
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotClosed(
            id, IJudicialAuction.LotStatus.AWAITING_PAYMENT, 2, START_PRICE + INCREMENT, end + PAYMENT_WINDOW
        );
        auction.close(id);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertStatus(id, IJudicialAuction.LotStatus.AWAITING_PAYMENT);
        assertEq(l.paymentDeadline, end + PAYMENT_WINDOW);
        assertEq(l.failures, 0);
        assertEq(l.highestBidder, inv2);
    }

    function test_pay_atDeadlineLastSecondOk() public {
        uint256 id = wonLot();
        uint64 deadline = auction.lot(id).paymentDeadline;
        vm.warp(deadline);
        uint96 price = START_PRICE + INCREMENT;
        vm.expectEmit(address(auction));
        emit IJudicialAuction.BalancePaid(id, inv2, price - DEPOSIT, price);
        vm.prank(inv2);
        auction.pay(id);
        assertStatus(id, IJudicialAuction.LotStatus.PAID);
        assertEq(auction.lot(id).paid, price);
        assertEq(auction.bidderOf(id, inv2).deposit, 0);
        assertEq(auction.totalPaid(), price);
        assertEq(auction.totalDeposits(), DEPOSIT); // inv1's, not yet withdrawn
        assertEq(token.balanceOf(inv2), INVESTOR_CASH - price);
        assertEscrowBalanced();
    }

    function test_pay_oneSecondAfterDeadlineRefused() public {
        uint256 id = wonLot();
        uint64 deadline = auction.lot(id).paymentDeadline;
        vm.warp(deadline + 1);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionPaymentDeadlinePassed.selector, id, deadline));
        vm.prank(inv2);
        auction.pay(id);
    }

    function test_pay_refusesNonWinnerAndOpenLot() public {
        uint256 id = openLot();
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.APPROVED));
        vm.prank(inv1);
        auction.pay(id);
        uint256 won = wonLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotWinner.selector, inv1));
        vm.prank(inv1);
        auction.pay(won);
    }

    function test_declareDefault_atDeadlineRefusedAfterForfeits() public {
        uint256 id = wonLot();
        uint64 deadline = auction.lot(id).paymentDeadline;
        vm.warp(deadline);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionPaymentDeadlineNotReached.selector, id, deadline));
        auction.declareDefault(id);
        vm.warp(deadline + 1);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.WinnerDefaulted(id, inv2, treasury, DEPOSIT);
        vm.prank(outsider); // anyone
        auction.declareDefault(id);
        assertStatus(id, IJudicialAuction.LotStatus.DEFAULTED);
        assertEq(auction.lot(id).closedAt, deadline + 1);
        assertEq(auction.owed(treasury), DEPOSIT);
        assertEq(auction.totalOwed(), DEPOSIT);
        assertEq(auction.totalDeposits(), DEPOSIT); // inv1's
        assertEq(auction.bidderOf(id, inv2).deposit, 0);
        assertTrue(auction.isBarred(id, inv2));
        assertFalse(auction.isBarred(id, inv1));
        assertEscrowBalanced();
        // the forfeited deposit is the treasury's, not the winner's
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, inv2));
        vm.prank(inv2);
        auction.withdrawDeposit(id);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.ProceedsWithdrawn(treasury, DEPOSIT);
        vm.prank(treasury);
        auction.withdraw();
        assertEq(token.balanceOf(treasury), DEPOSIT);
    }

    function test_declareDefault_refusesPaidLot() public {
        uint256 id = wonLot();
        vm.prank(inv2);
        auction.pay(id);
        vm.warp(auction.lot(id).paymentDeadline + 1);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.PAID));
        auction.declareDefault(id);
    }

    function test_defaultedWinnerBarredOnRelist() public {
        uint256 id = wonLot();
        vm.warp(auction.lot(id).paymentDeadline + 1);
        auction.declareDefault(id);
        uint256 next = relistAt(id, START_PRICE);
        approveLot(next);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidderBarred.selector, inv2));
        lockAs(inv2, next);
        // even as a pre-emption holder
        vm.prank(court);
        auction.registerPreemption(next, inv2);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionBidderBarred.selector, inv2));
        lockAs(inv2, next);
        // others may bid
        lockAs(inv1, next);
        assertTrue(auction.isBarred(auction.lot(next).origin, inv2));
    }

    // =====================================================================
    // relisting
    // =====================================================================

    function test_relist_failedLotEmitsAndKeepsAsset() public {
        uint256 id = failedLot();
        uint96 start = START_PRICE * 8 / 10;
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotListed(
            2, seller, ASSET, id, 2, IJudicialAuction.LotKind.AUCTION, APPRAISAL, LOT_KYC, new bytes32[](0)
        );
        emit IJudicialAuction.LotTerms(2, start, start / 10, INCREMENT, ANNOUNCEMENT, WINDOW, PAYMENT_WINDOW);
        emit IJudicialAuction.LotRelisted(id, 2);
        uint256 next = relistAt(id, start);
        assertEq(next, 2);
        assertEq(auction.lot(id).relistedAs, 2);
        IJudicialAuction.Lot memory l = auction.lot(next);
        assertStatus(next, IJudicialAuction.LotStatus.LISTED);
        assertEq(l.seller, seller);
        assertEq(l.round, 2);
        assertEq(l.failures, 1);
        assertEq(l.origin, id);
        assertEq(l.assetRef, ASSET);
        assertEq(l.appraisal, APPRAISAL);
        assertEq(l.kycTier, LOT_KYC);
        assertEq(l.startPrice, start);
        assertEq(l.court, address(0));
    }

    function test_relist_atExactly30DaysOkOneSecondLaterRefused() public {
        uint256 a = failedLot();
        uint64 closedAt = auction.lot(a).closedAt;
        vm.warp(closedAt + RELIST_WINDOW + 1);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotRelist.selector, a));
        relistAt(a, START_PRICE);
        vm.warp(closedAt + RELIST_WINDOW);
        relistAt(a, START_PRICE);
    }

    function test_relist_atExactly80PercentOkOneFenLessRefused() public {
        uint256 id = failedLot();
        uint96 minimum = START_PRICE * 8 / 10;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionStartPriceTooLow.selector, minimum - 1, minimum));
        relistAt(id, minimum - 1);
        uint256 next = relistAt(id, minimum);
        assertEq(auction.lot(next).startPrice, minimum);
    }

    function test_relist_minimumRoundsUp() public {
        // 80 % of 70,000,001 is 56,000,000.8: the minimum is 56,000,001
        uint256 id = listAs(seller, listing(MIN_START + 1, MIN_START / 10));
        approveLot(id);
        vm.warp(auction.lot(id).startsAt);
        closeLot(id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionStartPriceTooLow.selector, 56_000_000, 56_000_001));
        relistAt(id, 56_000_000);
        relistAt(id, 56_000_001);
    }

    function test_relist_checksTerms() public {
        uint256 id = failedLot();
        vm.prank(seller);
        expectErr(
            abi.encodeWithSelector(
                IJudicialAuction.AuctionInvalidDeposit.selector, 1, uint96(4_000_000), uint96(16_000_000)
            )
        );
        auction.relist(id, START_PRICE, 1, INCREMENT, ANNOUNCEMENT, WINDOW, PAYMENT_WINDOW);
        vm.prank(seller);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionWindowTooShort.selector, uint64(WINDOW - 1)));
        auction.relist(id, START_PRICE, DEPOSIT, INCREMENT, ANNOUNCEMENT, WINDOW - 1, PAYMENT_WINDOW);
    }

    function test_relist_refusesNonSellerWrongStatusAndTwice() public {
        uint256 open = openLot();
        expectErr(wrongStatus(open, IJudicialAuction.LotStatus.APPROVED));
        relistAt(open, START_PRICE);
        uint256 id = failedLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotSeller.selector, bankA));
        vm.prank(bankA);
        auction.relist(id, START_PRICE, DEPOSIT, INCREMENT, ANNOUNCEMENT, WINDOW, PAYMENT_WINDOW);
        relistAt(id, START_PRICE);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotRelist.selector, id));
        relistAt(id, START_PRICE);
        // a seller that lost its role may not relist
        uint256 other = failedLot();
        pass(IConsortium.ProposalKind.RevokeRole, seller, abi.encode(BANK_ROLE));
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, seller, BANK_ROLE));
        relistAt(other, START_PRICE);
    }

    function test_relist_thirdListingAfterTwoFailuresRefused() public {
        uint256 second = twiceFailedLot();
        assertEq(auction.lot(second).failures, 2);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotRelist.selector, second));
        relistAt(second, START_PRICE);
    }

    function test_relist_defaultedLotKeepsFailureCount() public {
        uint256 id = wonLot();
        vm.warp(auction.lot(id).paymentDeadline + 1);
        auction.declareDefault(id);
        uint256 next = relistAt(id, START_PRICE * 8 / 10);
        assertEq(auction.lot(next).failures, 0);
        assertEq(auction.lot(next).round, 2);
        // the relisting window runs from the default
        uint256 late = wonLot();
        vm.warp(auction.lot(late).paymentDeadline + 1);
        auction.declareDefault(late);
        vm.warp(block.timestamp + RELIST_WINDOW + 1);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotRelist.selector, late));
        relistAt(late, START_PRICE);
    }

    // =====================================================================
    // fixed-price sale (变卖)
    // =====================================================================

    function test_offerFixedPrice_onlyAfterSecondFailure() public {
        uint256 first = failedLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotSellAtFixedPrice.selector, first));
        vm.prank(court);
        auction.offerFixedPrice(first, START_PRICE, 7 days);
        uint256 won = wonLot();
        vm.warp(auction.lot(won).paymentDeadline + 1);
        auction.declareDefault(won);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotSellAtFixedPrice.selector, won));
        vm.prank(court);
        auction.offerFixedPrice(won, START_PRICE, 7 days);
    }

    function test_offerFixedPrice_atLastStartPriceOpensAtOnceAndEmits() public {
        uint256 second = twiceFailedLot();
        uint96 price = auction.lot(second).startPrice;
        uint256 newId = second + 1;
        uint64 now_ = uint64(block.timestamp);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.LotListed(
            newId, seller, ASSET, 1, 3, IJudicialAuction.LotKind.FIXED_PRICE, APPRAISAL, LOT_KYC, new bytes32[](0)
        );
        emit IJudicialAuction.LotTerms(newId, price, 0, 0, 0, 7 days, 0);
        emit IJudicialAuction.LotRelisted(second, newId);
        emit IJudicialAuction.LotApproved(newId, court, now_, now_ + 7 days, treasury);
        vm.prank(court);
        assertEq(auction.offerFixedPrice(second, price, 7 days), newId);
        IJudicialAuction.Lot memory l = auction.lot(newId);
        assertStatus(newId, IJudicialAuction.LotStatus.APPROVED);
        assertEq(uint8(l.kind), uint8(IJudicialAuction.LotKind.FIXED_PRICE));
        assertEq(l.startPrice, price);
        assertEq(l.court, court);
        assertEq(l.startsAt, now_);
        assertEq(l.endsAt, now_ + 7 days);
        assertEq(l.failures, 2);
        assertEq(auction.lot(second).relistedAs, newId);
        // once offered, it can be neither offered again nor relisted
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionCannotSellAtFixedPrice.selector, second));
        vm.prank(court);
        auction.offerFixedPrice(second, price, 7 days);
    }

    function test_offerFixedPrice_refusesBelowLastStartZeroPeriodAndOtherCourt() public {
        uint256 second = twiceFailedLot();
        uint96 last = auction.lot(second).startPrice;
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionStartPriceTooLow.selector, last - 1, last));
        vm.prank(court);
        auction.offerFixedPrice(second, last - 1, 7 days);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionWindowTooShort.selector, uint64(0)));
        vm.prank(court);
        auction.offerFixedPrice(second, last, 0);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court2));
        vm.prank(court2);
        auction.offerFixedPrice(second, last, 7 days);
    }

    function fixedLot() internal returns (uint256 id) {
        uint256 second = twiceFailedLot();
        uint96 price = auction.lot(second).startPrice;
        vm.prank(court);
        id = auction.offerFixedPrice(second, price, 7 days);
    }

    function test_buy_firstBuyerWinsSecondRefused() public {
        uint256 id = fixedLot();
        uint96 price = auction.lot(id).startPrice;
        vm.expectEmit(address(auction));
        emit IJudicialAuction.DepositLocked(id, inv1, 1, 0);
        emit IJudicialAuction.LotClosed(id, IJudicialAuction.LotStatus.PAID, 1, price, 0);
        emit IJudicialAuction.BalancePaid(id, inv1, price, price);
        vm.prank(inv1);
        auction.buy(id);
        IJudicialAuction.Lot memory l = auction.lot(id);
        assertStatus(id, IJudicialAuction.LotStatus.PAID);
        assertEq(l.highestBidder, inv1);
        assertEq(l.paid, price);
        assertEq(auction.totalPaid(), price);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH - price);
        assertEscrowBalanced();
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.PAID));
        vm.prank(inv2);
        auction.buy(id);
        // confirmation releases it like any sale
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](1);
        p[0] = payee(seller, price);
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        assertEq(auction.owed(seller), price);
    }

    function test_buy_refusals() public {
        uint256 id = fixedLot();
        expectErr(
            abi.encodeWithSelector(IJudicialAuction.AuctionBidderNotEligible.selector, lowTier, LOT_KYC - 1, LOT_KYC)
        );
        vm.prank(lowTier);
        auction.buy(id);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.APPROVED)); // no deposits on a fixed-price lot
        lockAs(inv1, id);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.APPROVED)); // and no bids
        bidAs(inv1, id, START_PRICE);
        vm.warp(endsAt(id));
        expectErr(notOpen(id));
        vm.prank(inv1);
        auction.buy(id);
        // unsold: it fails, and an auction lot cannot be bought
        auction.close(id);
        assertStatus(id, IJudicialAuction.LotStatus.FAILED);
        assertEq(auction.lot(id).failures, 2);
        uint256 open = openLot();
        expectErr(wrongStatus(open, IJudicialAuction.LotStatus.APPROVED));
        vm.prank(inv1);
        auction.buy(open);
    }

    // =====================================================================
    // confirmation
    // =====================================================================

    function paidLot() internal returns (uint256 id) {
        id = wonLot();
        vm.prank(inv2);
        auction.pay(id);
    }

    function test_confirm_allocatesToPayeesAndEmits() public {
        uint256 id = paidLot();
        uint96 price = START_PRICE + INCREMENT;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](3);
        p[0] = payee(court, 1_000_000); // fees
        p[1] = payee(bankA, 20_000_000); // a priority creditor
        p[2] = payee(seller, price - 21_000_000);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.ProceedsAllocated(id, court, 1_000_000);
        emit IJudicialAuction.ProceedsAllocated(id, bankA, 20_000_000);
        emit IJudicialAuction.ProceedsAllocated(id, seller, price - 21_000_000);
        emit IJudicialAuction.SaleConfirmed(id, inv2, price, RULING, TRANSFER);
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        assertStatus(id, IJudicialAuction.LotStatus.CONFIRMED);
        assertEq(auction.lot(id).paid, 0);
        assertEq(auction.totalPaid(), 0);
        assertEq(auction.totalOwed(), price);
        assertEq(auction.owed(court), 1_000_000);
        assertEq(auction.owed(bankA), 20_000_000);
        assertEq(auction.owed(seller), price - 21_000_000);
        assertEscrowBalanced();
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.CONFIRMED));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
    }

    function test_confirm_samePayeeTwiceAddsUp() public {
        uint256 id = paidLot();
        uint96 price = START_PRICE + INCREMENT;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(seller, 1);
        p[1] = payee(seller, price - 1);
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        assertEq(auction.owed(seller), price);
    }

    function test_confirm_refusesWrongSumsAndZeroPayees() public {
        uint256 id = paidLot();
        uint96 price = START_PRICE + INCREMENT;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(seller, price - 100);
        p[1] = payee(bankA, 99);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidDistribution.selector, price - 1, price));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        p[1] = payee(bankA, 101);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidDistribution.selector, price + 1, price));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        p[1] = payee(address(0), 100);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidDistribution.selector, price - 100, price));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        p[0] = payee(seller, 0);
        p[1] = payee(bankA, price);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidDistribution.selector, 0, price));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionInvalidDistribution.selector, 0, price));
        vm.prank(court);
        auction.confirm(id, new IJudicialAuction.Payee[](0), RULING, TRANSFER);
        assertStatus(id, IJudicialAuction.LotStatus.PAID);
    }

    function test_confirm_refusesPayeeThatCannotHoldRcny() public {
        uint256 id = paidLot();
        uint96 price = START_PRICE + INCREMENT;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(seller, price - 100);
        p[1] = payee(outsider, 100); // credited here it could never be withdrawn
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotMember.selector, outsider));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        assertStatus(id, IJudicialAuction.LotStatus.PAID);
    }

    function test_approve_refusesForfeitureAccountThatCannotHoldRcny() public {
        uint256 id = listLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotMember.selector, outsider));
        vm.prank(court);
        auction.approve(id, outsider);
        assertStatus(id, IJudicialAuction.LotStatus.LISTED);
    }

    function test_confirm_refusesOtherCourtAndUnpaidLot() public {
        uint256 id = wonLot();
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](1);
        p[0] = payee(seller, START_PRICE + INCREMENT);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.AWAITING_PAYMENT));
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        vm.prank(inv2);
        auction.pay(id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNotLotCourt.selector, court2));
        vm.prank(court2);
        auction.confirm(id, p, RULING, TRANSFER);
    }

    // =====================================================================
    // withdrawals
    // =====================================================================

    function test_withdrawDeposit_winnerRefusedWhileAwaitingPaymentLoserOk() public {
        uint256 id = wonLot();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionDepositApplied.selector, inv2));
        vm.prank(inv2);
        auction.withdrawDeposit(id);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.DepositWithdrawn(id, inv1, DEPOSIT);
        vm.prank(inv1);
        auction.withdrawDeposit(id);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH);
        assertEq(auction.bidderOf(id, inv1).deposit, 0);
        assertEq(auction.totalDeposits(), DEPOSIT);
        assertEscrowBalanced();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, inv1));
        vm.prank(inv1);
        auction.withdrawDeposit(id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, inv3));
        vm.prank(inv3);
        auction.withdrawDeposit(id);
        // once paid, the winner's deposit is part of the price
        vm.prank(inv2);
        auction.pay(id);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, inv2));
        vm.prank(inv2);
        auction.withdrawDeposit(id);
    }

    function test_withdrawDeposit_refusedWhileBiddingOrUnapproved() public {
        uint256 id = openLot();
        lockAs(inv1, id);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.APPROVED));
        vm.prank(inv1);
        auction.withdrawDeposit(id);
        vm.prank(court);
        auction.suspend(id, ORDER);
        expectErr(wrongStatus(id, IJudicialAuction.LotStatus.SUSPENDED));
        vm.prank(inv1);
        auction.withdrawDeposit(id);
        uint256 listed = listLot();
        expectErr(wrongStatus(listed, IJudicialAuction.LotStatus.LISTED));
        vm.prank(inv1);
        auction.withdrawDeposit(listed);
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionUnknownLot.selector, 99));
        vm.prank(inv1);
        auction.withdrawDeposit(99);
    }

    function test_withdrawDeposit_afterFailureAndAfterConfirmation() public {
        uint256 failed = failedLot();
        vm.prank(inv3);
        auction.withdrawDeposit(failed);
        assertEq(token.balanceOf(inv3), INVESTOR_CASH);
        uint256 id = paidLot();
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](1);
        p[0] = payee(seller, START_PRICE + INCREMENT);
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        vm.prank(inv1);
        auction.withdrawDeposit(id);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH);
        assertEq(auction.totalDeposits(), 0);
        assertEscrowBalanced();
    }

    function test_withdraw_paysOwedOnceAndEmits() public {
        uint256 id = paidLot();
        uint96 price = START_PRICE + INCREMENT;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(court, 500);
        p[1] = payee(seller, price - 500);
        vm.prank(court);
        auction.confirm(id, p, RULING, TRANSFER);
        uint256 before = token.balanceOf(seller);
        vm.expectEmit(address(auction));
        emit IJudicialAuction.ProceedsWithdrawn(seller, price - 500);
        vm.prank(seller);
        auction.withdraw();
        assertEq(token.balanceOf(seller), before + price - 500);
        assertEq(auction.owed(seller), 0);
        assertEq(auction.totalOwed(), 500);
        assertEscrowBalanced();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, seller));
        vm.prank(seller);
        auction.withdraw();
        expectErr(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, inv1));
        vm.prank(inv1);
        auction.withdraw();
    }

    // =====================================================================
    // the whole life of an asset (the issue's demo, on chain)
    // =====================================================================

    function test_lifecycle_biddingWarDefaultRelistSaleConfirmation() public {
        uint256 first = openLot();
        lockAs(inv1, first);
        lockAs(inv2, first);
        lockAs(inv3, first);
        bidAs(inv1, first, START_PRICE);
        uint64 end = endsAt(first);
        vm.warp(end - 120);
        bidAs(inv2, first, START_PRICE + INCREMENT); // end moves to end + 180
        vm.warp(endsAt(first) - 30);
        bidAs(inv3, first, START_PRICE + 2 * INCREMENT); // moves again
        assertEq(endsAt(first), end + 180 + 270);
        closeLot(first);
        assertEscrowBalanced();
        vm.prank(inv1);
        auction.withdrawDeposit(first);
        vm.prank(inv2);
        auction.withdrawDeposit(first);
        vm.warp(auction.lot(first).paymentDeadline + 1);
        auction.declareDefault(first); // inv3 walks away

        uint96 second = START_PRICE * 8 / 10;
        uint256 next = relistAt(first, second);
        approveLot(next);
        vm.warp(auction.lot(next).startsAt);
        lockAs(inv1, next);
        lockAs(inv2, next);
        bidAs(inv1, next, second);
        bidAs(inv2, next, second + INCREMENT);
        closeLot(next);
        vm.prank(inv2);
        auction.pay(next);
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(court, 100_000);
        p[1] = payee(seller, second + INCREMENT - 100_000);
        vm.prank(court);
        auction.confirm(next, p, RULING, TRANSFER);
        vm.prank(inv1);
        auction.withdrawDeposit(next);
        vm.prank(seller);
        auction.withdraw();
        vm.prank(court);
        auction.withdraw();
        vm.prank(treasury);
        auction.withdraw();
        assertEscrowBalanced();
        assertEq(token.balanceOf(address(auction)), 0);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH);
        assertEq(token.balanceOf(inv2), INVESTOR_CASH - second - INCREMENT);
        assertEq(token.balanceOf(inv3), INVESTOR_CASH - DEPOSIT);
        assertEq(token.balanceOf(treasury), DEPOSIT);
    }

    // --- helpers ---

    /// @dev Warps `dt` seconds and submits a new oracle valuation of SUBJECT.
    function submitAppraisalAfter(uint64 dt, int256 value) internal {
        vm.warp(block.timestamp + dt);
        submitAppraisal(value);
    }
}

/// @notice Status names for assertion messages.
library LotStatusNames {
    function name(IJudicialAuction.LotStatus s) internal pure returns (string memory) {
        string[10] memory names = [
            "NONE",
            "LISTED",
            "APPROVED",
            "SUSPENDED",
            "CANCELLED",
            "AWAITING_PAYMENT",
            "PAID",
            "CONFIRMED",
            "FAILED",
            "DEFAULTED"
        ];
        return names[uint8(s)];
    }
}

/// @notice An investor contract that re-enters the auction from the hostile token's transfer hook while the auction
/// pays it: once, with `withdrawDeposit` or `withdraw`, either letting the inner revert bubble up (`propagate`) or
/// catching it and recording its data.
contract WithdrawalAttacker is ITransferHook {
    enum Reentry {
        NONE,
        WITHDRAW_DEPOSIT,
        WITHDRAW
    }

    IJudicialAuction public immutable auction;
    IERC20 public immutable token;
    Reentry public reentry;
    bool public propagate;
    uint256 public lotId;
    uint256 public reentries;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor(IJudicialAuction auction_, IERC20 token_) {
        auction = auction_;
        token = token_;
        token_.approve(address(auction_), type(uint256).max);
    }

    function arm(Reentry reentry_, uint256 lotId_, bool propagate_) external {
        (reentry, lotId, propagate) = (reentry_, lotId_, propagate_);
    }

    function lockDeposit(uint256 lotId_) external returns (uint32) {
        return auction.lockDeposit(lotId_);
    }

    function withdrawDeposit(uint256 lotId_) external {
        auction.withdrawDeposit(lotId_);
    }

    function withdraw() external {
        auction.withdraw();
    }

    function onTokenTransfer(address from, uint256) external {
        if (msg.sender != address(token) || from != address(auction) || reentry == Reentry.NONE) return;
        Reentry r = reentry;
        reentry = Reentry.NONE; // once
        reentries++;
        if (propagate) {
            if (r == Reentry.WITHDRAW_DEPOSIT) auction.withdrawDeposit(lotId);
            else auction.withdraw();
            reentrySucceeded = true;
            return;
        }
        if (r == Reentry.WITHDRAW_DEPOSIT) {
            try auction.withdrawDeposit(lotId) {
                reentrySucceeded = true;
            } catch (bytes memory err) {
                reentryError = err;
            }
        } else {
            try auction.withdraw() {
                reentrySucceeded = true;
            } catch (bytes memory err) {
                reentryError = err;
            }
        }
    }
}

/// @notice Every withdrawal path against an attacker that re-enters from the token's transfer hook. SettlementToken
/// has no hooks, so this auction escrows a {HostileToken} that has one (the consortium, registry and hub are the real
/// ones). Without `nonReentrant` the re-entered `withdrawDeposit` would fail with `AuctionNothingToWithdraw` (the
/// balance is zeroed first) and the cross-path re-entries would succeed, so each test below fails without the guard.
contract JudicialAuctionReentrancyTest is AuctionFixture {
    uint96 internal constant SHARE = 1_000_000;

    HostileToken internal hostile;
    JudicialAuction internal ha;
    WithdrawalAttacker internal attacker;
    uint256 internal lotId;
    uint96 internal price;

    function setUp() public {
        deployAuction();
        hostile = new HostileToken();
        ha = new JudicialAuction(consortium, ISettlementToken(address(hostile)), registry, hub, desk, MAX_AGE);
        attacker = new WithdrawalAttacker(ha, hostile);
        admit(address(attacker), roles(INVESTOR_ROLE));
        hostile.setHook(address(attacker));
        hostile.mint(address(attacker), INVESTOR_CASH);
        hostile.mint(inv1, INVESTOR_CASH);
        vm.prank(inv1);
        hostile.approve(address(ha), type(uint256).max);

        // a lot the attacker loses and is then a payee of: it holds a deposit and is owed a share of the price
        vm.prank(seller);
        lotId = ha.list(defaultListing());
        vm.prank(court);
        ha.approve(lotId, treasury);
        vm.warp(ha.lot(lotId).startsAt);
        attacker.lockDeposit(lotId);
        vm.prank(inv1);
        ha.lockDeposit(lotId);
        vm.prank(inv1);
        ha.bid(lotId, START_PRICE);
        vm.warp(ha.lot(lotId).endsAt);
        ha.close(lotId);
        vm.prank(inv1);
        ha.pay(lotId);
        price = START_PRICE;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(address(attacker), SHARE);
        p[1] = payee(seller, price - SHARE);
        vm.prank(court);
        ha.confirm(lotId, p, RULING, TRANSFER);
        // escrow now: the attacker's deposit + the price allocated to the attacker and the seller
        assertEq(hostile.balanceOf(address(ha)), DEPOSIT + price);
    }

    function assertIntact() internal view {
        assertEq(hostile.balanceOf(address(ha)), DEPOSIT + price);
        assertEq(ha.totalDeposits(), DEPOSIT);
        assertEq(ha.totalOwed(), price);
        assertEq(ha.bidderOf(lotId, address(attacker)).deposit, DEPOSIT);
        assertEq(ha.owed(address(attacker)), SHARE);
        assertEq(hostile.balanceOf(address(attacker)), INVESTOR_CASH - DEPOSIT);
    }

    function assertBalanced() internal view {
        assertEq(hostile.balanceOf(address(ha)), ha.totalDeposits() + ha.totalPaid() + ha.totalOwed());
    }

    function expectGuard() internal {
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
    }

    function guardError() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
    }

    function test_reentrancy_withdrawDepositIntoWithdrawDepositReverts() public {
        attacker.arm(WithdrawalAttacker.Reentry.WITHDRAW_DEPOSIT, lotId, true);
        expectGuard();
        attacker.withdrawDeposit(lotId);
        assertIntact();
    }

    function test_reentrancy_withdrawDepositIntoWithdrawDepositPaysOnce() public {
        attacker.arm(WithdrawalAttacker.Reentry.WITHDRAW_DEPOSIT, lotId, false);
        attacker.withdrawDeposit(lotId);
        assertEq(attacker.reentries(), 1);
        assertFalse(attacker.reentrySucceeded());
        assertEq(attacker.reentryError(), guardError());
        assertEq(hostile.balanceOf(address(attacker)), INVESTOR_CASH); // its deposit, once
        assertEq(hostile.balanceOf(address(ha)), price);
        assertEq(ha.totalDeposits(), 0);
        assertBalanced();
    }

    function test_reentrancy_withdrawIntoWithdrawReverts() public {
        attacker.arm(WithdrawalAttacker.Reentry.WITHDRAW, 0, true);
        expectGuard();
        attacker.withdraw();
        assertIntact();
    }

    function test_reentrancy_withdrawIntoWithdrawPaysOnce() public {
        attacker.arm(WithdrawalAttacker.Reentry.WITHDRAW, 0, false);
        attacker.withdraw();
        assertEq(attacker.reentries(), 1);
        assertFalse(attacker.reentrySucceeded());
        assertEq(attacker.reentryError(), guardError());
        assertEq(hostile.balanceOf(address(attacker)), INVESTOR_CASH - DEPOSIT + SHARE);
        assertEq(ha.owed(address(attacker)), 0);
        assertEq(hostile.balanceOf(address(ha)), DEPOSIT + price - SHARE);
        assertEq(ha.totalOwed(), price - SHARE); // the seller's share is intact
        assertBalanced();
    }

    function test_reentrancy_crossPathsAreGuardedToo() public {
        attacker.arm(WithdrawalAttacker.Reentry.WITHDRAW, 0, true);
        expectGuard();
        attacker.withdrawDeposit(lotId);
        attacker.arm(WithdrawalAttacker.Reentry.WITHDRAW_DEPOSIT, lotId, true);
        expectGuard();
        attacker.withdraw();
        assertIntact();
        // each path alone still works once the attacker stops re-entering
        attacker.arm(WithdrawalAttacker.Reentry.NONE, 0, false);
        attacker.withdrawDeposit(lotId);
        attacker.withdraw();
        assertEq(hostile.balanceOf(address(attacker)), INVESTOR_CASH + SHARE);
        assertEq(hostile.balanceOf(address(ha)), price - SHARE);
        assertBalanced();
    }
}

/// @notice An outsider is refused with the auction's own error: the KYC tier is read only for members
/// (`IConsortium.getMember` reverts for anyone else, with an error the auction's ABI does not declare).
contract JudicialAuctionOutsiderTest is AuctionFixture {
    function setUp() public {
        deployAuction();
    }

    function test_lockDeposit_refusesNonMemberWithAuctionError() public {
        uint256 id = openLot();
        vm.expectRevert(
            abi.encodeWithSelector(IJudicialAuction.AuctionBidderNotEligible.selector, outsider, 0, LOT_KYC)
        );
        lockAs(outsider, id);
    }
}
