// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {CaseDelegation} from "../../cases/CaseDelegation.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {ICaseDelegation} from "../../interfaces/ICaseDelegation.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {Deployers} from "../utils/Deployers.sol";
import {StandardMerkle} from "../utils/StandardMerkle.sol";

/// @notice The case-delegation world: the settlement fixture plus an evidence registry, a CaseDelegation
/// registered as a system contract, two banks with cash, collectors and helpers that build batches of
/// case terms with real `StandardMerkleTree` proofs.
abstract contract CaseFixture is Deployers {
    uint32 internal constant CAP = 3;
    uint128 internal constant BUDGET = 1_000_000; // fen
    uint128 internal constant BANK_CASH = 100_000_000;
    uint32 internal constant CASE_REGION = 310_115; // Pudong, inside REGION (310000, Shanghai)
    uint16 internal constant FEE_BPS = 1_500;
    bytes32 internal constant META = keccak256("batch metadata");
    uint64 internal constant CASE_LIFE = 30 days;

    CaseDelegation internal cd;
    EvidenceRegistry internal registry;
    address internal bank; // = settlementBank (BANK + SETTLEMENT_BANK)
    address internal bank2;
    address internal collector;
    address internal collector2;

    // the current batch
    ICaseDelegation.CaseTerms[] internal terms;
    bytes32[] internal digests;
    uint256 internal batchId;
    bytes32 internal batchRoot;
    uint256 internal docNonce;

    function deployCases() internal {
        deploySettlement();
        registry = new EvidenceRegistry(consortium);
        cd = new CaseDelegation(consortium, token, registry, CAP);
        pass(IConsortium.ProposalKind.SetSystemContract, address(cd), abi.encode(true));
        bank = settlementBank;
        bank2 = bankA;
        collector = makeAddr("collector");
        collector2 = makeAddr("collector2");
        admit(collector, roles(COLLECTOR_ROLE));
        admit(collector2, roles(COLLECTOR_ROLE));
        vm.startPrank(bank);
        token.mint(bank, BANK_CASH, REASON);
        token.mint(bank2, BANK_CASH, REASON);
        token.approve(address(cd), type(uint256).max);
        vm.stopPrank();
        vm.prank(bank2);
        token.approve(address(cd), type(uint256).max);
    }

    // --- case terms and trees ---

    function makeTerms(uint256 i, uint64 deadline) internal pure returns (ICaseDelegation.CaseTerms memory t) {
        t = ICaseDelegation.CaseTerms({
            caseId: keccak256(abi.encode("case", i)),
            debtorCommitment: keccak256(abi.encode("salt", i, "id-number")),
            principal: uint128(100_000 + i),
            overdueAmount: uint128(50_000 + i * 10),
            overdueDays: uint32(90 + i),
            region: CASE_REGION,
            feeBps: FEE_BPS,
            deadline: deadline
        });
    }

    function digestOf(ICaseDelegation.CaseTerms memory t) internal pure returns (bytes32) {
        return keccak256(abi.encode(t));
    }

    /// @notice Builds `n` cases (ids offset by `first`), publishes them as `who`, returns the batch id.
    function publishCases(address who, uint256 first, uint256 n) internal returns (uint256) {
        delete terms;
        delete digests;
        uint64 deadline = uint64(block.timestamp) + CASE_LIFE;
        for (uint256 i = 0; i < n; i++) {
            ICaseDelegation.CaseTerms memory t = makeTerms(first + i, deadline);
            terms.push(t);
            digests.push(digestOf(t));
        }
        (bytes32[] memory tree,) = StandardMerkle.build(digests);
        batchRoot = tree[0];
        vm.prank(who);
        batchId = cd.publishBatch(batchRoot, uint32(n), deadline, BUDGET, META);
        return batchId;
    }

    function proofOf(uint256 i) internal view returns (bytes32[] memory p) {
        (, p) = StandardMerkle.rootAndProof(digests, i);
    }

    function claimAs(address who, uint256 i) internal {
        bytes32[] memory p = proofOf(i);
        vm.prank(who);
        cd.claim(batchId, terms[i], p);
    }

    function offerTo(address who, uint256 i, uint64 window) internal {
        bytes32[] memory p = proofOf(i);
        vm.prank(bank);
        cd.offer(batchId, terms[i], p, who, window);
    }

    /// @notice Anchors a one-document evidence tree; returns (digest, root) with an empty proof.
    function anchorEvidence(address who, string memory doc) internal returns (bytes32 digest, bytes32 root) {
        digest = sha256(bytes(doc));
        root = StandardMerkle.leafHash(digest);
        vm.prank(who);
        registry.anchor(root, 1, META);
    }

    function reportRecoveryAs(address who, uint256 i, uint128 amount) internal {
        (bytes32 digest, bytes32 root) = anchorEvidence(who, string.concat("receipt-", vm.toString(++docNonce)));
        vm.prank(who);
        cd.reportRecovery(terms[i].caseId, amount, digest, root, new bytes32[](0));
    }

    function caseOf(uint256 i) internal view returns (ICaseDelegation.CaseRecord memory) {
        return cd.caseOf(terms[i].caseId);
    }
}
