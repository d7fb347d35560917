// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {Deployers} from "../utils/Deployers.sol";

contract SettlementTokenTest is Deployers {
    uint256 internal constant AMOUNT = 1_000_000; // 10 000.00 CNY in fen
    bytes32 internal constant REF = keccak256("payment-reference");

    function setUp() public {
        deploySettlement();
    }

    /// @dev Mints through the settlement bank without asserting events (fixture helper).
    function fund(address to, uint256 amount) internal {
        vm.prank(settlementBank);
        token.mint(to, amount, REF);
    }

    function pauseToken() internal {
        vm.prank(regulator);
        token.pause();
    }

    // =====================================================================
    // metadata
    // =====================================================================

    function test_metadata_nameSymbolDecimals() public view {
        assertEq(token.name(), "Recourse Settlement CNY");
        assertEq(token.symbol(), "rCNY");
        assertEq(token.decimals(), 2);
        assertEq(address(token.consortium()), address(consortium));
        assertEq(token.totalSupply(), 0);
        assertFalse(token.paused());
    }

    // =====================================================================
    // mint
    // =====================================================================

    function test_mint_creditsActiveMember() public {
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(0), bankA, AMOUNT);
        vm.expectEmit(address(token));
        emit ISettlementToken.SettlementIssued(bankA, AMOUNT, REF);
        vm.prank(settlementBank);
        token.mint(bankA, AMOUNT, REF);

        assertEq(token.balanceOf(bankA), AMOUNT);
        assertEq(token.totalSupply(), AMOUNT);
    }

    function test_mint_creditsSystemContract() public {
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(0), address(escrow), AMOUNT);
        vm.expectEmit(address(token));
        emit ISettlementToken.SettlementIssued(address(escrow), AMOUNT, REF);
        vm.prank(settlementBank);
        token.mint(address(escrow), AMOUNT, REF);
        assertEq(token.balanceOf(address(escrow)), AMOUNT);
    }

    function test_mint_revertsForBankWithoutSettlementRole() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bankA, SETTLEMENT_BANK_ROLE)
        );
        vm.prank(bankA);
        token.mint(bankA, AMOUNT, REF);
    }

    function test_mint_revertsForRegulator() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, regulator, SETTLEMENT_BANK_ROLE
            )
        );
        vm.prank(regulator);
        token.mint(bankA, AMOUNT, REF);
    }

    function test_mint_revertsForSuspendedSettlementBank() public {
        suspend(settlementBank);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, settlementBank, SETTLEMENT_BANK_ROLE
            )
        );
        vm.prank(settlementBank);
        token.mint(bankA, AMOUNT, REF);
    }

    function test_mint_revertsForSettlementBankWithExpiredLicence() public {
        updateLicence(settlementBank, uint64(block.timestamp));
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, settlementBank, SETTLEMENT_BANK_ROLE
            )
        );
        vm.prank(settlementBank);
        token.mint(bankA, AMOUNT, REF);
    }

    function test_mint_revertsForNonMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, outsider, SETTLEMENT_BANK_ROLE
            )
        );
        vm.prank(outsider);
        token.mint(outsider, AMOUNT, REF);
    }

    function test_mint_revertsForGovernor() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, govs[0], SETTLEMENT_BANK_ROLE)
        );
        vm.prank(govs[0]);
        token.mint(bankA, AMOUNT, REF);
    }

    function test_mint_revertsToNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(settlementBank);
        token.mint(outsider, AMOUNT, REF);
    }

    function test_mint_revertsToSuspendedMember() public {
        suspend(bankA);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, bankA));
        vm.prank(settlementBank);
        token.mint(bankA, AMOUNT, REF);
    }

    function test_mint_revertsToZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        vm.prank(settlementBank);
        token.mint(address(0), AMOUNT, REF);
    }

    function test_mint_revertsOnZeroAmount() public {
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenZeroAmount.selector));
        vm.prank(settlementBank);
        token.mint(bankA, 0, REF);
    }

    function test_mint_revertsWhenPaused() public {
        pauseToken();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(settlementBank);
        token.mint(bankA, AMOUNT, REF);
    }

    // =====================================================================
    // burn
    // =====================================================================

    function test_burn_redeemsSettlementBankBalance() public {
        fund(settlementBank, AMOUNT);
        bytes32 payout = keccak256("payout-reference");

        vm.expectEmit(address(token));
        emit IERC20.Transfer(settlementBank, address(0), AMOUNT / 4);
        vm.expectEmit(address(token));
        emit ISettlementToken.SettlementRedeemed(settlementBank, AMOUNT / 4, payout);
        vm.prank(settlementBank);
        token.burn(AMOUNT / 4, payout);

        assertEq(token.balanceOf(settlementBank), AMOUNT - AMOUNT / 4);
        assertEq(token.totalSupply(), AMOUNT - AMOUNT / 4);
    }

    function test_burn_revertsForBankWithoutSettlementRole() public {
        fund(bankA, AMOUNT);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bankA, SETTLEMENT_BANK_ROLE)
        );
        vm.prank(bankA);
        token.burn(AMOUNT, REF);
    }

    function test_burn_revertsForSuspendedSettlementBank() public {
        fund(settlementBank, AMOUNT);
        suspend(settlementBank);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, settlementBank, SETTLEMENT_BANK_ROLE
            )
        );
        vm.prank(settlementBank);
        token.burn(AMOUNT, REF);
    }

    function test_burn_revertsOnZeroAmount() public {
        fund(settlementBank, AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenZeroAmount.selector));
        vm.prank(settlementBank);
        token.burn(0, REF);
    }

    function test_burn_revertsAboveBalance() public {
        fund(settlementBank, AMOUNT);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, settlementBank, AMOUNT, AMOUNT + 1)
        );
        vm.prank(settlementBank);
        token.burn(AMOUNT + 1, REF);
    }

    function test_burn_revertsWhenPaused() public {
        fund(settlementBank, AMOUNT);
        pauseToken();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(settlementBank);
        token.burn(AMOUNT, REF);
    }

    // =====================================================================
    // transfer: only between active members and system contracts
    // =====================================================================

    function test_transfer_betweenActiveMembers() public {
        fund(bankA, AMOUNT);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, investorB, 300);
        vm.prank(bankA);
        assertTrue(token.transfer(investorB, 300));

        assertEq(token.balanceOf(bankA), AMOUNT - 300);
        assertEq(token.balanceOf(investorB), 300);
        assertEq(token.totalSupply(), AMOUNT);
    }

    function test_transfer_revertsToNonMember() public {
        fund(bankA, AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(outsider, 1);
    }

    /// A non-member holding a balance (planted with `deal`) still cannot move it.
    function test_transfer_revertsFromNonMember() public {
        deal(address(token), outsider, AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(outsider);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(bankA, 1);
    }

    function test_transfer_revertsFromSuspendedMember() public {
        fund(bankA, AMOUNT);
        suspend(bankA);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, bankA));
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(investorB, 1);
    }

    function test_transfer_revertsToSuspendedMember() public {
        fund(bankA, AMOUNT);
        suspend(investorB);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, investorB));
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(investorB, 1);
    }

    function test_transfer_revertsFromMemberWithExpiredLicence() public {
        fund(bankA, AMOUNT);
        updateLicence(bankA, uint64(block.timestamp + 10));
        vm.warp(block.timestamp + 11);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, bankA));
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(investorB, 1);
    }

    function test_transfer_revertsToMemberWithExpiredLicence() public {
        fund(bankA, AMOUNT);
        updateLicence(investorB, uint64(block.timestamp + 10));
        vm.warp(block.timestamp + 11);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, investorB));
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(investorB, 1);
    }

    function test_transfer_succeedsAtLicenceExpiry() public {
        fund(bankA, AMOUNT);
        uint64 expiry = uint64(block.timestamp + 10);
        updateLicence(bankA, expiry);
        vm.warp(expiry);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, investorB, 1);
        vm.prank(bankA);
        assertTrue(token.transfer(investorB, 1));
    }

    function test_transfer_resumesAfterReinstatement() public {
        fund(bankA, AMOUNT);
        suspend(bankA);
        reinstate(bankA);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, investorB, AMOUNT);
        vm.prank(bankA);
        assertTrue(token.transfer(investorB, AMOUNT));
        assertEq(token.balanceOf(investorB), AMOUNT);
    }

    function test_transfer_revertsWhenPaused() public {
        fund(bankA, AMOUNT);
        pauseToken();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(investorB, 1);
    }

    function test_transfer_revertsAboveBalance() public {
        fund(bankA, AMOUNT);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bankA, AMOUNT, AMOUNT + 1)
        );
        vm.prank(bankA);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(investorB, AMOUNT + 1);
    }

    // =====================================================================
    // transferFrom: the spender must be a holder too
    // =====================================================================

    function test_transferFrom_byMemberSpender() public {
        fund(bankA, AMOUNT);
        vm.expectEmit(address(token));
        emit IERC20.Approval(bankA, investorB, 500);
        vm.prank(bankA);
        token.approve(investorB, 500);

        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, settlementBank, 200);
        vm.prank(investorB);
        assertTrue(token.transferFrom(bankA, settlementBank, 200));

        assertEq(token.allowance(bankA, investorB), 300);
        assertEq(token.balanceOf(bankA), AMOUNT - 200);
        assertEq(token.balanceOf(settlementBank), 200);
    }

    function test_transferFrom_revertsForNonMemberSpenderBetweenMembers() public {
        fund(bankA, AMOUNT);
        vm.prank(bankA);
        token.approve(outsider, AMOUNT);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        vm.prank(outsider);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(bankA, investorB, 1);
        assertEq(token.allowance(bankA, outsider), AMOUNT);
    }

    function test_transferFrom_revertsForSuspendedSpender() public {
        fund(bankA, AMOUNT);
        vm.prank(bankA);
        token.approve(investorB, AMOUNT);
        suspend(investorB);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, investorB));
        vm.prank(investorB);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(bankA, settlementBank, 1);
    }

    function test_transferFrom_revertsFromSuspendedOwner() public {
        fund(bankA, AMOUNT);
        vm.prank(bankA);
        token.approve(investorB, AMOUNT);
        suspend(bankA);

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, bankA));
        vm.prank(investorB);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(bankA, investorB, 1);
    }

    function test_transferFrom_revertsAboveAllowance() public {
        fund(bankA, AMOUNT);
        vm.prank(bankA);
        token.approve(investorB, 10);

        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, investorB, 10, 11));
        vm.prank(investorB);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(bankA, investorB, 11);
    }

    function test_transferFrom_revertsWhenPaused() public {
        fund(bankA, AMOUNT);
        vm.prank(bankA);
        token.approve(investorB, AMOUNT);
        pauseToken();

        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(investorB);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(bankA, investorB, 1);
    }

    // =====================================================================
    // system contracts hold and send
    // =====================================================================

    function test_transferFrom_systemContractPullsFromMember() public {
        fund(bankA, AMOUNT);
        vm.prank(bankA);
        token.approve(address(escrow), AMOUNT);

        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, address(escrow), AMOUNT);
        escrow.pull(bankA, AMOUNT);

        assertEq(token.balanceOf(address(escrow)), AMOUNT);
        assertEq(token.allowance(bankA, address(escrow)), 0);
    }

    function test_transfer_systemContractPaysMember() public {
        fund(address(escrow), AMOUNT);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(address(escrow), investorB, AMOUNT);
        escrow.pay(investorB, AMOUNT);
        assertEq(token.balanceOf(investorB), AMOUNT);
        assertEq(token.balanceOf(address(escrow)), 0);
    }

    function test_transfer_memberPaysSystemContract() public {
        fund(bankA, AMOUNT);
        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, address(escrow), 1);
        vm.prank(bankA);
        assertTrue(token.transfer(address(escrow), 1));
        assertEq(token.balanceOf(address(escrow)), 1);
    }

    function test_transfer_systemContractCannotPayNonMember() public {
        fund(address(escrow), AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, outsider));
        escrow.pay(outsider, 1);
    }

    function test_transfer_revertsFromDisabledSystemContract() public {
        fund(address(escrow), AMOUNT);
        pass(IConsortium.ProposalKind.SetSystemContract, address(escrow), abi.encode(false));
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, address(escrow)));
        escrow.pay(investorB, 1);
    }

    // =====================================================================
    // pause / unpause: only an active regulator
    // =====================================================================

    function test_pause_byRegulator() public {
        vm.expectEmit(address(token));
        emit Pausable.Paused(regulator);
        vm.prank(regulator);
        token.pause();
        assertTrue(token.paused());
    }

    function test_pause_revertsForNonRegulatorMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, settlementBank, REGULATOR_ROLE
            )
        );
        vm.prank(settlementBank);
        token.pause();
    }

    function test_pause_revertsForNonMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, outsider, REGULATOR_ROLE)
        );
        vm.prank(outsider);
        token.pause();
    }

    function test_pause_revertsForSuspendedRegulator() public {
        suspend(regulator);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, regulator, REGULATOR_ROLE)
        );
        vm.prank(regulator);
        token.pause();
        assertFalse(token.paused());
    }

    function test_pause_revertsWhenAlreadyPaused() public {
        pauseToken();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(regulator);
        token.pause();
    }

    function test_unpause_byRegulatorResumesTransfers() public {
        fund(bankA, AMOUNT);
        pauseToken();

        vm.expectEmit(address(token));
        emit Pausable.Unpaused(regulator);
        vm.prank(regulator);
        token.unpause();
        assertFalse(token.paused());

        vm.expectEmit(address(token));
        emit IERC20.Transfer(bankA, investorB, 1);
        vm.prank(bankA);
        assertTrue(token.transfer(investorB, 1));
    }

    function test_unpause_revertsForNonRegulator() public {
        pauseToken();
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bankA, REGULATOR_ROLE)
        );
        vm.prank(bankA);
        token.unpause();
        assertTrue(token.paused());
    }

    function test_unpause_revertsForSuspendedRegulator() public {
        pauseToken();
        suspend(regulator);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, regulator, REGULATOR_ROLE)
        );
        vm.prank(regulator);
        token.unpause();
    }

    function test_unpause_revertsWhenNotPaused() public {
        vm.expectRevert(abi.encodeWithSelector(Pausable.ExpectedPause.selector));
        vm.prank(regulator);
        token.unpause();
    }

    // =====================================================================
    // fuzz
    // =====================================================================

    function test_fuzz_transfer_preservesTotalSupply(uint256 minted, uint256 amount, uint256 fromIndex, uint256 toIndex)
        public
    {
        address[4] memory holders = [settlementBank, bankA, investorB, address(escrow)];
        minted = bound(minted, 1, type(uint128).max);
        amount = bound(amount, 0, minted);
        fromIndex = bound(fromIndex, 0, holders.length - 1);
        toIndex = bound(toIndex, 0, holders.length - 1);
        address from = holders[fromIndex];
        address to = holders[toIndex];

        fund(from, minted);
        uint256 fromBefore = token.balanceOf(from);
        uint256 toBefore = token.balanceOf(to);

        vm.expectEmit(address(token));
        emit IERC20.Transfer(from, to, amount);
        vm.prank(from);
        assertTrue(token.transfer(to, amount));

        assertEq(token.totalSupply(), minted);
        if (from == to) {
            assertEq(token.balanceOf(from), fromBefore);
        } else {
            assertEq(token.balanceOf(from), fromBefore - amount);
            assertEq(token.balanceOf(to), toBefore + amount);
        }
        uint256 sum;
        for (uint256 i = 0; i < holders.length; i++) {
            sum += token.balanceOf(holders[i]);
        }
        assertEq(sum, token.totalSupply());
    }

    function test_fuzz_burn_reducesSupplyByAmount(uint256 minted, uint256 burned) public {
        minted = bound(minted, 1, type(uint128).max);
        burned = bound(burned, 1, minted);
        fund(settlementBank, minted);

        vm.expectEmit(address(token));
        emit ISettlementToken.SettlementRedeemed(settlementBank, burned, REF);
        vm.prank(settlementBank);
        token.burn(burned, REF);

        assertEq(token.totalSupply(), minted - burned);
        assertEq(token.balanceOf(settlementBank), minted - burned);
    }

    /// Any caller that is not an active settlement bank is refused, whoever it is.
    function test_fuzz_mint_revertsForAnyoneButSettlementBank(uint256 callerSeed) public {
        address caller = address(uint160(bound(callerSeed, 1, type(uint160).max)));
        vm.assume(caller != settlementBank);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, caller, SETTLEMENT_BANK_ROLE)
        );
        vm.prank(caller);
        token.mint(bankA, AMOUNT, REF);
    }
}
