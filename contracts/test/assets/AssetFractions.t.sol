// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {AssetFractions} from "../../assets/AssetFractions.sol";
import {FractionsFactory} from "../../assets/FractionsFactory.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {IJudicialAuction} from "../../interfaces/IJudicialAuction.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {AuctionFixture} from "../auctions/AuctionFixture.sol";
import {FractionsFixture} from "./FractionsFixture.sol";

/// @notice Every rule of {AssetFractions} at its boundaries, each with the exact error or event. Each compliance
/// refusal is produced by a movement that succeeds once that one rule no longer applies, and {canTransfer} gives the
/// same code first.
contract AssetFractionsTest is FractionsFixture {
    address internal spender;

    function setUp() public {
        deployFractions();
        spender = makeAddr("spender");
    }

    // --- assertion helpers ---

    function expectErr(bytes memory err) internal {
        vm.expectRevert(err);
    }

    function assertCan(address from, address to, uint256 amount, IAssetFractions.Refusal reason) internal view {
        (bool allowed, IAssetFractions.Refusal r) = asset.canTransfer(from, to, amount);
        assertEq(allowed, reason == IAssetFractions.Refusal.NONE, "canTransfer allowed");
        assertEq(uint8(r), uint8(reason), "canTransfer reason");
    }

    /// @dev `from` can send `amount` to `to` neither by `transfer` nor through a spender's `transferFrom`, with
    /// `reason`, and canTransfer says so first; nothing moves.
    function assertRefused(address from, address to, uint256 amount, IAssetFractions.Refusal reason) internal {
        assertCan(from, to, amount, reason);
        uint256 fromBefore = asset.balanceOf(from);
        uint256 toBefore = asset.balanceOf(to);
        expectErr(refused(from, to, amount, reason));
        vm.prank(from);
        asset.transfer(to, amount);
        vm.prank(from);
        asset.approve(spender, amount);
        expectErr(refused(from, to, amount, reason));
        vm.prank(spender);
        asset.transferFrom(from, to, amount);
        assertEq(asset.balanceOf(from), fromBefore, "sender balance");
        assertEq(asset.balanceOf(to), toBefore, "recipient balance");
        vm.prank(from);
        asset.approve(spender, 0);
    }

    /// @dev `from` sends `amount` to `to`: canTransfer allows it, the Transfer event is emitted, balances move.
    function assertMoves(address from, address to, uint256 amount) internal {
        assertCan(from, to, amount, IAssetFractions.Refusal.NONE);
        uint256 fromBefore = asset.balanceOf(from);
        uint256 toBefore = asset.balanceOf(to);
        vm.expectEmit(address(asset));
        emit IERC20.Transfer(from, to, amount);
        vm.prank(from);
        assertTrue(asset.transfer(to, amount));
        assertEq(asset.balanceOf(from), fromBefore - amount, "sender balance");
        assertEq(asset.balanceOf(to), toBefore + amount, "recipient balance");
    }

    function assertStatus(IAssetFractions.OfferingStatus expected) internal view {
        assertEq(uint8(asset.offering().status), uint8(expected), "offering status");
    }

    function assertFrozen(address account, bool whole, uint96 shares) internal view {
        (bool w, uint96 s) = asset.frozenOf(account);
        assertEq(w, whole, "whole freeze");
        assertEq(s, shares, "frozen shares");
    }

    function wrongStatus(IAssetFractions.OfferingStatus s) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAssetFractions.FractionsWrongOfferingStatus.selector, s);
    }

    function nothingToPay(address account) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAssetFractions.FractionsNothingToPay.selector, account);
    }

    function unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, account, role);
    }

    function sumClaimable(address[] memory accounts) internal view returns (uint256 s) {
        for (uint256 i = 0; i < accounts.length; i++) {
            s += asset.claimable(accounts[i]);
        }
    }

    function holders3() internal view returns (address[] memory h) {
        h = new address[](3);
        (h[0], h[1], h[2]) = (inv1, inv2, inv3);
    }

    // =====================================================================
    // construction, views
    // =====================================================================

    function test_issue_storesTermsAndViews() public view {
        IAssetFractions.Terms memory t = asset.terms();
        IAssetFractions.Terms memory d = defaultTerms();
        assertEq(t.assetRef, d.assetRef);
        assertEq(keccak256(abi.encode(t)), keccak256(abi.encode(d)), "terms");
        assertEq(t.regions.length, 2);
        assertEq(t.regions[0], SHANGHAI_CITY);
        assertEq(t.regions[1], CHAOYANG);
        assertEq(asset.issuer(), issuer);
        assertEq(asset.factory(), address(factory));
        assertEq(address(asset.token()), address(token));
        assertEq(address(asset.consortium()), address(consortium));
        assertEq(asset.name(), NAME);
        assertEq(asset.symbol(), SYMBOL);
        assertEq(asset.decimals(), 0);
        assertEq(asset.totalSupply(), 0);
        assertEq(asset.holderCount(), 0);
        assertEq(asset.offerCount(), 0);
        assertFalse(asset.paused());
        IAssetFractions.Offering memory o = asset.offering();
        assertEq(uint8(o.status), uint8(IAssetFractions.OfferingStatus.OPEN));
        assertEq(o.sold, 0);
        assertEq(o.subscribers, 0);
        assertEq(o.deadline, deadline);
        assertTrue(consortium.isSystemContract(address(asset)));
    }

    function test_constructor_emitsTermsAndRecordsItsFactory() public {
        IAssetFractions.Terms memory t = defaultTerms();
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectEmit(expected);
        emit IAssetFractions.FractionsTerms(issuer, ASSET_REF, VALUATION_FEED, docRoot);
        vm.expectEmit(expected);
        emit IAssetFractions.FractionsLimits(ASSET_KYC, t.regions, lockUpUntil, MAX_HOLDERS, MAX_PER_HOLDER);
        vm.expectEmit(expected);
        emit IAssetFractions.OfferingTerms(PRICE, MIN_SUBSCRIPTION, SOFT_CAP, HARD_CAP, deadline);
        AssetFractions a = new AssetFractions(consortium, token, address(factory), issuer, t, NAME, SYMBOL);
        assertEq(address(a), expected);
        assertEq(a.factory(), address(factory));
        assertEq(a.issuer(), issuer);
        // deployed outside the factory it is no system contract: it cannot take rCNY
        assertFalse(consortium.isSystemContract(address(a)));
        vm.prank(inv1);
        token.approve(address(a), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, address(a)));
        vm.prank(inv1);
        a.subscribe(MIN_SUBSCRIPTION);
    }

    function test_constructor_refusesZeroAddresses() public {
        bytes memory zero = abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector);
        IAssetFractions.Terms memory t = defaultTerms();
        expectErr(zero);
        new AssetFractions(consortium, ISettlementToken(address(0)), address(factory), issuer, t, NAME, SYMBOL);
        expectErr(zero);
        new AssetFractions(consortium, token, address(0), issuer, t, NAME, SYMBOL);
        expectErr(zero);
        new AssetFractions(consortium, token, address(factory), address(0), t, NAME, SYMBOL);
    }

    // =====================================================================
    // compliance: every Refusal, each produced by a transfer that passes without that one rule
    // =====================================================================

    function test_transfer_refusedWhilePaused() public {
        tradingAsset();
        pauseAs(regulator);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.PAUSED);
        unpauseAs(regulator);
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedInLockUpUntilItsLastSecond() public {
        succeededOffering();
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.LOCKED_UP);
        vm.warp(lockUpUntil - 1);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.LOCKED_UP);
        vm.warp(lockUpUntil);
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedBeyondBalance() public {
        tradingAsset();
        assertRefused(inv3, inv2, SUB3 + 1, IAssetFractions.Refusal.INSUFFICIENT_BALANCE);
        assertMoves(inv3, inv2, SUB3);
        assertEq(asset.holderCount(), 2); // inv3 left
    }

    function test_transfer_refusedFromWhollyFrozenAccount() public {
        tradingAsset();
        freeze(inv1);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.FROM_FROZEN);
        unfreeze(inv1);
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedBeyondUnfrozenShares() public {
        tradingAsset();
        freezeShares(inv1, 250);
        assertRefused(inv1, inv2, 51, IAssetFractions.Refusal.AMOUNT_FROZEN);
        assertMoves(inv1, inv2, 50);
        assertRefused(inv1, inv2, 1, IAssetFractions.Refusal.AMOUNT_FROZEN);
        freezeShares(inv1, 0);
        assertMoves(inv1, inv2, 1);
    }

    function test_transfer_refusedToWhollyFrozenAccount() public {
        tradingAsset();
        freeze(inv2);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.TO_FROZEN);
        unfreeze(inv2);
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedFromSuspendedInvestor() public {
        tradingAsset();
        suspend(inv1);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.FROM_NOT_INVESTOR);
        reinstate(inv1);
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedFromInvestorWithExpiredLicence() public {
        tradingAsset();
        uint64 expiry = uint64(block.timestamp) + 1 days;
        pass(IConsortium.ProposalKind.UpdateProfile, inv1, abi.encode(PUDONG, expiry, uint8(3)));
        vm.warp(expiry);
        assertMoves(inv1, inv2, 10); // the licence is valid through its expiry second
        vm.warp(expiry + 1);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.FROM_NOT_INVESTOR);
    }

    function test_transfer_refusedFromMemberNoLongerInvestor() public {
        tradingAsset();
        pass(IConsortium.ProposalKind.GrantRole, inv1, abi.encode(BANK_ROLE));
        pass(IConsortium.ProposalKind.RevokeRole, inv1, abi.encode(INVESTOR_ROLE));
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.FROM_NOT_INVESTOR);
        pass(IConsortium.ProposalKind.GrantRole, inv1, abi.encode(INVESTOR_ROLE));
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedFromTierBelowAsset() public {
        tradingAsset();
        updateProfile(inv2, HUANGPU, ASSET_KYC - 1);
        assertRefused(inv2, inv1, 10, IAssetFractions.Refusal.FROM_KYC_TIER);
        updateProfile(inv2, HUANGPU, ASSET_KYC); // exactly the asset's tier
        assertMoves(inv2, inv1, 10);
    }

    function test_transfer_refusedFromRegionNotAllowed() public {
        tradingAsset();
        updateProfile(inv2, NANJING, 2);
        assertRefused(inv2, inv1, 10, IAssetFractions.Refusal.FROM_REGION);
        // the province code is not inside the allowed prefecture
        updateProfile(inv2, SHANGHAI_PROVINCE, 2);
        assertRefused(inv2, inv1, 10, IAssetFractions.Refusal.FROM_REGION);
        updateProfile(inv2, XUHUI, 2);
        assertMoves(inv2, inv1, 10);
    }

    function test_transfer_refusedToNonInvestor() public {
        tradingAsset();
        assertRefused(inv1, nonInvestor, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR);
        assertRefused(inv1, outsider, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR);
        assertRefused(inv1, issuer, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR);
        pass(IConsortium.ProposalKind.GrantRole, nonInvestor, abi.encode(INVESTOR_ROLE));
        assertMoves(inv1, nonInvestor, 10);
    }

    function test_transfer_refusedToSuspendedInvestor() public {
        tradingAsset();
        suspend(inv2);
        assertRefused(inv1, inv2, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR);
        reinstate(inv2);
        assertMoves(inv1, inv2, 10);
    }

    function test_transfer_refusedToTierBelowAsset() public {
        tradingAsset();
        assertRefused(inv1, lowTier, 10, IAssetFractions.Refusal.TO_KYC_TIER);
        updateProfile(lowTier, PUDONG, ASSET_KYC);
        assertMoves(inv1, lowTier, 10);
    }

    function test_transfer_refusedToRegionNotAllowed() public {
        tradingAsset();
        assertRefused(inv1, farAway, 10, IAssetFractions.Refusal.TO_REGION);
        updateProfile(farAway, CHAOYANG, 3); // the one allowed Beijing county
        assertMoves(inv1, farAway, 10);
    }

    function test_transfer_refusedToNewHolderAtHolderCap() public {
        tradingAsset();
        assertMoves(inv1, inv4, 10); // the fourth holder
        assertEq(asset.holderCount(), MAX_HOLDERS);
        assertRefused(inv1, inv5, 10, IAssetFractions.Refusal.HOLDER_LIMIT);
        // a holder who hands over all it holds does not add one
        assertMoves(inv4, inv5, 10);
        assertEq(asset.holderCount(), MAX_HOLDERS);
        assertRefused(inv5, inv4, 5, IAssetFractions.Refusal.HOLDER_LIMIT);
        // an existing holder can still receive
        assertMoves(inv1, inv5, 5);
        // once a holder leaves there is room again
        assertMoves(inv3, inv2, SUB3);
        assertEq(asset.holderCount(), MAX_HOLDERS - 1);
        assertMoves(inv5, inv4, 5);
        assertEq(asset.holderCount(), MAX_HOLDERS);
    }

    /// @dev A subscriber that has not claimed its shares still counts as a holder, also once it has sent away every
    /// share it received in the meantime; the recipient is the one that joins.
    function test_holderCount_subscriberWithUnclaimedSharesStaysAHolder() public {
        subscribedAndSettled();
        claimSharesOf(inv1);
        claimSharesOf(inv2);
        vm.warp(lockUpUntil);
        assertEq(asset.holderCount(), 3);
        assertMoves(inv2, inv3, 10); // inv3 already counts
        assertEq(asset.holderCount(), 3);
        assertMoves(inv3, inv4, 10); // inv3 keeps its subscription, inv4 joins
        assertEq(asset.holderCount(), MAX_HOLDERS);
        assertRefused(inv1, inv5, 10, IAssetFractions.Refusal.HOLDER_LIMIT);
        claimSharesOf(inv3);
        assertEq(asset.holderCount(), MAX_HOLDERS);
        assertMoves(inv4, inv5, 10); // inv4 hands over all it holds
        assertEq(asset.holderCount(), MAX_HOLDERS);
    }

    function test_transfer_refusedBeyondHoldingLimit() public {
        tradingAsset();
        assertRefused(inv2, inv1, MAX_PER_HOLDER - SUB1 + 1, IAssetFractions.Refusal.HOLDING_LIMIT);
        assertMoves(inv2, inv1, MAX_PER_HOLDER - SUB1); // exactly the maximum
        assertEq(asset.balanceOf(inv1), MAX_PER_HOLDER);
        assertRefused(inv3, inv1, 1, IAssetFractions.Refusal.HOLDING_LIMIT);
    }

    function test_transfer_toZeroAddressRefused() public {
        tradingAsset();
        expectErr(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(inv1);
        asset.transfer(address(0), 1);
    }

    function test_transferFrom_spendsAllowanceAndEmits() public {
        tradingAsset();
        vm.expectEmit(address(asset));
        emit IERC20.Approval(inv1, spender, 30);
        vm.prank(inv1);
        asset.approve(spender, 30);
        assertEq(asset.allowance(inv1, spender), 30);
        expectErr(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, spender, 30, 31));
        vm.prank(spender);
        asset.transferFrom(inv1, inv2, 31);
        vm.expectEmit(address(asset));
        emit IERC20.Transfer(inv1, inv2, 20);
        vm.prank(spender);
        assertTrue(asset.transferFrom(inv1, inv2, 20));
        assertEq(asset.allowance(inv1, spender), 10);
        assertEq(asset.balanceOf(inv2), SUB2 + 20);
        // an unlimited allowance is not spent
        vm.prank(inv1);
        asset.approve(spender, type(uint256).max);
        vm.prank(spender);
        asset.transferFrom(inv1, inv2, 5);
        assertEq(asset.allowance(inv1, spender), type(uint256).max);
    }

    function test_canTransfer_mintAnswersLikeSubscribe() public {
        assertCan(address(0), inv1, 10, IAssetFractions.Refusal.NONE);
        assertCan(address(0), lowTier, 10, IAssetFractions.Refusal.TO_KYC_TIER);
        assertCan(address(0), farAway, 10, IAssetFractions.Refusal.TO_REGION);
        assertCan(address(0), nonInvestor, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR);
        assertCan(address(0), inv1, MAX_PER_HOLDER + 1, IAssetFractions.Refusal.HOLDING_LIMIT);
    }

    // =====================================================================
    // offering
    // =====================================================================

    function test_subscribe_escrowsPaymentAndEmits() public {
        vm.expectEmit(address(asset));
        emit IAssetFractions.Subscribed(inv1, 250, 2_500_000, 250);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(inv1, address(asset), 2_500_000);
        subscribeAs(inv1, 250);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH - 2_500_000);
        assertEq(asset.subscriptionOf(inv1), 250);
        assertEq(asset.subscriptionEscrow(), 2_500_000);
        assertEq(asset.balanceOf(inv1), 0); // shares come only with claimShares
        assertEq(asset.totalSupply(), 0);
        // a second subscription adds to the first; still one subscriber
        vm.expectEmit(address(asset));
        emit IAssetFractions.Subscribed(inv1, 50, 500_000, 300);
        subscribeAs(inv1, 50);
        subscribeAs(inv2, 10);
        IAssetFractions.Offering memory o = asset.offering();
        assertEq(o.sold, 310);
        assertEq(o.subscribers, 2);
        assertEq(asset.subscriptionOf(inv1), 300);
        assertEq(asset.subscriptionEscrow(), 3_100_000);
        assertMoneyBalanced(asset);
    }

    function test_subscribe_refusesBelowMinimum() public {
        expectErr(
            abi.encodeWithSelector(
                IAssetFractions.FractionsBelowMinimum.selector, MIN_SUBSCRIPTION - 1, MIN_SUBSCRIPTION
            )
        );
        subscribeAs(inv1, MIN_SUBSCRIPTION - 1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsBelowMinimum.selector, 0, MIN_SUBSCRIPTION));
        subscribeAs(inv1, 0);
        subscribeAs(inv1, MIN_SUBSCRIPTION);
        assertEq(asset.subscriptionOf(inv1), MIN_SUBSCRIPTION);
    }

    function test_subscribe_refusesBeyondHardCapThenClosesAtIt() public {
        subscribeAs(inv1, 400);
        subscribeAs(inv2, 400);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsHardCapExceeded.selector, 201, 200));
        subscribeAs(inv3, 201);
        subscribeAs(inv3, 200);
        assertEq(asset.offering().sold, HARD_CAP);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsOfferingClosed.selector, deadline));
        subscribeAs(inv4, MIN_SUBSCRIPTION);
        // at the hard cap the offering may be settled before the deadline
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferingSettled(IAssetFractions.OfferingStatus.SUCCEEDED, HARD_CAP, HARD_CAP * PRICE);
        asset.settleOffering();
        assertLt(block.timestamp, deadline);
        assertStatus(IAssetFractions.OfferingStatus.SUCCEEDED);
    }

    function test_subscribe_openUntilJustBeforeTheDeadline() public {
        vm.warp(deadline - 1);
        subscribeAs(inv1, MIN_SUBSCRIPTION);
        vm.warp(deadline);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsOfferingClosed.selector, deadline));
        subscribeAs(inv2, MIN_SUBSCRIPTION);
    }

    function test_subscribe_refusedOnceSettled() public {
        subscribedAndSettled();
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsOfferingClosed.selector, deadline));
        subscribeAs(inv4, MIN_SUBSCRIPTION);
    }

    function test_subscribe_refusesIneligibleSubscribersBeforeTakingPayment() public {
        expectErr(refused(address(0), lowTier, 10, IAssetFractions.Refusal.TO_KYC_TIER));
        subscribeAs(lowTier, 10);
        expectErr(refused(address(0), farAway, 10, IAssetFractions.Refusal.TO_REGION));
        subscribeAs(farAway, 10);
        expectErr(refused(address(0), nonInvestor, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        subscribeAs(nonInvestor, 10);
        expectErr(refused(address(0), outsider, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        subscribeAs(outsider, 10);
        freeze(inv5);
        assertCan(address(0), inv5, 10, IAssetFractions.Refusal.TO_FROZEN);
        expectErr(refused(address(0), inv5, 10, IAssetFractions.Refusal.TO_FROZEN));
        subscribeAs(inv5, 10);
        assertEq(token.balanceOf(lowTier), INVESTOR_CASH);
        assertEq(asset.offering().sold, 0);
        // each passes once its one rule no longer applies
        updateProfile(lowTier, PUDONG, ASSET_KYC);
        subscribeAs(lowTier, 10);
        unfreeze(inv5);
        subscribeAs(inv5, 10);
    }

    function test_subscribe_refusedBeyondHoldingLimit() public {
        subscribeAs(inv1, MAX_PER_HOLDER - 10);
        assertCan(address(0), inv1, 11, IAssetFractions.Refusal.HOLDING_LIMIT);
        expectErr(refused(address(0), inv1, 11, IAssetFractions.Refusal.HOLDING_LIMIT));
        subscribeAs(inv1, 11);
        subscribeAs(inv1, 10);
        assertEq(asset.subscriptionOf(inv1), MAX_PER_HOLDER);
    }

    function test_subscribe_refusedForNewSubscriberAtHolderCap() public {
        subscribeAs(inv1, 10);
        subscribeAs(inv2, 10);
        subscribeAs(inv3, 10);
        subscribeAs(inv4, 10);
        assertEq(asset.holderCount(), MAX_HOLDERS);
        assertCan(address(0), inv5, 10, IAssetFractions.Refusal.HOLDER_LIMIT);
        expectErr(refused(address(0), inv5, 10, IAssetFractions.Refusal.HOLDER_LIMIT));
        subscribeAs(inv5, 10);
        subscribeAs(inv4, 10); // an existing subscriber adds no holder
        assertEq(asset.subscriptionOf(inv4), 20);
    }

    function test_settleOffering_refusedBeforeTheEnd() public {
        subscribeAs(inv1, SUB1);
        subscribeAs(inv2, SUB2);
        subscribeAs(inv3, SUB3);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsOfferingNotEnded.selector, deadline));
        asset.settleOffering();
        vm.warp(deadline - 1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsOfferingNotEnded.selector, deadline));
        asset.settleOffering();
        vm.warp(deadline);
        asset.settleOffering();
        assertStatus(IAssetFractions.OfferingStatus.SUCCEEDED);
        expectErr(wrongStatus(IAssetFractions.OfferingStatus.SUCCEEDED));
        asset.settleOffering();
    }

    function test_settleOffering_softCapMissedRefundsExactly() public {
        subscribeAs(inv1, 250);
        subscribeAs(inv1, 50);
        subscribeAs(inv2, 150);
        subscribeAs(inv3, 49); // 499: one short of the soft cap
        vm.warp(deadline);
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferingSettled(IAssetFractions.OfferingStatus.FAILED, 499, 0);
        asset.settleOffering();
        assertStatus(IAssetFractions.OfferingStatus.FAILED);
        assertEq(asset.proceedsOwed(), 0);
        assertEq(asset.subscriptionEscrow(), 4_990_000);
        expectErr(wrongStatus(IAssetFractions.OfferingStatus.FAILED));
        asset.claimShares(inv1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsNoShares.selector));
        payInAs(issuer, 1_000);
        expectErr(nothingToPay(issuer));
        vm.prank(issuer);
        asset.withdrawProceeds();

        address[3] memory subs = [inv1, inv2, inv3];
        uint256[3] memory paid = [uint256(3_000_000), 1_500_000, 490_000];
        for (uint256 i = 0; i < 3; i++) {
            vm.expectEmit(address(asset));
            emit IAssetFractions.SubscriptionRefunded(subs[i], paid[i]);
            vm.expectEmit(address(token));
            emit IERC20.Transfer(address(asset), subs[i], paid[i]);
            vm.prank(subs[i]);
            asset.refund();
            assertEq(token.balanceOf(subs[i]), INVESTOR_CASH, "refund is exactly what was paid");
            assertEq(asset.subscriptionOf(subs[i]), 0);
            assertMoneyBalanced(asset);
            expectErr(nothingToPay(subs[i]));
            vm.prank(subs[i]);
            asset.refund();
        }
        assertEq(asset.subscriptionEscrow(), 0);
        assertEq(token.balanceOf(address(asset)), 0);
        assertEq(asset.offering().subscribers, 0);
        assertEq(asset.holderCount(), 0);
        expectErr(nothingToPay(inv4));
        vm.prank(inv4);
        asset.refund();
    }

    function test_settleOffering_exactlySoftCapSucceeds() public {
        subscribeAs(inv1, 300);
        subscribeAs(inv2, 200);
        settle();
        assertStatus(IAssetFractions.OfferingStatus.SUCCEEDED);
        assertEq(asset.offering().sold, SOFT_CAP);
    }

    function test_settleOffering_nobodySubscribedFails() public {
        vm.warp(deadline);
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferingSettled(IAssetFractions.OfferingStatus.FAILED, 0, 0);
        asset.settleOffering();
        expectErr(nothingToPay(inv1));
        vm.prank(inv1);
        asset.refund();
    }

    function test_settleOffering_successOwesProceedsToTheIssuer() public {
        subscribeAs(inv1, SUB1);
        subscribeAs(inv2, SUB2);
        subscribeAs(inv3, SUB3);
        vm.warp(deadline);
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferingSettled(IAssetFractions.OfferingStatus.SUCCEEDED, SOLD, SOLD * PRICE);
        asset.settleOffering(); // anyone may settle
        assertEq(asset.proceedsOwed(), SOLD * PRICE);
        assertEq(asset.subscriptionEscrow(), 0);
        assertMoneyBalanced(asset);
        expectErr(wrongStatus(IAssetFractions.OfferingStatus.SUCCEEDED));
        vm.prank(inv1);
        asset.refund();

        expectErr(unauthorized(inv1, BANK_ROLE));
        vm.prank(inv1);
        asset.withdrawProceeds();
        uint256 before = token.balanceOf(issuer);
        vm.expectEmit(address(asset));
        emit IAssetFractions.ProceedsWithdrawn(issuer, SOLD * PRICE);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(asset), issuer, SOLD * PRICE);
        vm.prank(issuer);
        asset.withdrawProceeds();
        assertEq(token.balanceOf(issuer), before + SOLD * PRICE);
        assertEq(asset.proceedsOwed(), 0);
        assertEq(token.balanceOf(address(asset)), 0);
        expectErr(nothingToPay(issuer));
        vm.prank(issuer);
        asset.withdrawProceeds();
    }

    function test_withdrawProceeds_nothingBeforeSettlement() public {
        subscribeAs(inv1, SUB1);
        expectErr(nothingToPay(issuer));
        vm.prank(issuer);
        asset.withdrawProceeds();
        expectErr(wrongStatus(IAssetFractions.OfferingStatus.OPEN));
        vm.prank(inv1);
        asset.refund();
    }

    function test_claimShares_byAnyoneMintsToTheSubscriber() public {
        subscribedAndSettled();
        vm.expectEmit(address(asset));
        emit IAssetFractions.SharesClaimed(inv3, SUB3);
        vm.expectEmit(address(asset));
        emit IERC20.Transfer(address(0), inv3, SUB3);
        vm.prank(outsider);
        asset.claimShares(inv3);
        assertEq(asset.balanceOf(inv3), SUB3);
        assertEq(asset.balanceOf(outsider), 0);
        assertEq(asset.subscriptionOf(inv3), 0);
        assertEq(asset.totalSupply(), SUB3);
        assertEq(asset.offering().subscribers, 3); // subscribed and not refunded: claiming does not change it
        assertEq(asset.holderCount(), 3); // a subscriber already counted as a holder
        expectErr(nothingToPay(inv3));
        asset.claimShares(inv3);
        expectErr(nothingToPay(inv4));
        asset.claimShares(inv4);
        // in the lock-up: a mint is not a transfer
        assertLt(block.timestamp, lockUpUntil);
        claimSharesOf(inv1);
        claimSharesOf(inv2);
        assertEq(asset.totalSupply(), SOLD);
        assertEq(asset.offering().subscribers, 3);
    }

    function test_claimShares_refusedBeforeSuccess() public {
        subscribeAs(inv1, SUB1);
        expectErr(wrongStatus(IAssetFractions.OfferingStatus.OPEN));
        asset.claimShares(inv1);
    }

    function test_claimShares_passesComplianceLikeAnyMovement() public {
        subscribedAndSettled();
        pauseAs(issuer);
        expectErr(refused(address(0), inv3, SUB3, IAssetFractions.Refusal.PAUSED));
        asset.claimShares(inv3);
        unpauseAs(issuer);
        suspend(inv3);
        expectErr(refused(address(0), inv3, SUB3, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        asset.claimShares(inv3);
        reinstate(inv3);
        freeze(inv3);
        expectErr(refused(address(0), inv3, SUB3, IAssetFractions.Refusal.TO_FROZEN));
        asset.claimShares(inv3);
        unfreeze(inv3);
        asset.claimShares(inv3);
        assertEq(asset.balanceOf(inv3), SUB3);
    }

    // =====================================================================
    // secondary market (delivery versus payment)
    // =====================================================================

    uint96 internal constant ASK = 12_000;

    function test_makeOffer_recordsAndEmitsSharesStayWithSeller() public {
        tradingAsset();
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferMade(1, inv1, 50, ASK);
        uint256 id = offerAs(inv1, 50, ASK);
        assertEq(id, 1);
        assertEq(asset.offerCount(), 1);
        IAssetFractions.Offer memory o = asset.offerOf(id);
        assertEq(o.seller, inv1);
        assertEq(o.shares, 50);
        assertEq(o.price, ASK);
        assertEq(asset.balanceOf(inv1), SUB1);
        assertEq(offerAs(inv2, 10, ASK), 2);
        assertEq(asset.offerOf(3).seller, address(0));
    }

    function test_makeOffer_refusesZeroAndMoreThanHeld() public {
        tradingAsset();
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector));
        offerAs(inv1, 0, ASK);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector));
        offerAs(inv1, 10, 0);
        expectErr(refused(inv1, address(0), SUB1 + 1, IAssetFractions.Refusal.INSUFFICIENT_BALANCE));
        offerAs(inv1, SUB1 + 1, ASK);
        assertEq(asset.offerCount(), 0);
    }

    function test_buy_movesSharesAndPaymentTogether() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        vm.expectEmit(address(asset));
        emit IERC20.Transfer(inv1, inv2, 20);
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferFilled(id, inv2, 20, 20 * uint256(ASK), 30);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(inv2, inv1, 20 * uint256(ASK));
        buyAs(inv2, id, 20);
        assertEq(asset.balanceOf(inv1), SUB1 - 20);
        assertEq(asset.balanceOf(inv2), SUB2 + 20);
        assertEq(token.balanceOf(inv1), INVESTOR_CASH - SUB1 * PRICE + 20 * uint256(ASK));
        assertEq(token.balanceOf(inv2), INVESTOR_CASH - SUB2 * PRICE - 20 * uint256(ASK));
        assertEq(asset.offerOf(id).shares, 30);
        // partial fills down to the last share, then the offer is gone
        buyAs(inv3, id, 29);
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferFilled(id, inv2, 1, ASK, 0);
        buyAs(inv2, id, 1);
        assertEq(asset.offerOf(id).seller, address(0));
        assertEq(asset.balanceOf(inv1), SUB1 - 50);
        assertEq(asset.balanceOf(inv3), SUB3 + 29);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsUnknownOffer.selector, id));
        buyAs(inv2, id, 1);
        assertMoneyBalanced(asset);
    }

    function test_buy_refusesMoreThanOfferedZeroAndUnknown() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsOfferTooSmall.selector, id, 51, 50));
        buyAs(inv2, id, 51);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector));
        buyAs(inv2, id, 0);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsUnknownOffer.selector, 2));
        buyAs(inv2, 2, 1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsUnknownOffer.selector, 0));
        buyAs(inv2, 0, 1);
    }

    function assertNothingMoved(uint256 id, uint96 offered, uint256 cash1, uint256 cash2) internal view {
        assertEq(asset.balanceOf(inv1), SUB1, "seller keeps the shares");
        assertEq(asset.balanceOf(inv2), SUB2, "buyer gets no shares");
        assertEq(token.balanceOf(inv1), cash1, "seller is not paid");
        assertEq(token.balanceOf(inv2), cash2, "buyer pays nothing");
        assertEq(asset.offerOf(id).shares, offered, "offer intact");
    }

    function test_buy_withoutAllowanceLeavesSharesWithSeller() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        vm.prank(inv2);
        token.approve(address(asset), 20 * uint256(ASK) - 1);
        (uint256 cash1, uint256 cash2) = (token.balanceOf(inv1), token.balanceOf(inv2));
        expectErr(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector,
                address(asset),
                20 * uint256(ASK) - 1,
                20 * uint256(ASK)
            )
        );
        buyAs(inv2, id, 20);
        assertNothingMoved(id, 50, cash1, cash2);
    }

    function test_buy_withoutBalanceLeavesSharesWithSeller() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        uint256 cash2 = token.balanceOf(inv2);
        vm.prank(inv2);
        token.transfer(inv5, cash2 - 100); // inv2 keeps one CNY
        uint256 cash1 = token.balanceOf(inv1);
        expectErr(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, inv2, 100, 20 * uint256(ASK)));
        buyAs(inv2, id, 20);
        assertNothingMoved(id, 50, cash1, 100);
    }

    function test_buy_toIneligibleBuyerCannotFill() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        uint256 cash = token.balanceOf(lowTier);
        expectErr(refused(inv1, lowTier, 10, IAssetFractions.Refusal.TO_KYC_TIER));
        buyAs(lowTier, id, 10);
        expectErr(refused(inv1, farAway, 10, IAssetFractions.Refusal.TO_REGION));
        buyAs(farAway, id, 10);
        expectErr(refused(inv1, nonInvestor, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        buyAs(nonInvestor, id, 10);
        assertEq(token.balanceOf(lowTier), cash);
        assertEq(asset.balanceOf(inv1), SUB1);
        assertEq(asset.offerOf(id).shares, 50);
        updateProfile(lowTier, PUDONG, ASSET_KYC);
        buyAs(lowTier, id, 10);
        assertEq(asset.balanceOf(lowTier), 10);
    }

    function test_buy_fromFrozenSellerCannotFill() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        (uint256 cash1, uint256 cash2) = (token.balanceOf(inv1), token.balanceOf(inv2));
        freeze(inv1);
        expectErr(refused(inv1, inv2, 10, IAssetFractions.Refusal.FROM_FROZEN));
        buyAs(inv2, id, 10);
        unfreeze(inv1);
        freezeShares(inv1, SUB1 - 5);
        expectErr(refused(inv1, inv2, 10, IAssetFractions.Refusal.AMOUNT_FROZEN));
        buyAs(inv2, id, 10);
        assertNothingMoved(id, 50, cash1, cash2);
        buyAs(inv2, id, 5);
        assertEq(asset.balanceOf(inv2), SUB2 + 5);
    }

    function test_buy_refusedWhilePausedOrInLockUp() public {
        succeededOffering();
        uint256 id = offerAs(inv1, 50, ASK); // an offer may be made in the lock-up; it cannot fill
        expectErr(refused(inv1, inv2, 10, IAssetFractions.Refusal.LOCKED_UP));
        buyAs(inv2, id, 10);
        vm.warp(lockUpUntil);
        pauseAs(regulator);
        expectErr(refused(inv1, inv2, 10, IAssetFractions.Refusal.PAUSED));
        buyAs(inv2, id, 10);
        unpauseAs(regulator);
        buyAs(inv2, id, 10);
    }

    function test_buy_sellerNoLongerHoldingCannotFill() public {
        tradingAsset();
        uint256 id = offerAs(inv3, 50, ASK);
        transferAs(inv3, inv2, 80); // 20 left
        expectErr(refused(inv3, inv1, 50, IAssetFractions.Refusal.INSUFFICIENT_BALANCE));
        buyAs(inv1, id, 50);
        buyAs(inv1, id, 20);
        assertEq(asset.balanceOf(inv3), 0);
        assertEq(asset.offerOf(id).shares, 30);
    }

    function test_cancelOffer_onlyBySeller() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 50, ASK);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsNotSeller.selector, id, inv2));
        vm.prank(inv2);
        asset.cancelOffer(id);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsNotSeller.selector, id, court));
        vm.prank(court);
        asset.cancelOffer(id);
        vm.expectEmit(address(asset));
        emit IAssetFractions.OfferCancelled(id);
        vm.prank(inv1);
        asset.cancelOffer(id);
        assertEq(asset.offerOf(id).seller, address(0));
        assertEq(asset.offerOf(id).shares, 0);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsUnknownOffer.selector, id));
        buyAs(inv2, id, 1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsUnknownOffer.selector, id));
        vm.prank(inv1);
        asset.cancelOffer(id);
        assertEq(asset.balanceOf(inv1), SUB1);
    }

    // =====================================================================
    // recoveries
    // =====================================================================

    function test_payIn_refusedBeforeSuccess() public {
        subscribeAs(inv1, SUB1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsNoShares.selector));
        payInAs(issuer, 600_000);
        subscribeAs(inv2, SUB2);
        settle();
        payInAs(issuer, 600_000); // succeeded: shares sold, none claimed yet, recoveries accepted
        assertEq(asset.totalPaidIn(), 600_000);
    }

    function test_payIn_refusesZero() public {
        tradingAsset();
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector));
        payInAs(issuer, 0);
    }

    function test_payIn_pullsAndEmits() public {
        tradingAsset();
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryPaid(issuer, CASE_REF, 600_000, 600_000);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(issuer, address(asset), 600_000);
        payInAs(issuer, 600_000);
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryPaid(inv4, CASE_REF, 1_200, 601_200);
        payInAs(inv4, 1_200); // anyone may pay
        assertEq(asset.totalPaidIn(), 601_200);
        assertMoneyBalanced(asset);
    }

    function test_claim_proRataExactAndOnce() public {
        tradingAsset();
        payInAs(issuer, 600_000); // 1,000 fen a share
        assertEq(asset.claimable(inv1), 300_000);
        assertEq(asset.claimable(inv2), 200_000);
        assertEq(asset.claimable(inv3), 100_000);
        assertEq(asset.claimable(inv4), 0);
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryClaimed(inv2, 200_000);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(asset), inv2, 200_000);
        assertEq(claimAs(inv2), 200_000);
        assertEq(asset.claimed(inv2), 200_000);
        assertEq(asset.claimable(inv2), 0);
        assertEq(asset.totalClaimed(), 200_000);
        expectErr(nothingToPay(inv2));
        vm.prank(inv2);
        asset.claim();
        expectErr(nothingToPay(inv4));
        vm.prank(inv4);
        asset.claim();
        assertEq(claimAs(inv1), 300_000);
        assertEq(claimAs(inv3), 100_000);
        assertEq(token.balanceOf(address(asset)), SOLD * PRICE); // only the proceeds are left
        assertMoneyBalanced(asset);
    }

    function test_claim_divisionRemainderCarriedToNextPayment() public {
        tradingAsset();
        payInAs(issuer, 100); // 1/6 fen a share
        uint256 sum = sumClaimable(holders3());
        assertLe(sum, 100);
        assertGe(sum + 3, 100); // less than one fen lost per holder, for now
        payInAs(issuer, 599_900); // 600,000 in all: exactly 1,000 fen a share
        assertEq(asset.claimable(inv1), 300_000);
        assertEq(asset.claimable(inv2), 200_000);
        assertEq(asset.claimable(inv3), 100_000);
    }

    function test_claim_fractionOfAFenCarriedToNextClaim() public {
        tradingAsset();
        payInAs(issuer, 100); // inv3: 100 shares of 600, 16.67 fen
        uint256 first = claimAs(inv3);
        assertLe(first, 16);
        assertGe(first, 15);
        payInAs(issuer, 500); // 600 in all: 1 fen a share, 100 for inv3
        assertEq(asset.claimable(inv3), 100 - first);
        assertEq(claimAs(inv3) + first, 100);
        assertEq(asset.claimable(inv1) + asset.claimable(inv2) + asset.totalClaimed(), 600);
    }

    /// @dev Three payments of any size: each holder's claimable is its pro-rata share of the total floored, less at
    /// most one fen (the magnified per-share amount is floored once), and the rest is dust below holders + 1.
    function test_fuzz_claim_proRataOfAnyPayments(uint256 a, uint256 b, uint256 c) public {
        a = bound(a, 1, 1e12);
        b = bound(b, 1, 1e12);
        c = bound(c, 1, 1e12);
        tradingAsset();
        vm.startPrank(settlementBank);
        token.mint(issuer, a + b + c, REASON);
        vm.stopPrank();
        payInAs(issuer, a);
        payInAs(issuer, b);
        payInAs(issuer, c);
        uint256 total = a + b + c;
        uint96[3] memory held = [SUB1, SUB2, SUB3];
        address[] memory h = holders3();
        for (uint256 i = 0; i < 3; i++) {
            uint256 exact = total * held[i] / SOLD;
            assertLe(asset.claimable(h[i]), exact);
            assertGe(asset.claimable(h[i]) + 1, exact);
        }
        uint256 dust = total - sumClaimable(h);
        assertLt(dust, 4);
    }

    /// @dev A transfer of any size between two payments moves the future, never the past.
    function test_fuzz_claim_transferBetweenPaymentsKeepsClaimsExact(uint256 amount, uint256 perShare) public {
        amount = bound(amount, 1, SUB1 - 1);
        perShare = bound(perShare, 1, 1e6);
        tradingAsset();
        vm.startPrank(settlementBank);
        token.mint(issuer, 2 * perShare * SOLD, REASON);
        vm.stopPrank();
        payInAs(issuer, perShare * SOLD);
        forcedTransfer(inv1, inv4, amount); // any amount, free of the holding limit
        payInAs(issuer, perShare * SOLD);
        assertEq(asset.claimable(inv1), perShare * SUB1 + perShare * (SUB1 - amount));
        assertEq(asset.claimable(inv4), perShare * amount);
        assertEq(asset.claimable(inv2), 2 * perShare * SUB2);
    }

    function test_claim_exactAcrossTransfers() public {
        tradingAsset();
        payInAs(issuer, 600_000);
        transferAs(inv1, inv4, 100); // inv4 buys in after the first recovery
        transferAs(inv3, inv2, 100); // inv3 leaves
        payInAs(issuer, 600_000);
        assertEq(asset.claimable(inv1), 300_000 + 200_000);
        assertEq(asset.claimable(inv2), 200_000 + 300_000);
        assertEq(asset.claimable(inv3), 100_000);
        assertEq(asset.claimable(inv4), 100_000);
        assertEq(claimAs(inv3), 100_000); // a former holder still claims what it earned
        assertEq(asset.claimable(inv1) + asset.claimable(inv2) + asset.claimable(inv4), 1_100_000);
    }

    function test_claim_exactAcrossClaimsAndTransfersBackAndForth() public {
        tradingAsset();
        payInAs(issuer, 600_000);
        claimAs(inv1);
        transferAs(inv1, inv2, 150);
        transferAs(inv2, inv1, 150);
        assertEq(asset.claimable(inv1), 0);
        assertEq(asset.claimable(inv2), 200_000);
        payInAs(issuer, 6_000);
        assertEq(asset.claimable(inv1), 3_000);
        assertEq(asset.claimable(inv2), 202_000);
    }

    function test_claim_exactForSharesMintedAfterPayments() public {
        subscribedAndSettled();
        claimSharesOf(inv1);
        claimSharesOf(inv2);
        payInAs(issuer, 600_000);
        vm.warp(block.timestamp + 10 days);
        payInAs(issuer, 600_000);
        claimSharesOf(inv3); // minted after two recoveries: carries both
        assertEq(asset.claimable(inv3), 200_000);
        assertEq(asset.claimable(inv1), 600_000);
        assertEq(asset.claimable(inv2), 400_000);
        assertEq(claimAs(inv3), 200_000);
        payInAs(issuer, 600_000);
        assertEq(asset.claimable(inv3), 100_000);
    }

    /// @dev Σ claimable + Σ claimed + dust = totalPaidIn holds at every moment, so the shares of a subscriber who has
    /// not yet claimed them count in its claimable (they carry every recovery since the offering settled).
    function test_claimable_countsSubscribedSharesNotYetClaimed() public {
        subscribedAndSettled();
        payInAs(issuer, 600_000);
        assertEq(asset.claimable(inv1), 300_000);
        assertEq(asset.claimable(inv2), 200_000);
        assertEq(asset.claimable(inv3), 100_000);
        assertEq(sumClaimable(holders3()), asset.totalPaidIn());
        claimSharesOf(inv3);
        assertEq(asset.claimable(inv3), 100_000);
    }

    function test_claim_exactAcrossForcedTransfers() public {
        tradingAsset();
        payInAs(issuer, 600_000);
        forcedTransfer(inv1, inv5, 200);
        payInAs(issuer, 600_000);
        assertEq(asset.claimable(inv1), 300_000 + 100_000);
        assertEq(asset.claimable(inv5), 200_000);
        assertEq(sumClaimable(holders3()) + asset.claimable(inv5), 1_200_000);
    }

    function test_claim_exactAcrossKeyRecoveries() public {
        tradingAsset();
        address inv1b = makeAddr("investor1-new-key");
        admitReplacement(inv1, inv1b);
        payInAs(issuer, 600_000);
        claimAs(inv2);
        recover(inv1, inv1b);
        payInAs(issuer, 600_000);
        assertEq(asset.claimable(inv1), 0);
        assertEq(asset.claimable(inv1b), 600_000);
        assertEq(asset.claimable(inv2), 200_000);
        assertEq(asset.claimable(inv3), 200_000);
        assertEq(claimAs(inv1b), 600_000);
        expectErr(nothingToPay(inv1));
        vm.prank(inv1);
        asset.claim();
    }

    function test_claim_gasIndependentOfPaymentsCount() public {
        tradingAsset();
        payInAs(issuer, 600_000);
        uint256 snap = vm.snapshotState();
        vm.prank(inv2);
        asset.claim();
        uint256 afterOne = vm.lastCallGas().gasTotalUsed;
        vm.revertToState(snap);
        for (uint256 i = 0; i < 60; i++) {
            payInAs(issuer, 1_000 + i);
        }
        vm.prank(inv2);
        asset.claim();
        uint256 afterSixtyOne = vm.lastCallGas().gasTotalUsed;
        assertApproxEqAbs(afterSixtyOne, afterOne, 100, "claim gas grows with the number of payments");
    }

    // --- collect (a system contract's pull payment) ---

    function test_collect_distributesWhatASourceOwes() public {
        tradingAsset();
        MockPullSource source = new MockPullSource(token);
        pass(IConsortium.ProposalKind.SetSystemContract, address(source), abi.encode(true));
        vm.prank(issuer);
        token.transfer(address(source), 600_000);
        source.owe(address(asset), 600_000);
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryPaid(address(source), bytes32(uint256(uint160(address(source)))), 600_000, 600_000);
        vm.prank(outsider); // anyone may call
        asset.collect(address(source));
        assertEq(asset.totalPaidIn(), 600_000);
        assertEq(token.balanceOf(address(source)), 0);
        assertEq(asset.claimable(inv1), 300_000);
        assertMoneyBalanced(asset);
        // it owes nothing now
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidSource.selector, address(source)));
        asset.collect(address(source));
    }

    function test_collect_refusesNonSystemContractsAndBeforeSuccess() public {
        MockPullSource source = new MockPullSource(token);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidSource.selector, address(source)));
        asset.collect(address(source));
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidSource.selector, inv1));
        asset.collect(inv1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidSource.selector, address(asset)));
        asset.collect(address(asset));
        pass(IConsortium.ProposalKind.SetSystemContract, address(source), abi.encode(true));
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsNoShares.selector));
        asset.collect(address(source));
    }

    // =====================================================================
    // court orders
    // =====================================================================

    function test_courtOrders_onlyAnActiveCourt() public {
        tradingAsset();
        address[5] memory callers = [regulator, issuer, inv1, outsider, address(consortium)];
        for (uint256 i = 0; i < callers.length; i++) {
            bytes memory err = unauthorized(callers[i], COURT_ROLE);
            vm.startPrank(callers[i]);
            expectErr(err);
            asset.freezeAccount(inv1, ORDER);
            expectErr(err);
            asset.unfreezeAccount(inv1, ORDER);
            expectErr(err);
            asset.setFrozenShares(inv1, 10, ORDER);
            expectErr(err);
            asset.forcedTransfer(inv1, inv2, 10, ORDER);
            vm.stopPrank();
        }
        suspend(court);
        expectErr(unauthorized(court, COURT_ROLE));
        freeze(inv1);
        reinstate(court);
        freeze(inv1);
        assertFrozen(inv1, true, 0);
    }

    function test_freezeAccount_emitsAndRefusesNoOps() public {
        tradingAsset();
        vm.expectEmit(address(asset));
        emit IAssetFractions.AccountFrozen(inv1, court, ORDER);
        freeze(inv1);
        assertFrozen(inv1, true, 0);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidFreeze.selector, inv1));
        freeze(inv1);
        vm.expectEmit(address(asset));
        emit IAssetFractions.AccountUnfrozen(inv1, court, ORDER);
        unfreeze(inv1);
        assertFrozen(inv1, false, 0);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidFreeze.selector, inv1));
        unfreeze(inv1);
        // an account without shares may be frozen (it then cannot receive)
        freeze(inv5);
        assertFrozen(inv5, true, 0);
    }

    function test_setFrozenShares_emitsAndIsBoundedByTheHolding() public {
        tradingAsset();
        vm.expectEmit(address(asset));
        emit IAssetFractions.SharesFrozen(inv1, court, 120, ORDER);
        freezeShares(inv1, 120);
        assertFrozen(inv1, false, 120);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidFreeze.selector, inv1));
        freezeShares(inv1, SUB1 + 1);
        freezeShares(inv1, SUB1);
        assertFrozen(inv1, false, SUB1);
        vm.expectEmit(address(asset));
        emit IAssetFractions.SharesFrozen(inv1, court, 0, ORDER);
        freezeShares(inv1, 0);
        assertFrozen(inv1, false, 0);
    }

    function test_forcedTransfer_bypassesPauseLockUpFreezesLimitsAndSenderEligibility() public {
        succeededOffering(); // still in the lock-up
        pauseAs(regulator);
        freeze(inv1);
        suspend(inv1);
        assertEq(asset.holderCount(), 3);
        transferOrdered(inv1, inv4, 10); // a fourth holder
        transferOrdered(inv1, inv5, 10); // a fifth: beyond the holder cap
        transferOrdered(inv2, inv4, 200); // inv4: 210; then beyond the per-holder maximum
        transferOrdered(inv1, inv4, MAX_PER_HOLDER - 200);
        assertEq(asset.balanceOf(inv4), MAX_PER_HOLDER + 10);
        assertEq(asset.holderCount(), 4); // inv2 left, inv4 and inv5 came
        assertEq(asset.balanceOf(inv1), SUB1 - 20 - (MAX_PER_HOLDER - 200));
        assertFrozen(inv1, true, 0); // the freeze stays
        assertEq(asset.totalSupply(), SOLD);
    }

    function transferOrdered(address from, address to, uint256 amount) internal {
        vm.expectEmit(address(asset));
        emit IERC20.Transfer(from, to, amount);
        vm.expectEmit(address(asset));
        emit IAssetFractions.ForcedTransfer(from, to, amount, court, ORDER);
        forcedTransfer(from, to, amount);
    }

    function test_forcedTransfer_neverToAnIneligibleOrFrozenRecipient() public {
        tradingAsset();
        expectErr(refused(inv1, lowTier, 10, IAssetFractions.Refusal.TO_KYC_TIER));
        forcedTransfer(inv1, lowTier, 10);
        expectErr(refused(inv1, farAway, 10, IAssetFractions.Refusal.TO_REGION));
        forcedTransfer(inv1, farAway, 10);
        expectErr(refused(inv1, nonInvestor, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        forcedTransfer(inv1, nonInvestor, 10);
        expectErr(refused(inv1, outsider, 10, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        forcedTransfer(inv1, outsider, 10);
        freeze(inv2);
        expectErr(refused(inv1, inv2, 10, IAssetFractions.Refusal.TO_FROZEN));
        forcedTransfer(inv1, inv2, 10);
        expectErr(refused(inv3, inv1, SUB3 + 1, IAssetFractions.Refusal.INSUFFICIENT_BALANCE));
        forcedTransfer(inv3, inv1, SUB3 + 1);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector));
        forcedTransfer(inv1, inv3, 0);
        assertEq(asset.balanceOf(inv1), SUB1);
        // the same order to an eligible recipient passes
        updateProfile(lowTier, PUDONG, ASSET_KYC);
        forcedTransfer(inv1, lowTier, 10);
        assertEq(asset.balanceOf(lowTier), 10);
    }

    function test_forcedTransfer_takesFrozenSharesOnlyWhenTheRestDoesNotSuffice() public {
        tradingAsset();
        freezeShares(inv1, 100);
        forcedTransfer(inv1, inv2, 150); // the 200 unfrozen suffice
        assertFrozen(inv1, false, 100);
        assertEq(asset.balanceOf(inv1), 150);
        forcedTransfer(inv1, inv3, 100); // 50 unfrozen, then 50 frozen
        assertFrozen(inv1, false, 50);
        assertEq(asset.balanceOf(inv1), 50);
        assertRefused(inv1, inv3, 1, IAssetFractions.Refusal.AMOUNT_FROZEN);
    }

    // =====================================================================
    // key recovery (governed)
    // =====================================================================

    /// @dev Executes as the first governor with no other call in between (for `vm.expectRevert`).
    function executeRecovery(ProposalId id) internal {
        vm.prank(govs[0]);
        consortium.execute(id);
    }

    function test_recoverAccount_onlyTheConsortium() public {
        tradingAsset();
        address inv1b = makeAddr("investor1-new-key");
        admitReplacement(inv1, inv1b);
        address[4] memory callers = [govs[0], court, issuer, regulator];
        for (uint256 i = 0; i < callers.length; i++) {
            expectErr(unauthorized(callers[i], GOVERNANCE_ROLE));
            vm.prank(callers[i]);
            asset.recoverAccount(inv1, inv1b, DECISION);
        }
        assertEq(asset.balanceOf(inv1), SUB1);
    }

    function test_recoverAccount_movesSharesFreezesAndRecoveriesAndEmits() public {
        tradingAsset();
        address inv1b = makeAddr("investor1-new-key");
        admitReplacement(inv1, inv1b);
        payInAs(issuer, 600_000);
        freezeShares(inv1, 120);
        uint256 offerId = offerAs(inv1, 10, ASK);
        ProposalId id = proposeRecovery(asset, inv1, inv1b);
        vm.expectEmit(address(asset));
        emit IERC20.Transfer(inv1, inv1b, SUB1);
        vm.expectEmit(address(asset));
        emit IAssetFractions.AccountRecovered(inv1, inv1b, SUB1, 300_000, DECISION);
        executeAsGovernor(id);
        assertEq(asset.balanceOf(inv1), 0);
        assertEq(asset.balanceOf(inv1b), SUB1);
        assertFrozen(inv1, false, 0);
        assertFrozen(inv1b, false, 120);
        assertEq(asset.claimable(inv1), 0);
        assertEq(asset.claimable(inv1b), 300_000);
        assertEq(asset.holderCount(), 3);
        assertEq(asset.totalSupply(), SOLD);
        // the lost key's open offer cannot fill any more
        expectErr(refused(inv1, inv2, 10, IAssetFractions.Refusal.INSUFFICIENT_BALANCE));
        buyAs(inv2, offerId, 10);
        assertRefused(inv1b, inv2, SUB1 - 119, IAssetFractions.Refusal.AMOUNT_FROZEN);
        assertMoneyBalanced(asset);
    }

    function test_recoverAccount_movesAWholeFreezeAndBypassesPauseAndLockUp() public {
        succeededOffering();
        address inv1b = makeAddr("investor1-new-key");
        admitReplacement(inv1, inv1b);
        freeze(inv1);
        pauseAs(issuer);
        recover(inv1, inv1b);
        assertEq(asset.balanceOf(inv1b), SUB1);
        assertFrozen(inv1, false, 0);
        assertFrozen(inv1b, true, 0);
    }

    function test_recoverAccount_refusesADifferentInstitution() public {
        tradingAsset();
        ProposalId id = proposeRecovery(asset, inv1, inv4); // inv4 is another institution
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidRecovery.selector, inv1, inv4));
        executeRecovery(id);
        address stranger = makeAddr("unadmitted-key");
        id = proposeRecovery(asset, inv1, stranger);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidRecovery.selector, inv1, stranger));
        executeRecovery(id);
        assertEq(asset.balanceOf(inv1), SUB1);
    }

    function test_recoverAccount_refusesAnInactiveReplacement() public {
        tradingAsset();
        address inv1b = makeAddr("investor1-new-key");
        admitReplacement(inv1, inv1b);
        suspend(inv1b);
        ProposalId id = proposeRecovery(asset, inv1, inv1b);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidRecovery.selector, inv1, inv1b));
        executeRecovery(id);
        reinstate(inv1b);
        executeAsGovernor(id); // the proposal stayed open: now it passes
        assertEq(asset.balanceOf(inv1b), SUB1);
    }

    function test_recoverAccount_refusesAReplacementThatHoldsShares() public {
        tradingAsset();
        address inv1b = makeAddr("investor1-new-key");
        admitReplacement(inv1, inv1b);
        transferAs(inv2, inv1b, 10);
        ProposalId id = proposeRecovery(asset, inv1, inv1b);
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsInvalidRecovery.selector, inv1, inv1b));
        executeRecovery(id);
    }

    function test_recoverAccount_neverToAnIneligibleReplacement() public {
        tradingAsset();
        address inv1b = makeAddr("investor1-new-key");
        // the same institution's new key, admitted as a collector only
        pass(
            IConsortium.ProposalKind.Admit,
            inv1b,
            abi.encode(nameDigest(inv1), roles(COLLECTOR_ROLE), PUDONG, uint64(0), uint8(3))
        );
        ProposalId id = proposeRecovery(asset, inv1, inv1b);
        expectErr(refused(inv1, inv1b, SUB1, IAssetFractions.Refusal.TO_NOT_INVESTOR));
        executeRecovery(id);
        pass(IConsortium.ProposalKind.GrantRole, inv1b, abi.encode(INVESTOR_ROLE));
        executeAsGovernor(id);
        assertEq(asset.balanceOf(inv1b), SUB1);
    }

    // =====================================================================
    // pause
    // =====================================================================

    function test_pause_byIssuerOrRegulatorOnly() public {
        tradingAsset();
        address[5] memory callers = [inv1, court, outsider, settlementBank, address(consortium)];
        for (uint256 i = 0; i < callers.length; i++) {
            expectErr(unauthorized(callers[i], REGULATOR_ROLE));
            pauseAs(callers[i]);
        }
        vm.expectEmit(address(asset));
        emit IAssetFractions.TradingPaused(issuer, REASON);
        pauseAs(issuer);
        assertTrue(asset.paused());
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsPauseUnchanged.selector, true));
        pauseAs(regulator);
        for (uint256 i = 0; i < callers.length; i++) {
            expectErr(unauthorized(callers[i], REGULATOR_ROLE));
            unpauseAs(callers[i]);
        }
        vm.expectEmit(address(asset));
        emit IAssetFractions.TradingResumed(regulator);
        unpauseAs(regulator);
        assertFalse(asset.paused());
        expectErr(abi.encodeWithSelector(IAssetFractions.FractionsPauseUnchanged.selector, false));
        unpauseAs(issuer);
        vm.expectEmit(address(asset));
        emit IAssetFractions.TradingPaused(regulator, REASON);
        pauseAs(regulator);
        vm.expectEmit(address(asset));
        emit IAssetFractions.TradingResumed(issuer);
        unpauseAs(issuer);
    }

    function test_pause_refusedToASuspendedRegulator() public {
        tradingAsset();
        suspend(regulator);
        expectErr(unauthorized(regulator, REGULATOR_ROLE));
        pauseAs(regulator);
    }

    function test_pause_stopsSharesButNotCourtOrders() public {
        tradingAsset();
        uint256 id = offerAs(inv1, 20, ASK);
        pauseAs(issuer);
        assertRefused(inv1, inv2, 1, IAssetFractions.Refusal.PAUSED);
        expectErr(refused(inv1, inv2, 1, IAssetFractions.Refusal.PAUSED));
        buyAs(inv2, id, 1);
        forcedTransfer(inv1, inv2, 1);
        assertEq(asset.balanceOf(inv2), SUB2 + 1);
    }

    // =====================================================================
    // money: the balance equation through a whole life
    // =====================================================================

    function test_lifecycle_balanceEquationHoldsAtEveryStep() public {
        subscribeAs(inv1, SUB1);
        assertMoneyBalanced(asset);
        subscribeAs(inv2, SUB2);
        subscribeAs(inv3, SUB3);
        settle();
        assertMoneyBalanced(asset);
        claimSharesOf(inv1);
        claimSharesOf(inv2);
        payInAs(issuer, 123_457);
        assertMoneyBalanced(asset);
        vm.prank(issuer);
        asset.withdrawProceeds();
        assertMoneyBalanced(asset);
        vm.warp(lockUpUntil);
        uint256 id = offerAs(inv1, 100, ASK);
        buyAs(inv4, id, 60);
        claimSharesOf(inv3);
        payInAs(inv5, 77_777);
        claimAs(inv1);
        claimAs(inv4);
        assertMoneyBalanced(asset);
        claimAs(inv2);
        claimAs(inv3);
        assertMoneyBalanced(asset);
        uint256 dust = asset.totalPaidIn() - asset.totalClaimed();
        assertLe(dust, 4, "dust: less than one fen per holder plus one");
        assertEq(token.balanceOf(address(asset)), dust);
    }
}

