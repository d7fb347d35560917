// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StdInvariant} from "forge-std/StdInvariant.sol";
import {Test} from "forge-std/Test.sol";
import {CaseDelegation} from "../../cases/CaseDelegation.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {ICaseDelegation} from "../../interfaces/ICaseDelegation.sol";
import {SettlementToken} from "../../settlement/SettlementToken.sol";
import {CaseFixture} from "../cases/CaseFixture.sol";
import {StandardMerkle} from "../utils/StandardMerkle.sol";

/// @notice Drives CaseDelegation through publications, top-ups, claims, offers, recoveries (confirmed,
/// closed or rejected), returns, recalls, fee withdrawals and settlements by two banks and three
/// collectors. A handler call that reverts is rolled back with its ghost updates, so the ghosts count only
/// what really happened.
contract CaseDelegationHandler is Test {
    uint256 internal constant CASES = 4;

    CaseDelegation internal immutable cd;
    SettlementToken internal immutable token;
    EvidenceRegistry internal immutable registry;
    address[] internal banks;
    address[] public collectors;

    ICaseDelegation.CaseTerms[] internal allTerms;
    mapping(uint256 termsIndex => bytes32[]) internal proofs;
    mapping(uint256 termsIndex => uint256) internal batchOf;
    uint256 internal nonce;

    uint256 public ghostEscrowedIn;
    uint256 public ghostFeesWithdrawn;
    uint256 public ghostRefunded;

    constructor(
        CaseDelegation cd_,
        SettlementToken token_,
        EvidenceRegistry registry_,
        address[] memory banks_,
        address[] memory collectors_
    ) {
        cd = cd_;
        token = token_;
        registry = registry_;
        banks = banks_;
        collectors = collectors_;
    }

    function collectorCount() external view returns (uint256) {
        return collectors.length;
    }

    function _bank(uint256 seed) internal view returns (address) {
        return banks[seed % banks.length];
    }

    function _collector(uint256 seed) internal view returns (address) {
        return collectors[seed % collectors.length];
    }

    function _case(uint256 seed) internal view returns (uint256) {
        return bound(seed, 0, allTerms.length - 1);
    }

    // --- actions ---

    function publish(uint256 bankSeed, uint128 budget, uint16 feeBps, uint128 overdue) external {
        address bank = _bank(bankSeed);
        budget = uint128(bound(budget, 1, 200_000));
        feeBps = uint16(bound(feeBps, 0, 10_000));
        overdue = uint128(bound(overdue, 1, 1_000_000));
        uint64 deadline = uint64(block.timestamp) + 7 days;
        bytes32[] memory values = new bytes32[](CASES);
        uint256 first = allTerms.length;
        for (uint256 i = 0; i < CASES; i++) {
            ICaseDelegation.CaseTerms memory t = ICaseDelegation.CaseTerms({
                caseId: keccak256(abi.encode("inv-case", ++nonce)),
                debtorCommitment: keccak256(abi.encode("inv-debtor", nonce)),
                principal: overdue * 2,
                overdueAmount: overdue + uint128(i),
                overdueDays: 120,
                region: 310_115,
                feeBps: feeBps,
                deadline: deadline
            });
            allTerms.push(t);
            values[i] = keccak256(abi.encode(t));
        }
        (bytes32[] memory tree, uint256[] memory idx) = StandardMerkle.build(values);
        vm.prank(bank);
        uint256 id = cd.publishBatch(tree[0], uint32(CASES), deadline, budget, bytes32(0));
        for (uint256 i = 0; i < CASES; i++) {
            proofs[first + i] = StandardMerkle.proof(tree, idx[i]);
            batchOf[first + i] = id;
        }
        ghostEscrowedIn += budget;
    }

    function topUp(uint256 caseSeed, uint128 amount) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        amount = uint128(bound(amount, 1, 100_000));
        ICaseDelegation.Batch memory b = cd.batch(batchOf[i]);
        vm.prank(b.bank);
        cd.topUpBudget(batchOf[i], amount);
        ghostEscrowedIn += amount;
    }

    function claim(uint256 caseSeed, uint256 collectorSeed) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        vm.prank(_collector(collectorSeed));
        cd.claim(batchOf[i], allTerms[i], proofs[i]);
    }

    function offerAndAnswer(uint256 caseSeed, uint256 collectorSeed, bool acceptIt) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        address c = _collector(collectorSeed);
        vm.prank(cd.batch(batchOf[i]).bank);
        cd.offer(batchOf[i], allTerms[i], proofs[i], c, 1 hours);
        vm.prank(c);
        if (acceptIt) cd.accept(allTerms[i].caseId);
        else cd.decline(allTerms[i].caseId);
    }

    function report(uint256 caseSeed, uint128 amount) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        ICaseDelegation.CaseRecord memory r = cd.caseOf(allTerms[i].caseId);
        amount = uint128(bound(amount, 1, 1_000_000));
        bytes32 digest = keccak256(abi.encode("evidence", ++nonce));
        bytes32 root = StandardMerkle.leafHash(digest);
        vm.prank(r.collector);
        registry.anchor(root, 1, bytes32(0));
        vm.prank(r.collector);
        cd.reportRecovery(allTerms[i].caseId, amount, digest, root, new bytes32[](0));
    }

    function answer(uint256 caseSeed, uint8 how) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        bytes32 id = allTerms[i].caseId;
        vm.prank(cd.batch(batchOf[i]).bank);
        if (how % 3 == 0) cd.confirmRecovery(id, false);
        else if (how % 3 == 1) cd.confirmRecovery(id, true);
        else cd.rejectRecovery(id, 1);
    }

    function returnOrRecall(uint256 caseSeed, bool recallIt) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        if (recallIt) {
            vm.prank(cd.batch(batchOf[i]).bank);
            cd.recall(allTerms[i].caseId);
        } else {
            cd.returnCase(allTerms[i].caseId);
        }
    }

    function recallFromPool(uint256 caseSeed) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        vm.prank(cd.batch(batchOf[i]).bank);
        cd.recallFromPool(batchOf[i], allTerms[i], proofs[i]);
    }

    function withdrawFees(uint256 collectorSeed) external {
        address c = _collector(collectorSeed);
        uint256 owed = cd.feesOwed(c);
        vm.prank(c);
        cd.withdrawFees();
        ghostFeesWithdrawn += owed;
    }

    function settle(uint256 caseSeed) external {
        if (allTerms.length == 0) return;
        uint256 i = _case(caseSeed);
        ICaseDelegation.Batch memory b = cd.batch(batchOf[i]);
        vm.prank(b.bank);
        cd.withdrawUnspent(batchOf[i]);
        ghostRefunded += b.remainingBudget;
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + bound(secondsAhead, 1, 3 days));
    }
}

