// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Consortium} from "../../access/Consortium.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {Roles} from "../../libraries/Roles.sol";
import {Deployers} from "../utils/Deployers.sol";
import {MockEscrow} from "../utils/MockEscrow.sol";
import {MockGoverned, ReentrantGovernor} from "../utils/MockGoverned.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

contract ConsortiumTest is Deployers {
    address internal alice;
    address internal bob;

    function setUp() public {
        deployConsortium();
        alice = makeAddr("alice");
        bob = makeAddr("bob");
    }

    /// @dev Any account with code can be a system contract.
    function newContract() internal returns (address) {
        return address(new MockEscrow(IERC20(address(0))));
    }

    // =====================================================================
    // constructor
    // =====================================================================

    function test_constructor_setsGovernorsThresholdAndLifetime() public {
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        for (uint256 i = 0; i < govs.length; i++) {
            vm.expectEmit(expected);
            emit IConsortium.GovernorAdded(govs[i]);
        }
        vm.expectEmit(expected);
        emit IConsortium.ThresholdChanged(0, THRESHOLD);
        Consortium c = new Consortium(govs, THRESHOLD, LIFETIME);

        assertEq(address(c), expected);
        assertEq(c.governors(), govs);
        for (uint256 i = 0; i < govs.length; i++) {
            assertTrue(c.isGovernor(govs[i]));
        }
        assertFalse(c.isGovernor(outsider));
        assertEq(c.threshold(), THRESHOLD);
        assertEq(c.proposalLifetime(), LIFETIME);
        assertEq(c.proposalCount(), 0);
        assertEq(c.memberCount(), 0);
    }

    function test_constructor_acceptsThresholdEqualToGovernorCount() public {
        vm.expectEmit(vm.computeCreateAddress(address(this), vm.getNonce(address(this))));
        emit IConsortium.ThresholdChanged(0, govs.length);
        Consortium c = new Consortium(govs, govs.length, LIFETIME);
        assertEq(c.threshold(), govs.length);
    }

    function test_constructor_revertsOnZeroThreshold() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 0, GOVERNOR_COUNT));
        new Consortium(govs, 0, LIFETIME);
    }

    function test_constructor_revertsOnThresholdAboveGovernorCount() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, GOVERNOR_COUNT + 1, GOVERNOR_COUNT)
        );
        new Consortium(govs, GOVERNOR_COUNT + 1, LIFETIME);
    }

    function test_constructor_revertsWithNoGovernors() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 1, 0));
        new Consortium(new address[](0), 1, LIFETIME);
    }

    function test_constructor_revertsOnZeroLifetime() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidLifetime.selector));
        new Consortium(govs, THRESHOLD, 0);
    }

    function test_constructor_revertsOnLifetimeAboveMaximum() public {
        uint64 maxLifetime = 365 days;
        new Consortium(govs, THRESHOLD, maxLifetime);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidLifetime.selector));
        new Consortium(govs, THRESHOLD, maxLifetime + 1);
    }

    function test_hasActiveRole_revertsForUnknownRoleEvenForNonMembers() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRole.selector, UNKNOWN_ROLE));
        consortium.hasActiveRole(address(0xBEEF), UNKNOWN_ROLE);
    }

    function test_constructor_revertsOnZeroGovernor() public {
        address[] memory g = makeGovernors(3);
        g[1] = address(0);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumZeroAddress.selector));
        new Consortium(g, 2, LIFETIME);
    }

    function test_constructor_revertsOnDuplicateGovernor() public {
        address[] memory g = makeGovernors(3);
        g[2] = g[0];
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumGovernorUnchanged.selector, g[0], true));
        new Consortium(g, 2, LIFETIME);
    }

    // =====================================================================
    // access: only governors propose, approve, execute
    // =====================================================================

    function test_propose_revertsForNonGovernor() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotGovernor.selector, outsider));
        vm.prank(outsider);
        consortium.propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
    }

    function test_propose_revertsForMemberWhoIsNotGovernor() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotGovernor.selector, alice));
        vm.prank(alice);
        consortium.propose(IConsortium.ProposalKind.Admit, bob, admitData(bob, roles(BANK_ROLE)));
    }

    function test_approve_revertsForNonGovernor() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotGovernor.selector, outsider));
        vm.prank(outsider);
        consortium.approve(id);
    }

    function test_execute_revertsForNonGovernorEvenWithEnoughApprovals() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotGovernor.selector, outsider));
        vm.prank(outsider);
        consortium.execute(id);
    }

    // =====================================================================
    // propose / approve / execute
    // =====================================================================

    function test_propose_recordsProposalAndProposerApproval() public {
        bytes memory data = admitData(alice, roles(BANK_ROLE));
        uint64 deadline = START_TIME + LIFETIME;
        ProposalId expectedId = ProposalId.wrap(1);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalCreated(expectedId, IConsortium.ProposalKind.Admit, alice, govs[2], deadline, data);
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalApproved(expectedId, govs[2], 1);
        vm.prank(govs[2]);
        ProposalId id = consortium.propose(IConsortium.ProposalKind.Admit, alice, data);

        assertEq(ProposalId.unwrap(id), 1);
        assertEq(consortium.proposalCount(), 1);
        IConsortium.Proposal memory p = consortium.getProposal(id);
        assertEq(uint8(p.kind), uint8(IConsortium.ProposalKind.Admit));
        assertEq(p.target, alice);
        assertEq(p.proposer, govs[2]);
        assertEq(p.deadline, deadline);
        assertFalse(p.executed);
        assertEq(p.data, data);
        assertTrue(consortium.hasApproved(id, govs[2]));
        assertFalse(consortium.hasApproved(id, govs[0]));
        assertEq(consortium.approvalCount(id), 1);
        assertFalse(consortium.isMember(alice));
    }

    function test_propose_assignsConsecutiveIds() public {
        ProposalId first = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        bytes memory data = admitData(bob, roles(BANK_ROLE));
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalCreated(
            ProposalId.wrap(2), IConsortium.ProposalKind.Admit, bob, govs[1], START_TIME + LIFETIME, data
        );
        vm.prank(govs[1]);
        ProposalId second = consortium.propose(IConsortium.ProposalKind.Admit, bob, data);
        assertEq(ProposalId.unwrap(first), 1);
        assertEq(ProposalId.unwrap(second), 2);
        assertEq(consortium.proposalCount(), 2);
    }

    function test_propose_revertsOnZeroTargetForEveryKind() public {
        for (uint8 k = 0; k <= uint8(IConsortium.ProposalKind.Call); k++) {
            vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumZeroAddress.selector));
            vm.prank(govs[0]);
            consortium.propose(IConsortium.ProposalKind(k), address(0), admitData(address(0), roles(BANK_ROLE)));
        }
        assertEq(consortium.proposalCount(), 0);
    }

    function test_approve_countsApproval() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalApproved(id, govs[3], 2);
        vm.prank(govs[3]);
        consortium.approve(id);

        assertTrue(consortium.hasApproved(id, govs[3]));
        assertEq(consortium.approvalCount(id), 2);
    }

    function test_approve_revertsIfProposerApprovesAgain() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAlreadyApproved.selector, id, govs[0]));
        vm.prank(govs[0]);
        consortium.approve(id);
    }

    function test_approve_revertsIfGovernorApprovesTwice() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAlreadyApproved.selector, id, govs[1]));
        vm.prank(govs[1]);
        consortium.approve(id);
        assertEq(consortium.approvalCount(id), 2);
    }

    function test_execute_revertsWithOnlyProposerApproval() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, id, 1, THRESHOLD));
        vm.prank(govs[0]);
        consortium.execute(id);
    }

    function test_execute_revertsOneApprovalShortOfThreshold() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, id, THRESHOLD - 1, THRESHOLD)
        );
        vm.prank(govs[0]);
        consortium.execute(id);
        assertFalse(consortium.isMember(alice));
    }

    function test_execute_succeedsAtThresholdByNonApprovingGovernor() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD);
        address executor = govs[GOVERNOR_COUNT - 1];
        assertFalse(consortium.hasApproved(id, executor));

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Admit, alice, executor);
        vm.prank(executor);
        consortium.execute(id);

        assertTrue(consortium.getProposal(id).executed);
        assertTrue(consortium.isMember(alice));
    }

    function test_execute_revertsIfAlreadyExecuted() public {
        ProposalId id = pass(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalAlreadyExecuted.selector, id));
        vm.prank(govs[1]);
        consortium.execute(id);
    }

    function test_approve_revertsIfAlreadyExecuted() public {
        ProposalId id = pass(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalAlreadyExecuted.selector, id));
        vm.prank(govs[GOVERNOR_COUNT - 1]);
        consortium.approve(id);
    }

    function test_approve_succeedsExactlyAtDeadline() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        uint64 deadline = consortium.getProposal(id).deadline;
        vm.warp(deadline);
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalApproved(id, govs[1], 2);
        vm.prank(govs[1]);
        consortium.approve(id);
    }

    function test_approve_revertsAfterDeadline() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        uint64 deadline = consortium.getProposal(id).deadline;
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, deadline));
        vm.prank(govs[1]);
        consortium.approve(id);
    }

    function test_execute_succeedsExactlyAtDeadline() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD);
        vm.warp(consortium.getProposal(id).deadline);
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Admit, alice, govs[0]);
        executeAsGovernor(id);
        assertTrue(consortium.isMember(alice));
    }

    function test_execute_revertsAfterDeadlineEvenWithEnoughApprovals() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD);
        uint64 deadline = consortium.getProposal(id).deadline;
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, deadline));
        vm.prank(govs[0]);
        consortium.execute(id);
        assertFalse(consortium.isMember(alice));
    }

    function test_fuzz_execute_onlyWithinLifetime(uint256 elapsed) public {
        elapsed = bound(elapsed, 0, 2 * uint256(LIFETIME));
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD);
        uint64 deadline = START_TIME + LIFETIME;
        vm.warp(START_TIME + elapsed);

        if (elapsed <= LIFETIME) {
            vm.expectEmit(address(consortium));
            emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Admit, alice, govs[0]);
        } else {
            vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, deadline));
        }
        vm.prank(govs[0]);
        consortium.execute(id);
        assertEq(consortium.isMember(alice), elapsed <= LIFETIME);
    }

    function test_approve_revertsForUnknownProposal() public {
        propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        ProposalId zero = ProposalId.wrap(0);
        ProposalId next = ProposalId.wrap(consortium.proposalCount() + 1);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, zero));
        vm.prank(govs[1]);
        consortium.approve(zero);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, next));
        vm.prank(govs[1]);
        consortium.approve(next);
    }

    function test_execute_revertsForUnknownProposal() public {
        propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        ProposalId zero = ProposalId.wrap(0);
        ProposalId next = ProposalId.wrap(consortium.proposalCount() + 1);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, zero));
        vm.prank(govs[0]);
        consortium.execute(zero);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, next));
        vm.prank(govs[0]);
        consortium.execute(next);
    }

    function test_getProposal_revertsForUnknownProposal() public {
        ProposalId zero = ProposalId.wrap(0);
        ProposalId next = ProposalId.wrap(1);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, zero));
        consortium.getProposal(zero);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownProposal.selector, next));
        consortium.approvalCount(next);
    }

    /// k-of-n: with n governors and threshold k, a proposal approved by a governors executes iff a >= k.
    function test_fuzz_execute_kOfN(uint256 n, uint256 k, uint256 a, uint256 executorIndex) public {
        n = bound(n, 1, 10);
        k = bound(k, 1, n);
        a = bound(a, 1, n); // the proposer's approval always counts
        executorIndex = bound(executorIndex, 0, n - 1);

        address[] memory g = makeGovernors(n);
        Consortium c = new Consortium(g, k, LIFETIME);
        bytes memory data = admitData(alice, roles(BANK_ROLE));
        vm.prank(g[0]);
        ProposalId id = c.propose(IConsortium.ProposalKind.Admit, alice, data);
        for (uint256 i = 1; i < a; i++) {
            vm.prank(g[i]);
            c.approve(id);
        }
        assertEq(c.approvalCount(id), a);

        if (a >= k) {
            vm.expectEmit(address(c));
            emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Admit, alice, g[executorIndex]);
        } else {
            vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, id, a, k));
        }
        vm.prank(g[executorIndex]);
        c.execute(id);
        assertEq(c.isMember(alice), a >= k);
    }

    // =====================================================================
    // Admit
    // =====================================================================

    function test_execute_admitStoresMember() public {
        uint64 expiry = START_TIME + 365 days;
        bytes memory data = admitData(alice, roles(BANK_ROLE, COLLECTOR_ROLE), expiry);
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, data);
        approveBy(id, 1, THRESHOLD);
        uint256 mask = (1 << 0) | (1 << 1);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Admit, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberAdmitted(alice, nameDigest(alice), mask, REGION, expiry, KYC_TIER);
        executeAsGovernor(id);

        IConsortium.Member memory m = consortium.getMember(alice);
        assertEq(m.nameDigest, nameDigest(alice));
        assertEq(m.roles, mask);
        assertEq(m.region, REGION);
        assertEq(m.licenceExpiry, expiry);
        assertEq(m.kycTier, KYC_TIER);
        assertFalse(m.suspended);
        assertEq(m.admittedAt, START_TIME);

        assertTrue(consortium.isMember(alice));
        assertTrue(consortium.isActiveMember(alice));
        assertTrue(consortium.hasActiveRole(alice, BANK_ROLE));
        assertTrue(consortium.hasActiveRole(alice, COLLECTOR_ROLE));
        assertFalse(consortium.hasActiveRole(alice, SETTLEMENT_BANK_ROLE));
        assertEq(consortium.memberCount(), 1);
        assertEq(consortium.memberAt(0), alice);
    }

    function test_memberAt_followsAdmissionOrder() public {
        admit(alice, roles(BANK_ROLE));
        admit(bob, roles(INVESTOR_ROLE));
        assertEq(consortium.memberCount(), 2);
        assertEq(consortium.memberAt(0), alice);
        assertEq(consortium.memberAt(1), bob);
    }

    function test_getMember_revertsForNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotMember.selector, outsider));
        consortium.getMember(outsider);
    }

    function test_isActiveMember_falseForNonMember() public view {
        assertFalse(consortium.isMember(outsider));
        assertFalse(consortium.isActiveMember(outsider));
        assertFalse(consortium.hasActiveRole(outsider, BANK_ROLE));
    }

    function test_propose_admitRevertsIfAlreadyMember() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAlreadyMember.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(INVESTOR_ROLE)));
    }

    function test_propose_admitRevertsWithNoRoles() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNoRoles.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, new bytes32[](0)));
    }

    function test_propose_admitRevertsWithUnknownRole() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRole.selector, UNKNOWN_ROLE));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE, UNKNOWN_ROLE)));
    }

    /// Validation runs again at execute: the second of two Admit proposals for one account cannot execute.
    function test_execute_admitRevalidatesAlreadyMember() public {
        ProposalId first = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        ProposalId second = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(INVESTOR_ROLE)));
        approveBy(first, 1, THRESHOLD);
        approveBy(second, 1, THRESHOLD);
        executeAsGovernor(first);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumAlreadyMember.selector, alice));
        vm.prank(govs[0]);
        consortium.execute(second);

        assertFalse(consortium.getProposal(second).executed);
        assertEq(consortium.getMember(alice).roles, 1 << 0);
        assertEq(consortium.memberCount(), 1);
    }

    // =====================================================================
    // GrantRole / RevokeRole
    // =====================================================================

    function test_execute_grantRoleAddsRole() public {
        admit(alice, roles(BANK_ROLE));
        ProposalId id = propose(IConsortium.ProposalKind.GrantRole, alice, abi.encode(SETTLEMENT_BANK_ROLE));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.GrantRole, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberRoleGranted(alice, SETTLEMENT_BANK_ROLE, id);
        executeAsGovernor(id);

        assertEq(consortium.getMember(alice).roles, (1 << 0) | (1 << 8));
        assertTrue(consortium.hasActiveRole(alice, SETTLEMENT_BANK_ROLE));
        assertTrue(consortium.hasActiveRole(alice, BANK_ROLE));
    }

    function test_propose_grantRoleRevertsIfHeld() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumRoleUnchanged.selector, alice, BANK_ROLE, true));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.GrantRole, alice, abi.encode(BANK_ROLE));
    }

    function test_propose_grantRoleRevertsForNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotMember.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.GrantRole, alice, abi.encode(BANK_ROLE));
    }

    function test_propose_grantRoleRevertsForUnknownRole() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRole.selector, UNKNOWN_ROLE));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.GrantRole, alice, abi.encode(UNKNOWN_ROLE));
    }

    function test_execute_grantRoleRevalidatesRoleUnchanged() public {
        admit(alice, roles(BANK_ROLE));
        ProposalId first = propose(IConsortium.ProposalKind.GrantRole, alice, abi.encode(AUDITOR_ROLE));
        ProposalId second = propose(IConsortium.ProposalKind.GrantRole, alice, abi.encode(AUDITOR_ROLE));
        approveBy(first, 1, THRESHOLD);
        approveBy(second, 1, THRESHOLD);
        executeAsGovernor(first);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumRoleUnchanged.selector, alice, AUDITOR_ROLE, true));
        vm.prank(govs[0]);
        consortium.execute(second);
    }

    function test_execute_revokeRoleRemovesRole() public {
        admit(alice, roles(BANK_ROLE, COLLECTOR_ROLE));
        ProposalId id = propose(IConsortium.ProposalKind.RevokeRole, alice, abi.encode(COLLECTOR_ROLE));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.RevokeRole, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberRoleRevoked(alice, COLLECTOR_ROLE, id);
        executeAsGovernor(id);

        assertEq(consortium.getMember(alice).roles, 1 << 0);
        assertFalse(consortium.hasActiveRole(alice, COLLECTOR_ROLE));
        assertTrue(consortium.hasActiveRole(alice, BANK_ROLE));
        assertTrue(consortium.isActiveMember(alice));
    }

    function test_propose_revokeRoleRevertsIfNotHeld() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumRoleUnchanged.selector, alice, COURT_ROLE, false));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.RevokeRole, alice, abi.encode(COURT_ROLE));
    }

    function test_propose_revokeRoleRevertsForLastRole() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNoRoles.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.RevokeRole, alice, abi.encode(BANK_ROLE));
    }

    function test_propose_revokeRoleRevertsForNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotMember.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.RevokeRole, alice, abi.encode(BANK_ROLE));
    }

    /// Two revocations, each valid on its own, cannot together leave a member with no role.
    function test_execute_revokeRoleRevalidatesLastRole() public {
        admit(alice, roles(BANK_ROLE, COLLECTOR_ROLE));
        ProposalId first = propose(IConsortium.ProposalKind.RevokeRole, alice, abi.encode(BANK_ROLE));
        ProposalId second = propose(IConsortium.ProposalKind.RevokeRole, alice, abi.encode(COLLECTOR_ROLE));
        approveBy(first, 1, THRESHOLD);
        approveBy(second, 1, THRESHOLD);
        executeAsGovernor(first);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNoRoles.selector, alice));
        vm.prank(govs[0]);
        consortium.execute(second);
        assertEq(consortium.getMember(alice).roles, 1 << 1);
    }

    // =====================================================================
    // Suspend / Reinstate
    // =====================================================================

    function test_execute_suspendDeactivatesMember() public {
        admit(alice, roles(BANK_ROLE));
        ProposalId id = propose(IConsortium.ProposalKind.Suspend, alice, abi.encode(REASON));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Suspend, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberSuspended(alice, REASON, id);
        executeAsGovernor(id);

        assertTrue(consortium.getMember(alice).suspended);
        assertTrue(consortium.isMember(alice));
        assertFalse(consortium.isActiveMember(alice));
        assertFalse(consortium.hasActiveRole(alice, BANK_ROLE));
        assertEq(consortium.getMember(alice).roles, 1 << 0);
    }

    function test_propose_suspendRevertsIfSuspended() public {
        admit(alice, roles(BANK_ROLE));
        suspend(alice);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumSuspensionUnchanged.selector, alice, true));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Suspend, alice, abi.encode(REASON));
    }

    function test_propose_suspendRevertsForNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotMember.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Suspend, alice, abi.encode(REASON));
    }

    function test_execute_reinstateReactivatesMember() public {
        admit(alice, roles(BANK_ROLE));
        suspend(alice);
        bytes32 reason = keccak256("appeal-granted");
        ProposalId id = propose(IConsortium.ProposalKind.Reinstate, alice, abi.encode(reason));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Reinstate, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberReinstated(alice, reason, id);
        executeAsGovernor(id);

        assertFalse(consortium.getMember(alice).suspended);
        assertTrue(consortium.isActiveMember(alice));
        assertTrue(consortium.hasActiveRole(alice, BANK_ROLE));
    }

    function test_propose_reinstateRevertsIfNotSuspended() public {
        admit(alice, roles(BANK_ROLE));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumSuspensionUnchanged.selector, alice, false));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Reinstate, alice, abi.encode(REASON));
    }

    function test_execute_suspendRevalidatesSuspensionUnchanged() public {
        admit(alice, roles(BANK_ROLE));
        ProposalId first = propose(IConsortium.ProposalKind.Suspend, alice, abi.encode(REASON));
        ProposalId second = propose(IConsortium.ProposalKind.Suspend, alice, abi.encode(REASON));
        approveBy(first, 1, THRESHOLD);
        approveBy(second, 1, THRESHOLD);
        executeAsGovernor(first);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumSuspensionUnchanged.selector, alice, true));
        vm.prank(govs[0]);
        consortium.execute(second);
    }

    // =====================================================================
    // UpdateProfile and licence expiry
    // =====================================================================

    function test_execute_updateProfileChangesFields() public {
        admit(alice, roles(BANK_ROLE, INVESTOR_ROLE));
        uint32 region = 440_300;
        uint64 expiry = START_TIME + 30 days;
        uint8 tier = 3;
        vm.warp(START_TIME + 1 days);
        ProposalId id = propose(IConsortium.ProposalKind.UpdateProfile, alice, abi.encode(region, expiry, tier));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.UpdateProfile, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberProfileUpdated(alice, region, expiry, tier);
        executeAsGovernor(id);

        IConsortium.Member memory m = consortium.getMember(alice);
        assertEq(m.region, region);
        assertEq(m.licenceExpiry, expiry);
        assertEq(m.kycTier, tier);
        // untouched fields
        assertEq(m.nameDigest, nameDigest(alice));
        assertEq(m.roles, (1 << 0) | (1 << 4));
        assertEq(m.admittedAt, START_TIME);
        assertFalse(m.suspended);
    }

    function test_propose_updateProfileRevertsForNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotMember.selector, alice));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.UpdateProfile, alice, abi.encode(REGION, uint64(0), KYC_TIER));
    }

    function test_isActiveMember_falseWhenAdmittedWithExpiredLicence() public {
        admit(alice, roles(BANK_ROLE), START_TIME - 1);
        assertTrue(consortium.isMember(alice));
        assertFalse(consortium.isActiveMember(alice));
        assertFalse(consortium.hasActiveRole(alice, BANK_ROLE));
    }

    function test_isActiveMember_activeUntilLicenceExpiryInclusive() public {
        uint64 expiry = START_TIME + 100;
        admit(alice, roles(BANK_ROLE), expiry);

        vm.warp(expiry);
        assertTrue(consortium.isActiveMember(alice));
        assertTrue(consortium.hasActiveRole(alice, BANK_ROLE));

        vm.warp(uint256(expiry) + 1);
        assertFalse(consortium.isActiveMember(alice));
        assertFalse(consortium.hasActiveRole(alice, BANK_ROLE));
        assertTrue(consortium.isMember(alice));
    }

    function test_isActiveMember_zeroLicenceExpiryNeverExpires() public {
        admit(alice, roles(BANK_ROLE), 0);
        vm.warp(type(uint64).max);
        assertTrue(consortium.isActiveMember(alice));
        assertTrue(consortium.hasActiveRole(alice, BANK_ROLE));
    }

    function test_execute_updateProfileRenewsExpiredLicence() public {
        admit(alice, roles(BANK_ROLE), START_TIME - 1);
        assertFalse(consortium.isActiveMember(alice));

        uint64 expiry = START_TIME + 365 days;
        ProposalId id = propose(IConsortium.ProposalKind.UpdateProfile, alice, abi.encode(REGION, expiry, KYC_TIER));
        approveBy(id, 1, THRESHOLD);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberProfileUpdated(alice, REGION, expiry, KYC_TIER);
        executeAsGovernor(id);

        assertTrue(consortium.isActiveMember(alice));
    }

    // =====================================================================
    // AddGovernor / RemoveGovernor
    // =====================================================================

    function test_execute_addGovernorAddsGovernor() public {
        ProposalId id = propose(IConsortium.ProposalKind.AddGovernor, alice, "");
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.AddGovernor, alice, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.GovernorAdded(alice);
        executeAsGovernor(id);

        assertTrue(consortium.isGovernor(alice));
        address[] memory g = consortium.governors();
        assertEq(g.length, GOVERNOR_COUNT + 1);
        assertEq(g[GOVERNOR_COUNT], alice);
        assertEq(consortium.threshold(), THRESHOLD);

        // the new governor can now propose
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalApproved(ProposalId.wrap(2), alice, 1);
        vm.prank(alice);
        consortium.propose(IConsortium.ProposalKind.Admit, bob, admitData(bob, roles(BANK_ROLE)));
    }

    function test_propose_addGovernorRevertsIfGovernor() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumGovernorUnchanged.selector, govs[1], true));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.AddGovernor, govs[1], "");
    }

    function test_execute_addGovernorRevalidatesGovernorUnchanged() public {
        ProposalId first = propose(IConsortium.ProposalKind.AddGovernor, alice, "");
        ProposalId second = propose(IConsortium.ProposalKind.AddGovernor, alice, "");
        approveBy(first, 1, THRESHOLD);
        approveBy(second, 1, THRESHOLD);
        executeAsGovernor(first);

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumGovernorUnchanged.selector, alice, true));
        vm.prank(govs[0]);
        consortium.execute(second);
    }

    function test_execute_removeGovernorRemovesGovernor() public {
        address removed = govs[1];
        ProposalId id = propose(IConsortium.ProposalKind.RemoveGovernor, removed, "");
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.RemoveGovernor, removed, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.GovernorRemoved(removed);
        executeAsGovernor(id);

        assertFalse(consortium.isGovernor(removed));
        address[] memory g = consortium.governors();
        assertEq(g.length, GOVERNOR_COUNT - 1);
        for (uint256 i = 0; i < g.length; i++) {
            assertTrue(g[i] != removed);
            assertTrue(consortium.isGovernor(g[i]));
        }

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotGovernor.selector, removed));
        vm.prank(removed);
        consortium.propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
    }

    function test_execute_removeGovernorCanRemoveLastInList() public {
        address removed = govs[GOVERNOR_COUNT - 1];
        ProposalId id = propose(IConsortium.ProposalKind.RemoveGovernor, removed, "");
        approveBy(id, 1, THRESHOLD);
        vm.expectEmit(address(consortium));
        emit IConsortium.GovernorRemoved(removed);
        executeAsGovernor(id);

        address[] memory g = consortium.governors();
        assertEq(g.length, GOVERNOR_COUNT - 1);
        for (uint256 i = 0; i < g.length; i++) {
            assertEq(g[i], govs[i]);
        }
    }

    function test_propose_removeGovernorRevertsIfNotGovernor() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumGovernorUnchanged.selector, alice, false));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.RemoveGovernor, alice, "");
    }

    function test_propose_removeGovernorRevertsBelowThreshold() public {
        pass(IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(GOVERNOR_COUNT));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, GOVERNOR_COUNT, GOVERNOR_COUNT - 1)
        );
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.RemoveGovernor, govs[4], "");
    }

    function test_propose_removeGovernorRevertsForSoleGovernor() public {
        address[] memory g = makeGovernors(1);
        Consortium c = new Consortium(g, 1, LIFETIME);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 1, 0));
        vm.prank(g[0]);
        c.propose(IConsortium.ProposalKind.RemoveGovernor, g[0], "");
    }

    /// A removal that was valid when proposed is refused at execute once the threshold has been raised.
    function test_execute_removeGovernorRevalidatesThreshold() public {
        ProposalId removal = propose(IConsortium.ProposalKind.RemoveGovernor, govs[4], "");
        approveBy(removal, 1, GOVERNOR_COUNT); // enough even for the raised threshold
        pass(IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(GOVERNOR_COUNT));

        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, GOVERNOR_COUNT, GOVERNOR_COUNT - 1)
        );
        vm.prank(govs[0]);
        consortium.execute(removal);
        assertTrue(consortium.isGovernor(govs[4]));
    }

    /// Approvals count current governors only: removing a governor who approved drops his approval.
    function test_execute_removeGovernorDropsHisApproval() public {
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(id, 1, THRESHOLD); // governors 0, 1, 2 approve
        assertEq(consortium.approvalCount(id), THRESHOLD);

        // governors 0, 3, 4 remove governor 2
        address removed = govs[2];
        ProposalId removal = propose(IConsortium.ProposalKind.RemoveGovernor, removed, "");
        for (uint256 i = 3; i < 5; i++) {
            vm.prank(govs[i]);
            consortium.approve(removal);
        }
        executeAsGovernor(removal);

        assertEq(consortium.approvalCount(id), THRESHOLD - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, id, THRESHOLD - 1, THRESHOLD)
        );
        vm.prank(govs[0]);
        consortium.execute(id);

        // one more current governor restores the count
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalApproved(id, govs[3], THRESHOLD);
        vm.prank(govs[3]);
        consortium.approve(id);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberAdmitted(alice, nameDigest(alice), 1 << 0, REGION, 0, KYC_TIER);
        vm.prank(govs[0]);
        consortium.execute(id);
    }

    // =====================================================================
    // SetThreshold
    // =====================================================================

    function test_execute_setThresholdChangesThreshold() public {
        ProposalId id = propose(IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(THRESHOLD + 1));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.SetThreshold, govs[0], govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.ThresholdChanged(THRESHOLD, THRESHOLD + 1);
        executeAsGovernor(id);
        assertEq(consortium.threshold(), THRESHOLD + 1);

        // the new threshold applies to the next proposal
        ProposalId next = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(BANK_ROLE)));
        approveBy(next, 1, THRESHOLD);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, next, THRESHOLD, THRESHOLD + 1)
        );
        vm.prank(govs[0]);
        consortium.execute(next);
    }

    function test_propose_setThresholdRevertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, 0, GOVERNOR_COUNT));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(uint256(0)));
    }

    function test_propose_setThresholdRevertsAboveGovernorCount() public {
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, GOVERNOR_COUNT + 1, GOVERNOR_COUNT)
        );
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(GOVERNOR_COUNT + 1));
    }

    /// A threshold that was valid when proposed is refused at execute once a governor has been removed.
    function test_execute_setThresholdRevalidatesGovernorCount() public {
        ProposalId raise = propose(IConsortium.ProposalKind.SetThreshold, govs[0], abi.encode(GOVERNOR_COUNT));
        approveBy(raise, 1, THRESHOLD);
        pass(IConsortium.ProposalKind.RemoveGovernor, govs[4], "");

        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInvalidThreshold.selector, GOVERNOR_COUNT, GOVERNOR_COUNT - 1)
        );
        vm.prank(govs[0]);
        consortium.execute(raise);
        assertEq(consortium.threshold(), THRESHOLD);
    }

    // =====================================================================
    // SetSystemContract
    // =====================================================================

    function test_execute_setSystemContractEnables() public {
        address system = newContract();
        ProposalId id = propose(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(true));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.SetSystemContract, system, govs[0]);
        vm.expectEmit(address(consortium));
        emit IConsortium.SystemContractSet(system, true);
        executeAsGovernor(id);

        assertTrue(consortium.isSystemContract(system));
        assertFalse(consortium.isMember(system));
    }

    function test_execute_setSystemContractDisables() public {
        address system = newContract();
        pass(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(true));
        ProposalId id = propose(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(false));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.SystemContractSet(system, false);
        executeAsGovernor(id);
        assertFalse(consortium.isSystemContract(system));
    }

    function test_propose_setSystemContractRevertsWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidSystemContract.selector, alice, true));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.SetSystemContract, alice, abi.encode(true));
    }

    function test_propose_setSystemContractRevertsIfAlreadyEnabled() public {
        address system = newContract();
        pass(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(true));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidSystemContract.selector, system, true));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(true));
    }

    function test_propose_setSystemContractRevertsIfAlreadyDisabled() public {
        address system = newContract();
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidSystemContract.selector, system, false));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(false));
    }

    /// The code check runs again at execute.
    function test_execute_setSystemContractRevalidatesCode() public {
        address system = newContract();
        ProposalId id = propose(IConsortium.ProposalKind.SetSystemContract, system, abi.encode(true));
        approveBy(id, 1, THRESHOLD);
        vm.etch(system, "");

        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidSystemContract.selector, system, true));
        vm.prank(govs[0]);
        consortium.execute(id);
        assertFalse(consortium.isSystemContract(system));
    }

    // =====================================================================
    // roleBit and Roles
    // =====================================================================

    function test_roleBit_returnsBitForEachRole() public view {
        bytes32[9] memory all = [
            BANK_ROLE,
            COLLECTOR_ROLE,
            MEDIATOR_ROLE,
            COURT_ROLE,
            INVESTOR_ROLE,
            AUDITOR_ROLE,
            ORACLE_ROLE,
            REGULATOR_ROLE,
            SETTLEMENT_BANK_ROLE
        ];
        for (uint256 i = 0; i < all.length; i++) {
            assertEq(consortium.roleBit(all[i]), 2 ** i);
        }
    }

    function test_roleBit_revertsForUnknownRole() public {
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRole.selector, UNKNOWN_ROLE));
        consortium.roleBit(UNKNOWN_ROLE);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnknownRole.selector, bytes32(0)));
        consortium.roleBit(bytes32(0));
    }

    function test_roles_matchKeccakOfRoleName() public pure {
        assertEq(Roles.BANK, BANK_ROLE);
        assertEq(Roles.COLLECTOR, COLLECTOR_ROLE);
        assertEq(Roles.MEDIATOR, MEDIATOR_ROLE);
        assertEq(Roles.COURT, COURT_ROLE);
        assertEq(Roles.INVESTOR, INVESTOR_ROLE);
        assertEq(Roles.AUDITOR, AUDITOR_ROLE);
        assertEq(Roles.ORACLE, ORACLE_ROLE);
        assertEq(Roles.REGULATOR, REGULATOR_ROLE);
        assertEq(Roles.SETTLEMENT_BANK, SETTLEMENT_BANK_ROLE);
        assertEq(Roles.GOVERNANCE, GOVERNANCE_ROLE);
        assertEq(Roles.EVIDENCE_ANCHORER, EVIDENCE_ANCHORER_ROLE);
    }

    /// Each role is granted exactly its own bit, so holding one role never implies another.
    function test_fuzz_hasActiveRole_onlyForHeldRole(uint256 held, uint256 asked) public {
        held = bound(held, 0, 8);
        asked = bound(asked, 0, 8);
        bytes32[9] memory all = [
            BANK_ROLE,
            COLLECTOR_ROLE,
            MEDIATOR_ROLE,
            COURT_ROLE,
            INVESTOR_ROLE,
            AUDITOR_ROLE,
            ORACLE_ROLE,
            REGULATOR_ROLE,
            SETTLEMENT_BANK_ROLE
        ];
        ProposalId id = propose(IConsortium.ProposalKind.Admit, alice, admitData(alice, roles(all[held])));
        approveBy(id, 1, THRESHOLD);
        vm.expectEmit(address(consortium));
        emit IConsortium.MemberAdmitted(alice, nameDigest(alice), 2 ** held, REGION, 0, KYC_TIER);
        executeAsGovernor(id);
        assertEq(consortium.hasActiveRole(alice, all[asked]), held == asked);
    }
}

