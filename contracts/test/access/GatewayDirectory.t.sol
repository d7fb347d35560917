// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {GatewayDirectory} from "../../access/GatewayDirectory.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {IGatewayDirectory} from "../../interfaces/IGatewayDirectory.sol";
import {Roles} from "../../libraries/Roles.sol";
import {Deployers} from "../utils/Deployers.sol";

contract GatewayDirectoryTest is Deployers {
    GatewayDirectory internal directory;
    address internal bank;
    address internal court;
    bytes32 internal constant KEY = keccak256("bank transport key 1");
    bytes32 internal constant NEXT = keccak256("bank transport key 2");
    bytes32 internal constant THIRD = keccak256("bank transport key 3");
    string internal constant URL = "https://gateway.bank.example";

    function setUp() public {
        deployConsortium();
        directory = new GatewayDirectory(IConsortium(address(consortium)));
        bank = makeAddr("bank");
        court = makeAddr("court");
        admit(bank, roles(BANK_ROLE));
        admit(court, roles(COURT_ROLE));
    }

    function setGateway(address member, string memory endpoint, bytes32 key) internal {
        pass(
            IConsortium.ProposalKind.Call,
            address(directory),
            abi.encodeCall(IGatewayDirectory.setGateway, (member, endpoint, key))
        );
    }

    // --- setGateway ---

    /// @dev Proposed and approved; the caller expects events, then executes.
    function approvedCall(bytes memory data) internal returns (ProposalId id) {
        id = propose(IConsortium.ProposalKind.Call, address(directory), data);
        approveBy(id, 1, consortium.threshold());
    }

    function test_setGateway_throughGovernance_registersAndEmits() public {
        ProposalId id = approvedCall(abi.encodeCall(IGatewayDirectory.setGateway, (bank, URL, KEY)));
        vm.expectEmit(address(directory));
        emit IGatewayDirectory.GatewaySet(bank, URL, KEY);
        executeAsGovernor(id);
        IGatewayDirectory.Gateway memory g = directory.gatewayOf(bank);
        assertEq(g.endpoint, URL);
        assertEq(g.transportKey, KEY);
        assertEq(g.updatedAt, block.timestamp);
        assertEq(directory.currentKey(bank), KEY);
        assertEq(directory.members().length, 1);
    }

    function test_setGateway_revertsForAnyoneButTheConsortium() public {
        vm.prank(bank);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bank, Roles.GOVERNANCE)
        );
        directory.setGateway(bank, URL, KEY);
    }

    function test_setGateway_revertsForANonMember() public {
        address stranger = makeAddr("stranger");
        vm.prank(address(consortium));
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryNotMember.selector, stranger));
        directory.setGateway(stranger, URL, KEY);
    }

    function test_setGateway_revertsForASuspendedMember() public {
        suspend(bank);
        vm.prank(address(consortium));
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryNotMember.selector, bank));
        directory.setGateway(bank, URL, KEY);
    }

    function test_setGateway_revertsForABadEndpoint() public {
        string[4] memory bad = ["", "ftp://gateway.bank.example", "http://", "gateway.bank.example"];
        for (uint256 i = 0; i < bad.length; i++) {
            vm.prank(address(consortium));
            vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryInvalidEndpoint.selector, bad[i]));
            directory.setGateway(bank, bad[i], KEY);
        }
        bytes memory long = new bytes(257);
        for (uint256 i = 0; i < long.length; i++) {
            long[i] = "a";
        }
        string memory tooLong = string.concat("https://", string(long));
        vm.prank(address(consortium));
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryInvalidEndpoint.selector, tooLong));
        directory.setGateway(bank, tooLong, KEY);
    }

    function test_setGateway_revertsForAZeroKey() public {
        vm.prank(address(consortium));
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryInvalidKey.selector, bytes32(0)));
        directory.setGateway(bank, URL, bytes32(0));
    }

    function test_setGateway_again_replacesAndDropsAStagedKey() public {
        setGateway(bank, URL, KEY);
        vm.prank(bank);
        directory.stageTransportKey(NEXT, uint64(block.timestamp + 2 hours));
        setGateway(bank, "https://new.bank.example", THIRD);
        IGatewayDirectory.Gateway memory g = directory.gatewayOf(bank);
        assertEq(g.endpoint, "https://new.bank.example");
        assertEq(g.nextKey, bytes32(0));
        assertEq(directory.currentKey(bank), THIRD);
        assertEq(directory.members().length, 1);
    }

    // --- stageTransportKey: rotation without downtime ---

    function test_stageTransportKey_appliesAtItsTime() public {
        setGateway(bank, URL, KEY);
        uint64 from = uint64(block.timestamp + 1 hours);
        vm.expectEmit(address(directory));
        emit IGatewayDirectory.TransportKeyStaged(bank, KEY, NEXT, from);
        vm.prank(bank);
        directory.stageTransportKey(NEXT, from);
        assertEq(directory.currentKey(bank), KEY);
        vm.warp(from - 1);
        assertEq(directory.currentKey(bank), KEY);
        vm.warp(from);
        assertEq(directory.currentKey(bank), NEXT);
    }

    function test_stageTransportKey_afterAnAppliedOne_promotesItFirst() public {
        setGateway(bank, URL, KEY);
        vm.prank(bank);
        directory.stageTransportKey(NEXT, uint64(block.timestamp + 1 hours));
        vm.warp(block.timestamp + 2 hours);
        uint64 from = uint64(block.timestamp + 1 hours);
        vm.expectEmit(address(directory));
        emit IGatewayDirectory.TransportKeyStaged(bank, NEXT, THIRD, from);
        vm.prank(bank);
        directory.stageTransportKey(THIRD, from);
        assertEq(directory.gatewayOf(bank).transportKey, NEXT);
        assertEq(directory.currentKey(bank), NEXT);
    }

    function test_stageTransportKey_revertsTooSoon() public {
        setGateway(bank, URL, KEY);
        uint64 earliest = uint64(block.timestamp + 1 hours);
        vm.prank(bank);
        vm.expectRevert(
            abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryRotationTooSoon.selector, earliest - 1, earliest)
        );
        directory.stageTransportKey(NEXT, earliest - 1);
    }

    function test_stageTransportKey_revertsForTheKeyInForceOrZero() public {
        setGateway(bank, URL, KEY);
        uint64 from = uint64(block.timestamp + 1 hours);
        vm.startPrank(bank);
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryInvalidKey.selector, KEY));
        directory.stageTransportKey(KEY, from);
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryInvalidKey.selector, bytes32(0)));
        directory.stageTransportKey(bytes32(0), from);
        vm.stopPrank();
    }

    function test_stageTransportKey_revertsWithoutAGatewayOrForANonMember() public {
        vm.prank(court);
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryNoGateway.selector, court));
        directory.stageTransportKey(NEXT, uint64(block.timestamp + 1 hours));
        setGateway(bank, URL, KEY);
        suspend(bank);
        vm.prank(bank);
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryNotMember.selector, bank));
        directory.stageTransportKey(NEXT, uint64(block.timestamp + 1 hours));
    }

    // --- removeGateway ---

    function test_removeGateway_throughGovernance() public {
        setGateway(bank, URL, KEY);
        setGateway(court, "https://gateway.court.example", THIRD);
        ProposalId id = approvedCall(abi.encodeCall(IGatewayDirectory.removeGateway, (bank)));
        vm.expectEmit(address(directory));
        emit IGatewayDirectory.GatewayRemoved(bank);
        executeAsGovernor(id);
        assertEq(directory.gatewayOf(bank).endpoint, "");
        assertEq(directory.members().length, 1);
        assertEq(directory.members()[0], court);
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryNoGateway.selector, bank));
        directory.currentKey(bank);
    }

    function test_removeGateway_revertsWithoutOneOrForAnyoneElse() public {
        vm.prank(address(consortium));
        vm.expectRevert(abi.encodeWithSelector(IGatewayDirectory.GatewayDirectoryNoGateway.selector, bank));
        directory.removeGateway(bank);
        vm.prank(bank);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bank, Roles.GOVERNANCE)
        );
        directory.removeGateway(bank);
    }

    function testFuzz_currentKey_isTheStagedOneExactlyFromItsTime(uint32 notice, uint32 later) public {
        setGateway(bank, URL, KEY);
        uint64 from = uint64(block.timestamp) + directory.MIN_ROTATION_NOTICE() + notice;
        vm.prank(bank);
        directory.stageTransportKey(NEXT, from);
        vm.warp(uint256(from) + later);
        assertEq(directory.currentKey(bank), NEXT);
        vm.warp(uint256(from) - 1);
        assertEq(directory.currentKey(bank), KEY);
    }
}
