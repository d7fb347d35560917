// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {JudicialAuction} from "../../auctions/JudicialAuction.sol";
import {DisputeDesk} from "../../disputes/DisputeDesk.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {IJudicialAuction} from "../../interfaces/IJudicialAuction.sol";
import {FeedId} from "../../interfaces/IOracleHub.sol";
import {OracleHub} from "../../oracles/OracleHub.sol";
import {CaseFixture} from "../cases/CaseFixture.sol";

/// @notice The dispute world: the case fixture (consortium, token, evidence registry, CaseDelegation, two banks,
/// two collectors) with a published batch whose case 0 the collector claimed, a DisputeDesk registered as a
/// consortium system contract, two mediators, two courts and a payer with cash that approved the desk, plus
/// helpers that walk a dispute through its life. {deployListing} adds a JudicialAuction on the same desk with a
/// court appraisal of the collateral.
abstract contract DisputeFixture is CaseFixture {
    uint64 internal constant APPEAL_WINDOW = 15 days;
    uint64 internal constant GRACE = 10 days;
    uint64 internal constant PERIOD = 30 days; // between instalments
    uint128 internal constant PAYER_CASH = 100_000_000;
    bytes32 internal constant ASSET_REF = keccak256("asset:SH-2024-0042");
    bytes32 internal constant TERMS = keccak256("mediation agreement");
    bytes32 internal constant COMMITMENT = keccak256("credit commitment");
    bytes32 internal constant PLAN = keccak256("restructuring plan card");
    bytes32 internal constant DOC = keccak256("court document");
    uint96 internal constant APPRAISAL = 100_000_000;

    DisputeDesk internal desk;
    address internal mediator;
    address internal mediator2;
    address internal court;
    address internal court2;
    address internal payer;
    bytes32 internal caseId; // case 0, claimed by the collector
    uint128 internal claimAmount; // its whole overdue amount
    bytes32 internal docRoot; // an anchored evidence root

    // listing world (only after {deployListing})
    JudicialAuction internal auction;
    OracleHub internal hub;
    bytes32 internal listingRoot;

    function deployDisputes() internal {
        deployCases();
        desk = new DisputeDesk(consortium, token, registry, cd, APPEAL_WINDOW);
        pass(IConsortium.ProposalKind.SetSystemContract, address(desk), abi.encode(true));
        mediator = makeAddr("mediator");
        mediator2 = makeAddr("mediator2");
        court = makeAddr("court");
        court2 = makeAddr("court2");
        payer = makeAddr("payer");
        admit(mediator, roles(MEDIATOR_ROLE));
        admit(mediator2, roles(MEDIATOR_ROLE));
        admit(court, roles(COURT_ROLE));
        admit(court2, roles(COURT_ROLE));
        admit(payer, roles(INVESTOR_ROLE));
        vm.prank(settlementBank);
        token.mint(payer, PAYER_CASH, REASON);
        vm.prank(payer);
        token.approve(address(desk), type(uint256).max);
        vm.prank(bank);
        token.approve(address(desk), type(uint256).max);
        publishCases(bank, 0, 4);
        claimAs(collector, 0);
        caseId = terms[0].caseId;
        claimAmount = terms[0].overdueAmount;
        (, docRoot) = anchorEvidence(bank, "loan contract");
    }

    /// @notice Adds an OracleHub, a JudicialAuction on the desk (a system contract), a court appraisal of ASSET_REF
    /// and an anchored listing document.
    function deployListing() internal {
        hub = new OracleHub(consortium, 3);
        auction = new JudicialAuction(consortium, token, registry, hub, desk, 30 days);
        pass(IConsortium.ProposalKind.SetSystemContract, address(auction), abi.encode(true));
        vm.prank(court);
        auction.enterAppraisal(ASSET_REF, APPRAISAL, DOC);
        (, listingRoot) = anchorEvidence(bank, "title deed SH-2024-0042");
    }

    function assetListing() internal view returns (IJudicialAuction.Listing memory) {
        bytes32[] memory d = new bytes32[](1);
        d[0] = listingRoot;
        return IJudicialAuction.Listing({
            assetRef: ASSET_REF,
            documents: d,
            appraisalFeed: FeedId.wrap(bytes32(0)),
            startPrice: 80_000_000,
            deposit: 8_000_000,
            increment: 100_000,
            announcement: 7 days,
            biddingWindow: 24 hours,
            paymentWindow: 10 days,
            kycTier: KYC_TIER
        });
    }

    // --- builders ---

    function one(bytes32 x) internal pure returns (bytes32[] memory a) {
        a = new bytes32[](1);
        a[0] = x;
    }

    function none() internal pure returns (bytes32[] memory) {
        return new bytes32[](0);
    }

    /// @notice `n` instalments PERIOD apart from now, splitting `total` evenly (the last takes the remainder).
    function scheduleOf(uint256 n, uint128 total) internal view returns (IDisputeDesk.Instalment[] memory s) {
        s = new IDisputeDesk.Instalment[](n);
        uint128 each = n == 0 ? 0 : total / uint128(n);
        for (uint256 i = 0; i < n; i++) {
            s[i] = IDisputeDesk.Instalment({
                amount: i + 1 == n ? total - each * uint128(n - 1) : each,
                dueAt: uint64(block.timestamp) + uint64(i + 1) * PERIOD
            });
        }
    }

    function agreementWith(IDisputeDesk.Instalment[] memory s, uint128 relief)
        internal
        pure
        returns (IDisputeDesk.Agreement memory)
    {
        return IDisputeDesk.Agreement({
            termsDigest: TERMS,
            commitmentDigest: COMMITMENT,
            planDigest: PLAN,
            relief: relief,
            grace: GRACE,
            schedule: s
        });
    }

    /// @notice `n` instalments of the claim less `relief`.
    function agreementOf(uint256 n, uint128 relief) internal view returns (IDisputeDesk.Agreement memory) {
        return agreementWith(scheduleOf(n, claimAmount - relief), relief);
    }

    // --- steps ---

    /// @notice The bank opens a dispute on case 0 for the whole claim with one evidence root and ASSET_REF.
    function openDispute() internal returns (uint256 id) {
        vm.prank(bank);
        id = desk.open(caseId, claimAmount, one(docRoot), one(ASSET_REF));
    }

    function takeAs(address who, uint256 id) internal {
        vm.prank(who);
        desk.claim(id);
    }

    function agreeAs(address who, uint256 id, IDisputeDesk.Agreement memory a) internal {
        vm.prank(who);
        desk.recordAgreement(id, a);
    }

    function ruleAs(address who, uint256 id, IDisputeDesk.Ruling ruling) internal {
        vm.prank(who);
        desk.rule(id, ruling, DOC);
    }

    function payAs(address who, uint256 id, uint128 amount) internal {
        vm.prank(who);
        desk.pay(id, amount);
    }

    /// @notice Open, claimed by the mediator: MEDIATING.
    function mediating() internal returns (uint256 id) {
        id = openDispute();
        takeAs(mediator, id);
    }

    /// @notice MEDIATING, then an agreement of `n` instalments and `relief`: AGREED.
    function agreed(uint256 n, uint128 relief) internal returns (uint256 id) {
        id = mediating();
        agreeAs(mediator, id, agreementOf(n, relief));
    }

    /// @notice MEDIATING, then a failure: FAILED.
    function failedMediation() internal returns (uint256 id) {
        id = mediating();
        vm.prank(mediator);
        desk.recordFailure(id, REASON);
    }

    /// @notice Rules `ruling` as the court, waits out the appeal window and finalises.
    function finalRuling(uint256 id, IDisputeDesk.Ruling ruling) internal {
        ruleAs(court, id, ruling);
        vm.warp(desk.dispute(id).appealDeadline + 1);
        desk.finalize(id);
    }

    /// @notice An agreement of `n` instalments (relief 0), confirmed and final: PERFORMING.
    function performing(uint256 n) internal returns (uint256 id) {
        id = agreed(n, 0);
        finalRuling(id, IDisputeDesk.Ruling.CONFIRMED);
    }

    /// @notice A failed mediation ruled FOR_CLAIMANT and final: the case is enforceable.
    function enforceable() internal returns (uint256 id) {
        id = failedMediation();
        finalRuling(id, IDisputeDesk.Ruling.FOR_CLAIMANT);
    }

    function statusOf(uint256 id) internal view returns (IDisputeDesk.DisputeStatus) {
        return desk.dispute(id).status;
    }

    /// @notice Turns the mediation requirement off or on through a consortium `Call` proposal.
    function setMediationRequired(bool required) internal {
        pass(
            IConsortium.ProposalKind.Call, address(desk), abi.encodeCall(IDisputeDesk.setMediationRequired, (required))
        );
    }
}
