// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AssetFractions} from "../../assets/AssetFractions.sol";
import {FractionsFactory} from "../../assets/FractionsFactory.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {FeedId} from "../../interfaces/IOracleHub.sol";
import {DisputeFixture} from "./DisputeFixture.sol";

/// @notice A mediation agreement's instalments forwarded to the tokenised shares of the claim: on the dispute
/// world's one consortium, settlement token and evidence registry, a FractionsFactory (a system contract) issues
/// an AssetFractions token for the dispute's bank, two investors buy all of its shares (600 and 400), the bank
/// names the token as the dispute's payee, and the token pulls the instalments from the DisputeDesk with
/// `collect` and pays them out pro rata.
contract DisputeFractionsPayeeTest is DisputeFixture {
    bytes32 internal constant SHARES_REF = keccak256("asset:claim-shares");
    uint96 internal constant SHARE_PRICE = 10_000;
    uint96 internal constant SHARES1 = 600;
    uint96 internal constant SHARES2 = 400;
    uint96 internal constant SUPPLY = SHARES1 + SHARES2;
    uint128 internal constant RELIEF = 1; // the agreement's total is 49,999: instalments of 24,999 and 25,000

    FractionsFactory internal factory;
    AssetFractions internal asset;
    address internal holder1;
    address internal holder2;

    function setUp() public {
        deployDisputes();
        factory = new FractionsFactory(consortium, token, registry);
        pass(IConsortium.ProposalKind.SetSystemContract, address(factory), abi.encode(true));
        holder1 = makeAddr("holder1");
        holder2 = makeAddr("holder2");
        admit(holder1, roles(INVESTOR_ROLE));
        admit(holder2, roles(INVESTOR_ROLE));

        (, bytes32 sharesDocs) = anchorEvidence(bank, "claim shares prospectus");
        uint64 deadline = uint64(block.timestamp) + 14 days;
        IAssetFractions.Terms memory t = IAssetFractions.Terms({
            assetRef: SHARES_REF,
            valuationFeed: FeedId.wrap(bytes32(0)),
            documentsRoot: sharesDocs,
            kycTier: KYC_TIER,
            regions: new uint32[](0),
            lockUpUntil: deadline,
            maxHolders: 0,
            maxPerHolder: 0,
            price: SHARE_PRICE,
            minSubscription: 1,
            softCap: SUPPLY,
            hardCap: SUPPLY,
            deadline: deadline
        });
        vm.prank(bank);
        asset = AssetFractions(factory.issue(t, "Case 0 claim shares", "FR-C0"));
        subscribe(holder1, SHARES1);
        subscribe(holder2, SHARES2);
        asset.settleOffering(); // the hard cap is reached: no need to wait for the deadline
        asset.claimShares(holder1);
        asset.claimShares(holder2);

        assertTrue(consortium.isSystemContract(address(asset)));
        assertTrue(consortium.isSystemContract(address(desk)));
        assertEq(uint8(asset.offering().status), uint8(IAssetFractions.OfferingStatus.SUCCEEDED));
        assertEq(asset.totalSupply(), SUPPLY);
        assertEq(asset.balanceOf(holder1), SHARES1);
        assertEq(asset.balanceOf(holder2), SHARES2);
    }

    // --- helpers ---

    function subscribe(address who, uint96 shares) internal {
        uint256 cost = uint256(shares) * SHARE_PRICE;
        vm.prank(settlementBank);
        token.mint(who, cost, REASON);
        vm.startPrank(who);
        token.approve(address(asset), cost);
        asset.subscribe(shares);
        vm.stopPrank();
    }

    /// @notice An agreement of two instalments over the claim less RELIEF, confirmed and final: PERFORMING.
    function performingWithRelief() internal returns (uint256 id) {
        id = agreed(2, RELIEF);
        finalRuling(id, IDisputeDesk.Ruling.CONFIRMED);
        assertEq(uint8(statusOf(id)), uint8(IDisputeDesk.DisputeStatus.PERFORMING));
    }

    function nameAsset(uint256 id) internal {
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PayeeChanged(id, bank, address(asset));
        vm.prank(bank);
        desk.setPayee(id, address(asset));
        assertEq(desk.dispute(id).payee, address(asset));
    }

    function claimRecovery(address who) internal returns (uint256 amount) {
        uint256 before = token.balanceOf(who);
        vm.prank(who);
        asset.claim();
        amount = token.balanceOf(who) - before;
    }

    /// @notice `outsider` collects the desk's payments for the asset; checks the events and that the desk owes
    /// the asset nothing afterwards.
    function collectFromDesk(uint256 amount) internal {
        uint256 paidIn = asset.totalPaidIn() + amount;
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PaymentWithdrawn(address(asset), amount);
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryPaid(address(desk), bytes32(uint256(uint160(address(desk)))), amount, paidIn);
        vm.prank(outsider);
        asset.collect(address(desk));
        assertEq(desk.owed(address(asset)), 0, "desk owes the asset");
        assertEq(asset.totalPaidIn(), paidIn, "paid in");
    }

    function assertDeskBalanced() internal view {
        assertEq(token.balanceOf(address(desk)), desk.totalOwed(), "desk rCNY balance");
    }

    function assertAssetBalanced() internal view {
        assertEq(
            token.balanceOf(address(asset)),
            asset.subscriptionEscrow() + asset.proceedsOwed() + asset.totalPaidIn() - asset.totalClaimed(),
            "asset rCNY balance"
        );
    }

    // --- tests ---

    function test_instalmentsForwardedToFractionsHolders() public {
        uint256 id = performingWithRelief();
        uint128 total = claimAmount - RELIEF;
        uint128 first = total / 2; // 24,999
        uint128 second = total - first; // 25,000
        assertEq(total, 49_999);
        assertEq(first, 24_999);

        nameAsset(id);

        // the first instalment is owed to the asset
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, address(asset), first, first);
        payAs(payer, id, first);
        assertEq(desk.owed(address(asset)), first);
        assertEq(desk.owed(bank), 0);
        assertEq(desk.totalOwed(), first);
        assertDeskBalanced();

        // anyone makes the asset pull it; the holders may claim it pro rata, floored
        collectFromDesk(first);
        assertEq(desk.totalOwed(), 0);
        assertDeskBalanced();
        assertEq(asset.claimable(holder1), uint256(first) * SHARES1 / SUPPLY); // 14,999 (14,999.4)
        assertEq(asset.claimable(holder2), uint256(first) * SHARES2 / SUPPLY); // 9,999 (9,999.6)
        assertEq(asset.claimable(holder1), 14_999);
        assertEq(asset.claimable(holder2), 9_999);
        assertEq(claimRecovery(holder1), 14_999);
        assertEq(claimRecovery(holder2), 9_999);
        assertEq(asset.claimable(holder1), 0);
        assertEq(asset.claimable(holder2), 0);
        // the floored remainder stays in the asset (beside the issuer's unwithdrawn offering proceeds)
        assertEq(token.balanceOf(address(asset)) - asset.proceedsOwed(), 1);
        assertAssetBalanced();

        // the last instalment honours the agreement; the carried remainder is paid with it
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, address(asset), second, total);
        payAs(payer, id, second);
        assertEq(uint8(statusOf(id)), uint8(IDisputeDesk.DisputeStatus.HONOURED));
        assertEq(desk.owed(address(asset)), second);
        assertDeskBalanced();
        collectFromDesk(second);

        // cumulative entitlements: total × shares / supply, floored (29,999 and 19,999)
        uint256 due1 = uint256(total) * SHARES1 / SUPPLY - 14_999;
        uint256 due2 = uint256(total) * SHARES2 / SUPPLY - 9_999;
        assertEq(due1, 15_000);
        assertEq(due2, 10_000);
        assertEq(asset.claimable(holder1), due1);
        assertEq(asset.claimable(holder2), due2);
        vm.expectEmit(address(asset));
        emit IAssetFractions.RecoveryClaimed(holder1, due1);
        assertEq(claimRecovery(holder1), due1);
        assertEq(claimRecovery(holder2), due2);
        assertEq(asset.claimed(holder1), 29_999);
        assertEq(asset.claimed(holder2), 19_999);
        assertEq(asset.totalPaidIn(), total);
        assertEq(asset.totalClaimed(), 49_998);
        assertAssetBalanced();

        // the desk owes nothing and holds nothing
        assertEq(desk.owed(address(asset)), 0);
        assertEq(desk.owed(bank), 0);
        assertEq(desk.totalOwed(), 0);
        assertEq(token.balanceOf(address(desk)), 0);
        assertDeskBalanced();

        // nothing is left to collect: the desk refuses an empty withdrawal
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNothingToWithdraw.selector, address(asset)));
        asset.collect(address(desk));
    }

    function test_beforeNamed_paymentsOwedToBank_collectRefused() public {
        uint256 id = performingWithRelief();
        uint128 first = (claimAmount - RELIEF) / 2;

        // not named yet: the instalment is owed to the bank
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, bank, first, first);
        payAs(payer, id, first);
        assertEq(desk.owed(bank), first);
        assertEq(desk.owed(address(asset)), 0);
        assertEq(desk.totalOwed(), first);

        // the asset has nothing to pull: the desk's withdraw reverts and the revert surfaces through collect
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNothingToWithdraw.selector, address(asset)));
        vm.prank(outsider);
        asset.collect(address(desk));
        // a source that is not a system contract is refused by the asset itself
        vm.expectRevert(abi.encodeWithSelector(IAssetFractions.FractionsInvalidSource.selector, bank));
        asset.collect(bank);
        assertEq(asset.totalPaidIn(), 0);
        assertEq(asset.claimable(holder1), 0);
        assertEq(asset.claimable(holder2), 0);
        assertEq(desk.owed(bank), first);
        assertDeskBalanced();

        // named afterwards: what was paid stays the bank's, the rest goes to the asset
        nameAsset(id);
        uint128 second = claimAmount - RELIEF - first;
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, address(asset), second, first + second);
        payAs(payer, id, second);
        assertEq(desk.owed(bank), first);
        assertEq(desk.owed(address(asset)), second);
        assertEq(desk.totalOwed(), first + second);
        collectFromDesk(second);
        assertEq(asset.claimable(holder1), uint256(second) * SHARES1 / SUPPLY); // 15,000
        assertEq(asset.claimable(holder2), uint256(second) * SHARES2 / SUPPLY); // 10,000
        assertEq(desk.owed(bank), first);
        assertEq(desk.totalOwed(), first);
        assertDeskBalanced();

        uint256 before = token.balanceOf(bank);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PaymentWithdrawn(bank, first);
        vm.prank(bank);
        desk.withdraw();
        assertEq(token.balanceOf(bank), before + first);
        assertEq(desk.totalOwed(), 0);
        assertEq(token.balanceOf(address(desk)), 0);
    }
}
