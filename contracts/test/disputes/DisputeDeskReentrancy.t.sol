// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {DisputeDesk} from "../../disputes/DisputeDesk.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {DisputeAttacker} from "../utils/DisputeAttacker.sol";
import {HostileToken} from "../utils/HostileToken.sol";
import {DisputeFixture} from "./DisputeFixture.sol";

/// @notice The desk's payment out (`withdraw`) against a payee that re-enters the desk while it is being paid, with
/// `withdraw` again or with `pay`. SettlementToken has no hooks, so this desk takes a {HostileToken} that has one.
/// Each attack is shown twice: re-entering reverts the whole withdrawal and nothing changes (`...Reverts`), and when
/// the attacker swallows the inner revert it is paid exactly once and the re-entered call had no effect
/// (`...PaysOnce`).
contract DisputeDeskReentrancyTest is DisputeFixture {
    uint128 internal constant OWED = 20_000; // what the attacker is owed
    uint128 internal constant CASH = 1_000_000; // hostile cash of the payer and the attacker

    HostileToken internal hostile;
    DisputeDesk internal hd;
    DisputeAttacker internal attacker;
    uint256 internal id;

    function setUp() public {
        deployDisputes();
        hostile = new HostileToken();
        hd = new DisputeDesk(consortium, ISettlementToken(address(hostile)), registry, cd, APPEAL_WINDOW);
        attacker = new DisputeAttacker(hd, hostile);
        // a payee must be able to hold rCNY: the attacker is enrolled as a system contract (as an AssetFractions is)
        pass(IConsortium.ProposalKind.SetSystemContract, address(attacker), abi.encode(true));
        hostile.setHook(address(attacker));
        hostile.mint(payer, CASH);
        hostile.mint(address(attacker), CASH);
        vm.prank(payer);
        hostile.approve(address(hd), type(uint256).max);

        // an agreement on the hostile desk whose payee is the attacker, which is owed OWED
        vm.prank(bank);
        id = hd.open(caseId, claimAmount, none(), none());
        vm.prank(mediator);
        hd.claim(id);
        vm.prank(mediator);
        hd.recordAgreement(id, agreementOf(3, 0));
        vm.prank(bank);
        hd.setPayee(id, address(attacker));
        vm.prank(payer);
        hd.pay(id, OWED);
        assertIntact();
    }

    function assertIntact() internal view {
        assertEq(hostile.balanceOf(address(hd)), OWED);
        assertEq(hd.totalOwed(), OWED);
        assertEq(hd.owed(address(attacker)), OWED);
        assertEq(hd.dispute(id).paid, OWED);
        assertEq(hostile.balanceOf(address(attacker)), CASH);
    }

    function guardError() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
    }

    function test_reentrancy_withdrawIntoWithdrawReverts() public {
        attacker.arm(DisputeAttacker.Reentry.WITHDRAW, true, 0, 0);
        vm.expectRevert(guardError());
        attacker.withdraw();
        assertIntact();
    }

    function test_reentrancy_withdrawIntoWithdrawPaysOnce() public {
        attacker.arm(DisputeAttacker.Reentry.WITHDRAW, false, 0, 0);
        attacker.withdraw();
        assertEq(attacker.reentries(), 1);
        assertFalse(attacker.reentrySucceeded());
        assertEq(attacker.reentryError(), guardError());
        assertEq(hostile.balanceOf(address(attacker)), CASH + OWED);
        assertEq(hostile.balanceOf(address(hd)), 0);
        assertEq(hd.totalOwed(), 0);
        assertEq(hd.owed(address(attacker)), 0);
    }

    function test_reentrancy_withdrawIntoPayReverts() public {
        attacker.arm(DisputeAttacker.Reentry.PAY, true, id, 1_000);
        vm.expectRevert(guardError());
        attacker.withdraw();
        assertIntact();
    }

    function test_reentrancy_withdrawIntoPayPaysOnceAndPaysNothingIn() public {
        attacker.arm(DisputeAttacker.Reentry.PAY, false, id, 1_000);
        attacker.withdraw();
        assertEq(attacker.reentries(), 1);
        assertFalse(attacker.reentrySucceeded());
        assertEq(attacker.reentryError(), guardError());
        assertEq(hostile.balanceOf(address(attacker)), CASH + OWED);
        assertEq(hd.dispute(id).paid, OWED, "the re-entered payment did not count");
        assertEq(hostile.balanceOf(address(hd)), 0);
        assertEq(hd.totalOwed(), 0);
    }

    function test_reentrancy_payOutsideAWithdrawalWorks() public {
        // the lock is released after each call: the same payment, not re-entered, goes through
        attacker.pay(id, 1_000);
        assertEq(hd.dispute(id).paid, OWED + 1_000);
        assertEq(hd.owed(address(attacker)), OWED + 1_000);
        assertEq(hostile.balanceOf(address(hd)), hd.totalOwed());
        vm.expectEmit(address(hd));
        emit IDisputeDesk.PaymentWithdrawn(address(attacker), OWED + 1_000);
        attacker.withdraw();
        assertEq(hostile.balanceOf(address(attacker)), CASH + OWED);
    }
}
