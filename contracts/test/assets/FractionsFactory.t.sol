// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {stdError} from "forge-std/StdError.sol";
import {AssetFractions} from "../../assets/AssetFractions.sol";
import {FractionsDeployer} from "../../assets/FractionsDeployer.sol";
import {FractionsFactory} from "../../assets/FractionsFactory.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {IEvidenceRegistry} from "../../interfaces/IEvidenceRegistry.sol";
import {IFractionsFactory} from "../../interfaces/IFractionsFactory.sol";
import {ISettlementToken} from "../../interfaces/ISettlementToken.sol";
import {FractionsFixture} from "./FractionsFixture.sol";

/// @notice {FractionsFactory}: who may issue, what it checks, what it records and emits, and its enrolment of every
/// token it deploys as a consortium system contract.
contract FractionsFactoryTest is FractionsFixture {
    bytes32 internal constant REF2 = keccak256("asset:BJ-0007");

    function setUp() public {
        deployFractions();
    }

    function terms2() internal view returns (IAssetFractions.Terms memory t) {
        t = defaultTerms();
        t.assetRef = REF2;
    }

    /// @dev The address the factory's deployer gives the next token (the deployer is the factory's first creation).
    function nextAsset(FractionsFactory f) internal view returns (address) {
        address deployer = vm.computeCreateAddress(address(f), 1);
        return vm.computeCreateAddress(deployer, vm.getNonce(deployer));
    }

    function invalidTerms(uint8 field) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAssetFractions.FractionsInvalidTerms.selector, field);
    }

    function test_constructor_wires() public {
        FractionsFactory f = new FractionsFactory(consortium, token, registry);
        assertEq(address(f.consortium()), address(consortium));
        assertEq(f.assetCount(), 0);
        assertEq(f.MAX_REGIONS(), 8);
        assertFalse(consortium.isSystemContract(address(f)));
    }

    function test_constructor_refusesZeroAddresses() public {
        bytes memory zero = abi.encodeWithSelector(IAssetFractions.FractionsZeroAmount.selector);
        vm.expectRevert(zero);
        new FractionsFactory(consortium, ISettlementToken(address(0)), registry);
        vm.expectRevert(zero);
        new FractionsFactory(consortium, token, IEvidenceRegistry(address(0)));
    }

    function test_issue_deploysEnrolsRecordsAndEmits() public {
        assertEq(factory.assetCount(), 1);
        assertEq(factory.assetAt(0), address(asset));
        IAssetFractions.Terms memory t = terms2();
        address expected = nextAsset(factory);
        vm.expectEmit(expected);
        emit IAssetFractions.FractionsTerms(issuer, REF2, VALUATION_FEED, docRoot);
        vm.expectEmit(expected);
        emit IAssetFractions.FractionsLimits(ASSET_KYC, t.regions, lockUpUntil, MAX_HOLDERS, MAX_PER_HOLDER);
        vm.expectEmit(expected);
        emit IAssetFractions.OfferingTerms(PRICE, MIN_SUBSCRIPTION, SOFT_CAP, HARD_CAP, deadline);
        vm.expectEmit(address(factory));
        emit IFractionsFactory.FractionsIssued(expected, issuer, REF2, 1);
        vm.expectEmit(address(consortium));
        emit IConsortium.SystemContractEnrolled(expected, address(factory));
        vm.prank(issuer);
        address a = factory.issue(t, "BJ-0007 loan pool", "FR-BJ07");
        assertEq(a, expected);
        assertEq(factory.assetCount(), 2);
        assertEq(factory.assetAt(1), a);
        assertEq(factory.assetOf(REF2), a);
        assertEq(factory.assetOf(ASSET_REF), address(asset));
        assertTrue(factory.isAsset(a));
        assertTrue(consortium.isSystemContract(a));
        AssetFractions fresh = AssetFractions(a);
        assertEq(fresh.factory(), address(factory));
        assertEq(fresh.issuer(), issuer);
        assertEq(address(fresh.token()), address(token));
        assertEq(address(fresh.consortium()), address(consortium));
        assertEq(fresh.name(), "BJ-0007 loan pool");
        assertEq(fresh.symbol(), "FR-BJ07");
        assertEq(keccak256(abi.encode(fresh.terms())), keccak256(abi.encode(t)));
        // the enrolled token can take rCNY at once
        approveAll(fresh);
        subscribeTo(fresh, inv1, MIN_SUBSCRIPTION);
        assertEq(token.balanceOf(a), MIN_SUBSCRIPTION * PRICE);
    }

    function test_issue_anotherBankIssuesToo() public {
        vm.prank(settlementBank); // BANK and SETTLEMENT_BANK
        address a = factory.issue(terms2(), NAME, SYMBOL);
        assertEq(AssetFractions(a).issuer(), settlementBank);
        assertEq(factory.assetOf(REF2), a);
    }

    function test_views_unknownAssets() public {
        assertFalse(factory.isAsset(address(0)));
        assertFalse(factory.isAsset(inv1));
        assertFalse(factory.isAsset(address(factory)));
        assertEq(factory.assetOf(REF2), address(0));
        vm.expectRevert(stdError.indexOOBError);
        factory.assetAt(1);
    }

    function test_issue_onlyAnActiveBank() public {
        address[5] memory callers = [inv1, court, regulator, outsider, address(consortium)];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, callers[i], BANK_ROLE)
            );
            vm.prank(callers[i]);
            factory.issue(terms2(), NAME, SYMBOL);
        }
        suspend(issuer);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, issuer, BANK_ROLE)
        );
        vm.prank(issuer);
        factory.issue(terms2(), NAME, SYMBOL);
        assertEq(factory.assetCount(), 1);
    }

    function test_issue_refusesUnanchoredDocuments() public {
        IAssetFractions.Terms memory t = terms2();
        t.documentsRoot = keccak256("never anchored");
        vm.expectRevert(
            abi.encodeWithSelector(IFractionsFactory.FractionsDocumentsNotAnchored.selector, t.documentsRoot)
        );
        issueAsset(t);
        t.documentsRoot = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(IFractionsFactory.FractionsDocumentsNotAnchored.selector, bytes32(0)));
        issueAsset(t);
        // once anchored (by a court, another anchorer) the same terms pass
        t.documentsRoot = anchorDoc(court, "title deed BJ-0007");
        issueAsset(t);
        assertEq(factory.assetCount(), 2);
    }

    function test_issue_refusesDuplicateAssetRef() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFractionsFactory.FractionsAlreadyIssued.selector, ASSET_REF, address(asset))
        );
        vm.prank(settlementBank);
        factory.issue(defaultTerms(), "another name", "FR-X");
        // even with other documents and after the first offering ended
        vm.warp(deadline + 1);
        IAssetFractions.Terms memory t = defaultTerms();
        t.deadline = deadline + 30 days;
        t.documentsRoot = anchorDoc(issuer, "a second prospectus");
        vm.expectRevert(
            abi.encodeWithSelector(IFractionsFactory.FractionsAlreadyIssued.selector, ASSET_REF, address(asset))
        );
        issueAsset(t);
        assertEq(factory.assetCount(), 1);
    }

    function test_issue_refusedUntilTheFactoryIsASystemContract() public {
        FractionsFactory f = new FractionsFactory(consortium, token, registry);
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedEnrolment.selector, address(f)));
        vm.prank(issuer);
        f.issue(terms2(), NAME, SYMBOL);
        assertEq(f.assetCount(), 0); // nothing recorded
        assertEq(f.assetOf(REF2), address(0));
        pass(IConsortium.ProposalKind.SetSystemContract, address(f), abi.encode(true));
        vm.prank(issuer);
        address a = f.issue(terms2(), NAME, SYMBOL);
        assertTrue(consortium.isSystemContract(a));
        // governors can withdraw the factory's approval: it can no longer issue
        pass(IConsortium.ProposalKind.SetSystemContract, address(f), abi.encode(false));
        IAssetFractions.Terms memory t = terms2();
        t.assetRef = keccak256("asset:third");
        vm.expectRevert(abi.encodeWithSelector(IConsortium.ConsortiumUnauthorizedEnrolment.selector, address(f)));
        vm.prank(issuer);
        f.issue(t, NAME, SYMBOL);
    }

    function test_issue_governorsCanDisableAnAsset() public {
        pass(IConsortium.ProposalKind.SetSystemContract, address(asset), abi.encode(false));
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.SettlementTokenNotMember.selector, address(asset)));
        subscribeAs(inv1, MIN_SUBSCRIPTION);
    }

    function test_issue_refusesEachInvalidTerm() public {
        IAssetFractions.Terms memory t = terms2();
        t.assetRef = bytes32(0);
        vm.expectRevert(invalidTerms(8));
        issueAsset(t);

        t = terms2();
        t.price = 0;
        vm.expectRevert(invalidTerms(1));
        issueAsset(t);

        t = terms2();
        t.minSubscription = 0;
        vm.expectRevert(invalidTerms(2));
        issueAsset(t);

        t = terms2();
        t.softCap = HARD_CAP + 1;
        vm.expectRevert(invalidTerms(3));
        issueAsset(t);

        t = terms2();
        t.softCap = MIN_SUBSCRIPTION - 1; // the soft cap below one subscription
        vm.expectRevert(invalidTerms(3));
        issueAsset(t);

        t = terms2();
        (t.hardCap, t.softCap, t.minSubscription) = (0, 0, 1);
        vm.expectRevert(invalidTerms(4));
        issueAsset(t);

        t = terms2();
        (t.hardCap, t.softCap) = (uint96(1) << 80, 1_000); // beyond the 80-bit share supply
        vm.expectRevert(invalidTerms(4));
        issueAsset(t);

        t = terms2();
        t.deadline = uint64(block.timestamp);
        vm.expectRevert(invalidTerms(5));
        issueAsset(t);

        t = terms2();
        t.regions = new uint32[](9);
        for (uint256 i = 0; i < 9; i++) {
            t.regions[i] = uint32(310_101 + i);
        }
        vm.expectRevert(invalidTerms(6));
        issueAsset(t);

        t = terms2();
        t.regions[1] = 0;
        vm.expectRevert(invalidTerms(6));
        issueAsset(t);

        t = terms2();
        t.maxPerHolder = MIN_SUBSCRIPTION - 1; // nobody could subscribe
        vm.expectRevert(invalidTerms(7));
        issueAsset(t);
        assertEq(factory.assetCount(), 1);
    }

    function test_issue_boundaryTermsAccepted() public {
        IAssetFractions.Terms memory t = terms2();
        (t.softCap, t.hardCap, t.minSubscription, t.maxPerHolder) = (HARD_CAP, HARD_CAP, HARD_CAP, HARD_CAP);
        t.deadline = uint64(block.timestamp) + 1;
        t.regions = new uint32[](8);
        for (uint256 i = 0; i < 8; i++) {
            t.regions[i] = uint32(310_101 + i);
        }
        AssetFractions a = issueAsset(t);
        assertEq(a.terms().regions.length, 8);
        // no regions and no limits at all, the largest hard cap
        t = terms2();
        t.assetRef = keccak256("asset:no limits");
        t.regions = new uint32[](0);
        (t.maxHolders, t.maxPerHolder, t.lockUpUntil) = (0, 0, 0);
        t.hardCap = (uint96(1) << 80) - 1;
        a = issueAsset(t);
        assertEq(a.terms().regions.length, 0);
        approveAll(a);
        vm.expectRevert(refused(address(0), lowTier, MIN_SUBSCRIPTION, IAssetFractions.Refusal.TO_KYC_TIER));
        subscribeTo(a, lowTier, MIN_SUBSCRIPTION); // the KYC tier still applies
        subscribeTo(a, farAway, MIN_SUBSCRIPTION); // any region
        assertEq(a.subscriptionOf(farAway), MIN_SUBSCRIPTION);
    }

    function test_deployer_onlyItsFactory() public {
        FractionsDeployer deployer = FractionsDeployer(vm.computeCreateAddress(address(factory), 1));
        vm.expectRevert(abi.encodeWithSelector(FractionsDeployer.FractionsDeployerUnauthorized.selector, issuer));
        vm.prank(issuer);
        deployer.deploy(consortium, token, issuer, terms2(), NAME, SYMBOL);
    }
}