/// @notice Stands in for a Recourse system contract that owes accounts pull payments (as JudicialAuction's `owed` and
/// `withdraw`).
contract MockPullSource {
    IERC20 public immutable token;
    mapping(address account => uint256) public owed;

    constructor(IERC20 token_) {
        token = token_;
    }

    function owe(address account, uint256 amount) external {
        owed[account] = amount;
    }

    function withdraw() external {
        uint256 amount = owed[msg.sender];
        owed[msg.sender] = 0;
        if (amount != 0) token.transfer(msg.sender, amount);
    }
}

/// @notice `collect` from the real JudicialAuction: a court allocates part of a sale's price to the asset (a system
/// contract, so an allowed payee), and anyone collects it into the asset, where the holders claim it pro rata.
contract AssetFractionsAuctionCollectTest is AuctionFixture {
    uint96 internal constant SHARE_PRICE = 10_000;
    uint96 internal constant TO_ASSET = 1_000_000;

    FractionsFactory internal factory;
    AssetFractions internal asset;

    function setUp() public {
        deployAuction();
        factory = new FractionsFactory(consortium, token, registry);
        pass(IConsortium.ProposalKind.SetSystemContract, address(factory), abi.encode(true));
        uint32[] memory regions = new uint32[](1);
        regions[0] = REGION;
        IAssetFractions.Terms memory t = IAssetFractions.Terms({
            assetRef: keccak256("asset:SH-2024-0042 claim"),
            valuationFeed: FEED,
            documentsRoot: anchorDoc(seller, "prospectus of the claim on SH-2024-0042"),
            kycTier: LOT_KYC,
            regions: regions,
            lockUpUntil: 0,
            maxHolders: 0,
            maxPerHolder: 0,
            price: SHARE_PRICE,
            minSubscription: 10,
            softCap: 500,
            hardCap: 1_000,
            deadline: uint64(block.timestamp) + 14 days
        });
        vm.prank(seller);
        asset = AssetFractions(factory.issue(t, "SH-2024-0042 claim", "FR-C42"));
        address[2] memory subs = [inv1, inv3];
        uint96[2] memory shares = [uint96(600), 400];
        for (uint256 i = 0; i < 2; i++) {
            vm.prank(subs[i]);
            token.approve(address(asset), type(uint256).max);
            vm.prank(subs[i]);
            asset.subscribe(shares[i]);
        }
        asset.settleOffering(); // the hard cap is reached
        asset.claimShares(inv1);
        asset.claimShares(inv3);
    }

    function test_collect_fromJudicialAuctionProceeds() public {
        uint256 lotId = wonLot();
        vm.prank(inv2);
        auction.pay(lotId);
        uint96 price = START_PRICE + INCREMENT;
        IJudicialAuction.Payee[] memory p = new IJudicialAuction.Payee[](2);
        p[0] = payee(address(asset), TO_ASSET);
        p[1] = payee(seller, price - TO_ASSET);
        vm.prank(court);
        auction.confirm(lotId, p, RULING, TRANSFER);
        assertEq(auction.owed(address(asset)), TO_ASSET);

        vm.expectEmit(address(auction));
        emit IJudicialAuction.ProceedsWithdrawn(address(asset), TO_ASSET);
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryPaid(
            address(auction), bytes32(uint256(uint160(address(auction)))), TO_ASSET, TO_ASSET
        );
        vm.prank(outsider);
        asset.collect(address(auction));
        assertEq(auction.owed(address(asset)), 0);
        assertEq(asset.totalPaidIn(), TO_ASSET);
        assertEq(asset.claimable(inv1), 600_000);
        assertEq(asset.claimable(inv3), 400_000);
        assertEq(token.balanceOf(address(asset)), asset.proceedsOwed() + TO_ASSET);
        assertEscrowBalanced();
        // nothing more is owed
        vm.expectRevert(abi.encodeWithSelector(IJudicialAuction.AuctionNothingToWithdraw.selector, address(asset)));
        asset.collect(address(auction));
        uint256 before = token.balanceOf(inv3);
        vm.prank(inv3);
        asset.claim();
        assertEq(token.balanceOf(inv3), before + 400_000);
    }
}
