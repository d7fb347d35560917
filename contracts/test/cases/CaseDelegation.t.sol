// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Vm} from "forge-std/Vm.sol";
import {CaseDelegation} from "../../cases/CaseDelegation.sol";
import {ICaseDelegation} from "../../interfaces/ICaseDelegation.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {StandardMerkle} from "../utils/StandardMerkle.sol";
import {CaseFixture} from "./CaseFixture.sol";

contract CaseDelegationTest is CaseFixture {
    function setUp() public {
        deployCases();
        publishCases(bank, 0, 8);
    }

    function expectErr(bytes memory err) internal {
        vm.expectRevert(err);
    }

    function status(uint256 i) internal view returns (ICaseDelegation.CaseStatus) {
        return caseOf(i).status;
    }

    function admitWith(address who, uint32 region, uint64 licenceExpiry) internal {
        pass(
            IConsortium.ProposalKind.Admit,
            who,
            abi.encode(nameDigest(who), roles(COLLECTOR_ROLE), region, licenceExpiry, KYC_TIER)
        );
    }

    // =====================================================================
    // constructor, publication
    // =====================================================================

    function test_constructor_wiresAndRefusesZeroCap() public {
        assertEq(address(cd.consortium()), address(consortium));
        assertEq(address(cd.token()), address(token));
        assertEq(address(cd.evidence()), address(registry));
        assertEq(cd.maxOpenCases(), CAP);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidCapacity.selector));
        new CaseDelegation(consortium, token, registry, 0);
    }

    function test_publishBatch_storesRootAndEscrowsBudget() public {
        bytes32 root = keccak256("another root");
        uint64 closesAt = uint64(block.timestamp) + 10 days;
        uint256 before = token.balanceOf(bank);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.BatchPublished(2, bank, root, 10_000, closesAt, 5_000, META);
        vm.prank(bank);
        uint256 id = cd.publishBatch(root, 10_000, closesAt, 5_000, META);
        assertEq(id, 2);
        assertEq(cd.batchCount(), 2);
        assertEq(cd.batchOfRoot(root), 2);
        assertEq(cd.batchOfRoot(keccak256("never published")), 0);
        ICaseDelegation.Batch memory b = cd.batch(2);
        assertEq(b.bank, bank);
        assertEq(b.root, root);
        assertEq(b.caseCount, 10_000);
        assertEq(b.closesAt, closesAt);
        assertEq(b.remainingBudget, 5_000);
        assertEq(b.openCases, 0);
        assertFalse(b.settled);
        assertEq(token.balanceOf(bank), before - 5_000);
        assertEq(token.balanceOf(address(cd)), BUDGET + 5_000);
    }

    function test_publishBatch_refusesNonBank() public {
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, collector, BANK_ROLE));
        vm.prank(collector);
        cd.publishBatch(keccak256("r"), 1, uint64(block.timestamp) + 1 days, 1, META);
    }

    function test_publishBatch_refusesInvalidParameters() public {
        uint64 later = uint64(block.timestamp) + 1 days;
        bytes memory err = abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidBatch.selector);
        vm.startPrank(bank);
        expectErr(err);
        cd.publishBatch(bytes32(0), 1, later, 1, META);
        expectErr(err);
        cd.publishBatch(keccak256("r"), 0, later, 1, META);
        expectErr(err);
        cd.publishBatch(keccak256("r"), 1, uint64(block.timestamp), 1, META);
        expectErr(err);
        cd.publishBatch(keccak256("r"), 1, later, 0, META);
        vm.stopPrank();
    }

    function test_publishBatch_refusesSameRootTwice() public {
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationRootExists.selector, batchRoot, 1));
        vm.prank(bank2);
        cd.publishBatch(batchRoot, 8, uint64(block.timestamp) + 1 days, 1, META);
    }

    function test_publishBatch_refusesWithoutAllowance() public {
        vm.prank(bank2);
        token.approve(address(cd), 10);
        expectErr(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(cd), 10, uint256(11))
        );
        vm.prank(bank2);
        cd.publishBatch(keccak256("r"), 1, uint64(block.timestamp) + 1 days, 11, META);
    }

    function test_publishBatch_refusedWhilePaused() public {
        vm.prank(regulator);
        cd.pause();
        expectErr(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(bank);
        cd.publishBatch(keccak256("r"), 1, uint64(block.timestamp) + 1 days, 1, META);
    }

    function test_publishBatch_costsNoPerCaseStorage() public {
        // the same publication with 10 and with 100,000 cases costs the same gas
        uint64 later = uint64(block.timestamp) + 1 days;
        vm.startPrank(bank);
        cd.publishBatch(keccak256("warm-up"), 1, later, 100, META); // same warm slots for both measurements
        uint256 g0 = gasleft();
        cd.publishBatch(keccak256("small"), 10, later, 100, META);
        uint256 small = g0 - gasleft();
        g0 = gasleft();
        cd.publishBatch(keccak256("large"), 100_000, later, 100, META);
        uint256 large = g0 - gasleft();
        vm.stopPrank();
        assertApproxEqAbs(small, large, 100);
    }

    // =====================================================================
    // claim
    // =====================================================================

    function test_claim_firstValidClaimWins() public {
        ICaseDelegation.CaseTerms memory t = terms[2];
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClaimed(t.caseId, batchId, collector, t.region, t.deadline);
        claimAs(collector, 2);
        ICaseDelegation.CaseRecord memory c = caseOf(2);
        assertEq(uint8(c.status), uint8(ICaseDelegation.CaseStatus.CLAIMED));
        assertEq(c.collector, collector);
        assertEq(c.batchId, batchId);
        assertEq(c.region, t.region);
        assertEq(c.feeBps, t.feeBps);
        assertEq(c.deadline, t.deadline);
        assertEq(c.overdueAmount, t.overdueAmount);
        assertEq(cd.openCasesOf(collector), 1);
        assertEq(cd.batch(batchId).openCases, 1);
    }

    function test_claim_secondClaimRevertsWithHolder() public {
        claimAs(collector, 2);
        bytes32[] memory p = proofOf(2);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationAlreadyClaimed.selector, terms[2].caseId, collector)
        );
        vm.prank(collector2);
        cd.claim(batchId, terms[2], p);
        // the winner cannot claim it twice either
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationAlreadyClaimed.selector, terms[2].caseId, collector)
        );
        vm.prank(collector);
        cd.claim(batchId, terms[2], p);
        assertEq(cd.openCasesOf(collector), 1);
        assertEq(cd.openCasesOf(collector2), 0);
    }

    function test_claim_refusesForgedTerms() public {
        ICaseDelegation.CaseTerms memory forged = terms[1];
        forged.overdueAmount = 1; // a lower overdue amount than published
        bytes32[] memory p = proofOf(1);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidProof.selector, batchId, forged.caseId));
        vm.prank(collector);
        cd.claim(batchId, forged, p);

        ICaseDelegation.CaseTerms memory invented = makeTerms(999, terms[0].deadline);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidProof.selector, batchId, invented.caseId));
        vm.prank(collector);
        cd.claim(batchId, invented, p);
        assertEq(uint8(cd.caseOf(invented.caseId).status), 0);
    }

    function test_claim_refusesProofFromAnotherCase() public {
        bytes32[] memory p = proofOf(3);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidProof.selector, batchId, terms[1].caseId));
        vm.prank(collector);
        cd.claim(batchId, terms[1], p);
    }

    function test_claim_refusesUnknownBatch() public {
        bytes32[] memory p = proofOf(0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationUnknownBatch.selector, 7));
        vm.prank(collector);
        cd.claim(7, terms[0], p);
    }

    function test_claim_refusesNonCollectors() public {
        bytes32[] memory p = proofOf(0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotCollector.selector, bank));
        vm.prank(bank);
        cd.claim(batchId, terms[0], p);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotCollector.selector, outsider));
        vm.prank(outsider);
        cd.claim(batchId, terms[0], p);
    }

    function test_claim_refusesSuspendedCollector() public {
        suspend(collector);
        bytes32[] memory p = proofOf(0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationCollectorSuspended.selector, collector));
        vm.prank(collector);
        cd.claim(batchId, terms[0], p);
        reinstate(collector);
        claimAs(collector, 0);
        assertEq(caseOf(0).collector, collector);
    }

    function test_claim_refusesExpiredLicence() public {
        address c3 = makeAddr("collector3");
        uint64 expiry = uint64(block.timestamp) + 1 days;
        admitWith(c3, REGION, expiry);
        vm.warp(expiry + 1);
        bytes32[] memory p = proofOf(0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationLicenceExpired.selector, c3, expiry));
        vm.prank(c3);
        cd.claim(batchId, terms[0], p);
    }

    function test_claim_refusesIneligibleRegion() public {
        address jiangsu = makeAddr("jiangsu");
        admitWith(jiangsu, 320_000, 0);
        bytes32[] memory p = proofOf(0);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationRegionIneligible.selector, jiangsu, uint32(320_000), CASE_REGION
            )
        );
        vm.prank(jiangsu);
        cd.claim(batchId, terms[0], p);
        // a district-level licence elsewhere in Shanghai does not cover Pudong either
        address xuhui = makeAddr("xuhui");
        admitWith(xuhui, 310_104, 0);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationRegionIneligible.selector, xuhui, uint32(310_104), CASE_REGION
            )
        );
        vm.prank(xuhui);
        cd.claim(batchId, terms[0], p);
    }

    function test_claim_refusedAtCapacity() public {
        for (uint256 i = 0; i < CAP; i++) {
            claimAs(collector, i);
        }
        bytes32[] memory p = proofOf(CAP);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationAtCapacity.selector, collector, CAP, CAP));
        vm.prank(collector);
        cd.claim(batchId, terms[CAP], p);
        // the regulator raises the cap: the same claim now succeeds
        vm.prank(regulator);
        cd.setMaxOpenCases(CAP + 1);
        claimAs(collector, CAP);
        assertEq(cd.openCasesOf(collector), CAP + 1);
    }

    function test_claim_refusedAfterDeadline() public {
        vm.warp(terms[0].deadline + 1);
        bytes32[] memory p = proofOf(0);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationCaseExpired.selector, terms[0].caseId, terms[0].deadline
            )
        );
        vm.prank(collector);
        cd.claim(batchId, terms[0], p);
    }

    function test_claim_refusesTermsAboveFullFeeOrBeyondBatch() public {
        // a bank's tree with a 100.01% fee case and a case outliving the batch
        delete digests;
        uint64 closesAt = uint64(block.timestamp) + 10 days;
        ICaseDelegation.CaseTerms memory greedy = makeTerms(100, closesAt);
        greedy.feeBps = 10_001;
        ICaseDelegation.CaseTerms memory late = makeTerms(101, closesAt + 1);
        digests.push(digestOf(greedy));
        digests.push(digestOf(late));
        (bytes32[] memory tree,) = StandardMerkle.build(digests);
        vm.prank(bank);
        uint256 id = cd.publishBatch(tree[0], 2, closesAt, BUDGET, META);
        (, bytes32[] memory p0) = StandardMerkle.rootAndProof(digests, 0);
        (, bytes32[] memory p1) = StandardMerkle.rootAndProof(digests, 1);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidTerms.selector, greedy.caseId));
        vm.prank(collector);
        cd.claim(id, greedy, p0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidTerms.selector, late.caseId));
        vm.prank(collector);
        cd.claim(id, late, p1);
    }

    function test_claim_refusesCaseIdReusedInAnotherBatch() public {
        claimAs(collector, 0);
        ICaseDelegation.CaseTerms memory t0 = terms[0];
        delete digests;
        digests.push(digestOf(t0));
        digests.push(keccak256("filler"));
        (bytes32[] memory tree,) = StandardMerkle.build(digests);
        vm.prank(bank);
        uint256 id = cd.publishBatch(tree[0], 2, t0.deadline, BUDGET, META);
        (, bytes32[] memory p) = StandardMerkle.rootAndProof(digests, 0);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationCaseInOtherBatch.selector, t0.caseId, uint32(batchId))
        );
        vm.prank(collector2);
        cd.claim(id, t0, p);
    }

    function test_regionCovers_rule() public view {
        assertTrue(cd.regionCovers(310_000, 310_115)); // province covers its districts
        assertTrue(cd.regionCovers(310_000, 310_000));
        assertTrue(cd.regionCovers(310_100, 310_115)); // city covers its districts
        assertTrue(cd.regionCovers(310_115, 310_115));
        assertFalse(cd.regionCovers(310_000, 320_115));
        assertFalse(cd.regionCovers(310_100, 310_215));
        assertFalse(cd.regionCovers(310_115, 310_000)); // a district does not cover its province
        assertFalse(cd.regionCovers(310_104, 310_115));
    }

    // =====================================================================
    // direct delegation
    // =====================================================================

    function test_offer_acceptWithinWindow() public {
        uint64 expiry = uint64(block.timestamp) + 1 days;
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseOffered(terms[4].caseId, batchId, collector2, expiry);
        offerTo(collector2, 4, 1 days);
        assertEq(uint8(status(4)), uint8(ICaseDelegation.CaseStatus.OFFERED));
        assertEq(caseOf(4).offerExpiry, expiry);
        // nobody else may claim it while the offer stands
        bytes32[] memory p = proofOf(4);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationAlreadyClaimed.selector, terms[4].caseId, collector2)
        );
        vm.prank(collector);
        cd.claim(batchId, terms[4], p);
        // only the offered collector answers
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotCaseCollector.selector, terms[4].caseId, collector)
        );
        vm.prank(collector);
        cd.accept(terms[4].caseId);

        vm.warp(expiry);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.OfferAccepted(terms[4].caseId, collector2);
        vm.prank(collector2);
        cd.accept(terms[4].caseId);
        assertEq(uint8(status(4)), uint8(ICaseDelegation.CaseStatus.CLAIMED));
        assertEq(cd.openCasesOf(collector2), 1);
        assertEq(cd.batch(batchId).openCases, 1);
    }

    function test_offer_declineReturnsToPool() public {
        offerTo(collector2, 4, 1 days);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.OfferDeclined(terms[4].caseId, collector2);
        vm.prank(collector2);
        cd.decline(terms[4].caseId);
        assertEq(uint8(status(4)), uint8(ICaseDelegation.CaseStatus.NONE));
        assertEq(caseOf(4).collector, address(0));
        claimAs(collector, 4);
        assertEq(caseOf(4).collector, collector);
    }

    function test_offer_timeoutLetsAnyoneClaim() public {
        offerTo(collector2, 4, 1 hours);
        vm.warp(block.timestamp + 1 hours + 1);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationOfferExpired.selector, terms[4].caseId, caseOf(4).offerExpiry
            )
        );
        vm.prank(collector2);
        cd.accept(terms[4].caseId);

        ICaseDelegation.CaseTerms memory t = terms[4];
        vm.expectEmit(address(cd));
        emit ICaseDelegation.OfferLapsed(t.caseId, collector2);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClaimed(t.caseId, batchId, collector, t.region, t.deadline);
        claimAs(collector, 4);
        assertEq(caseOf(4).collector, collector);
        assertEq(cd.openCasesOf(collector2), 0);
    }

    function test_offer_refusals() public {
        bytes32[] memory p = proofOf(4);
        // not the batch's bank
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotBatchBank.selector, bank2, bank));
        vm.prank(bank2);
        cd.offer(batchId, terms[4], p, collector, 1 days);
        // window out of bounds
        vm.startPrank(bank);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidOfferWindow.selector, uint64(59)));
        cd.offer(batchId, terms[4], p, collector, 59);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidOfferWindow.selector, uint64(31 days)));
        cd.offer(batchId, terms[4], p, collector, 31 days);
        // offered to someone who is not a collector
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotCollector.selector, bank2));
        cd.offer(batchId, terms[4], p, bank2, 1 days);
        vm.stopPrank();
        // already claimed
        claimAs(collector, 5);
        bytes32[] memory p5 = proofOf(5);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationAlreadyClaimed.selector, terms[5].caseId, collector)
        );
        vm.prank(bank);
        cd.offer(batchId, terms[5], p5, collector2, 1 days);
    }

    function test_accept_refusedAtCapacity() public {
        offerTo(collector2, 7, 1 days);
        for (uint256 i = 0; i < CAP; i++) {
            claimAs(collector2, i);
        }
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationAtCapacity.selector, collector2, CAP, CAP));
        vm.prank(collector2);
        cd.accept(terms[7].caseId);
    }

    // =====================================================================
    // actions, recoveries, fees
    // =====================================================================

    function test_reportAction_needsAnchoredEvidence() public {
        claimAs(collector, 0);
        bytes32 loose = sha256("call log, not anchored");
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationEvidenceNotAnchored.selector, loose, bytes32(0)));
        vm.prank(collector);
        cd.reportAction(terms[0].caseId, 1, loose, bytes32(0), new bytes32[](0));

        (bytes32 digest, bytes32 root) = anchorEvidence(collector, "call log 2024-05-01");
        vm.expectEmit(address(cd));
        emit ICaseDelegation.ActionReported(terms[0].caseId, collector, 1, digest);
        vm.prank(collector);
        cd.reportAction(terms[0].caseId, 1, digest, root, new bytes32[](0));

        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotCaseCollector.selector, terms[0].caseId, collector2)
        );
        vm.prank(collector2);
        cd.reportAction(terms[0].caseId, 1, digest, root, new bytes32[](0));
    }

    function test_recovery_confirmCreditsFeeAndWithdraws() public {
        claimAs(collector, 0);
        uint128 overdue = terms[0].overdueAmount; // 50,000
        (bytes32 digest, bytes32 root) = anchorEvidence(collector, "bank receipt 1");
        vm.expectEmit(address(cd));
        emit ICaseDelegation.RecoveryReported(terms[0].caseId, collector, 20_001, digest);
        vm.prank(collector);
        cd.reportRecovery(terms[0].caseId, 20_001, digest, root, new bytes32[](0));
        assertEq(uint8(status(0)), uint8(ICaseDelegation.CaseStatus.RECOVERY_REPORTED));
        assertEq(caseOf(0).pendingAmount, 20_001);

        // fee = floor(20,001 × 1,500 / 10,000) = 3,000 (3,000.15 rounded down)
        vm.expectEmit(address(cd));
        emit ICaseDelegation.RecoveryConfirmed(terms[0].caseId, collector, 20_001, 3_000, 20_001);
        vm.prank(bank);
        cd.confirmRecovery(terms[0].caseId, false);
        assertEq(uint8(status(0)), uint8(ICaseDelegation.CaseStatus.CLAIMED));
        assertEq(cd.feesOwed(collector), 3_000);
        assertEq(cd.batch(batchId).remainingBudget, BUDGET - 3_000);

        // the rest: cumulative fee floor(50,000 × 0.15) = 7,500, so this credit is 4,500 (not floor(4,499.85))
        reportRecoveryAs(collector, 0, overdue - 20_001);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.RecoveryConfirmed(terms[0].caseId, collector, overdue - 20_001, 4_500, overdue);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClosed(
            terms[0].caseId, collector, ICaseDelegation.CaseStatus.RECOVERED_FULL, overdue, bank
        );
        vm.prank(bank);
        cd.confirmRecovery(terms[0].caseId, false);
        assertEq(uint8(status(0)), uint8(ICaseDelegation.CaseStatus.RECOVERED_FULL));
        assertEq(cd.feesOwed(collector), 7_500);
        assertEq(cd.openCasesOf(collector), 0);
        assertEq(cd.batch(batchId).openCases, 0);

        uint256 before = token.balanceOf(collector);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.FeesWithdrawn(collector, 7_500);
        vm.prank(collector);
        cd.withdrawFees();
        assertEq(token.balanceOf(collector), before + 7_500);
        assertEq(cd.feesOwed(collector), 0);
        assertEq(cd.totalFeesOwed(), 0);
        assertEq(token.balanceOf(address(cd)), BUDGET - 7_500);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationZeroAmount.selector));
        vm.prank(collector);
        cd.withdrawFees();
    }

    function test_recovery_closePartly() public {
        claimAs(collector, 1);
        reportRecoveryAs(collector, 1, 10_000);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClosed(
            terms[1].caseId, collector, ICaseDelegation.CaseStatus.RECOVERED_PARTLY, 10_000, bank
        );
        vm.prank(bank);
        cd.confirmRecovery(terms[1].caseId, true);
        assertEq(uint8(status(1)), uint8(ICaseDelegation.CaseStatus.RECOVERED_PARTLY));
        assertEq(cd.openCasesOf(collector), 0);
    }

    function test_recovery_rejectReturnsToClaimed() public {
        claimAs(collector, 1);
        reportRecoveryAs(collector, 1, 10_000);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.RecoveryRejected(terms[1].caseId, collector, 10_000, 2);
        vm.prank(bank);
        cd.rejectRecovery(terms[1].caseId, 2);
        assertEq(uint8(status(1)), uint8(ICaseDelegation.CaseStatus.CLAIMED));
        assertEq(caseOf(1).pendingAmount, 0);
        assertEq(cd.feesOwed(collector), 0);
    }

    function test_recovery_refusals() public {
        claimAs(collector, 1);
        uint128 overdue = terms[1].overdueAmount;
        (bytes32 digest, bytes32 root) = anchorEvidence(collector, "receipt");
        vm.startPrank(collector);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidRecovery.selector, terms[1].caseId, 0, overdue)
        );
        cd.reportRecovery(terms[1].caseId, 0, digest, root, new bytes32[](0));
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationInvalidRecovery.selector, terms[1].caseId, overdue + 1, overdue
            )
        );
        cd.reportRecovery(terms[1].caseId, overdue + 1, digest, root, new bytes32[](0));
        vm.stopPrank();
        // only the batch's bank confirms, and only a reported recovery
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationWrongStatus.selector, terms[1].caseId, ICaseDelegation.CaseStatus.CLAIMED
            )
        );
        vm.prank(bank);
        cd.confirmRecovery(terms[1].caseId, false);
        reportRecoveryAs(collector, 1, 100);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotBatchBank.selector, bank2, bank));
        vm.prank(bank2);
        cd.confirmRecovery(terms[1].caseId, false);
        // a second report waits for the answer to the first
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationWrongStatus.selector,
                terms[1].caseId,
                ICaseDelegation.CaseStatus.RECOVERY_REPORTED
            )
        );
        vm.prank(collector);
        cd.reportRecovery(terms[1].caseId, 100, digest, root, new bytes32[](0));
    }

    function test_recovery_suspendedCollectorCannotReport() public {
        claimAs(collector, 1);
        (bytes32 digest, bytes32 root) = anchorEvidence(collector, "receipt");
        suspend(collector);
        expectErr(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, collector, COLLECTOR_ROLE)
        );
        vm.prank(collector);
        cd.reportRecovery(terms[1].caseId, 100, digest, root, new bytes32[](0));
    }

    function test_confirm_refusedBeyondBudgetUntilToppedUp() public {
        // a batch whose 1,000 fen budget covers the fee of at most 6,666 fen of recoveries at 15%
        uint64 closesAt = uint64(block.timestamp) + 10 days;
        delete digests;
        ICaseDelegation.CaseTerms memory big = makeTerms(500, closesAt);
        big.overdueAmount = 10_000_000;
        digests.push(digestOf(big));
        digests.push(keccak256("filler"));
        (bytes32[] memory tree,) = StandardMerkle.build(digests);
        vm.prank(bank);
        uint256 id = cd.publishBatch(tree[0], 2, closesAt, 1_000, META);
        (, bytes32[] memory p) = StandardMerkle.rootAndProof(digests, 0);
        vm.prank(collector);
        cd.claim(id, big, p);
        (bytes32 digest, bytes32 root) = anchorEvidence(collector, "big receipt");
        vm.prank(collector);
        cd.reportRecovery(big.caseId, 10_000, digest, root, new bytes32[](0));
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationBudgetExceeded.selector, id, 1_500, 1_000));
        vm.prank(bank);
        cd.confirmRecovery(big.caseId, false);

        vm.expectEmit(address(cd));
        emit ICaseDelegation.BudgetToppedUp(id, 500, 1_500);
        vm.prank(bank);
        cd.topUpBudget(id, 500);
        vm.prank(bank);
        cd.confirmRecovery(big.caseId, false);
        assertEq(cd.feesOwed(collector), 1_500);
        assertEq(cd.batch(id).remainingBudget, 0);
    }

    function testFuzz_feeOfSplitRecoveryEqualsFeeOfTotal(uint128 first, uint16 bps) public {
        bps = uint16(bound(bps, 0, 10_000));
        delete digests;
        uint64 closesAt = uint64(block.timestamp) + 10 days;
        ICaseDelegation.CaseTerms memory t = makeTerms(700, closesAt);
        t.feeBps = bps;
        t.overdueAmount = 12_345_679;
        first = uint128(bound(first, 1, t.overdueAmount - 1));
        digests.push(digestOf(t));
        digests.push(keccak256("filler"));
        (bytes32[] memory tree,) = StandardMerkle.build(digests);
        vm.prank(bank);
        uint256 id = cd.publishBatch(tree[0], 2, closesAt, 20_000_000, META);
        (, bytes32[] memory p) = StandardMerkle.rootAndProof(digests, 0);
        vm.prank(collector);
        cd.claim(id, t, p);
        uint128[2] memory parts = [first, t.overdueAmount - first];
        for (uint256 k = 0; k < 2; k++) {
            (bytes32 digest, bytes32 root) = anchorEvidence(collector, string.concat("fuzz-", vm.toString(k)));
            vm.prank(collector);
            cd.reportRecovery(t.caseId, parts[k], digest, root, new bytes32[](0));
            vm.prank(bank);
            cd.confirmRecovery(t.caseId, false);
        }
        assertEq(cd.feesOwed(collector), (uint256(t.overdueAmount) * bps) / 10_000);
        assertEq(uint8(cd.caseOf(t.caseId).status), uint8(ICaseDelegation.CaseStatus.RECOVERED_FULL));
    }

    // =====================================================================
    // return, recall, settlement
    // =====================================================================

    function test_returnCase_onlyAfterDeadline() public {
        claimAs(collector, 0);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationDeadlineNotReached.selector, terms[0].caseId, terms[0].deadline
            )
        );
        vm.prank(outsider);
        cd.returnCase(terms[0].caseId);

        vm.warp(terms[0].deadline + 1);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClosed(terms[0].caseId, collector, ICaseDelegation.CaseStatus.RETURNED, 0, outsider);
        vm.prank(outsider);
        cd.returnCase(terms[0].caseId);
        assertEq(uint8(status(0)), uint8(ICaseDelegation.CaseStatus.RETURNED));
        assertEq(cd.openCasesOf(collector), 0);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationCaseClosed.selector, terms[0].caseId, ICaseDelegation.CaseStatus.RETURNED
            )
        );
        vm.prank(outsider);
        cd.returnCase(terms[0].caseId);
    }

    function test_returnCase_partlyRecoveredAndPending() public {
        claimAs(collector, 0);
        claimAs(collector, 1);
        reportRecoveryAs(collector, 0, 1_000);
        vm.prank(bank);
        cd.confirmRecovery(terms[0].caseId, false);
        reportRecoveryAs(collector, 1, 1_000);
        vm.warp(terms[0].deadline + 1);
        vm.prank(outsider);
        cd.returnCase(terms[0].caseId);
        assertEq(uint8(status(0)), uint8(ICaseDelegation.CaseStatus.RECOVERED_PARTLY));
        // a pending report waits for the bank
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationWrongStatus.selector,
                terms[1].caseId,
                ICaseDelegation.CaseStatus.RECOVERY_REPORTED
            )
        );
        vm.prank(outsider);
        cd.returnCase(terms[1].caseId);
    }

    function test_recall_byBankOnly() public {
        claimAs(collector, 0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotBatchBank.selector, collector, bank));
        vm.prank(collector);
        cd.recall(terms[0].caseId);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClosed(terms[0].caseId, collector, ICaseDelegation.CaseStatus.RECALLED, 0, bank);
        vm.prank(bank);
        cd.recall(terms[0].caseId);
        assertEq(uint8(status(0)), uint8(ICaseDelegation.CaseStatus.RECALLED));
        assertEq(cd.openCasesOf(collector), 0);
        // a recalled case cannot be claimed again
        bytes32[] memory p = proofOf(0);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationCaseClosed.selector, terms[0].caseId, ICaseDelegation.CaseStatus.RECALLED
            )
        );
        vm.prank(collector2);
        cd.claim(batchId, terms[0], p);
        expectErr(
            abi.encodeWithSelector(
                ICaseDelegation.CaseDelegationWrongStatus.selector, terms[1].caseId, ICaseDelegation.CaseStatus.NONE
            )
        );
        vm.prank(bank);
        cd.recall(terms[1].caseId);
    }

    function test_recallFromPool_unclaimedCaseByItsBankOnly() public {
        bytes32[] memory p = proofOf(2);
        // only the batch's bank
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationNotBatchBank.selector, collector, bank));
        vm.prank(collector);
        cd.recallFromPool(batchId, terms[2], p);
        // the terms must be proven against the batch root
        ICaseDelegation.CaseTerms memory forged = terms[2];
        forged.feeBps = forged.feeBps + 1;
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidProof.selector, batchId, forged.caseId));
        vm.prank(bank);
        cd.recallFromPool(batchId, forged, p);

        vm.expectEmit(address(cd));
        emit ICaseDelegation.CaseClosed(terms[2].caseId, address(0), ICaseDelegation.CaseStatus.RECALLED, 0, bank);
        vm.prank(bank);
        cd.recallFromPool(batchId, terms[2], p);
        assertEq(uint8(status(2)), uint8(ICaseDelegation.CaseStatus.RECALLED));
        assertEq(cd.batch(batchId).openCases, 0);
        // nobody can claim or be offered it any more, and it cannot be recalled twice
        bytes memory closed = abi.encodeWithSelector(
            ICaseDelegation.CaseDelegationCaseClosed.selector, terms[2].caseId, ICaseDelegation.CaseStatus.RECALLED
        );
        expectErr(closed);
        vm.prank(collector);
        cd.claim(batchId, terms[2], p);
        expectErr(closed);
        vm.prank(bank);
        cd.offer(batchId, terms[2], p, collector, 1 days);
        expectErr(closed);
        vm.prank(bank);
        cd.recallFromPool(batchId, terms[2], p);
    }

    function test_recallFromPool_refusesAHeldCaseButTakesALapsedOffer() public {
        claimAs(collector, 0);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationAlreadyClaimed.selector, terms[0].caseId, collector)
        );
        vm.prank(bank);
        cd.recallFromPool(batchId, terms[0], proofOf(0));
        // a live offer is held too (recall it with `recall`) ...
        offerTo(collector2, 4, 1 days);
        expectErr(
            abi.encodeWithSelector(ICaseDelegation.CaseDelegationAlreadyClaimed.selector, terms[4].caseId, collector2)
        );
        vm.prank(bank);
        cd.recallFromPool(batchId, terms[4], proofOf(4));
        // ... a lapsed one is back in the pool
        vm.warp(block.timestamp + 1 days + 1);
        vm.prank(bank);
        cd.recallFromPool(batchId, terms[4], proofOf(4));
        assertEq(uint8(status(4)), uint8(ICaseDelegation.CaseStatus.RECALLED));
        assertEq(cd.openCasesOf(collector2), 0);
    }

    function test_withdrawUnspent_afterCloseWithNoOpenCase() public {
        claimAs(collector, 0);
        reportRecoveryAs(collector, 0, 10_000);
        vm.prank(bank);
        cd.confirmRecovery(terms[0].caseId, false);
        ICaseDelegation.Batch memory b = cd.batch(batchId);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationBatchNotClosed.selector, batchId, b.closesAt, 1));
        vm.prank(bank);
        cd.withdrawUnspent(batchId);
        vm.warp(b.closesAt + 1);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationBatchNotClosed.selector, batchId, b.closesAt, 1));
        vm.prank(bank);
        cd.withdrawUnspent(batchId);
        vm.prank(outsider);
        cd.returnCase(terms[0].caseId);

        uint256 before = token.balanceOf(bank);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.BatchSettled(batchId, bank, BUDGET - 1_500);
        vm.prank(bank);
        cd.withdrawUnspent(batchId);
        assertEq(token.balanceOf(bank), before + BUDGET - 1_500);
        assertTrue(cd.batch(batchId).settled);
        // the collector's fee is still there
        assertEq(token.balanceOf(address(cd)), 1_500);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationBatchSettled.selector, batchId));
        vm.prank(bank);
        cd.withdrawUnspent(batchId);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationBatchSettled.selector, batchId));
        vm.prank(bank);
        cd.topUpBudget(batchId, 1);
    }

    // =====================================================================
    // governance knobs
    // =====================================================================

    function test_setMaxOpenCases_regulatorOnlyAndEvented() public {
        expectErr(abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, bank, REGULATOR_ROLE));
        vm.prank(bank);
        cd.setMaxOpenCases(9);
        vm.expectEmit(address(cd));
        emit ICaseDelegation.MaxOpenCasesSet(CAP, 9);
        vm.prank(regulator);
        cd.setMaxOpenCases(9);
        assertEq(cd.maxOpenCases(), 9);
        // the same value: no event
        vm.recordLogs();
        vm.prank(regulator);
        cd.setMaxOpenCases(9);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 0);
        expectErr(abi.encodeWithSelector(ICaseDelegation.CaseDelegationInvalidCapacity.selector));
        vm.prank(regulator);
        cd.setMaxOpenCases(0);
    }

    function test_pause_blocksFeeWithdrawal() public {
        claimAs(collector, 0);
        reportRecoveryAs(collector, 0, 10_000);
        vm.prank(bank);
        cd.confirmRecovery(terms[0].caseId, false);
        vm.prank(regulator);
        cd.pause();
        expectErr(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(collector);
        cd.withdrawFees();
        vm.prank(regulator);
        cd.unpause();
        vm.prank(collector);
        cd.withdrawFees();
        assertEq(token.balanceOf(collector), 1_500);
    }

    function test_withdrawFees_suspendedCollectorCannotReceive() public {
        claimAs(collector, 0);
        reportRecoveryAs(collector, 0, 10_000);
        vm.prank(bank);
        cd.confirmRecovery(terms[0].caseId, false);
        suspend(collector);
        expectErr(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, collector));
        vm.prank(collector);
        cd.withdrawFees();
        assertEq(cd.feesOwed(collector), 1_500);
    }

    function test_claimGas_tenThousandCaseTree() public {
        // a proof of depth 14 (a batch of 10,000 cases) against a synthetic root of that depth
        ICaseDelegation.CaseTerms memory t = makeTerms(4242, uint64(block.timestamp) + 10 days);
        (bytes32 root, bytes32[] memory p) = StandardMerkle.syntheticProof(digestOf(t), 14, keccak256("seed"));
        vm.prank(bank);
        uint256 id = cd.publishBatch(root, 10_000, t.deadline, BUDGET, META);
        vm.prank(collector);
        uint256 g0 = gasleft();
        cd.claim(id, t, p);
        uint256 used = g0 - gasleft();
        assertLt(used, 150_000);
    }
}
