// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {AssetFractions} from "../../assets/AssetFractions.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {FractionsAttacker} from "../utils/FractionsAttacker.sol";
import {HostileToken} from "../utils/HostileToken.sol";
import {FractionsFixture} from "./FractionsFixture.sol";

/// @notice Every path on which an asset pays out (refund, withdrawProceeds, claim, buy's payment to the seller, and
/// collect, where the asset calls the source) against an attacker that re-enters the asset while it is being paid.
/// SettlementToken has no hooks, so these assets escrow a {HostileToken} that has one (the consortium is the real
/// one). Each path is shown twice: re-entering reverts the whole call (`...Reverts`), and when the attacker swallows
/// the inner revert it is paid exactly once (`...PaysOnce`); cross-path re-entries are refused the same way.
contract AssetFractionsReentrancyTest is FractionsFixture {
    uint96 internal constant ATTACKER_OK = 200; // of 600 sold in `ok`
    uint96 internal constant ATTACKER_BAD = 100; // of 300 subscribed in `bad`
    uint96 internal constant ASK = 12_000;
    uint256 internal constant RECOVERY = 600_000; // 1,000 fen a share of `ok`

    HostileToken internal hostile;
    FractionsAttacker internal attacker;
    AssetFractions internal ok; // succeeded: the attacker is its issuer and holds 200 of 600 shares
    AssetFractions internal bad; // failed: the attacker subscribed 100 shares
    uint256 internal cash; // the attacker's hostile balance after setUp

    function setUp() public {
        deployFractions();
        hostile = new HostileToken();
        attacker = new FractionsAttacker(hostile);
        admitMember(address(attacker), roles(INVESTOR_ROLE, BANK_ROLE), 3, PUDONG);
        pass(IConsortium.ProposalKind.SetSystemContract, address(attacker), abi.encode(true));
        hostile.mint(address(attacker), INVESTOR_CASH);
        hostile.mint(inv1, INVESTOR_CASH);
        hostile.mint(inv2, INVESTOR_CASH);
        hostile.setHook(address(attacker));
        ok = hostileAsset(keccak256("asset:hostile-ok"));
        bad = hostileAsset(keccak256("asset:hostile-bad"));

        attacker.use(bad);
        attacker.subscribe(ATTACKER_BAD);
        subscribeTo(bad, inv1, 200);
        attacker.use(ok);
        attacker.subscribe(ATTACKER_OK);
        subscribeTo(ok, inv1, 300);
        subscribeTo(ok, inv2, 100);
        vm.warp(deadline);
        bad.settleOffering();
        ok.settleOffering();
        ok.claimShares(address(attacker));
        ok.claimShares(inv1);
        ok.claimShares(inv2);
        vm.warp(lockUpUntil);
        vm.prank(inv2);
        ok.payIn(RECOVERY, CASE_REF);

        assertEq(uint8(bad.offering().status), uint8(IAssetFractions.OfferingStatus.FAILED));
        assertEq(ok.claimable(address(attacker)), 200_000);
        cash = hostile.balanceOf(address(attacker));
        assertEq(cash, INVESTOR_CASH - (ATTACKER_BAD + ATTACKER_OK) * PRICE);
        assertHostileBalanced(ok);
        assertHostileBalanced(bad);
    }

    function hostileAsset(bytes32 ref) internal returns (AssetFractions a) {
        IAssetFractions.Terms memory t = defaultTerms();
        t.assetRef = ref;
        a = new AssetFractions(
            consortium, ISettlementToken(address(hostile)), address(this), address(attacker), t, NAME, SYMBOL
        );
        vm.prank(inv1);
        hostile.approve(address(a), type(uint256).max);
        vm.prank(inv2);
        hostile.approve(address(a), type(uint256).max);
    }

    function assertHostileBalanced(AssetFractions a) internal view {
        assertEq(
            hostile.balanceOf(address(a)),
            a.subscriptionEscrow() + a.proceedsOwed() + a.totalPaidIn() - a.totalClaimed(),
            "asset balance"
        );
    }

    function expectGuard() internal {
        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
    }

    function guardError() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
    }

    function assertRefusedOnce() internal view {
        assertEq(attacker.reentries(), 1, "re-entered once");
        assertFalse(attacker.reentrySucceeded(), "re-entry succeeded");
        assertEq(attacker.reentryError(), guardError(), "re-entry error");
    }

    /// @dev Nothing changed since setUp.
    function assertIntact() internal view {
        assertEq(hostile.balanceOf(address(attacker)), cash, "attacker cash");
        assertEq(bad.subscriptionOf(address(attacker)), ATTACKER_BAD);
        assertEq(bad.subscriptionEscrow(), 300 * uint256(PRICE));
        assertEq(ok.proceedsOwed(), 600 * uint256(PRICE));
        assertEq(ok.claimable(address(attacker)), 200_000);
        assertEq(ok.totalPaidIn(), RECOVERY);
        assertEq(ok.totalClaimed(), 0);
        assertHostileBalanced(ok);
        assertHostileBalanced(bad);
    }

    // --- refund ---

    function test_reentrancy_refundIntoRefundReverts() public {
        attacker.use(bad);
        attacker.arm(FractionsAttacker.Reentry.REFUND, true, 0, 0);
        expectGuard();
        attacker.refund();
        assertIntact();
    }

    function test_reentrancy_refundIntoRefundPaysOnce() public {
        attacker.use(bad);
        attacker.arm(FractionsAttacker.Reentry.REFUND, false, 0, 0);
        attacker.refund();
        assertRefusedOnce();
        assertEq(hostile.balanceOf(address(attacker)), cash + ATTACKER_BAD * PRICE);
        assertEq(bad.subscriptionOf(address(attacker)), 0);
        assertEq(hostile.balanceOf(address(bad)), 200 * uint256(PRICE)); // inv1's escrow is intact
        assertHostileBalanced(bad);
    }

    // --- withdrawProceeds ---

    function test_reentrancy_withdrawProceedsIntoWithdrawProceedsReverts() public {
        attacker.arm(FractionsAttacker.Reentry.WITHDRAW_PROCEEDS, true, 0, 0);
        expectGuard();
        attacker.withdrawProceeds();
        assertIntact();
    }

    function test_reentrancy_withdrawProceedsIntoWithdrawProceedsPaysOnce() public {
        attacker.arm(FractionsAttacker.Reentry.WITHDRAW_PROCEEDS, false, 0, 0);
        attacker.withdrawProceeds();
        assertRefusedOnce();
        assertEq(hostile.balanceOf(address(attacker)), cash + 600 * uint256(PRICE));
        assertEq(ok.proceedsOwed(), 0);
        assertEq(hostile.balanceOf(address(ok)), RECOVERY); // the holders' recoveries are intact
        assertHostileBalanced(ok);
    }

    // --- claim ---

    function test_reentrancy_claimIntoClaimReverts() public {
        attacker.arm(FractionsAttacker.Reentry.CLAIM, true, 0, 0);
        expectGuard();
        attacker.claim();
        assertIntact();
    }

    function test_reentrancy_claimIntoClaimPaysOnce() public {
        attacker.arm(FractionsAttacker.Reentry.CLAIM, false, 0, 0);
        attacker.claim();
        assertRefusedOnce();
        assertEq(hostile.balanceOf(address(attacker)), cash + 200_000);
        assertEq(ok.claimed(address(attacker)), 200_000);
        assertEq(ok.claimable(address(attacker)), 0);
        assertEq(ok.totalClaimed(), 200_000);
        assertEq(ok.claimable(inv1), 300_000);
        assertEq(ok.claimable(inv2), 100_000);
        assertHostileBalanced(ok);
    }

    function test_reentrancy_crossPathsAreGuardedToo() public {
        attacker.arm(FractionsAttacker.Reentry.WITHDRAW_PROCEEDS, true, 0, 0);
        expectGuard();
        attacker.claim();
        attacker.arm(FractionsAttacker.Reentry.CLAIM, true, 0, 0);
        expectGuard();
        attacker.withdrawProceeds();
        attacker.arm(FractionsAttacker.Reentry.PAY_IN, true, 0, 0);
        expectGuard();
        attacker.claim();
        assertIntact();
        // each path alone still works once the attacker stops re-entering
        attacker.arm(FractionsAttacker.Reentry.NONE, false, 0, 0);
        attacker.claim();
        attacker.withdrawProceeds();
        assertEq(hostile.balanceOf(address(attacker)), cash + 200_000 + 600 * uint256(PRICE));
        assertHostileBalanced(ok);
    }

    // --- buy: the payment to the seller ---

    function test_reentrancy_buyPaymentIntoBuyReverts() public {
        uint256 id = attacker.makeOffer(50, ASK);
        attacker.arm(FractionsAttacker.Reentry.BUY, true, id, 10);
        uint256 inv1Cash = hostile.balanceOf(inv1);
        expectGuard();
        vm.prank(inv1);
        ok.buy(id, 20);
        // neither leg moved
        assertEq(ok.balanceOf(address(attacker)), ATTACKER_OK);
        assertEq(ok.balanceOf(inv1), 300);
        assertEq(hostile.balanceOf(inv1), inv1Cash);
        assertEq(ok.offerOf(id).shares, 50);
        assertIntact();
    }

    function test_reentrancy_buyPaymentIntoBuyPaysOnce() public {
        uint256 id = attacker.makeOffer(50, ASK);
        attacker.arm(FractionsAttacker.Reentry.BUY, false, id, 10);
        uint256 inv1Cash = hostile.balanceOf(inv1);
        vm.prank(inv1);
        ok.buy(id, 20);
        assertRefusedOnce();
        assertEq(ok.balanceOf(address(attacker)), ATTACKER_OK - 20);
        assertEq(ok.balanceOf(inv1), 320);
        assertEq(hostile.balanceOf(inv1), inv1Cash - 20 * uint256(ASK));
        assertEq(hostile.balanceOf(address(attacker)), cash + 20 * uint256(ASK));
        assertEq(ok.offerOf(id).shares, 30);
        assertHostileBalanced(ok);
    }

    function test_reentrancy_buyPaymentIntoClaimPaysOnce() public {
        uint256 id = attacker.makeOffer(50, ASK);
        attacker.arm(FractionsAttacker.Reentry.CLAIM, false, 0, 0);
        vm.prank(inv1);
        ok.buy(id, 20);
        assertRefusedOnce();
        // the seller keeps what it earned on the shares it sold, and is paid it once, later
        assertEq(ok.claimable(address(attacker)), 200_000);
        assertEq(ok.claimable(inv1), 300_000);
        attacker.arm(FractionsAttacker.Reentry.NONE, false, 0, 0);
        attacker.claim();
        assertEq(hostile.balanceOf(address(attacker)), cash + 20 * uint256(ASK) + 200_000);
        assertHostileBalanced(ok);
    }

    // --- collect: the asset calls the source ---

    function test_reentrancy_collectIntoCollectReverts() public {
        attacker.owe(RECOVERY);
        attacker.arm(FractionsAttacker.Reentry.COLLECT, true, 0, 0);
        expectGuard();
        vm.prank(outsider);
        ok.collect(address(attacker));
        assertEq(attacker.owedToAsset(), RECOVERY);
        assertIntact();
    }

    /// @dev Unguarded, the inner `collect` would distribute the source's payment and the outer one would count the
    /// same payment again (its balance difference includes it): holders would be owed twice what came in.
    function test_reentrancy_collectIntoCollectCountsThePaymentOnce() public {
        attacker.owe(RECOVERY);
        attacker.arm(FractionsAttacker.Reentry.COLLECT, false, 0, 0);
        ok.collect(address(attacker));
        assertRefusedOnce();
        assertEq(ok.totalPaidIn(), 2 * RECOVERY);
        assertEq(hostile.balanceOf(address(attacker)), cash - RECOVERY);
        assertEq(ok.claimable(address(attacker)), 400_000);
        assertHostileBalanced(ok);
    }

    function test_reentrancy_collectIntoPayInReverts() public {
        attacker.owe(RECOVERY);
        attacker.arm(FractionsAttacker.Reentry.PAY_IN, true, 0, 0);
        expectGuard();
        ok.collect(address(attacker));
        assertIntact();
    }

    function test_reentrancy_collectIntoPayInCountsThePaymentOnce() public {
        attacker.owe(RECOVERY);
        attacker.arm(FractionsAttacker.Reentry.PAY_IN, false, 0, 0);
        ok.collect(address(attacker));
        assertRefusedOnce();
        assertEq(ok.totalPaidIn(), 2 * RECOVERY);
        assertHostileBalanced(ok);
    }
}
