// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {console2} from "forge-std/console2.sol";
import {DisputeDesk} from "../../disputes/DisputeDesk.sol";
import {ICaseDelegation} from "../../interfaces/ICaseDelegation.sol";
import {IDisputeDesk} from "../../interfaces/IDisputeDesk.sol";
import {SettlementToken} from "../../settlement/SettlementToken.sol";
import {DisputeFixture} from "../disputes/DisputeFixture.sol";

/// @notice Drives DisputeDesk through openings (by the bank or the collector, with and without collateral),
/// mediator claims, agreements, failures, rulings, appeals, rulings on appeal, finalisations, payments, defaults,
/// payee changes, withdrawals and time, over six claimed cases. Every action checks its preconditions against the
/// desk's own views and returns early when they do not hold, so the run fails on any revert: a revert is a call the
/// rules allow and the desk refused.
contract DisputeDeskHandler is Test {
    uint64 internal constant PERIOD = 30 days;
    uint64 internal constant GRACE = 10 days;

    DisputeDesk internal immutable desk;
    SettlementToken internal immutable token;
    ICaseDelegation internal immutable cases;
    address internal immutable bank;
    bytes32[] public caseIds;
    address[] public collectors; // collectors[i] holds caseIds[i]
    address[] public mediators;
    address[] public courts;
    address[] public payers;
    address[] public payees; // everyone who may be owed: the bank and the other payee
    bytes32[] public assets;

    // --- ghosts ---
    uint256 public ghostIn; // instalments paid in
    uint256 public ghostOut; // payments withdrawn
    mapping(string action => uint256) public calls;

    constructor(
        DisputeDesk desk_,
        SettlementToken token_,
        address bank_,
        bytes32[] memory caseIds_,
        address[] memory collectors_,
        address[] memory mediators_,
        address[] memory courts_,
        address[] memory payers_,
        address[] memory payees_
    ) {
        desk = desk_;
        token = token_;
        cases = desk_.cases();
        bank = bank_;
        caseIds = caseIds_;
        collectors = collectors_;
        mediators = mediators_;
        courts = courts_;
        payers = payers_;
        payees = payees_;
        for (uint256 i = 0; i < 4; i++) {
            assets.push(keccak256(abi.encode("asset", i)));
        }
    }

    function caseCount() external view returns (uint256) {
        return caseIds.length;
    }

    function payeeCount() external view returns (uint256) {
        return payees.length;
    }

    // --- helpers ---

    /// @dev The first dispute from a seeded start (wrapping around) whose status is in `mask` (bit i = status i)
    /// and, if `unpaid`, that has an agreement not yet paid in full; id 0 if there is none.
    function _find(uint256 seed, uint256 mask, bool unpaid)
        internal
        view
        returns (uint256, IDisputeDesk.Dispute memory d)
    {
        uint256 count = desk.disputeCount();
        if (count == 0) return (0, d);
        uint256 start = bound(seed, 0, count - 1);
        for (uint256 k = 0; k < count; k++) {
            uint256 id = (start + k) % count + 1;
            d = desk.dispute(id);
            if (mask & (1 << uint8(d.status)) == 0) continue;
            if (unpaid && (d.total == 0 || d.paid == d.total)) continue;
            return (id, d);
        }
        return (0, d);
    }

    function _bit(IDisputeDesk.DisputeStatus s) internal pure returns (uint256) {
        return 1 << uint8(s);
    }

    function _endedWithoutEnforcement(IDisputeDesk.Dispute memory d) internal pure returns (bool) {
        return d.status == IDisputeDesk.DisputeStatus.ABANDONED || d.status == IDisputeDesk.DisputeStatus.HONOURED
            || (d.status == IDisputeDesk.DisputeStatus.FINAL && d.ruling != IDisputeDesk.Ruling.FOR_CLAIMANT);
    }

    // --- actions ---

    function open(uint256 caseSeed, uint256 claimSeed, bool byCollector, uint256 assetSeed) external {
        uint256 k = bound(caseSeed, 0, caseIds.length - 1);
        bytes32 caseId = caseIds[k];
        uint256 latest = desk.disputeOfCase(caseId);
        if (latest != 0 && !_endedWithoutEnforcement(desk.dispute(latest))) return;
        ICaseDelegation.CaseRecord memory r = cases.caseOf(caseId);
        uint128 claimAmount = uint128(bound(claimSeed, 1, r.overdueAmount - r.recovered));
        bytes32[] memory collateral = new bytes32[](0);
        bytes32 asset = assets[bound(assetSeed, 0, assets.length - 1)];
        (bytes32 holder,) = desk.enforcementOf(asset);
        if (holder == bytes32(0) || holder == caseId) {
            collateral = new bytes32[](1);
            collateral[0] = asset;
        }
        vm.prank(byCollector ? collectors[k] : bank);
        desk.open(caseId, claimAmount, new bytes32[](0), collateral);
        calls["open"]++;
    }

    function claim(uint256 idSeed, uint256 mediatorSeed) external {
        (uint256 id,) = _find(idSeed, _bit(IDisputeDesk.DisputeStatus.OPEN), false);
        if (id == 0) return;
        vm.prank(mediators[bound(mediatorSeed, 0, mediators.length - 1)]);
        desk.claim(id);
        calls["claim"]++;
    }

    function agree(uint256 idSeed, uint256 countSeed, uint256 reliefSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(idSeed, _bit(IDisputeDesk.DisputeStatus.MEDIATING), false);
        if (id == 0) return;
        uint256 n = bound(countSeed, 1, 12);
        if (d.claimAmount < n) n = d.claimAmount;
        uint128 relief = uint128(bound(reliefSeed, 0, d.claimAmount - n));
        uint128 total = d.claimAmount - relief;
        IDisputeDesk.Instalment[] memory s = new IDisputeDesk.Instalment[](n);
        uint128 each = total / uint128(n);
        for (uint256 i = 0; i < n; i++) {
            s[i] = IDisputeDesk.Instalment({
                amount: i + 1 == n ? total - each * uint128(n - 1) : each,
                dueAt: uint64(block.timestamp) + uint64(i + 1) * PERIOD
            });
        }
        IDisputeDesk.Agreement memory a = IDisputeDesk.Agreement({
            termsDigest: keccak256("terms"),
            commitmentDigest: keccak256("commitment"),
            planDigest: keccak256("plan"),
            relief: relief,
            grace: GRACE,
            schedule: s
        });
        vm.prank(d.mediator);
        desk.recordAgreement(id, a);
        calls["agree"]++;
    }

    function fail(uint256 idSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(idSeed, _bit(IDisputeDesk.DisputeStatus.MEDIATING), false);
        if (id == 0) return;
        vm.prank(d.mediator);
        desk.recordFailure(id, keccak256("failure"));
        calls["fail"]++;
    }

    function rule(uint256 idSeed, uint256 rulingSeed, uint256 courtSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(
            idSeed,
            _bit(IDisputeDesk.DisputeStatus.AGREED) | _bit(IDisputeDesk.DisputeStatus.FAILED)
                | _bit(IDisputeDesk.DisputeStatus.APPEALED),
            false
        );
        if (id == 0) return;
        IDisputeDesk.DisputeStatus s = d.status;
        bool onAgreement;
        address judge = courts[bound(courtSeed, 0, courts.length - 1)];
        if (s == IDisputeDesk.DisputeStatus.APPEALED) {
            onAgreement = d.total != 0;
            if (judge == d.court) judge = courts[0] == d.court ? courts[1] : courts[0];
        } else if (s == IDisputeDesk.DisputeStatus.AGREED) {
            onAgreement = true;
        }
        IDisputeDesk.Ruling ruling;
        if (onAgreement) {
            ruling = rulingSeed % 2 == 0 ? IDisputeDesk.Ruling.CONFIRMED : IDisputeDesk.Ruling.REFUSED;
        } else {
            uint256 r = rulingSeed % 3;
            ruling = r == 0
                ? IDisputeDesk.Ruling.FOR_CLAIMANT
                : (r == 1 ? IDisputeDesk.Ruling.DISMISSED : IDisputeDesk.Ruling.REFUSED);
        }
        vm.prank(judge);
        desk.rule(id, ruling, keccak256("ruling"));
        calls[s == IDisputeDesk.DisputeStatus.APPEALED ? "ruleOnAppeal" : "rule"]++;
    }

    function appeal(uint256 idSeed, bool byCourt) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(idSeed, _bit(IDisputeDesk.DisputeStatus.RULED), false);
        if (id == 0 || block.timestamp > d.appealDeadline) return;
        vm.prank(byCourt ? courts[0] : d.bank);
        desk.appeal(id, keccak256("appeal"));
        calls["appeal"]++;
    }

    function finalize(uint256 idSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(idSeed, _bit(IDisputeDesk.DisputeStatus.RULED), false);
        if (id == 0 || block.timestamp <= d.appealDeadline) return;
        desk.finalize(id);
        calls["finalize"]++;
    }

    function pay(uint256 idSeed, uint256 amountSeed, uint256 payerSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(
            idSeed,
            _bit(IDisputeDesk.DisputeStatus.AGREED) | _bit(IDisputeDesk.DisputeStatus.RULED)
                | _bit(IDisputeDesk.DisputeStatus.APPEALED) | _bit(IDisputeDesk.DisputeStatus.PERFORMING),
            true
        );
        if (id == 0) return;
        uint128 amount = uint128(bound(amountSeed, 1, d.total - d.paid));
        address who = payers[bound(payerSeed, 0, payers.length - 1)];
        vm.prank(who);
        desk.pay(id, amount);
        ghostIn += amount;
        calls["pay"]++;
    }

    function markDefault(uint256 idSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(idSeed, _bit(IDisputeDesk.DisputeStatus.PERFORMING), false);
        if (id == 0) return;
        IDisputeDesk.Instalment[] memory s = desk.scheduleOf(id);
        uint64 grace = desk.agreementOf(id).grace;
        uint256 due;
        bool late;
        for (uint256 i = 0; i < s.length && uint256(s[i].dueAt) + grace < block.timestamp; i++) {
            due += s[i].amount;
            if (due > d.paid) late = true;
        }
        if (!late) return;
        desk.markDefault(id);
        calls["markDefault"]++;
    }

    function setPayee(uint256 idSeed, uint256 payeeSeed) external {
        uint256 ended = _bit(IDisputeDesk.DisputeStatus.HONOURED) | _bit(IDisputeDesk.DisputeStatus.DEFAULTED)
            | _bit(IDisputeDesk.DisputeStatus.ABANDONED) | _bit(IDisputeDesk.DisputeStatus.FINAL)
            | _bit(IDisputeDesk.DisputeStatus.NONE);
        (uint256 id, IDisputeDesk.Dispute memory d) = _find(idSeed, ~ended, false);
        if (id == 0) return;
        vm.prank(d.bank);
        desk.setPayee(id, payees[bound(payeeSeed, 0, payees.length - 1)]);
        calls["setPayee"]++;
    }

    function abandon(uint256 idSeed) external {
        (uint256 id, IDisputeDesk.Dispute memory d) =
            _find(idSeed, _bit(IDisputeDesk.DisputeStatus.OPEN) | _bit(IDisputeDesk.DisputeStatus.MEDIATING), false);
        if (id == 0) return;
        vm.prank(d.opener);
        desk.abandon(id, keccak256("abandon"));
        calls["abandon"]++;
    }

    function withdraw(uint256 payeeSeed) external {
        address who = payees[bound(payeeSeed, 0, payees.length - 1)];
        uint256 amount = desk.owed(who);
        if (amount == 0) return;
        uint256 before = token.balanceOf(who);
        vm.prank(who);
        desk.withdraw();
        assertEq(token.balanceOf(who), before + amount, "withdrawn amount arrived");
        ghostOut += amount;
        calls["withdraw"]++;
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1, 40 days));
        calls["warp"]++;
    }
}

