// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {DisputeDesk} from "../../disputes/DisputeDesk.sol";
import {ICaseDelegation} from "../../interfaces/ICaseDelegation.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {IEvidenceRegistry} from "../../interfaces/IEvidenceRegistry.sol";
import {IJudicialAuction} from "../../interfaces/IJudicialAuction.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {DisputeFixture} from "./DisputeFixture.sol";

contract DisputeDeskTest is DisputeFixture {
    function setUp() public {
        deployDisputes();
    }

    // --- error builders ---

    function wrongStatus(uint256 id, IDisputeDesk.DisputeStatus s) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDisputeDesk.DisputeWrongStatus.selector, id, s);
    }

    function notAllowed(uint256 id, IDisputeDesk.DisputeStatus s, IDisputeDesk.Ruling r)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IDisputeDesk.DisputeRulingNotAllowed.selector, id, s, r);
    }

    function badSchedule(uint256 index) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDisputeDesk.DisputeInvalidSchedule.selector, index);
    }

    function unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, account, role);
    }

    function assertStatus(uint256 id, IDisputeDesk.DisputeStatus expected) internal view {
        assertEq(uint8(statusOf(id)), uint8(expected), "status");
    }

    // =====================================================================
    // constructor, settings
    // =====================================================================

    function test_constructor_wiresAndEmitsSettings() public {
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectEmit(expected);
        emit IDisputeDesk.AppealWindowChanged(0, APPEAL_WINDOW);
        vm.expectEmit(expected);
        emit IDisputeDesk.MediationRequirementChanged(true);
        DisputeDesk d = new DisputeDesk(consortium, token, registry, cd, APPEAL_WINDOW);
        assertEq(address(d.consortium()), address(consortium));
        assertEq(address(d.token()), address(token));
        assertEq(address(d.evidence()), address(registry));
        assertEq(address(d.cases()), address(cd));
        assertEq(d.appealWindow(), APPEAL_WINDOW);
        assertTrue(d.mediationRequired());
        assertEq(d.disputeCount(), 0);
        assertEq(d.totalOwed(), 0);
        assertEq(d.MAX_INSTALMENTS(), 120);
        assertEq(d.MAX_GRACE(), 90 days);
        assertEq(d.MIN_APPEAL_WINDOW(), 1 hours);
        assertEq(d.MAX_APPEAL_WINDOW(), 90 days);
    }

    function test_constructor_refusesZeroAddressesAndWindowOutOfBounds() public {
        bytes memory zero = abi.encodeWithSelector(IDisputeDesk.DisputeZeroAddress.selector);
        vm.expectRevert(zero);
        new DisputeDesk(consortium, ISettlementToken(address(0)), registry, cd, APPEAL_WINDOW);
        vm.expectRevert(zero);
        new DisputeDesk(consortium, token, IEvidenceRegistry(address(0)), cd, APPEAL_WINDOW);
        vm.expectRevert(zero);
        new DisputeDesk(consortium, token, registry, ICaseDelegation(address(0)), APPEAL_WINDOW);
        bytes memory invalid = abi.encodeWithSelector(IDisputeDesk.DisputeInvalidSetting.selector);
        vm.expectRevert(invalid);
        new DisputeDesk(consortium, token, registry, cd, 1 hours - 1);
        vm.expectRevert(invalid);
        new DisputeDesk(consortium, token, registry, cd, 90 days + 1);
        new DisputeDesk(consortium, token, registry, cd, 1 hours);
        new DisputeDesk(consortium, token, registry, cd, 90 days);
    }

    function test_settings_onlyTheConsortium() public {
        address[4] memory callers = [bank, court, govs[0], outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(unauthorized(callers[i], GOVERNANCE_ROLE));
            vm.prank(callers[i]);
            desk.setAppealWindow(2 days);
            vm.expectRevert(unauthorized(callers[i], GOVERNANCE_ROLE));
            vm.prank(callers[i]);
            desk.setMediationRequired(false);
        }
    }

    function test_setAppealWindow_governedWithinBounds() public {
        ProposalId p = propose(
            IConsortium.ProposalKind.Call, address(desk), abi.encodeCall(IDisputeDesk.setAppealWindow, (2 days))
        );
        approveBy(p, 1, THRESHOLD);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AppealWindowChanged(APPEAL_WINDOW, 2 days);
        executeAsGovernor(p);
        assertEq(desk.appealWindow(), 2 days);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidSetting.selector));
        vm.prank(address(consortium));
        desk.setAppealWindow(90 days + 1);
    }

    function test_setMediationRequired_governed() public {
        ProposalId p = propose(
            IConsortium.ProposalKind.Call, address(desk), abi.encodeCall(IDisputeDesk.setMediationRequired, (false))
        );
        approveBy(p, 1, THRESHOLD);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.MediationRequirementChanged(false);
        executeAsGovernor(p);
        assertFalse(desk.mediationRequired());
    }

    // =====================================================================
    // open
    // =====================================================================

    function test_open_byBankEmitsAndStores() public {
        vm.expectEmit(address(desk));
        emit IDisputeDesk.DisputeOpened(1, caseId, bank, bank, collector, claimAmount, uint64(block.timestamp));
        vm.expectEmit(address(desk));
        emit IDisputeDesk.EvidenceSubmitted(1, bank, docRoot);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.CollateralRegistered(1, ASSET_REF, caseId);
        uint256 id = openDispute();
        assertEq(id, 1);
        IDisputeDesk.Dispute memory d = desk.dispute(id);
        assertStatus(id, IDisputeDesk.DisputeStatus.OPEN);
        assertEq(d.openedAt, block.timestamp);
        assertEq(d.bank, bank);
        assertEq(d.collector, collector);
        assertEq(d.opener, bank);
        assertEq(d.mediator, address(0));
        assertEq(d.caseId, caseId);
        assertEq(d.claimAmount, claimAmount);
        assertEq(d.payee, bank);
        assertEq(d.total, 0);
        assertEq(desk.disputeCount(), 1);
        assertEq(desk.disputeOfCase(caseId), 1);
        (bytes32 c, bool e) = desk.enforcementOf(ASSET_REF);
        assertEq(c, caseId);
        assertFalse(e);
        assertFalse(desk.isEnforceable(caseId));
    }

    function test_open_byCollectorHoldingTheCase() public {
        vm.expectEmit(address(desk));
        emit IDisputeDesk.DisputeOpened(1, caseId, collector, bank, collector, 1_000, uint64(block.timestamp));
        vm.prank(collector);
        uint256 id = desk.open(caseId, 1_000, none(), none());
        assertEq(desk.dispute(id).opener, collector);
    }

    function test_open_refusesWhoIsNotACaseParty() public {
        address[4] memory callers = [bank2, collector2, mediator, outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotCaseParty.selector, caseId, callers[i]));
            vm.prank(callers[i]);
            desk.open(caseId, claimAmount, none(), none());
        }
    }

    function test_open_offeredCollectorIsNotAParty() public {
        offerTo(collector2, 1, 1 days);
        bytes32 offered = terms[1].caseId;
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotCaseParty.selector, offered, collector2));
        vm.prank(collector2);
        desk.open(offered, 1, none(), none());
        vm.prank(bank);
        uint256 id = desk.open(offered, 1, none(), none());
        assertEq(desk.dispute(id).collector, address(0));
    }

    function test_open_refusesSuspendedParties() public {
        suspend(collector);
        vm.expectRevert(unauthorized(collector, COLLECTOR_ROLE));
        vm.prank(collector);
        desk.open(caseId, claimAmount, none(), none());
        suspend(bank);
        vm.expectRevert(unauthorized(bank, BANK_ROLE));
        vm.prank(bank);
        desk.open(caseId, claimAmount, none(), none());
    }

    function test_open_refusesUnknownCase() public {
        bytes32 unknown = keccak256("no such case");
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeCaseUnknown.selector, unknown));
        vm.prank(bank);
        desk.open(unknown, 1, none(), none());
    }

    function test_open_refusesCaseRecoveredInFull() public {
        reportRecoveryAs(collector, 0, claimAmount);
        vm.prank(bank);
        cd.confirmRecovery(caseId, false);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeCaseSettled.selector, caseId));
        vm.prank(bank);
        desk.open(caseId, 1, none(), none());
    }

    function test_open_claimWithinOutstanding() public {
        reportRecoveryAs(collector, 0, 10_000);
        vm.prank(bank);
        cd.confirmRecovery(caseId, false);
        uint128 outstanding = claimAmount - 10_000;
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidClaim.selector, 0, outstanding));
        vm.prank(bank);
        desk.open(caseId, 0, none(), none());
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidClaim.selector, outstanding + 1, outstanding));
        vm.prank(bank);
        desk.open(caseId, outstanding + 1, none(), none());
        vm.prank(bank);
        desk.open(caseId, outstanding, none(), none());
    }

    function test_open_refusesUnanchoredEvidence() public {
        bytes32 root = keccak256("not anchored");
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeEvidenceNotAnchored.selector, root));
        vm.prank(bank);
        desk.open(caseId, claimAmount, one(root), none());
    }

    function test_open_refusesSecondWhileOneRuns() public {
        uint256 id = openDispute();
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeAlreadyOpen.selector, caseId, id));
        vm.prank(collector);
        desk.open(caseId, 1, none(), none());
        takeAs(mediator, id);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeAlreadyOpen.selector, caseId, id));
        openDispute();
    }

    function test_open_againAfterDismissalReRegistersCollateral() public {
        uint256 first = failedMediation();
        finalRuling(first, IDisputeDesk.Ruling.DISMISSED);
        assertStatus(first, IDisputeDesk.DisputeStatus.FINAL);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.CollateralRegistered(2, ASSET_REF, caseId);
        uint256 second = openDispute();
        assertEq(second, 2);
        assertEq(desk.disputeOfCase(caseId), 2);
    }

    function test_open_againAfterAbandonmentOrHonour() public {
        uint256 first = openDispute();
        vm.prank(bank);
        desk.abandon(first, REASON);
        uint256 second = performing(1);
        payAs(payer, second, claimAmount);
        assertStatus(second, IDisputeDesk.DisputeStatus.HONOURED);
        assertEq(openDispute(), 3);
    }

    function test_open_refusedOnceEnforceable() public {
        uint256 id = enforceable();
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeAlreadyOpen.selector, caseId, id));
        openDispute();
    }

    function test_open_refusedAfterDefault() public {
        uint256 id = performing(2);
        vm.warp(desk.scheduleOf(id)[0].dueAt + GRACE + 1);
        desk.markDefault(id);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeAlreadyOpen.selector, caseId, id));
        openDispute();
    }

    function test_open_refusesCollateralOfAnotherCase() public {
        openDispute();
        claimAs(collector2, 1);
        bytes32 other = terms[1].caseId;
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeCollateralTaken.selector, ASSET_REF, caseId));
        vm.prank(bank);
        desk.open(other, 1, none(), one(ASSET_REF));
    }

    // =====================================================================
    // mediators
    // =====================================================================

    function test_claim_emitsAndMediates() public {
        uint256 id = openDispute();
        vm.expectEmit(address(desk));
        emit IDisputeDesk.MediatorAssigned(id, mediator, false);
        takeAs(mediator, id);
        assertEq(desk.dispute(id).mediator, mediator);
        assertStatus(id, IDisputeDesk.DisputeStatus.MEDIATING);
    }

    function test_claim_secondClaimRefused() public {
        uint256 id = mediating();
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.MEDIATING));
        takeAs(mediator2, id);
    }

    function test_claim_refusesNonMediatorsAndParties() public {
        uint256 id = openDispute();
        address[4] memory callers = [bank, collector, court, outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotMediator.selector, id, callers[i]));
            takeAs(callers[i], id);
        }
    }

    function test_claim_mediatorWhoIsAPartyRefused() public {
        address dual = makeAddr("collectorAndMediator");
        admit(dual, roles(COLLECTOR_ROLE, MEDIATOR_ROLE));
        claimAs(dual, 1);
        vm.prank(bank);
        uint256 id = desk.open(terms[1].caseId, 1, none(), none());
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotMediator.selector, id, dual));
        takeAs(dual, id);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotMediator.selector, id, dual));
        vm.prank(bank);
        desk.assign(id, dual);
    }

    function test_claim_suspendedMediatorRefused() public {
        uint256 id = openDispute();
        suspend(mediator);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotMediator.selector, id, mediator));
        takeAs(mediator, id);
    }

    function test_claim_unknownDispute() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeUnknown.selector, 7));
        takeAs(mediator, 7);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeUnknown.selector, 0));
        desk.dispute(0);
    }

    function test_assign_byBankEmits() public {
        uint256 id = openDispute();
        vm.expectEmit(address(desk));
        emit IDisputeDesk.MediatorAssigned(id, mediator2, true);
        vm.prank(bank);
        desk.assign(id, mediator2);
        assertEq(desk.dispute(id).mediator, mediator2);
        assertStatus(id, IDisputeDesk.DisputeStatus.MEDIATING);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.MEDIATING));
        vm.prank(bank);
        desk.assign(id, mediator);
    }

    function test_assign_refusesNonBankAndNonMediator() public {
        uint256 id = openDispute();
        address[3] memory callers = [collector, mediator, bank2];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotBank.selector, id, callers[i]));
            vm.prank(callers[i]);
            desk.assign(id, mediator);
        }
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotMediator.selector, id, court));
        vm.prank(bank);
        desk.assign(id, court);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotMediator.selector, id, collector));
        vm.prank(bank);
        desk.assign(id, collector);
    }

    // =====================================================================
    // evidence
    // =====================================================================

    function test_submitEvidence_byPartiesMediatorAndAnyCourt() public {
        uint256 id = mediating();
        address[4] memory callers = [bank, collector, mediator, court2];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectEmit(address(desk));
            emit IDisputeDesk.EvidenceSubmitted(id, callers[i], docRoot);
            vm.prank(callers[i]);
            desk.submitEvidence(id, docRoot);
        }
    }

    function test_submitEvidence_refusals() public {
        uint256 id = mediating();
        address[3] memory callers = [mediator2, bank2, outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotParticipant.selector, id, callers[i]));
            vm.prank(callers[i]);
            desk.submitEvidence(id, docRoot);
        }
        bytes32 root = keccak256("not anchored");
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeEvidenceNotAnchored.selector, root));
        vm.prank(bank);
        desk.submitEvidence(id, root);
        vm.prank(bank);
        desk.abandon(id, REASON);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.ABANDONED));
        vm.prank(bank);
        desk.submitEvidence(id, docRoot);
    }

    // =====================================================================
    // agreements
    // =====================================================================

    function test_recordAgreement_emitsAndStores() public {
        uint256 id = mediating();
        uint128 relief = 2_000;
        IDisputeDesk.Agreement memory a = agreementOf(12, relief);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementRecorded(
            id,
            mediator,
            TERMS,
            COMMITMENT,
            PLAN,
            claimAmount - relief,
            relief,
            GRACE,
            uint64(block.timestamp),
            a.schedule
        );
        agreeAs(mediator, id, a);
        assertStatus(id, IDisputeDesk.DisputeStatus.AGREED);
        assertEq(desk.dispute(id).total, claimAmount - relief);
        IDisputeDesk.AgreementRecord memory r = desk.agreementOf(id);
        assertEq(r.termsDigest, TERMS);
        assertEq(r.commitmentDigest, COMMITMENT);
        assertEq(r.planDigest, PLAN);
        assertEq(r.relief, relief);
        assertEq(r.grace, GRACE);
        assertEq(r.agreedAt, block.timestamp);
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        assertEq(s.length, 12);
        for (uint256 i = 0; i < 12; i++) {
            assertEq(s[i].amount, a.schedule[i].amount);
            assertEq(s[i].dueAt, a.schedule[i].dueAt);
        }
        assertEq(desk.dueBy(id, s[0].dueAt - 1), 0);
        assertEq(desk.dueBy(id, s[0].dueAt), s[0].amount);
        assertEq(desk.dueBy(id, s[11].dueAt), claimAmount - relief);
    }

    function test_recordAgreement_onlyTheDisputesMediatorWhileMediating() public {
        uint256 open = openDispute();
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotDisputeMediator.selector, open, mediator));
        agreeAs(mediator, open, agreementOf(1, 0));
        takeAs(mediator, open);
        address[3] memory callers = [mediator2, bank, court];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotDisputeMediator.selector, open, callers[i]));
            agreeAs(callers[i], open, agreementOf(1, 0));
        }
        agreeAs(mediator, open, agreementOf(1, 0));
        vm.expectRevert(wrongStatus(open, IDisputeDesk.DisputeStatus.AGREED));
        agreeAs(mediator, open, agreementOf(1, 0));
    }

    function test_recordAgreement_refusesBadSchedules() public {
        uint256 id = mediating();
        // empty
        vm.expectRevert(badSchedule(0));
        agreeAs(mediator, id, agreementWith(new IDisputeDesk.Instalment[](0), claimAmount));
        // 121 instalments
        vm.expectRevert(badSchedule(121));
        agreeAs(mediator, id, agreementOf(121, 0));
        // not strictly increasing
        IDisputeDesk.Instalment[] memory s = scheduleOf(3, claimAmount);
        s[2].dueAt = s[1].dueAt;
        vm.expectRevert(badSchedule(2));
        agreeAs(mediator, id, agreementWith(s, 0));
        // due now (not in the future)
        s = scheduleOf(3, claimAmount);
        s[0].dueAt = uint64(block.timestamp);
        vm.expectRevert(badSchedule(0));
        agreeAs(mediator, id, agreementWith(s, 0));
        // zero amount
        s = scheduleOf(3, claimAmount);
        s[0].amount = 0;
        s[1].amount += claimAmount / 3;
        vm.expectRevert(badSchedule(0));
        agreeAs(mediator, id, agreementWith(s, 0));
        // total plus relief is not the claim
        s = scheduleOf(3, claimAmount - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeDesk.DisputeAgreementMismatch.selector, claimAmount - 1, 0, claimAmount)
        );
        agreeAs(mediator, id, agreementWith(s, 0));
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeDesk.DisputeAgreementMismatch.selector, claimAmount - 1, 2, claimAmount)
        );
        agreeAs(mediator, id, agreementWith(s, 2));
        // grace too long
        IDisputeDesk.Agreement memory a = agreementOf(3, 0);
        a.grace = 90 days + 1;
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidGrace.selector, 90 days + 1, 90 days));
        agreeAs(mediator, id, a);
        // the longest schedule and grace are fine
        a = agreementOf(120, 0);
        a.grace = 90 days;
        agreeAs(mediator, id, a);
        assertEq(desk.scheduleOf(id).length, 120);
    }

    function test_recordAgreement_refusesInstalmentsBeyondThePackedBounds() public {
        uint256 id = mediating();
        uint128 big = uint128(1) << 96;
        // an amount of 2^96 fen: refused at its index, before the total is compared with the claim
        IDisputeDesk.Instalment[] memory s = scheduleOf(3, claimAmount);
        s[1].amount = big;
        vm.expectRevert(badSchedule(1));
        agreeAs(mediator, id, agreementWith(s, 0));
        // a due time beyond 2^32 - 1 (7 February 2106)
        s = scheduleOf(3, claimAmount);
        s[2].dueAt = uint64(type(uint32).max) + 1;
        vm.expectRevert(badSchedule(2));
        agreeAs(mediator, id, agreementWith(s, 0));
        // the last due time that fits is accepted, and read back as given
        s = scheduleOf(3, claimAmount);
        s[2].dueAt = type(uint32).max;
        agreeAs(mediator, id, agreementWith(s, 0));
        IDisputeDesk.Instalment[] memory stored = desk.scheduleOf(id);
        assertEq(stored.length, 3);
        for (uint256 i = 0; i < 3; i++) {
            assertEq(stored[i].amount, s[i].amount);
            assertEq(stored[i].dueAt, s[i].dueAt);
        }
        assertEq(desk.dueBy(id, type(uint64).max), claimAmount);
    }

    function test_recordFailure_emits() public {
        uint256 id = mediating();
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotDisputeMediator.selector, id, mediator2));
        vm.prank(mediator2);
        desk.recordFailure(id, REASON);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.MediationFailed(id, mediator, REASON);
        vm.prank(mediator);
        desk.recordFailure(id, REASON);
        assertStatus(id, IDisputeDesk.DisputeStatus.FAILED);
    }

    // =====================================================================
    // rulings
    // =====================================================================

    function test_rule_beforeMediationRefusedWhileRequired() public {
        uint256 id = openDispute();
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.OPEN, IDisputeDesk.Ruling.FOR_CLAIMANT));
        ruleAs(court, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        takeAs(mediator, id);
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.MEDIATING, IDisputeDesk.Ruling.DISMISSED));
        ruleAs(court, id, IDisputeDesk.Ruling.DISMISSED);
    }

    function test_rule_beforeMediationOnceTheConsortiumDroppedTheRequirement() public {
        setMediationRequired(false);
        uint256 id = openDispute();
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.OPEN, IDisputeDesk.Ruling.CONFIRMED));
        ruleAs(court, id, IDisputeDesk.Ruling.CONFIRMED);
        uint64 deadline = uint64(block.timestamp) + APPEAL_WINDOW;
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingGiven(id, court, IDisputeDesk.Ruling.FOR_CLAIMANT, DOC, deadline, false);
        ruleAs(court, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        IDisputeDesk.Dispute memory d = desk.dispute(id);
        assertStatus(id, IDisputeDesk.DisputeStatus.RULED);
        assertEq(d.court, court);
        assertEq(uint8(d.ruling), uint8(IDisputeDesk.Ruling.FOR_CLAIMANT));
        assertEq(d.appealDeadline, deadline);
    }

    function test_rule_onAgreementConfirmsOrRefuses() public {
        uint256 id = agreed(3, 0);
        IDisputeDesk.Ruling[3] memory bad =
            [IDisputeDesk.Ruling.NONE, IDisputeDesk.Ruling.FOR_CLAIMANT, IDisputeDesk.Ruling.DISMISSED];
        for (uint256 i = 0; i < bad.length; i++) {
            vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.AGREED, bad[i]));
            ruleAs(court, id, bad[i]);
        }
        ruleAs(court, id, IDisputeDesk.Ruling.CONFIRMED);
        assertStatus(id, IDisputeDesk.DisputeStatus.RULED);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.RULED));
        ruleAs(court2, id, IDisputeDesk.Ruling.REFUSED);
    }

    function test_rule_onFailureDecides() public {
        uint256 id = failedMediation();
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.FAILED, IDisputeDesk.Ruling.CONFIRMED));
        ruleAs(court, id, IDisputeDesk.Ruling.CONFIRMED);
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.FAILED, IDisputeDesk.Ruling.NONE));
        ruleAs(court, id, IDisputeDesk.Ruling.NONE);
        ruleAs(court, id, IDisputeDesk.Ruling.REFUSED);
        assertStatus(id, IDisputeDesk.DisputeStatus.RULED);
    }

    function test_rule_onlyActiveCourts() public {
        uint256 id = failedMediation();
        address[3] memory callers = [bank, mediator, outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(unauthorized(callers[i], COURT_ROLE));
            ruleAs(callers[i], id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        }
        suspend(court);
        vm.expectRevert(unauthorized(court, COURT_ROLE));
        ruleAs(court, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
    }

    // =====================================================================
    // appeals and finality
    // =====================================================================

    function test_appeal_atTheDeadlineAllowedOneSecondLaterRefused() public {
        uint256 id = failedMediation();
        ruleAs(court, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        uint64 deadline = desk.dispute(id).appealDeadline;
        uint256 snap = vm.snapshotState();
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeAppealWindowClosed.selector, id, deadline));
        vm.prank(collector);
        desk.appeal(id, REASON);
        vm.revertToState(snap);
        vm.warp(deadline);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingAppealed(id, collector, REASON);
        vm.prank(collector);
        desk.appeal(id, REASON);
        assertStatus(id, IDisputeDesk.DisputeStatus.APPEALED);
    }

    function test_appeal_byPartiesOrACourtOnly() public {
        uint256 id = failedMediation();
        ruleAs(court, id, IDisputeDesk.Ruling.DISMISSED);
        address[3] memory callers = [mediator, bank2, outsider];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotParticipant.selector, id, callers[i]));
            vm.prank(callers[i]);
            desk.appeal(id, REASON);
        }
        vm.prank(court2); // a court recording an appeal filed with it
        desk.appeal(id, REASON);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.APPEALED));
        vm.prank(bank);
        desk.appeal(id, REASON);
    }

    function test_rule_onAppealBySameCourtRefusedByAnotherFinalAtOnce() public {
        uint256 id = failedMediation();
        ruleAs(court, id, IDisputeDesk.Ruling.DISMISSED);
        vm.prank(bank);
        desk.appeal(id, REASON);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeSameCourt.selector, id, court));
        ruleAs(court, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.APPEALED, IDisputeDesk.Ruling.CONFIRMED));
        ruleAs(court2, id, IDisputeDesk.Ruling.CONFIRMED);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingGiven(id, court2, IDisputeDesk.Ruling.FOR_CLAIMANT, DOC, 0, true);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingFinal(id, IDisputeDesk.Ruling.FOR_CLAIMANT, IDisputeDesk.DisputeStatus.FINAL);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.CaseEnforceable(caseId, id);
        ruleAs(court2, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        IDisputeDesk.Dispute memory d = desk.dispute(id);
        assertStatus(id, IDisputeDesk.DisputeStatus.FINAL);
        assertEq(d.court, court);
        assertEq(d.appealCourt, court2);
        assertTrue(desk.isEnforceable(caseId));
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.FINAL));
        desk.finalize(id);
    }

    function test_rule_onAppealOfAConfirmationStartsPerformance() public {
        uint256 id = agreed(3, 0);
        ruleAs(court, id, IDisputeDesk.Ruling.REFUSED);
        vm.prank(bank);
        desk.appeal(id, REASON);
        vm.expectRevert(notAllowed(id, IDisputeDesk.DisputeStatus.APPEALED, IDisputeDesk.Ruling.FOR_CLAIMANT));
        ruleAs(court2, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingFinal(id, IDisputeDesk.Ruling.CONFIRMED, IDisputeDesk.DisputeStatus.PERFORMING);
        ruleAs(court2, id, IDisputeDesk.Ruling.CONFIRMED);
        assertStatus(id, IDisputeDesk.DisputeStatus.PERFORMING);
    }

    function test_finalize_onlyAfterTheWindow() public {
        uint256 id = failedMediation();
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.FAILED));
        desk.finalize(id);
        ruleAs(court, id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        uint64 deadline = desk.dispute(id).appealDeadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeAppealWindowOpen.selector, id, deadline));
        desk.finalize(id);
        vm.warp(deadline + 1);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingFinal(id, IDisputeDesk.Ruling.FOR_CLAIMANT, IDisputeDesk.DisputeStatus.FINAL);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.CaseEnforceable(caseId, id);
        vm.prank(outsider);
        desk.finalize(id);
        assertTrue(desk.isEnforceable(caseId));
        (bytes32 c, bool e) = desk.enforcementOf(ASSET_REF);
        assertEq(c, caseId);
        assertTrue(e);
    }

    function test_finalize_dismissalOrRefusalEndsWithoutEnforcement() public {
        uint256 id = failedMediation();
        finalRuling(id, IDisputeDesk.Ruling.DISMISSED);
        assertStatus(id, IDisputeDesk.DisputeStatus.FINAL);
        assertFalse(desk.isEnforceable(caseId));
        uint256 second = agreed(2, 0);
        finalRuling(second, IDisputeDesk.Ruling.REFUSED);
        assertStatus(second, IDisputeDesk.DisputeStatus.FINAL);
        assertFalse(desk.isEnforceable(caseId));
        (bytes32 c, bool e) = desk.enforcementOf(ASSET_REF);
        assertEq(c, caseId, "collateral stays registered");
        assertFalse(e);
    }

    function test_finalize_confirmationPaidInFullIsHonoured() public {
        uint256 id = agreed(2, 0);
        payAs(payer, id, claimAmount);
        ruleAs(court, id, IDisputeDesk.Ruling.CONFIRMED);
        vm.warp(desk.dispute(id).appealDeadline + 1);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingFinal(id, IDisputeDesk.Ruling.CONFIRMED, IDisputeDesk.DisputeStatus.HONOURED);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementHonoured(id, claimAmount);
        desk.finalize(id);
        assertStatus(id, IDisputeDesk.DisputeStatus.HONOURED);
    }

    // =====================================================================
    // payments
    // =====================================================================

    function test_pay_emitsCreditsAndPulls() public {
        uint256 id = agreed(3, 0);
        uint256 before = token.balanceOf(payer);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, bank, 1_000, 1_000);
        payAs(payer, id, 1_000);
        assertEq(desk.dispute(id).paid, 1_000);
        assertEq(desk.owed(bank), 1_000);
        assertEq(desk.totalOwed(), 1_000);
        assertEq(token.balanceOf(address(desk)), 1_000);
        assertEq(token.balanceOf(payer), before - 1_000);
        ruleAs(court, id, IDisputeDesk.Ruling.CONFIRMED); // RULED on a confirmation: still payable
        payAs(payer, id, 1_000);
        vm.prank(bank);
        desk.appeal(id, REASON); // APPEALED on a confirmation: still payable
        payAs(bank, id, 1_000);
        assertEq(desk.owed(bank), 3_000);
    }

    function test_pay_refusedWithoutAnAgreement() public {
        uint256 id = openDispute();
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.OPEN));
        payAs(payer, id, 1);
        vm.prank(bank);
        desk.abandon(id, REASON);
        uint256 second = failedMediation();
        ruleAs(court, second, IDisputeDesk.Ruling.FOR_CLAIMANT);
        vm.expectRevert(wrongStatus(second, IDisputeDesk.DisputeStatus.RULED));
        payAs(payer, second, 1);
    }

    function test_pay_refusesZeroAndMoreThanOutstanding() public {
        uint256 id = agreed(3, 1_000);
        uint128 total = claimAmount - 1_000;
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayment.selector, 0, total));
        payAs(payer, id, 0);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayment.selector, total + 1, total));
        payAs(payer, id, total + 1);
        payAs(payer, id, 500);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayment.selector, total, total - 500));
        payAs(payer, id, total);
    }

    function test_pay_honouredPath() public {
        uint256 id = performing(3);
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        payAs(payer, id, s[0].amount);
        payAs(payer, id, s[1].amount);
        assertStatus(id, IDisputeDesk.DisputeStatus.PERFORMING);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, bank, s[2].amount, claimAmount);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementHonoured(id, claimAmount);
        payAs(payer, id, s[2].amount);
        assertStatus(id, IDisputeDesk.DisputeStatus.HONOURED);
        assertFalse(desk.isEnforceable(caseId));
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.HONOURED));
        payAs(payer, id, 1);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.HONOURED));
        desk.markDefault(id);
    }

    // =====================================================================
    // default
    // =====================================================================

    function test_markDefault_exactlyAtDuePlusGraceNotInDefaultOneSecondLater() public {
        uint256 id = performing(3);
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        vm.warp(s[0].dueAt + GRACE);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotInDefault.selector, id, s[0].amount, 0));
        desk.markDefault(id);
        vm.warp(s[0].dueAt + GRACE + 1);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementDefaulted(id, 0, s[0].amount, 0);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.CaseEnforceable(caseId, id);
        vm.prank(outsider);
        desk.markDefault(id);
        assertStatus(id, IDisputeDesk.DisputeStatus.DEFAULTED);
        assertTrue(desk.isEnforceable(caseId));
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.DEFAULTED));
        desk.markDefault(id);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.DEFAULTED));
        payAs(payer, id, 1);
    }

    function test_markDefault_instalmentPaidOnItsDueDateIsNotLate() public {
        uint256 id = performing(3);
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        vm.warp(s[0].dueAt);
        payAs(payer, id, s[0].amount);
        vm.warp(s[1].dueAt + GRACE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDisputeDesk.DisputeNotInDefault.selector, id, s[0].amount + s[1].amount, s[0].amount
            )
        );
        desk.markDefault(id);
        vm.warp(s[1].dueAt + GRACE + 1);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementDefaulted(id, 1, s[0].amount + s[1].amount, s[0].amount);
        desk.markDefault(id);
    }

    function test_markDefault_partlyPaidInstalmentDefaults() public {
        uint256 id = performing(2);
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        payAs(payer, id, s[0].amount - 1);
        vm.warp(s[1].dueAt + GRACE + 1); // both late
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementDefaulted(id, 0, claimAmount, s[0].amount - 1);
        desk.markDefault(id);
    }

    function test_markDefault_onlyWhilePerforming() public {
        uint256 id = agreed(2, 0);
        vm.warp(block.timestamp + 365 days);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.AGREED));
        desk.markDefault(id);
    }

    // =====================================================================
    // abandon, payee, withdraw
    // =====================================================================

    function test_abandon_byOpenerOnly() public {
        uint256 id = mediating();
        address[3] memory callers = [collector, mediator, court];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotParticipant.selector, id, callers[i]));
            vm.prank(callers[i]);
            desk.abandon(id, REASON);
        }
        vm.expectEmit(address(desk));
        emit IDisputeDesk.DisputeAbandoned(id, bank, REASON);
        vm.prank(bank);
        desk.abandon(id, REASON);
        assertStatus(id, IDisputeDesk.DisputeStatus.ABANDONED);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.ABANDONED));
        vm.prank(bank);
        desk.abandon(id, REASON);
    }

    function test_abandon_refusedOnceAgreed() public {
        uint256 id = agreed(1, 0);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.AGREED));
        vm.prank(bank);
        desk.abandon(id, REASON);
    }

    function test_setPayee_newPayeeIsOwedAndWithdraws() public {
        uint256 id = agreed(2, 0);
        payAs(payer, id, 100);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PayeeChanged(id, bank, bank2);
        vm.prank(bank);
        desk.setPayee(id, bank2);
        assertEq(desk.dispute(id).payee, bank2);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, bank2, 300, 400);
        payAs(payer, id, 300);
        assertEq(desk.owed(bank), 100);
        assertEq(desk.owed(bank2), 300);
        uint256 before = token.balanceOf(bank2);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PaymentWithdrawn(bank2, 300);
        vm.prank(bank2);
        desk.withdraw();
        assertEq(token.balanceOf(bank2), before + 300);
        assertEq(desk.owed(bank2), 0);
        assertEq(desk.totalOwed(), 100);
        assertEq(token.balanceOf(address(desk)), 100);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNothingToWithdraw.selector, bank2));
        vm.prank(bank2);
        desk.withdraw();
    }

    function test_setPayee_refusals() public {
        uint256 id = agreed(2, 0);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNotBank.selector, id, collector));
        vm.prank(collector);
        desk.setPayee(id, collector);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeZeroAddress.selector));
        vm.prank(bank);
        desk.setPayee(id, address(0));
        // the same payee again changes nothing and says nothing
        vm.recordLogs();
        vm.prank(bank);
        desk.setPayee(id, bank);
        assertEq(vm.getRecordedLogs().length, 0);
        finalRuling(id, IDisputeDesk.Ruling.REFUSED);
        vm.expectRevert(wrongStatus(id, IDisputeDesk.DisputeStatus.FINAL));
        vm.prank(bank);
        desk.setPayee(id, bank2);
    }

    function test_setPayee_refusesWhoCannotHoldRcny() public {
        uint256 id = agreed(2, 0);
        // a stranger, a suspended member and a contract that is not a system contract cannot hold rCNY
        address stranger = makeAddr("stranger");
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayee.selector, stranger));
        vm.prank(bank);
        desk.setPayee(id, stranger);
        suspend(collector2);
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayee.selector, collector2));
        vm.prank(bank);
        desk.setPayee(id, collector2);
        PayeeHolder holder = new PayeeHolder();
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayee.selector, address(holder)));
        vm.prank(bank);
        desk.setPayee(id, address(holder));
        assertEq(desk.dispute(id).payee, bank);
        // once enrolled as a system contract (as an AssetFractions token is) it is accepted and owed what is paid
        pass(IConsortium.ProposalKind.SetSystemContract, address(holder), abi.encode(true));
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PayeeChanged(id, bank, address(holder));
        vm.prank(bank);
        desk.setPayee(id, address(holder));
        assertEq(desk.dispute(id).payee, address(holder));
        payAs(payer, id, 100);
        assertEq(desk.owed(address(holder)), 100);
        // another active member is accepted, and so is the bank again (the payee is the bank once more)
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PayeeChanged(id, address(holder), bank2);
        vm.prank(bank);
        desk.setPayee(id, bank2);
        assertEq(desk.dispute(id).payee, bank2);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PayeeChanged(id, bank2, bank);
        vm.prank(bank);
        desk.setPayee(id, bank);
        assertEq(desk.dispute(id).payee, bank);
        payAs(payer, id, 50);
        assertEq(desk.owed(bank), 50);
    }

    function test_bankActions_needAnActiveBank() public {
        uint256 id = openDispute();
        suspend(bank);
        vm.expectRevert(unauthorized(bank, BANK_ROLE));
        vm.prank(bank);
        desk.assign(id, mediator);
        vm.expectRevert(unauthorized(bank, BANK_ROLE));
        vm.prank(bank);
        desk.setPayee(id, bank2);
    }

    function test_fuzz_pay_anyAmountUpToOutstanding(uint256 first, uint256 second) public {
        uint256 id = performing(3);
        uint128 a = uint128(bound(first, 1, claimAmount));
        payAs(payer, id, a);
        assertEq(desk.dispute(id).paid, a);
        if (a == claimAmount) {
            assertStatus(id, IDisputeDesk.DisputeStatus.HONOURED);
            return;
        }
        uint128 outstanding = claimAmount - a;
        uint128 b = uint128(bound(second, outstanding + 1, type(uint128).max));
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeInvalidPayment.selector, b, outstanding));
        payAs(payer, id, b);
        payAs(payer, id, outstanding);
        assertStatus(id, IDisputeDesk.DisputeStatus.HONOURED);
        assertEq(desk.owed(bank), claimAmount);
        assertEq(token.balanceOf(address(desk)), desk.totalOwed());
    }

    function test_fuzz_markDefault_onlyAfterDuePlusGrace(uint256 late, uint256 paidSeed) public {
        uint256 id = performing(4);
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        uint128 paid = uint128(bound(paidSeed, 0, s[0].amount + s[1].amount));
        if (paid != 0) payAs(payer, id, paid);
        uint256 t = bound(late, s[0].dueAt, s[3].dueAt + GRACE + 1);
        vm.warp(t);
        // the desk's rule, restated: an instalment late beyond the grace period and not covered by what was paid
        uint256 due;
        bool inDefault;
        for (uint256 i = 0; i < s.length && uint256(s[i].dueAt) + GRACE < t; i++) {
            due += s[i].amount;
            if (due > paid) inDefault = true;
        }
        if (!inDefault) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IDisputeDesk.DisputeNotInDefault.selector, id, desk.dueBy(id, uint64(t - GRACE)), paid
                )
            );
        }
        desk.markDefault(id);
        assertEq(desk.isEnforceable(caseId), inDefault);
    }

    function test_withdraw_nothingOwed() public {
        vm.expectRevert(abi.encodeWithSelector(IDisputeDesk.DisputeNothingToWithdraw.selector, bank));
        vm.prank(bank);
        desk.withdraw();
    }

    // =====================================================================
    // the whole path, with every event
    // =====================================================================

    function test_lifecycle_openToHonouredEmitsEveryStep() public {
        uint64 t0 = uint64(block.timestamp);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.DisputeOpened(1, caseId, bank, bank, collector, claimAmount, t0);
        uint256 id = openDispute();
        vm.expectEmit(address(desk));
        emit IDisputeDesk.MediatorAssigned(id, mediator, false);
        takeAs(mediator, id);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.EvidenceSubmitted(id, mediator, docRoot);
        vm.prank(mediator);
        desk.submitEvidence(id, docRoot);
        IDisputeDesk.Agreement memory a = agreementOf(2, 1_000);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementRecorded(
            id, mediator, TERMS, COMMITMENT, PLAN, claimAmount - 1_000, 1_000, GRACE, t0, a.schedule
        );
        agreeAs(mediator, id, a);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingGiven(id, court, IDisputeDesk.Ruling.CONFIRMED, DOC, t0 + APPEAL_WINDOW, false);
        ruleAs(court, id, IDisputeDesk.Ruling.CONFIRMED);
        vm.warp(t0 + APPEAL_WINDOW + 1);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.RulingFinal(id, IDisputeDesk.Ruling.CONFIRMED, IDisputeDesk.DisputeStatus.PERFORMING);
        desk.finalize(id);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, bank, a.schedule[0].amount, a.schedule[0].amount);
        payAs(payer, id, a.schedule[0].amount);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.InstalmentPaid(id, payer, bank, a.schedule[1].amount, claimAmount - 1_000);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.AgreementHonoured(id, claimAmount - 1_000);
        payAs(payer, id, a.schedule[1].amount);
        vm.expectEmit(address(desk));
        emit IDisputeDesk.PaymentWithdrawn(bank, claimAmount - 1_000);
        vm.prank(bank);
        desk.withdraw();
        assertEq(desk.totalOwed(), 0);
        assertEq(token.balanceOf(address(desk)), 0);
    }

    // =====================================================================
    // the judicial auction asks the desk
    // =====================================================================

    function test_auction_refusesCollateralUntilTheCaseIsEnforceable() public {
        deployListing();
        uint256 id = failedMediation(); // registers ASSET_REF for the case
        vm.expectRevert(abi.encodeWithSelector(IJudicialAuction.AuctionCaseNotEnforceable.selector, ASSET_REF, caseId));
        vm.prank(bank);
        auction.list(assetListing());
        finalRuling(id, IDisputeDesk.Ruling.FOR_CLAIMANT);
        vm.prank(bank);
        uint256 lotId = auction.list(assetListing());
        assertEq(auction.lot(lotId).assetRef, ASSET_REF);
        assertEq(address(auction.disputes()), address(desk));
    }

    function test_auction_dismissedCaseCollateralStaysUnlistable() public {
        deployListing();
        uint256 id = failedMediation();
        finalRuling(id, IDisputeDesk.Ruling.DISMISSED);
        vm.expectRevert(abi.encodeWithSelector(IJudicialAuction.AuctionCaseNotEnforceable.selector, ASSET_REF, caseId));
        vm.prank(bank);
        auction.list(assetListing());
    }

    function test_auction_defaultMakesCollateralListable() public {
        deployListing();
        uint256 id = performing(2);
        vm.warp(desk.scheduleOf(id)[0].dueAt + GRACE + 1);
        desk.markDefault(id);
        vm.prank(court);
        auction.enterAppraisal(ASSET_REF, APPRAISAL, DOC); // fresh after the warp
        vm.prank(bank);
        auction.list(assetListing());
        assertEq(auction.lotCount(), 1);
    }

    function test_auction_assetThatIsNoCollateralListsFreely() public {
        deployListing();
        vm.prank(bank);
        auction.list(assetListing());
        assertEq(auction.lotCount(), 1);
    }
}

/// @notice A contract that may be named payee once the consortium enrols it as a system contract.
contract PayeeHolder {}