contract CaseDelegationInvariants is StdInvariant, CaseFixture {
    CaseDelegationHandler internal handler;

    function setUp() public {
        deployCases();
        address collector3 = makeAddr("collector3");
        admit(collector3, roles(COLLECTOR_ROLE));
        address[] memory banks = new address[](2);
        banks[0] = bank;
        banks[1] = bank2;
        address[] memory cs = new address[](3);
        cs[0] = collector;
        cs[1] = collector2;
        cs[2] = collector3;
        handler = new CaseDelegationHandler(cd, token, registry, banks, cs);
        targetContract(address(handler));
    }

    /// @notice escrow balance = budgets escrowed − fees withdrawn − unspent refunds
    /// = Σ remaining budgets + Σ fees owed (budget − fees paid − fees owed, per batch).
    function invariant_feeConservation() public view {
        uint256 balance = token.balanceOf(address(cd));
        assertEq(balance, handler.ghostEscrowedIn() - handler.ghostFeesWithdrawn() - handler.ghostRefunded());
        uint256 remaining;
        uint256 open;
        for (uint256 id = 1; id <= cd.batchCount(); id++) {
            ICaseDelegation.Batch memory b = cd.batch(id);
            remaining += b.remainingBudget;
            open += b.openCases;
        }
        uint256 owed;
        uint256 openByCollector;
        for (uint256 k = 0; k < handler.collectorCount(); k++) {
            owed += cd.feesOwed(handler.collectors(k));
            openByCollector += cd.openCasesOf(handler.collectors(k));
        }
        assertEq(owed, cd.totalFeesOwed());
        assertEq(balance, remaining + owed);
        assertEq(open, openByCollector);
    }

    /// @notice No collector ever holds more open cases than the cap.
    function invariant_capacityRespected() public view {
        for (uint256 k = 0; k < handler.collectorCount(); k++) {
            assertLe(cd.openCasesOf(handler.collectors(k)), cd.maxOpenCases());
        }
    }
}
