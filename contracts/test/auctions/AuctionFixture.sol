// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {JudicialAuction} from "../../auctions/JudicialAuction.sol";
import {CaseDelegation} from "../../cases/CaseDelegation.sol";
import {DisputeDesk} from "../../disputes/DisputeDesk.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IJudicialAuction} from "../../interfaces/IJudicialAuction.sol";
import {FeedId, IOracleHub, SubjectId} from "../../interfaces/IOracleHub.sol";
import {OracleHub} from "../../oracles/OracleHub.sol";
import {OracleFixture} from "../utils/OracleFixture.sol";
import {StandardMerkle} from "../utils/StandardMerkle.sol";

/// @notice The judicial-auction world: the settlement fixture (consortium, token, settlement bank), an OracleHub
/// with admitted oracles and a fresh valuation of SUBJECT, an evidence registry with the lot's document anchored,
/// a DisputeDesk on its own CaseDelegation (no dispute, so no asset is registered collateral), a JudicialAuction
/// registered as a consortium system contract, a seller bank, two courts, a court treasury (the forfeiture
/// account) and four investors with cash (three at the lot's KYC tier, one a tier below).
abstract contract AuctionFixture is OracleFixture {
    // --- lot parameters (fen and seconds) ---
    uint96 internal constant APPRAISAL = 100_000_000; // 1,000,000.00 CNY
    uint96 internal constant MIN_START = 70_000_000; // 70 % of APPRAISAL
    uint96 internal constant START_PRICE = 80_000_000;
    uint96 internal constant DEPOSIT = 8_000_000; // 10 % of START_PRICE
    uint96 internal constant INCREMENT = 100_000;
    uint64 internal constant ANNOUNCEMENT = 7 days;
    uint64 internal constant WINDOW = 24 hours;
    uint64 internal constant PAYMENT_WINDOW = 10 days;
    uint8 internal constant LOT_KYC = KYC_TIER; // what {Deployers-admitData} gives every member
    uint64 internal constant MAX_AGE = 30 days;
    uint64 internal constant APPEAL_WINDOW = 15 days;
    uint64 internal constant EXTENSION = 5 minutes;
    uint64 internal constant RELIST_WINDOW = 30 days;
    uint128 internal constant INVESTOR_CASH = 1_000_000_000;
    bytes32 internal constant ASSET = SubjectId.unwrap(SUBJECT);
    bytes32 internal constant RULING = keccak256("ruling: sale confirmed");
    bytes32 internal constant TRANSFER = keccak256("asset-transfer record");
    bytes32 internal constant ORDER = keccak256("court order");

    JudicialAuction internal auction;
    CaseDelegation internal caseDelegation;
    DisputeDesk internal desk; // no dispute is opened here: no asset is registered collateral
    EvidenceRegistry internal registry;
    address internal seller; // = settlementBank (BANK + SETTLEMENT_BANK)
    address internal court;
    address internal court2;
    address internal treasury; // the court's forfeiture account
    address internal inv1;
    address internal inv2;
    address internal inv3;
    address internal lowTier; // INVESTOR with KYC tier LOT_KYC - 1
    bytes32 internal docRoot;
    uint64 internal reportedAt;

    // --- fixture builders ---

    /// @notice Deploys the whole auction world (see the contract's notice).
    function deployAuction() internal {
        deploySettlement();
        hub = new OracleHub(consortium, REPORT_THRESHOLD);
        (oracles, oracleKeys) = makeSigners("oracle", ORACLE_COUNT);
        for (uint256 i = 0; i < ORACLE_COUNT; i++) {
            admit(oracles[i], roles(ORACLE_ROLE));
        }
        registry = new EvidenceRegistry(consortium);
        caseDelegation = new CaseDelegation(consortium, token, registry, 3);
        desk = new DisputeDesk(consortium, token, registry, caseDelegation, APPEAL_WINDOW);
        auction = new JudicialAuction(consortium, token, registry, hub, desk, MAX_AGE);
        pass(IConsortium.ProposalKind.SetSystemContract, address(auction), abi.encode(true));

        seller = settlementBank;
        court = makeAddr("court");
        court2 = makeAddr("court2");
        treasury = makeAddr("treasury");
        inv1 = makeAddr("investor1");
        inv2 = makeAddr("investor2");
        inv3 = makeAddr("investor3");
        lowTier = makeAddr("lowTierInvestor");
        admit(court, roles(COURT_ROLE));
        admit(court2, roles(COURT_ROLE));
        admit(treasury, roles(COURT_ROLE));
        admitInvestor(inv1, LOT_KYC);
        admitInvestor(inv2, LOT_KYC);
        admitInvestor(inv3, LOT_KYC);
        admitInvestor(lowTier, LOT_KYC - 1);
        fund(inv1);
        fund(inv2);
        fund(inv3);
        fund(lowTier);
        fund(investorB); // a plain INVESTOR of the settlement fixture, unfunded until now

        vm.warp(block.timestamp + 1 hours);
        submitAppraisal(int256(uint256(APPRAISAL)));
        docRoot = anchorDoc(seller, "title deed SH-2024-0042");
    }

    function admitInvestor(address who, uint8 kycTier) internal {
        pass(
            IConsortium.ProposalKind.Admit,
            who,
            abi.encode(nameDigest(who), roles(INVESTOR_ROLE), REGION, uint64(0), kycTier)
        );
    }

    /// @notice Mints INVESTOR_CASH to `who` and approves the auction for all of it.
    function fund(address who) internal {
        vm.prank(settlementBank);
        token.mint(who, INVESTOR_CASH, REASON);
        vm.prank(who);
        token.approve(address(auction), type(uint256).max);
    }

    /// @notice A 3-of-4 oracle valuation of SUBJECT on FEED, observed now.
    function submitAppraisal(int256 value) internal {
        reportedAt = uint64(block.timestamp);
        IOracleHub.Report memory r = valuation(value, reportedAt);
        hub.submit(r, signByFirst(r, REPORT_THRESHOLD));
    }

    /// @notice Anchors a one-document evidence tree as `who`; returns its root.
    function anchorDoc(address who, string memory doc) internal returns (bytes32 root) {
        root = StandardMerkle.leafHash(sha256(bytes(doc)));
        vm.prank(who);
        registry.anchor(root, 1, keccak256("auction documents"));
    }

    // --- listings ---

    function docs() internal view returns (bytes32[] memory d) {
        d = new bytes32[](1);
        d[0] = docRoot;
    }

    function listing(uint96 startPrice, uint96 deposit) internal view returns (IJudicialAuction.Listing memory) {
        return IJudicialAuction.Listing({
            assetRef: ASSET,
            documents: docs(),
            appraisalFeed: FEED,
            startPrice: startPrice,
            deposit: deposit,
            increment: INCREMENT,
            announcement: ANNOUNCEMENT,
            biddingWindow: WINDOW,
            paymentWindow: PAYMENT_WINDOW,
            kycTier: LOT_KYC
        });
    }

    function defaultListing() internal view returns (IJudicialAuction.Listing memory) {
        return listing(START_PRICE, DEPOSIT);
    }

    function listAs(address who, IJudicialAuction.Listing memory l) internal returns (uint256 lotId) {
        vm.prank(who);
        lotId = auction.list(l);
    }

    /// @notice Lists the default lot as the seller.
    function listLot() internal returns (uint256) {
        return listAs(seller, defaultListing());
    }

    function approveLot(uint256 lotId) internal {
        vm.prank(court);
        auction.approve(lotId, treasury);
    }

    /// @notice Lists, approves and warps to the opening of bidding; returns the lot.
    function openLot() internal returns (uint256 lotId) {
        lotId = listLot();
        approveLot(lotId);
        vm.warp(auction.lot(lotId).startsAt);
    }

    // --- bidders ---

    function lockAs(address who, uint256 lotId) internal returns (uint32 code) {
        vm.prank(who);
        code = auction.lockDeposit(lotId);
    }

    function bidAs(address who, uint256 lotId, uint96 amount) internal {
        vm.prank(who);
        auction.bid(lotId, amount);
    }

    function endsAt(uint256 lotId) internal view returns (uint64) {
        return auction.lot(lotId).endsAt;
    }

    function statusOf(uint256 lotId) internal view returns (IJudicialAuction.LotStatus) {
        return auction.lot(lotId).status;
    }

    /// @notice Warps to the lot's end and closes it.
    function closeLot(uint256 lotId) internal {
        vm.warp(endsAt(lotId));
        auction.close(lotId);
    }

    /// @notice An open lot where inv1 and inv2 locked deposits and inv2 holds the highest bid (START + INCREMENT),
    /// closed: inv2 owes the balance.
    function wonLot() internal returns (uint256 lotId) {
        lotId = openLot();
        lockAs(inv1, lotId);
        lockAs(inv2, lotId);
        bidAs(inv1, lotId, START_PRICE);
        bidAs(inv2, lotId, START_PRICE + INCREMENT);
        closeLot(lotId);
    }

    /// @notice An open lot closed without a bid (inv3 locked a deposit and did not bid).
    function failedLot() internal returns (uint256 lotId) {
        lotId = openLot();
        lockAs(inv3, lotId);
        closeLot(lotId);
    }

    /// @notice Relists `lotId` as the seller at `startPrice` with a 10 % deposit and the default terms.
    function relistAt(uint256 lotId, uint96 startPrice) internal returns (uint256 newLotId) {
        vm.prank(seller);
        newLotId = auction.relist(lotId, startPrice, startPrice / 10, INCREMENT, ANNOUNCEMENT, WINDOW, PAYMENT_WINDOW);
    }

    /// @notice A second failure: the default lot fails, is relisted at 80 % and fails again; returns the second.
    function twiceFailedLot() internal returns (uint256 second) {
        uint256 first = failedLot();
        second = relistAt(first, START_PRICE * 8 / 10);
        approveLot(second);
        vm.warp(auction.lot(second).startsAt);
        closeLot(second);
    }

    function payee(address account, uint96 amount) internal pure returns (IJudicialAuction.Payee memory) {
        return IJudicialAuction.Payee({account: account, amount: amount});
    }

    /// @notice The escrow equation of {IJudicialAuction}.
    function assertEscrowBalanced() internal view {
        assertEq(
            token.balanceOf(address(auction)),
            auction.totalDeposits() + auction.totalPaid() + auction.totalOwed(),
            "escrow balance"
        );
    }

    /// @dev Keeps FeedId imported for tests that build listings by hand.
    function noFeed() internal pure returns (FeedId) {
        return FeedId.wrap(bytes32(0));
    }
}
