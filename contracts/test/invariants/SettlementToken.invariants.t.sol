// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {SettlementToken} from "../../settlement/SettlementToken.sol";
import {Deployers} from "../utils/Deployers.sol";

/// @notice Drives the settlement token through mints, burns, transfers, allowance transfers, attempts to pay
/// an outsider and member suspensions. Every action either succeeds or reverts with exactly the error the
/// rules predict (the invariant runs with fail-on-revert), and ghost variables record what must hold.
contract SettlementTokenHandler is Test {
    bytes32 internal constant REF = keccak256("handler-reference");

    SettlementToken internal immutable token;
    IConsortium internal immutable consortium;
    address internal immutable settlementBank;
    address internal immutable outsider;
    address[] internal governors;

    /// @dev Every account that can ever hold tokens: the settlement bank, the members and the escrow.
    address[] public actors;
    /// @dev The members the handler may suspend and reinstate (never the settlement bank or the escrow).
    address[] public suspendable;

    uint256 public ghostMinted;
    uint256 public ghostBurned;
    mapping(address account => uint256) public frozenBalance;

    constructor(
        SettlementToken token_,
        address settlementBank_,
        address outsider_,
        address[] memory actors_,
        address[] memory suspendable_
    ) {
        token = token_;
        consortium = token_.consortium();
        settlementBank = settlementBank_;
        outsider = outsider_;
        actors = actors_;
        suspendable = suspendable_;
        governors = consortium.governors();
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function suspendableCount() external view returns (uint256) {
        return suspendable.length;
    }

    // --- actions ---

    function mint(uint256 toSeed, uint256 amount) external {
        address to = actors[bound(toSeed, 0, actors.length - 1)];
        amount = bound(amount, 1, 1e15);
        if (!_holder(to)) {
            vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, to));
        } else {
            ghostMinted += amount;
        }
        vm.prank(settlementBank);
        token.mint(to, amount, REF);
    }

    function burn(uint256 amount) external {
        uint256 balance = token.balanceOf(settlementBank);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        ghostBurned += amount;
        vm.prank(settlementBank);
        token.burn(amount, REF);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = actors[bound(fromSeed, 0, actors.length - 1)];
        address to = actors[bound(toSeed, 0, actors.length - 1)];
        amount = bound(amount, 0, token.balanceOf(from));
        _expectHolderRevert(from, from, to);
        vm.prank(from);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(to, amount);
    }

    function transferFrom(uint256 ownerSeed, uint256 spenderSeed, uint256 toSeed, uint256 amount) external {
        address owner = actors[bound(ownerSeed, 0, actors.length - 1)];
        address spender = actors[bound(spenderSeed, 0, actors.length - 1)];
        address to = actors[bound(toSeed, 0, actors.length - 1)];
        amount = bound(amount, 0, token.balanceOf(owner));
        vm.prank(owner);
        token.approve(spender, amount);
        _expectHolderRevert(owner, spender, to);
        vm.prank(spender);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transferFrom(owner, to, amount);
    }

    /// @dev Paying an outsider must always fail, whatever the sender.
    function transferToOutsider(uint256 fromSeed, uint256 amount) external {
        address from = actors[bound(fromSeed, 0, actors.length - 1)];
        amount = bound(amount, 0, token.balanceOf(from));
        address blocked = _holder(from) ? outsider : from;
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, blocked));
        vm.prank(from);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(outsider, amount);
    }

    function toggleSuspension(uint256 memberSeed) external {
        address member = suspendable[bound(memberSeed, 0, suspendable.length - 1)];
        bool suspended = consortium.getMember(member).suspended;
        IConsortium.ProposalKind kind =
            suspended ? IConsortium.ProposalKind.Reinstate : IConsortium.ProposalKind.Suspend;
        vm.prank(governors[0]);
        ProposalId id = consortium.propose(kind, member, abi.encode(REF));
        for (uint256 i = 1; i < consortium.threshold(); i++) {
            vm.prank(governors[i]);
            consortium.approve(id);
        }
        vm.prank(governors[0]);
        consortium.execute(id);
        if (!suspended) frozenBalance[member] = token.balanceOf(member);
    }

    // --- internal ---

    function _holder(address account) internal view returns (bool) {
        return consortium.isActiveMember(account) || consortium.isSystemContract(account);
    }

    /// @dev Mirrors the order of checks in SettlementToken._update: sender, spender, recipient.
    function _expectHolderRevert(address from, address spender, address to) internal {
        address blocked;
        if (!_holder(from)) blocked = from;
        else if (spender != from && !_holder(spender)) blocked = spender;
        else if (!_holder(to)) blocked = to;
        if (blocked != address(0)) {
            vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, blocked));
        }
    }
}

contract SettlementTokenInvariants is StdInvariant, Deployers {
    SettlementTokenHandler internal handler;
    address internal memberC;

    function setUp() public {
        deploySettlement();
        memberC = makeAddr("memberC");
        admit(memberC, roles(COLLECTOR_ROLE));

        address[] memory actors = new address[](5);
        actors[0] = settlementBank;
        actors[1] = bankA;
        actors[2] = investorB;
        actors[3] = memberC;
        actors[4] = address(escrow);
        address[] memory suspendable = new address[](3);
        suspendable[0] = bankA;
        suspendable[1] = investorB;
        suspendable[2] = memberC;
        handler = new SettlementTokenHandler(token, settlementBank, outsider, actors, suspendable);

        bytes4[] memory selectors = new bytes4[](6);
        selectors[0] = SettlementTokenHandler.mint.selector;
        selectors[1] = SettlementTokenHandler.burn.selector;
        selectors[2] = SettlementTokenHandler.transfer.selector;
        selectors[3] = SettlementTokenHandler.transferFrom.selector;
        selectors[4] = SettlementTokenHandler.transferToOutsider.selector;
        selectors[5] = SettlementTokenHandler.toggleSuspension.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: ci.invariant.fail-on-revert = true
    function invariant_sumOfBalancesEqualsTotalSupply() public view {
        uint256 sum;
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            sum += token.balanceOf(handler.actors(i));
        }
        assertEq(sum, token.totalSupply());
    }

    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: ci.invariant.fail-on-revert = true
    function invariant_totalSupplyEqualsMintedMinusBurned() public view {
        assertEq(token.totalSupply(), handler.ghostMinted() - handler.ghostBurned());
    }

    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: ci.invariant.fail-on-revert = true
    function invariant_outsiderNeverHolds() public view {
        assertEq(token.balanceOf(outsider), 0);
    }

    /// forge-config: default.invariant.fail-on-revert = true
    /// forge-config: ci.invariant.fail-on-revert = true
    function invariant_suspendedBalancesAreFrozen() public view {
        for (uint256 i = 0; i < handler.suspendableCount(); i++) {
            address member = handler.suspendable(i);
            if (consortium.getMember(member).suspended) {
                assertEq(token.balanceOf(member), handler.frozenBalance(member));
            }
        }
    }
}