/// @notice `Call` proposals: the consortium executes a call k-of-n governors approved on another contract,
/// which is how every `onlyConsortium` setting of a Recourse contract changes.
contract ConsortiumCallTest is Deployers {
    MockGoverned internal target;

    function setUp() public {
        deployConsortium();
        target = new MockGoverned(consortium);
    }

    function setValueCall(uint256 v) internal pure returns (bytes memory) {
        return abi.encodeCall(MockGoverned.setValue, (v));
    }

    /// @dev Executes as govs[0] with no other call first, so `vm.expectRevert` applies to `execute` itself.
    function executeAsFirst(ProposalId id) internal {
        vm.prank(govs[0]);
        consortium.execute(id);
    }

    function proposeCall(bytes memory data) internal returns (ProposalId) {
        return propose(IConsortium.ProposalKind.Call, address(target), data);
    }

    function test_propose_callRecordsTheExactCall() public {
        bytes memory data = setValueCall(7);
        uint64 deadline = START_TIME + LIFETIME;
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalCreated(
            ProposalId.wrap(1), IConsortium.ProposalKind.Call, address(target), govs[0], deadline, data
        );
        ProposalId id = proposeCall(data);

        IConsortium.Proposal memory p = consortium.getProposal(id);
        assertEq(uint8(p.kind), uint8(IConsortium.ProposalKind.Call));
        assertEq(p.target, address(target));
        assertEq(p.data, data);
        assertFalse(p.executed);
    }

    function test_propose_callRevertsForAccountWithoutCode() public {
        bytes memory data = setValueCall(7);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidCall.selector, outsider, data));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Call, outsider, data);
    }

    function test_propose_callRevertsOnTheConsortiumItself() public {
        bytes memory data = abi.encodeCall(IConsortium.approve, (ProposalId.wrap(1)));
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidCall.selector, address(consortium), data));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Call, address(consortium), data);
    }

    function test_propose_callRevertsWithoutSelector() public {
        bytes memory data = hex"aabbcc";
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidCall.selector, address(target), data));
        vm.prank(govs[0]);
        consortium.propose(IConsortium.ProposalKind.Call, address(target), data);
        assertEq(consortium.proposalCount(), 0);
    }

    function test_execute_callCallsTargetAndEmitsResult() public {
        ProposalId id = proposeCall(setValueCall(7));
        approveBy(id, 1, THRESHOLD);

        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalExecuted(id, IConsortium.ProposalKind.Call, address(target), govs[0]);
        vm.expectEmit(address(target));
        emit MockGoverned.ValueSet(0, 7);
        vm.expectEmit(address(consortium));
        emit IConsortium.ProposalCallExecuted(id, address(target), MockGoverned.setValue.selector, abi.encode(0));
        executeAsFirst(id);

        assertEq(target.value(), 7);
        assertTrue(consortium.getProposal(id).executed);
    }

    function test_execute_callRevertsOneApprovalShortOfThreshold() public {
        ProposalId id = proposeCall(setValueCall(7));
        approveBy(id, 1, THRESHOLD - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortium.ConsortiumInsufficientApprovals.selector, id, THRESHOLD - 1, THRESHOLD)
        );
        executeAsFirst(id);
        assertEq(target.value(), 0);
    }

    function test_execute_callRevertsAfterDeadline() public {
        ProposalId id = proposeCall(setValueCall(7));
        approveBy(id, 1, THRESHOLD);
        uint64 deadline = START_TIME + LIFETIME;
        vm.warp(uint256(deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalExpired.selector, id, deadline));
        executeAsFirst(id);
        assertEq(target.value(), 0);
    }

    function test_execute_callRevertsIfAlreadyExecuted() public {
        ProposalId id = proposeCall(setValueCall(7));
        approveBy(id, 1, THRESHOLD);
        executeAsFirst(id);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumProposalAlreadyExecuted.selector, id));
        vm.prank(govs[1]);
        consortium.execute(id);
    }

    function test_execute_callRevertsForNonGovernor() public {
        ProposalId id = proposeCall(setValueCall(7));
        approveBy(id, 1, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumNotGovernor.selector, outsider));
        vm.prank(outsider);
        consortium.execute(id);
    }

    function test_execute_callBubblesTargetRevertAndStaysOpen() public {
        ProposalId id = proposeCall(setValueCall(0));
        approveBy(id, 1, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(MockGoverned.MockGovernedRefused.selector, 0));
        executeAsFirst(id);
        assertFalse(consortium.getProposal(id).executed);
        assertEq(target.value(), 0);
    }

    function test_execute_callWithEmptyRevertRaisesFailedCall() public {
        ProposalId id = proposeCall(abi.encodeCall(MockGoverned.failSilently, ()));
        approveBy(id, 1, THRESHOLD);
        vm.expectRevert(abi.encodeWithSelector(Errors.FailedCall.selector));
        executeAsFirst(id);
        assertFalse(consortium.getProposal(id).executed);
    }

    function test_execute_callRevalidatesTargetCode() public {
        ProposalId id = proposeCall(setValueCall(7));
        approveBy(id, 1, THRESHOLD);
        vm.etch(address(target), "");
        bytes memory data = setValueCall(7);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumInvalidCall.selector, address(target), data));
        executeAsFirst(id);
    }

    function test_onlyConsortium_refusesEveryOtherCaller() public {
        address[6] memory callers = [govs[0], govs[1], govs[2], govs[3], govs[4], outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IConsortiumGated.ConsortiumGatedUnauthorized.selector, callers[i], GOVERNANCE_ROLE
                )
            );
            vm.prank(callers[i]);
            target.setValue(7);
        }
        assertEq(target.value(), 0);
        assertEq(address(target.consortium()), address(consortium));
    }

    function test_fuzz_onlyConsortium_refusesAnyOtherCaller(address caller) public {
        vm.assume(caller != address(consortium));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, caller, GOVERNANCE_ROLE)
        );
        vm.prank(caller);
        target.setValue(7);
    }

    function test_execute_isNonReentrant() public {
        ReentrantGovernor attacker = new ReentrantGovernor(consortium);
        pass(IConsortium.ProposalKind.AddGovernor, address(attacker), "");
        ProposalId inner = proposeCall(setValueCall(7));
        approveBy(inner, 1, THRESHOLD);
        attacker.arm(inner);
        ProposalId outer =
            propose(IConsortium.ProposalKind.Call, address(attacker), abi.encodeCall(ReentrantGovernor.poke, ()));
        approveBy(outer, 1, THRESHOLD);

        vm.expectRevert(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        executeAsFirst(outer);
        assertFalse(consortium.getProposal(outer).executed);
        assertFalse(consortium.getProposal(inner).executed);
        assertEq(target.value(), 0);

        // the inner proposal still runs on its own
        executeAsFirst(inner);
        assertEq(target.value(), 7);
    }
}
