// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";
import {AssetFractions} from "../../assets/AssetFractions.sol";
import {IAssetFractions} from "../../interfaces/IAssetFractions.sol";
import {IConsortium, ProposalId} from "../../interfaces/IConsortium.sol";
import {FractionsFixture} from "../assets/FractionsFixture.sol";

/// @notice Drives two assets with members of every kind (investors of different tiers and regions, an investor below
/// the tier, one outside the regions, a member who is no investor, a non-member, two spare keys of investors):
/// transfers and spender transfers, offers and fills, allowances withdrawn, recoveries paid in and claimed, late
/// share claims, freezes, forced transfers, key recoveries, profile changes, suspensions, expiring licences, pauses,
/// time, direct rCNY sent to the assets, and a second offering that subscribes, settles, refunds or pays out.
/// Every movement the handler tries is checked against {IAssetFractions-canTransfer} and against eligibility computed
/// here from the consortium's member records; every successful movement and payment updates the ghost balances with
/// what it should have moved, so the invariants compare the contracts with an independent ledger.
contract AssetFractionsHandler is Test {
    bytes32 internal constant INVESTOR_ROLE = keccak256("INVESTOR_ROLE");
    uint8 internal constant KYC = 2;
    uint32 internal constant SHANGHAI_CITY = 310_100;
    uint32 internal constant CHAOYANG = 110_105;
    uint96 internal constant OFFER_PRICE = 5_000; // the second offering's price per share

    AssetFractions public immutable asset; // offering succeeded, trading
    AssetFractions public immutable offering; // offering open at the start
    IERC20 internal immutable token;
    IConsortium internal immutable consortium;
    address internal immutable court;
    address internal immutable regulator;
    address public immutable issuer;
    address internal immutable spender;
    /// @dev every account that may hold shares or try to: members of all kinds and one non-member
    address[] public accounts;
    mapping(address account => bool) public isTracked; // members whose rCNY the ghosts follow
    mapping(address account => address) public spareOf; // a key of the same institution to recover to

    // --- ghosts: what the contracts should hold ---
    mapping(address account => uint256) public ghostShares; // in `asset`
    mapping(address account => uint256) public ghostOfferingShares; // in `offering`
    mapping(address account => uint256) public ghostCash; // rCNY
    mapping(address account => uint256) public ghostClaimed;
    mapping(address account => bool) public ghostWholeFrozen;
    mapping(address account => uint256) public ghostSubscribed; // fen paid into `offering`
    mapping(address account => uint256) public ghostRefunded; // fen refunded by `offering`
    mapping(address asset_ => uint256) public ghostDonated; // rCNY sent to an asset directly
    uint256 public ordinaryMoves;
    uint256 public orderMoves;
    uint256 public fills;
    uint256 public failedFills;
    uint256 public ineligibleMoves; // a successful movement with an ineligible side (must stay 0)
    uint256 public canTransferMismatches; // an outcome canTransfer did not predict (must stay 0)
    uint256 public offerMismatches; // an offer not reduced by exactly its fill (must stay 0)
    uint256 public refundMismatches; // a refund other than what was paid (must stay 0)
    uint256 public freezeMismatches; // frozen shares beyond the holding after an order (must stay 0)
    mapping(string action => uint256) public calls;

    constructor(
        AssetFractions asset_,
        AssetFractions offering_,
        address court_,
        address regulator_,
        address issuer_,
        address[] memory members,
        address nonMember,
        address[2] memory lost,
        address[2] memory spares
    ) {
        asset = asset_;
        offering = offering_;
        token = IERC20(address(asset_.token()));
        consortium = asset_.consortium();
        court = court_;
        regulator = regulator_;
        issuer = issuer_;
        spender = makeAddr("handler-spender");
        for (uint256 i = 0; i < members.length; i++) {
            _track(members[i]);
        }
        _track(issuer_);
        accounts.push(nonMember);
        for (uint256 i = 0; i < 2; i++) {
            spareOf[lost[i]] = spares[i];
        }
    }

    function _track(address a) internal {
        if (a != issuer) accounts.push(a);
        isTracked[a] = true;
        ghostShares[a] = asset.balanceOf(a);
        ghostCash[a] = token.balanceOf(a);
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    function _account(uint256 seed) internal view returns (address) {
        return accounts[seed % accounts.length];
    }

    /// @dev The first account from `seed` on (cyclically) that holds shares of `asset`; zero if none.
    function _holder(uint256 seed) internal view returns (address) {
        uint256 n = accounts.length;
        for (uint256 i = 0; i < n; i++) {
            address a = accounts[(seed % n + i) % n];
            if (asset.balanceOf(a) != 0) return a;
        }
        return address(0);
    }

    // --- eligibility, computed from the member records (not from the asset) ---

    function _covers(uint32 area, uint32 region) internal pure returns (bool) {
        if (area == region) return true;
        if (area % 10_000 == 0) return area / 10_000 == region / 10_000;
        if (area % 100 == 0) return area / 100 == region / 100;
        return false;
    }

    /// @notice Whether `a` may hold shares now: an active INVESTOR with the tier in an allowed region, not frozen
    /// whole in `asset` (when `checkFreeze`).
    function eligible(address a, bool checkFreeze) public view returns (bool) {
        if (checkFreeze && ghostWholeFrozen[a]) return false;
        if (!consortium.hasActiveRole(a, INVESTOR_ROLE)) return false;
        IConsortium.Member memory m = consortium.getMember(a);
        return m.kycTier >= KYC && (_covers(SHANGHAI_CITY, m.region) || _covers(CHAOYANG, m.region));
    }

    function _refused(address from, address to, uint256 amount, IAssetFractions.Refusal reason)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IAssetFractions.FractionsTransferRefused.selector, from, to, amount, reason);
    }

    function _pass(IConsortium.ProposalKind kind, address target, bytes memory data) internal returns (bool ok) {
        address[] memory g = consortium.governors();
        vm.prank(g[0]);
        ProposalId id = consortium.propose(kind, target, data);
        for (uint256 i = 1; i < consortium.threshold(); i++) {
            vm.prank(g[i]);
            consortium.approve(id);
        }
        vm.prank(g[0]);
        try consortium.execute(id) {
            ok = true;
        } catch {}
    }

    // --- ordinary movements ---

    /// @dev One ordinary move attempt, its outcome checked against canTransfer and eligibility.
    function _tryMove(address from, address to, uint256 amount, bool viaSpender) internal {
        (bool can, IAssetFractions.Refusal why) = asset.canTransfer(from, to, amount);
        bool bothEligible = eligible(from, true) && eligible(to, true);
        bool ok;
        bytes memory err;
        if (viaSpender) {
            vm.prank(from);
            asset.approve(spender, amount);
            vm.prank(spender);
            try asset.transferFrom(from, to, amount) returns (bool) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        } else {
            vm.prank(from);
            try asset.transfer(to, amount) returns (bool) {
                ok = true;
            } catch (bytes memory e) {
                err = e;
            }
        }
        if (ok) {
            ghostShares[from] -= amount;
            ghostShares[to] += amount;
            ordinaryMoves++;
            if (!bothEligible) ineligibleMoves++;
            if (!can) canTransferMismatches++;
        } else if (can || keccak256(err) != keccak256(_refused(from, to, amount, why))) {
            canTransferMismatches++;
        }
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amountSeed, bool viaSpender) external {
        address from = _holder(fromSeed);
        address to = _account(toSeed);
        if (from == address(0) || from == to) return;
        uint256 balance = asset.balanceOf(from);
        _tryMove(from, to, _bound(amountSeed, 1, balance), viaSpender);
        calls["transfer"]++;
    }

    function makeOffer(uint256 sellerSeed, uint256 sharesSeed, uint256 priceSeed) external {
        address seller = _holder(sellerSeed);
        if (seller == address(0)) return;
        uint256 balance = asset.balanceOf(seller);
        vm.prank(seller);
        asset.makeOffer(uint96(_bound(sharesSeed, 1, balance)), uint96(_bound(priceSeed, 1, 50_000)));
        calls["makeOffer"]++;
    }

    /// @notice A buyer fills part or all of a live offer; with none at the seed, a holder first offers shares.
    function buy(uint256 offerSeed, uint256 buyerSeed, uint256 sharesSeed) external {
        uint256 n = asset.offerCount();
        uint256 id = n == 0 ? 0 : _bound(offerSeed, 1, n);
        if (id == 0 || asset.offerOf(id).seller == address(0)) {
            address holder = _holder(offerSeed);
            if (holder == address(0)) return;
            uint96 offered = uint96(_bound(offerSeed >> 128, 1, asset.balanceOf(holder)));
            vm.prank(holder);
            id = asset.makeOffer(offered, uint96(_bound(sharesSeed >> 128, 1, 50_000)));
        }
        IAssetFractions.Offer memory o = asset.offerOf(id);
        address buyer = _account(buyerSeed);
        if (o.seller == address(0) || buyer == o.seller) return;
        uint96 shares = uint96(_bound(sharesSeed, 1, o.shares));
        uint256 paid = uint256(shares) * o.price;
        (bool can, IAssetFractions.Refusal why) = asset.canTransfer(o.seller, buyer, shares);
        bool bothEligible = eligible(o.seller, true) && eligible(buyer, true);
        vm.prank(buyer);
        try asset.buy(id, shares) {
            ghostShares[o.seller] -= shares;
            ghostShares[buyer] += shares;
            ghostCash[buyer] -= paid;
            ghostCash[o.seller] += paid;
            ordinaryMoves++;
            fills++;
            if (!bothEligible) ineligibleMoves++;
            if (!can) canTransferMismatches++;
            if (asset.offerOf(id).shares != o.shares - shares) offerMismatches++;
        } catch (bytes memory err) {
            failedFills++;
            // a refused movement is refused before any payment, with canTransfer's reason
            if (!can && keccak256(err) != keccak256(_refused(o.seller, buyer, shares, why))) {
                canTransferMismatches++;
            }
            if (asset.offerOf(id).shares != o.shares) offerMismatches++;
        }
        calls["buy"]++;
    }

    function cancelOffer(uint256 offerSeed) external {
        uint256 n = asset.offerCount();
        if (n == 0) return;
        uint256 id = _bound(offerSeed, 1, n);
        address seller = asset.offerOf(id).seller;
        if (seller == address(0)) return;
        vm.prank(seller);
        asset.cancelOffer(id);
        calls["cancelOffer"]++;
    }

    /// @notice An account withdraws (or restores) its rCNY allowance to `asset`, so fills fail on the payment leg.
    function setAllowance(uint256 accountSeed, bool allow) external {
        address a = _account(accountSeed);
        vm.prank(a);
        token.approve(address(asset), allow ? type(uint256).max : 0);
        calls["setAllowance"]++;
    }

    // --- recoveries ---

    function payIn(uint256 payerSeed, uint256 amountSeed) external {
        address payer = payerSeed % 4 == 0 ? issuer : _account(payerSeed);
        uint256 amount = _bound(amountSeed, 1, 2_000_000);
        if (
            !consortium.isActiveMember(payer) || token.balanceOf(payer) < amount
                || token.allowance(payer, address(asset)) < amount
        ) return;
        vm.prank(payer);
        asset.payIn(amount, keccak256(abi.encode("case", amountSeed)));
        ghostCash[payer] -= amount;
        calls["payIn"]++;
    }

    function claim(uint256 accountSeed) external {
        address a;
        uint256 expected;
        for (uint256 i = 0; i < accounts.length && expected == 0; i++) {
            a = _account(accountSeed % accounts.length + i);
            if (consortium.isActiveMember(a)) expected = asset.claimable(a);
        }
        if (expected == 0) return;
        vm.prank(a);
        asset.claim();
        ghostCash[a] += expected;
        ghostClaimed[a] += expected;
        calls["claim"]++;
    }

    /// @notice Anyone claims a subscriber's shares, late, after recoveries were paid.
    function claimShares(uint256 accountSeed) external {
        address a = _account(accountSeed);
        uint96 subscribed = asset.subscriptionOf(a);
        if (subscribed == 0) return;
        (bool can,) = asset.canTransfer(address(0), a, 0);
        bool isEligible = eligible(a, true);
        try asset.claimShares(a) {
            ghostShares[a] += subscribed;
            if (!isEligible) ineligibleMoves++;
            if (!can) canTransferMismatches++;
            calls["claimShares"]++;
        } catch {}
    }

    /// @notice rCNY sent to an asset directly (it may only raise the balance above what is owed).
    function donate(uint256 accountSeed, uint256 amountSeed, bool toOffering) external {
        address a = _account(accountSeed);
        uint256 amount = _bound(amountSeed, 1, 10_000);
        if (!consortium.isActiveMember(a) || token.balanceOf(a) < amount) return;
        address target = toOffering ? address(offering) : address(asset);
        vm.prank(a);
        token.transfer(target, amount);
        ghostCash[a] -= amount;
        ghostDonated[target] += amount;
        calls["donate"]++;
    }

    // --- court orders ---

    function toggleFreeze(uint256 accountSeed) external {
        address a = _account(accountSeed);
        vm.prank(court);
        if (ghostWholeFrozen[a]) asset.unfreezeAccount(a, keccak256("order"));
        else asset.freezeAccount(a, keccak256("order"));
        ghostWholeFrozen[a] = !ghostWholeFrozen[a];
        calls["toggleFreeze"]++;
    }

    function setFrozenShares(uint256 accountSeed, uint256 sharesSeed) external {
        address a = _holder(accountSeed);
        if (a == address(0)) return;
        uint96 frozen = uint96(_bound(sharesSeed, 0, asset.balanceOf(a)));
        (, uint96 current) = asset.frozenOf(a);
        if (frozen == current) return;
        vm.prank(court);
        asset.setFrozenShares(a, frozen, keccak256("order"));
        calls["setFrozenShares"]++;
    }

    function forcedTransfer(uint256 fromSeed, uint256 toSeed, uint256 amountSeed) external {
        address from = _holder(fromSeed);
        address to = _account(toSeed);
        if (from == address(0) || from == to) return;
        uint256 balance = asset.balanceOf(from);
        uint256 amount = _bound(amountSeed, 1, balance);
        bool toEligible = eligible(to, true);
        vm.prank(court);
        try asset.forcedTransfer(from, to, amount, keccak256("order")) {
            ghostShares[from] -= amount;
            ghostShares[to] += amount;
            orderMoves++;
            if (!toEligible) ineligibleMoves++;
            (, uint96 frozen) = asset.frozenOf(from);
            if (frozen > asset.balanceOf(from)) freezeMismatches++;
            calls["forcedTransfer"]++;
        } catch {}
    }

    /// @notice The governors move a key's shares, freezes and recoveries to its institution's spare key.
    function recover(uint256 accountSeed) external {
        address lost = _account(accountSeed);
        address replacement = spareOf[lost];
        if (replacement == address(0)) return;
        bool toEligible = eligible(replacement, true);
        uint256 shares = asset.balanceOf(lost);
        bool ok = _pass(
            IConsortium.ProposalKind.Call,
            address(asset),
            abi.encodeCall(IAssetFractions.recoverAccount, (lost, replacement, keccak256("decision")))
        );
        if (!ok) return;
        ghostShares[replacement] += shares;
        ghostShares[lost] -= shares;
        ghostWholeFrozen[replacement] = ghostWholeFrozen[lost];
        ghostWholeFrozen[lost] = false;
        if (shares != 0 && !toEligible) ineligibleMoves++;
        orderMoves++;
        // the old key is now the spare of the new one
        spareOf[lost] = address(0);
        spareOf[replacement] = lost;
        calls["recover"]++;
    }

    // --- the consortium and the regulator ---

    function updateProfile(uint256 accountSeed, uint256 regionSeed, uint256 tierSeed, uint256 expirySeed) external {
        address a = _account(accountSeed);
        if (!consortium.isMember(a)) return;
        uint32[7] memory regions = [uint32(310_115), 310_101, 310_104, 110_105, 110_101, 320_102, 310_000];
        uint32 region = regions[regionSeed % regions.length];
        uint8 tier = uint8(_bound(tierSeed, 0, 4));
        uint64 expiry = expirySeed % 3 == 0 ? uint64(block.timestamp + _bound(expirySeed, 1 hours, 5 days)) : 0;
        if (_pass(IConsortium.ProposalKind.UpdateProfile, a, abi.encode(region, expiry, tier))) {
            calls["updateProfile"]++;
        }
    }

    function toggleSuspension(uint256 accountSeed) external {
        address a = _account(accountSeed);
        if (!consortium.isMember(a)) return;
        bool suspended = consortium.getMember(a).suspended;
        IConsortium.ProposalKind kind =
            suspended ? IConsortium.ProposalKind.Reinstate : IConsortium.ProposalKind.Suspend;
        if (_pass(kind, a, abi.encode(keccak256("reason")))) calls["toggleSuspension"]++;
    }

    function togglePause(bool byIssuer) external {
        address who = byIssuer ? issuer : regulator;
        bool paused = asset.paused();
        vm.prank(who);
        if (paused) asset.unpause();
        else asset.pause(keccak256("reason"));
        calls["togglePause"]++;
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + _bound(secondsAhead, 1 minutes, 3 days));
        calls["warp"]++;
    }

    // --- the second offering ---

    function subscribe(uint256 accountSeed, uint256 sharesSeed) external {
        IAssetFractions.Offering memory o = offering.offering();
        if (o.status != IAssetFractions.OfferingStatus.OPEN || block.timestamp >= o.deadline) return;
        address a = _account(accountSeed);
        uint96 shares = uint96(_bound(sharesSeed, 10, 150));
        uint256 cost = uint256(shares) * OFFER_PRICE;
        if (token.balanceOf(a) < cost || token.allowance(a, address(offering)) < cost) return;
        (bool can,) = offering.canTransfer(address(0), a, shares);
        bool isEligible = eligible(a, false);
        vm.prank(a);
        try offering.subscribe(shares) {
            ghostCash[a] -= cost;
            ghostSubscribed[a] += cost;
            if (!isEligible) ineligibleMoves++;
            if (!can) canTransferMismatches++;
            calls["subscribe"]++;
        } catch {}
    }

    function settleOffering(bool waitForDeadline) external {
        IAssetFractions.Offering memory o = offering.offering();
        if (o.status != IAssetFractions.OfferingStatus.OPEN) return;
        if (block.timestamp < o.deadline) {
            if (!waitForDeadline) return;
            vm.warp(o.deadline);
        }
        offering.settleOffering();
        calls["settleOffering"]++;
    }

    function refund(uint256 accountSeed) external {
        if (offering.offering().status != IAssetFractions.OfferingStatus.FAILED) return;
        address a = _account(accountSeed);
        uint96 subscribed = offering.subscriptionOf(a);
        if (subscribed == 0 || !consortium.isActiveMember(a)) return;
        uint256 before = token.balanceOf(a);
        vm.prank(a);
        offering.refund();
        uint256 got = token.balanceOf(a) - before;
        if (got != ghostSubscribed[a] - ghostRefunded[a] || got != uint256(subscribed) * OFFER_PRICE) {
            refundMismatches++;
        }
        ghostCash[a] += got;
        ghostRefunded[a] += got;
        calls["refund"]++;
    }

    function claimOfferingShares(uint256 accountSeed) external {
        if (offering.offering().status != IAssetFractions.OfferingStatus.SUCCEEDED) return;
        address a = _account(accountSeed);
        uint96 subscribed = offering.subscriptionOf(a);
        if (subscribed == 0) return;
        try offering.claimShares(a) {
            ghostOfferingShares[a] += subscribed;
            calls["claimOfferingShares"]++;
        } catch {}
    }

    function withdrawProceeds() external {
        uint256 owed = offering.proceedsOwed();
        if (owed == 0 || !consortium.isActiveMember(issuer)) return;
        vm.prank(issuer);
        offering.withdrawProceeds();
        ghostCash[issuer] += owed;
        calls["withdrawProceeds"]++;
    }
}