/// @notice The money and enforceability invariants of {IDisputeDesk} under the handler above.
/// A dispute needs about ten steps from opening to default, so runs are deeper than the default.
/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.depth = 96
/// forge-config: ci.invariant.fail-on-revert = true
/// forge-config: ci.invariant.depth = 128
contract DisputeDeskInvariants is StdInvariant, DisputeFixture {
    DisputeDeskHandler internal handler;

    function setUp() public {
        deployDisputes();
        // six claimed cases: 0-2 held by the collector (0 claimed by the fixture), 3-5 by collector2
        bytes32[] memory ids = new bytes32[](6);
        address[] memory holders = new address[](6);
        for (uint256 i = 0; i < 6; i++) {
            if (i == 4) publishCases(bank, 4, 4); // the fixture's batch holds four cases
            address holder = i < 3 ? collector : collector2;
            uint256 index = i < 4 ? i : i - 4;
            if (i != 0) claimAs(holder, index);
            ids[i] = terms[index].caseId;
            holders[i] = holder;
        }
        address[] memory meds = new address[](2);
        (meds[0], meds[1]) = (mediator, mediator2);
        address[] memory judges = new address[](2);
        (judges[0], judges[1]) = (court, court2);
        address[] memory pay = new address[](2);
        (pay[0], pay[1]) = (payer, bank);
        address[] memory owed = new address[](2);
        (owed[0], owed[1]) = (bank, bank2);
        handler = new DisputeDeskHandler(desk, token, bank, ids, holders, meds, judges, pay, owed);

        bytes4[] memory selectors = new bytes4[](15);
        selectors[0] = DisputeDeskHandler.open.selector;
        selectors[1] = DisputeDeskHandler.claim.selector;
        selectors[2] = DisputeDeskHandler.agree.selector;
        selectors[3] = DisputeDeskHandler.agree.selector; // agreements twice as often as failures
        selectors[4] = DisputeDeskHandler.fail.selector;
        selectors[5] = DisputeDeskHandler.rule.selector;
        selectors[6] = DisputeDeskHandler.appeal.selector;
        selectors[7] = DisputeDeskHandler.finalize.selector;
        selectors[8] = DisputeDeskHandler.pay.selector;
        selectors[9] = DisputeDeskHandler.pay.selector;
        selectors[10] = DisputeDeskHandler.markDefault.selector;
        selectors[11] = DisputeDeskHandler.setPayee.selector;
        selectors[12] = DisputeDeskHandler.abandon.selector;
        selectors[13] = DisputeDeskHandler.withdraw.selector;
        selectors[14] = DisputeDeskHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @notice (1) The desk holds exactly what it owes, and what it owes is the sum of what each payee is owed.
    function invariant_balanceEqualsOwedEqualsSumOfPayees() public view {
        uint256 total = desk.totalOwed();
        assertEq(token.balanceOf(address(desk)), total, "balance vs totalOwed");
        uint256 sum;
        for (uint256 k = 0; k < handler.payeeCount(); k++) {
            sum += desk.owed(handler.payees(k));
        }
        assertEq(sum, total, "sum of owed vs totalOwed");
    }

    /// @notice (2) Everything paid in was either withdrawn or is still owed.
    function invariant_paidInEqualsWithdrawnPlusOwed() public view {
        assertEq(handler.ghostIn(), handler.ghostOut() + desk.totalOwed());
    }

    /// @notice (3) No dispute is paid more than its agreement's total (nothing is paid without an agreement).
    function invariant_paidNeverExceedsTotal() public view {
        uint256 count = desk.disputeCount();
        for (uint256 id = 1; id <= count; id++) {
            IDisputeDesk.Dispute memory d = desk.dispute(id);
            assertLe(d.paid, d.total, "paid <= total");
        }
    }

    /// @notice (4) A case is enforceable exactly when one of its disputes is final FOR_CLAIMANT or defaulted, and
    /// such a dispute stays the case's latest (no dispute can be opened after it).
    function invariant_enforceableOnlyByFinalJudgmentOrDefault() public view {
        uint256 count = desk.disputeCount();
        for (uint256 k = 0; k < handler.caseCount(); k++) {
            bytes32 caseId = handler.caseIds(k);
            bool found;
            for (uint256 id = 1; id <= count; id++) {
                IDisputeDesk.Dispute memory d = desk.dispute(id);
                if (d.caseId != caseId) continue;
                if (
                    (d.status == IDisputeDesk.DisputeStatus.FINAL && d.ruling == IDisputeDesk.Ruling.FOR_CLAIMANT)
                        || d.status == IDisputeDesk.DisputeStatus.DEFAULTED
                ) {
                    found = true;
                    assertEq(desk.disputeOfCase(caseId), id, "enforcing dispute is the latest");
                }
            }
            assertEq(desk.isEnforceable(caseId), found, "enforceable iff final judgment or default");
        }
    }

    /// @notice The handler reaches every path (a run's random sequence reaches them only sometimes): a confirmation
    /// that defaults, an appealed dismissal reversed on appeal, a payee change, an abandonment and a withdrawal.
    function test_handler_reachesEveryAction() public {
        handler.open(0, 10_000, false, 0);
        handler.claim(0, 0);
        handler.agree(0, 3, 0);
        handler.rule(0, 0, 0); // CONFIRMED
        handler.warp(16 days);
        handler.finalize(0); // PERFORMING
        handler.pay(0, 1, 0);
        handler.warp(40 days);
        handler.warp(40 days);
        handler.markDefault(0); // DEFAULTED
        handler.open(1, 10_000, true, 1);
        handler.claim(0, 1);
        handler.fail(0);
        handler.rule(0, 1, 0); // DISMISSED by the first court
        handler.appeal(0, false);
        handler.rule(0, 0, 0); // FOR_CLAIMANT by the other court, final
        handler.open(2, 10_000, false, 2);
        handler.setPayee(0, 1);
        handler.abandon(0);
        handler.withdraw(0);
        string[12] memory names = [
            "open",
            "claim",
            "agree",
            "fail",
            "rule",
            "ruleOnAppeal",
            "appeal",
            "finalize",
            "pay",
            "markDefault",
            "setPayee",
            "abandon"
        ];
        for (uint256 i = 0; i < names.length; i++) {
            assertGt(handler.calls(names[i]), 0, names[i]);
        }
        assertEq(handler.calls("withdraw"), 1, "withdraw");
        assertEq(uint8(desk.dispute(1).status), uint8(IDisputeDesk.DisputeStatus.DEFAULTED));
        assertEq(uint8(desk.dispute(2).status), uint8(IDisputeDesk.DisputeStatus.FINAL));
        assertEq(uint8(desk.dispute(3).status), uint8(IDisputeDesk.DisputeStatus.ABANDONED));
        invariant_balanceEqualsOwedEqualsSumOfPayees();
        invariant_paidInEqualsWithdrawnPlusOwed();
        invariant_enforceableOnlyByFinalJudgmentOrDefault();
    }

    function afterInvariant() external view {
        string[14] memory names = [
            "open",
            "claim",
            "agree",
            "fail",
            "rule",
            "ruleOnAppeal",
            "appeal",
            "finalize",
            "pay",
            "markDefault",
            "setPayee",
            "abandon",
            "withdraw",
            "warp"
        ];
        for (uint256 i = 0; i < 14; i++) {
            console2.log(string.concat("calls: ", names[i]), handler.calls(names[i]));
        }
        console2.log("disputes", desk.disputeCount());
    }
}
