// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AssetFractions} from "../../assets/AssetFractions.sol";
import {FractionsFactory} from "../../assets/FractionsFactory.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {FeedId} from "../../interfaces/IOracleHub.sol";
import {Deployers} from "../utils/Deployers.sol";
import {StandardMerkle} from "../utils/StandardMerkle.sol";

/// @notice The fractions world on top of the settlement fixture: an evidence registry with the asset's documents
/// anchored, a FractionsFactory made a system contract by a governed SetSystemContract proposal, an issuing BANK, a
/// COURT, the settlement fixture's REGULATOR, investors of different KYC tiers and regions, a member who is no
/// investor, cash for all of them, and one asset issued with every compliance rule active: a KYC tier, two allowed
/// regions, a lock-up, a holder cap and a per-holder maximum.
abstract contract FractionsFixture is Deployers {
    // --- regions (GB/T 2260) ---
    uint32 internal constant SHANGHAI_CITY = 310_100; // a prefecture: covers every 3101xx county
    uint32 internal constant PUDONG = 310_115;
    uint32 internal constant HUANGPU = 310_101;
    uint32 internal constant XUHUI = 310_104;
    uint32 internal constant CHAOYANG = 110_105; // Beijing, allowed on its own
    uint32 internal constant DONGCHENG = 110_101; // Beijing, not allowed
    uint32 internal constant NANJING = 320_102;
    uint32 internal constant SHANGHAI_PROVINCE = 310_000; // a province-level code is not inside 310100

    // --- terms (fen, shares, seconds) ---
    uint96 internal constant PRICE = 10_000; // 100.00 CNY a share
    uint96 internal constant MIN_SUBSCRIPTION = 10;
    uint96 internal constant SOFT_CAP = 500;
    uint96 internal constant HARD_CAP = 1_000;
    uint96 internal constant MAX_PER_HOLDER = 400;
    uint32 internal constant MAX_HOLDERS = 4;
    uint8 internal constant ASSET_KYC = 2;
    uint64 internal constant OFFERING_PERIOD = 14 days;
    uint64 internal constant LOCK_UP = 30 days; // after the deadline
    uint256 internal constant INVESTOR_CASH = 100_000_000; // 1,000,000.00 CNY
    bytes32 internal constant ASSET_REF = keccak256("asset:SH-0042");
    FeedId internal constant VALUATION_FEED = FeedId.wrap(keccak256("valuation:office"));
    bytes32 internal constant ORDER = keccak256("court order");
    bytes32 internal constant DECISION = keccak256("governors' key-recovery decision");
    bytes32 internal constant CASE_REF = keccak256("case:2024-0042");
    string internal constant NAME = "SH-0042 office tower NPL";
    string internal constant SYMBOL = "FR-SH42";

    // --- the default subscriptions of {succeededOffering} ---
    uint96 internal constant SUB1 = 300;
    uint96 internal constant SUB2 = 200;
    uint96 internal constant SUB3 = 100;
    uint96 internal constant SOLD = SUB1 + SUB2 + SUB3;

    EvidenceRegistry internal registry;
    FractionsFactory internal factory;
    AssetFractions internal asset;
    address internal issuer; // = bankA, a BANK
    address internal court;
    address internal inv1; // tier 3, Pudong
    address internal inv2; // tier 2, Huangpu
    address internal inv3; // tier 2, Chaoyang
    address internal inv4; // tier 4, Xuhui
    address internal inv5; // tier 2, Pudong
    address internal lowTier; // tier 1, Pudong
    address internal farAway; // tier 3, Dongcheng
    address internal nonInvestor; // a COLLECTOR, tier 3, Pudong
    bytes32 internal docRoot;
    uint64 internal deadline;
    uint64 internal lockUpUntil;

    // --- fixture builders ---

    /// @notice Deploys the whole fractions world (see the contract's notice) and issues {asset}.
    function deployFractions() internal {
        deploySettlement();
        registry = new EvidenceRegistry(consortium);
        factory = new FractionsFactory(consortium, token, registry);
        pass(IConsortium.ProposalKind.SetSystemContract, address(factory), abi.encode(true));

        issuer = bankA;
        court = makeAddr("court");
        inv1 = makeAddr("investor1");
        inv2 = makeAddr("investor2");
        inv3 = makeAddr("investor3");
        inv4 = makeAddr("investor4");
        inv5 = makeAddr("investor5");
        lowTier = makeAddr("lowTierInvestor");
        farAway = makeAddr("farAwayInvestor");
        nonInvestor = makeAddr("collector");
        admitMember(court, roles(COURT_ROLE), 3, SHANGHAI_PROVINCE);
        admitInvestor(inv1, 3, PUDONG);
        admitInvestor(inv2, 2, HUANGPU);
        admitInvestor(inv3, 2, CHAOYANG);
        admitInvestor(inv4, 4, XUHUI);
        admitInvestor(inv5, 2, PUDONG);
        admitInvestor(lowTier, 1, PUDONG);
        admitInvestor(farAway, 3, DONGCHENG);
        admitMember(nonInvestor, roles(COLLECTOR_ROLE), 3, PUDONG);
        address[8] memory funded = [inv1, inv2, inv3, inv4, inv5, lowTier, farAway, nonInvestor];
        for (uint256 i = 0; i < funded.length; i++) {
            fund(funded[i]);
        }
        fund(issuer);

        docRoot = anchorDoc(issuer, "prospectus, title and appraisal of SH-0042");
        deadline = uint64(block.timestamp) + OFFERING_PERIOD;
        lockUpUntil = deadline + LOCK_UP;
        asset = issueAsset(defaultTerms());
        approveAll(asset);
    }

    function admitMember(address who, bytes32[] memory r, uint8 kycTier, uint32 region) internal {
        pass(IConsortium.ProposalKind.Admit, who, abi.encode(nameDigest(who), r, region, uint64(0), kycTier));
    }

    function admitInvestor(address who, uint8 kycTier, uint32 region) internal {
        admitMember(who, roles(INVESTOR_ROLE), kycTier, region);
    }

    /// @notice Admits `replacement` as the same institution as `lost` (its name digest) with `lost`'s profile.
    function admitReplacement(address lost, address replacement) internal {
        IConsortium.Member memory m = consortium.getMember(lost);
        pass(
            IConsortium.ProposalKind.Admit,
            replacement,
            abi.encode(m.nameDigest, roles(INVESTOR_ROLE), m.region, uint64(0), m.kycTier)
        );
    }

    /// @notice Changes `who`'s region and KYC tier (no licence expiry) through a governed proposal.
    function updateProfile(address who, uint32 region, uint8 kycTier) internal {
        pass(IConsortium.ProposalKind.UpdateProfile, who, abi.encode(region, uint64(0), kycTier));
    }

    /// @notice Mints INVESTOR_CASH to `who`.
    function fund(address who) internal {
        vm.prank(settlementBank);
        token.mint(who, INVESTOR_CASH, REASON);
    }

    /// @notice Every funded member approves `a` for all its cash (subscriptions, purchases, recoveries paid in).
    function approveAll(AssetFractions a) internal {
        address[9] memory funded = [inv1, inv2, inv3, inv4, inv5, lowTier, farAway, nonInvestor, issuer];
        for (uint256 i = 0; i < funded.length; i++) {
            vm.prank(funded[i]);
            token.approve(address(a), type(uint256).max);
        }
    }

    /// @notice Anchors a one-document evidence tree as `who`; returns its root.
    function anchorDoc(address who, string memory doc) internal returns (bytes32 root) {
        root = StandardMerkle.leafHash(sha256(bytes(doc)));
        vm.prank(who);
        registry.anchor(root, 1, keccak256("asset documents"));
    }

    // --- terms ---

    function allowedRegions() internal pure returns (uint32[] memory r) {
        r = new uint32[](2);
        r[0] = SHANGHAI_CITY;
        r[1] = CHAOYANG;
    }

    /// @notice The default asset's terms: every rule active.
    function defaultTerms() internal view returns (IAssetFractions.Terms memory) {
        return IAssetFractions.Terms({
            assetRef: ASSET_REF,
            valuationFeed: VALUATION_FEED,
            documentsRoot: docRoot,
            kycTier: ASSET_KYC,
            regions: allowedRegions(),
            lockUpUntil: lockUpUntil,
            maxHolders: MAX_HOLDERS,
            maxPerHolder: MAX_PER_HOLDER,
            price: PRICE,
            minSubscription: MIN_SUBSCRIPTION,
            softCap: SOFT_CAP,
            hardCap: HARD_CAP,
            deadline: deadline
        });
    }

    /// @notice Issues an asset with `t` as the issuer through the factory.
    function issueAsset(IAssetFractions.Terms memory t) internal returns (AssetFractions) {
        vm.prank(issuer);
        return AssetFractions(factory.issue(t, NAME, SYMBOL));
    }

    // --- offering ---

    function subscribeAs(address who, uint96 shares) internal {
        subscribeTo(asset, who, shares);
    }

    function subscribeTo(AssetFractions a, address who, uint96 shares) internal {
        vm.prank(who);
        a.subscribe(shares);
    }

    /// @notice Warps to the deadline and settles the offering.
    function settle() internal {
        settleAsset(asset);
    }

    function settleAsset(AssetFractions a) internal {
        uint64 end = a.offering().deadline;
        if (block.timestamp < end) vm.warp(end);
        a.settleOffering();
    }

    function claimSharesOf(address who) internal {
        asset.claimShares(who);
    }

    /// @notice inv1, inv2 and inv3 subscribe SUB1, SUB2 and SUB3 (SOLD, above the soft cap); the offering is settled
    /// at the deadline and succeeds. No shares are claimed yet.
    function subscribedAndSettled() internal {
        subscribeAs(inv1, SUB1);
        subscribeAs(inv2, SUB2);
        subscribeAs(inv3, SUB3);
        settle();
    }

    /// @notice {subscribedAndSettled}, and the three subscribers' shares claimed (still in the lock-up).
    function succeededOffering() internal {
        subscribedAndSettled();
        claimSharesOf(inv1);
        claimSharesOf(inv2);
        claimSharesOf(inv3);
    }

    /// @notice {succeededOffering}, then the lock-up ends: trading is open with three holders (inv1 300, inv2 200,
    /// inv3 100).
    function tradingAsset() internal {
        succeededOffering();
        vm.warp(lockUpUntil);
    }

    // --- secondary market and recoveries ---

    function transferAs(address from, address to, uint256 amount) internal {
        vm.prank(from);
        asset.transfer(to, amount);
    }

    function offerAs(address seller, uint96 shares, uint96 price) internal returns (uint256 offerId) {
        vm.prank(seller);
        offerId = asset.makeOffer(shares, price);
    }

    function buyAs(address buyer, uint256 offerId, uint96 shares) internal {
        vm.prank(buyer);
        asset.buy(offerId, shares);
    }

    function payInAs(address payer, uint256 amount) internal {
        vm.prank(payer);
        asset.payIn(amount, CASE_REF);
    }

    function claimAs(address who) internal returns (uint256 amount) {
        uint256 before = token.balanceOf(who);
        vm.prank(who);
        asset.claim();
        amount = token.balanceOf(who) - before;
    }

    // --- court, regulator and governors ---

    function freeze(address account) internal {
        vm.prank(court);
        asset.freezeAccount(account, ORDER);
    }

    function unfreeze(address account) internal {
        vm.prank(court);
        asset.unfreezeAccount(account, ORDER);
    }

    function freezeShares(address account, uint96 shares) internal {
        vm.prank(court);
        asset.setFrozenShares(account, shares, ORDER);
    }

    function forcedTransfer(address from, address to, uint256 amount) internal {
        vm.prank(court);
        asset.forcedTransfer(from, to, amount, ORDER);
    }

    function pauseAs(address who) internal {
        vm.prank(who);
        asset.pause(REASON);
    }

    function unpauseAs(address who) internal {
        vm.prank(who);
        asset.unpause();
    }

    /// @notice Proposes and approves (to the threshold) a governed `recoverAccount` call; returns it unexecuted.
    function proposeRecovery(AssetFractions a, address lost, address replacement) internal returns (ProposalId id) {
        id = propose(
            IConsortium.ProposalKind.Call,
            address(a),
            abi.encodeCall(IAssetFractions.recoverAccount, (lost, replacement, DECISION))
        );
        approveBy(id, 1, consortium.threshold());
    }

    /// @notice Runs a governed `recoverAccount` of {asset} through the full proposal cycle.
    function recover(address lost, address replacement) internal {
        executeAsGovernor(proposeRecovery(asset, lost, replacement));
    }

    // --- checks ---

    /// @notice The money equation of {IAssetFractions}, with no tokens sent to the asset directly.
    function assertMoneyBalanced(AssetFractions a) internal view {
        assertEq(
            token.balanceOf(address(a)),
            a.subscriptionEscrow() + a.proceedsOwed() + a.totalPaidIn() - a.totalClaimed(),
            "asset rCNY balance"
        );
    }

    function refused(address from, address to, uint256 amount, IAssetFractions.Refusal reason)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IAssetFractions.FractionsTransferRefused.selector, from, to, amount, reason);
    }
}