/// @notice The share, recovery, compliance, delivery-versus-payment and money invariants of {IAssetFractions}
/// under the handler above. A handler call that reverts fails the run: the handler guards every call whose
/// refusal is legitimate (or catches it), so a revert here is a payment, claim or settlement the contract
/// wrongly refused.
/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: ci.invariant.fail-on-revert = true
contract AssetFractionsInvariants is StdInvariant, FractionsFixture {
    AssetFractionsHandler internal handler;
    AssetFractions internal second;
    address internal inv1b;
    address internal inv2b;

    function setUp() public {
        deployFractions();
        inv1b = makeAddr("investor1-spare-key");
        inv2b = makeAddr("investor2-spare-key");
        admitReplacement(inv1, inv1b);
        admitReplacement(inv2, inv2b);

        // the traded asset: room for six holders of at most 450 shares; inv3 leaves its shares unclaimed
        IAssetFractions.Terms memory t = defaultTerms();
        t.assetRef = keccak256("asset:invariants-traded");
        (t.maxHolders, t.maxPerHolder, t.lockUpUntil) = (6, 450, deadline + 1 days);
        asset = issueAsset(t);
        approveAll(asset);
        subscribeAs(inv1, 300);
        subscribeAs(inv2, 250);
        subscribeAs(inv3, 150);
        subscribeAs(inv4, 100);
        settle();
        claimSharesOf(inv1);
        claimSharesOf(inv2);
        claimSharesOf(inv4);
        vm.warp(deadline + 1 days);

        // a second offering, open: 300 to 600 shares at 50 CNY, six subscribers at most
        t = defaultTerms();
        t.assetRef = keccak256("asset:invariants-offering");
        (t.price, t.softCap, t.hardCap, t.maxPerHolder, t.maxHolders) = (5_000, 300, 600, 300, 6);
        (t.lockUpUntil, t.deadline) = (0, uint64(block.timestamp) + 4 days);
        second = issueAsset(t);
        approveAll(second);

        address[] memory members = new address[](10);
        (members[0], members[1], members[2], members[3], members[4]) = (inv1, inv2, inv3, inv4, inv5);
        (members[5], members[6], members[7], members[8], members[9]) = (lowTier, farAway, nonInvestor, inv1b, inv2b);
        for (uint256 i = 8; i < 10; i++) {
            fund(members[i]);
            vm.startPrank(members[i]);
            token.approve(address(asset), type(uint256).max);
            token.approve(address(second), type(uint256).max);
            vm.stopPrank();
        }
        handler = new AssetFractionsHandler(
            asset, second, court, regulator, issuer, members, outsider, [inv1, inv2], [inv1b, inv2b]
        );

        bytes4[] memory selectors = new bytes4[](27);
        selectors[0] = AssetFractionsHandler.transfer.selector;
        selectors[1] = AssetFractionsHandler.transfer.selector; // transfers three times as often
        selectors[2] = AssetFractionsHandler.transfer.selector;
        selectors[3] = AssetFractionsHandler.makeOffer.selector;
        selectors[4] = AssetFractionsHandler.buy.selector;
        selectors[5] = AssetFractionsHandler.buy.selector; // fills twice as often
        selectors[6] = AssetFractionsHandler.cancelOffer.selector;
        selectors[7] = AssetFractionsHandler.setAllowance.selector;
        selectors[8] = AssetFractionsHandler.payIn.selector;
        selectors[9] = AssetFractionsHandler.payIn.selector;
        selectors[10] = AssetFractionsHandler.claim.selector;
        selectors[11] = AssetFractionsHandler.claim.selector;
        selectors[12] = AssetFractionsHandler.claimShares.selector;
        selectors[13] = AssetFractionsHandler.donate.selector;
        selectors[14] = AssetFractionsHandler.toggleFreeze.selector;
        selectors[15] = AssetFractionsHandler.setFrozenShares.selector;
        selectors[16] = AssetFractionsHandler.forcedTransfer.selector;
        selectors[17] = AssetFractionsHandler.recover.selector;
        selectors[18] = AssetFractionsHandler.updateProfile.selector;
        selectors[19] = AssetFractionsHandler.toggleSuspension.selector;
        selectors[20] = AssetFractionsHandler.togglePause.selector;
        selectors[21] = AssetFractionsHandler.warp.selector;
        selectors[22] = AssetFractionsHandler.subscribe.selector;
        selectors[23] = AssetFractionsHandler.settleOffering.selector;
        selectors[24] = AssetFractionsHandler.refund.selector;
        selectors[25] = AssetFractionsHandler.claimOfferingShares.selector;
        selectors[26] = AssetFractionsHandler.withdrawProceeds.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    function _accounts() internal view returns (address[] memory a) {
        uint256 n = handler.accountCount();
        a = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            a[i] = handler.accounts(i);
        }
    }

    /// @notice (1) Σ balances == totalSupply, for both assets: nobody but the tracked accounts ever holds shares.
    function invariant_balancesSumToTotalSupply() public view {
        address[] memory a = _accounts();
        uint256 sum;
        uint256 sumSecond;
        for (uint256 i = 0; i < a.length; i++) {
            sum += asset.balanceOf(a[i]);
            sumSecond += second.balanceOf(a[i]);
        }
        assertEq(sum, asset.totalSupply(), "asset");
        assertEq(sumSecond, second.totalSupply(), "second");
    }

    /// @notice (2) Σ claimable + Σ claimed + dust == totalPaidIn, with 0 <= dust < accounts + 1; every claim paid
    /// what claimable said.
    function invariant_recoveriesAddUpToTheFen() public view {
        address[] memory a = _accounts();
        uint256 claimable;
        uint256 claimedSum;
        for (uint256 i = 0; i < a.length; i++) {
            claimable += asset.claimable(a[i]);
            claimedSum += asset.claimed(a[i]);
            assertEq(asset.claimed(a[i]), handler.ghostClaimed(a[i]), "claimed vs ghost");
        }
        assertEq(claimedSum, asset.totalClaimed(), "totalClaimed");
        uint256 paidIn = asset.totalPaidIn();
        assertLe(claimable + claimedSum, paidIn, "more claimable than paid in");
        uint256 dust = paidIn - claimable - claimedSum;
        assertLt(dust, a.length + 1, "dust");
    }

    /// @notice (3) No movement to or from an ineligible account succeeded (orders: to one), and canTransfer
    /// predicted every outcome.
    function invariant_noMoveWithAnIneligibleSide() public view {
        assertEq(handler.ineligibleMoves(), 0, "ineligible moves");
        assertEq(handler.canTransferMismatches(), 0, "canTransfer mismatches");
    }

    /// @notice (4) Delivery versus payment: every account's shares and rCNY are what the ghost ledger moved, fill by
    /// fill (a fill moved both legs or neither), and an offer shrank by exactly its fills.
    function invariant_dvpMovesBothLegsOrNeither() public view {
        address[] memory a = _accounts();
        for (uint256 i = 0; i < a.length; i++) {
            assertEq(asset.balanceOf(a[i]), handler.ghostShares(a[i]), "shares vs ghost");
            assertEq(second.balanceOf(a[i]), handler.ghostOfferingShares(a[i]), "second shares vs ghost");
            if (handler.isTracked(a[i])) assertEq(token.balanceOf(a[i]), handler.ghostCash(a[i]), "rCNY vs ghost");
        }
        assertEq(token.balanceOf(issuer), handler.ghostCash(issuer), "issuer rCNY vs ghost");
        assertEq(handler.offerMismatches(), 0, "offers");
    }

    /// @notice (5) A refund returns exactly what the subscriber paid; the escrow is the subscriptions at the price.
    function invariant_refundsReturnExactlyWhatWasPaid() public view {
        assertEq(handler.refundMismatches(), 0, "refund mismatches");
        address[] memory a = _accounts();
        uint256 escrow;
        for (uint256 i = 0; i < a.length; i++) {
            uint256 refunded = handler.ghostRefunded(a[i]);
            if (refunded != 0) assertEq(refunded, handler.ghostSubscribed(a[i]), "refund");
            escrow += uint256(second.subscriptionOf(a[i])) * second.terms().price;
        }
        if (second.offering().status != IAssetFractions.OfferingStatus.SUCCEEDED) {
            assertEq(second.subscriptionEscrow(), escrow, "escrow");
        }
    }

    /// @notice (6) Each asset's rCNY covers what it owes: escrow + proceeds + paid in − claimed, exactly that plus
    /// what was sent to it directly.
    function invariant_moneyCoversWhatIsOwed() public view {
        AssetFractions[2] memory assets = [asset, second];
        for (uint256 i = 0; i < 2; i++) {
            AssetFractions x = assets[i];
            uint256 owed = x.subscriptionEscrow() + x.proceedsOwed() + x.totalPaidIn() - x.totalClaimed();
            uint256 balance = token.balanceOf(address(x));
            assertGe(balance, owed, "balance below what is owed");
            assertEq(balance, owed + handler.ghostDonated(address(x)), "balance");
        }
    }

    /// @notice (7) The holder count is the number of accounts holding shares or an unclaimed subscription, and frozen
    /// shares never exceed the holding.
    function invariant_holderCountAndFreezes() public view {
        address[] memory a = _accounts();
        uint32 holders;
        uint32 holdersSecond;
        for (uint256 i = 0; i < a.length; i++) {
            if (asset.balanceOf(a[i]) != 0 || asset.subscriptionOf(a[i]) != 0) holders++;
            if (second.balanceOf(a[i]) != 0 || second.subscriptionOf(a[i]) != 0) holdersSecond++;
            (bool whole, uint96 frozen) = asset.frozenOf(a[i]);
            assertLe(frozen, asset.balanceOf(a[i]), "frozen beyond holding");
            assertEq(whole, handler.ghostWholeFrozen(a[i]), "whole freeze");
        }
        assertEq(asset.holderCount(), holders, "holders");
        assertEq(second.holderCount(), holdersSecond, "second holders");
        assertEq(handler.freezeMismatches(), 0, "freezes");
    }

    function afterInvariant() external view {
        string[22] memory names = [
            "transfer",
            "makeOffer",
            "buy",
            "cancelOffer",
            "setAllowance",
            "payIn",
            "claim",
            "claimShares",
            "donate",
            "toggleFreeze",
            "setFrozenShares",
            "forcedTransfer",
            "recover",
            "updateProfile",
            "toggleSuspension",
            "togglePause",
            "warp",
            "subscribe",
            "settleOffering",
            "refund",
            "claimOfferingShares",
            "withdrawProceeds"
        ];
        for (uint256 i = 0; i < 22; i++) {
            console2.log(string.concat("calls: ", names[i]), handler.calls(names[i]));
        }
        console2.log("ordinary moves", handler.ordinaryMoves());
        console2.log("order moves", handler.orderMoves());
        console2.log("fills", handler.fills());
        console2.log("failed fills", handler.failedFills());
    }
}
