// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {EvidenceRegistry} from "../../evidence/EvidenceRegistry.sol";
import {IConsortium} from "../../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../../interfaces/IConsortiumGated.sol";
import {IEvidenceRegistry} from "../../interfaces/IEvidenceRegistry.sol";
import {Deployers} from "../utils/Deployers.sol";
import {StandardMerkle} from "../utils/StandardMerkle.sol";

contract EvidenceRegistryTest is Deployers {
    bytes32 internal constant META = keccak256("batch-metadata: case CR-2024-0042, uri scheme v1");
    uint64 internal constant START_BLOCK = 1_000;

    EvidenceRegistry internal registry;
    address internal bank;
    address internal collector;
    address internal court;
    address internal investor;
    address internal oracle;
    address internal mediator;
    address internal auditor;
    address internal regulator_;
    address internal settlementOnly;
    address internal investorCourt;

    function setUp() public {
        deployConsortium();
        vm.roll(START_BLOCK);
        registry = new EvidenceRegistry(consortium);
        bank = makeAddr("bank");
        collector = makeAddr("collector");
        court = makeAddr("court");
        investor = makeAddr("investor");
        oracle = makeAddr("oracle");
        mediator = makeAddr("mediator");
        auditor = makeAddr("auditor");
        regulator_ = makeAddr("regulator");
        settlementOnly = makeAddr("settlementOnly");
        investorCourt = makeAddr("investorCourt");
        admit(bank, roles(BANK_ROLE));
        admit(collector, roles(COLLECTOR_ROLE));
        admit(court, roles(COURT_ROLE));
        admit(investor, roles(INVESTOR_ROLE));
        admit(oracle, roles(ORACLE_ROLE));
        admit(mediator, roles(MEDIATOR_ROLE));
        admit(auditor, roles(AUDITOR_ROLE));
        admit(regulator_, roles(REGULATOR_ROLE));
        admit(settlementOnly, roles(SETTLEMENT_BANK_ROLE));
        admit(investorCourt, roles(INVESTOR_ROLE, COURT_ROLE));
    }

    // --- helpers ---

    /// @dev SHA-256 of a document's bytes: what the gateway puts in the tree.
    function docDigest(uint256 i) internal pure returns (bytes32) {
        return sha256(bytes(string.concat("document-", vm.toString(i))));
    }

    function docDigests(uint256 n) internal pure returns (bytes32[] memory values) {
        values = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            values[i] = docDigest(i);
        }
    }

    /// @dev Anchors without asserting events (fixture helper; the anchor tests assert them).
    function anchorAs(address who, bytes32 root, uint32 leafCount) internal {
        vm.prank(who);
        registry.anchor(root, leafCount, META);
    }

    function expectUnauthorized(address who) internal {
        bytes32 root = keccak256(abi.encode("root-by", who));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGated.ConsortiumGatedUnauthorized.selector, who, EVIDENCE_ANCHORER_ROLE)
        );
        vm.prank(who);
        registry.anchor(root, 3, META);
        assertFalse(registry.isAnchored(root));
    }

    function assertAnchor(bytes32 root, address submitter, uint64 blockNumber, uint32 leafCount, uint64 blockTime)
        internal
        view
    {
        IEvidenceRegistry.Anchor memory a = registry.anchorOf(root);
        assertEq(a.submitter, submitter);
        assertEq(a.blockNumber, blockNumber);
        assertEq(a.leafCount, leafCount);
        assertEq(a.blockTime, blockTime);
        assertEq(a.metaDigest, META);
        assertTrue(registry.isAnchored(root));
    }

    // =====================================================================
    // constructor and views
    // =====================================================================

    function test_constructor_setsConsortium() public view {
        assertEq(address(registry.consortium()), address(consortium));
    }

    function test_anchorOf_isZeroForUnknownRoot() public view {
        IEvidenceRegistry.Anchor memory a = registry.anchorOf(keccak256("never anchored"));
        assertEq(a.submitter, address(0));
        assertEq(a.blockNumber, 0);
        assertEq(a.leafCount, 0);
        assertEq(a.blockTime, 0);
        assertEq(a.metaDigest, bytes32(0));
        assertFalse(registry.isAnchored(keccak256("never anchored")));
    }

    // =====================================================================
    // anchor: who may anchor
    // =====================================================================

    function test_anchor_byBankStoresRecordAndEmits() public {
        bytes32 root = keccak256("bank batch");
        vm.warp(START_TIME + 1 days);
        vm.roll(START_BLOCK + 7);

        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(root, bank, 1_000, META, START_TIME + 1 days);
        vm.prank(bank);
        registry.anchor(root, 1_000, META);

        assertAnchor(root, bank, START_BLOCK + 7, 1_000, START_TIME + 1 days);
    }

    function test_anchor_byCollector() public {
        bytes32 root = keccak256("collector batch");
        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(root, collector, 12, META, START_TIME);
        vm.prank(collector);
        registry.anchor(root, 12, META);
        assertAnchor(root, collector, START_BLOCK, 12, START_TIME);
    }

    function test_anchor_byCourt() public {
        bytes32 root = keccak256("court batch");
        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(root, court, 1, META, START_TIME);
        vm.prank(court);
        registry.anchor(root, 1, META);
        assertAnchor(root, court, START_BLOCK, 1, START_TIME);
    }

    function test_anchor_byMemberHoldingCourtAmongOtherRoles() public {
        bytes32 root = keccak256("investor-court batch");
        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(root, investorCourt, 2, META, START_TIME);
        vm.prank(investorCourt);
        registry.anchor(root, 2, META);
        assertAnchor(root, investorCourt, START_BLOCK, 2, START_TIME);
    }

    function test_anchor_acceptsZeroMetaDigestAndMaximumLeafCount() public {
        bytes32 root = keccak256("huge batch");
        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(root, bank, type(uint32).max, bytes32(0), START_TIME);
        vm.prank(bank);
        registry.anchor(root, type(uint32).max, bytes32(0));
        assertEq(registry.anchorOf(root).leafCount, type(uint32).max);
        assertEq(registry.anchorOf(root).metaDigest, bytes32(0));
    }

    function test_anchor_revertsForInvestor() public {
        expectUnauthorized(investor);
    }

    function test_anchor_revertsForOracle() public {
        expectUnauthorized(oracle);
    }

    function test_anchor_revertsForMediator() public {
        expectUnauthorized(mediator);
    }

    function test_anchor_revertsForAuditor() public {
        expectUnauthorized(auditor);
    }

    function test_anchor_revertsForRegulator() public {
        expectUnauthorized(regulator_);
    }

    function test_anchor_revertsForSettlementBankWithoutBankRole() public {
        expectUnauthorized(settlementOnly);
    }

    function test_anchor_revertsForNonMember() public {
        expectUnauthorized(outsider);
    }

    function test_anchor_revertsForGovernorWhoIsNotMember() public {
        expectUnauthorized(govs[0]);
    }

    function test_anchor_revertsForSuspendedBank() public {
        suspend(bank);
        expectUnauthorized(bank);
    }

    function test_anchor_revertsForSuspendedCourt() public {
        suspend(court);
        expectUnauthorized(court);
    }

    function test_anchor_revertsForCollectorWithExpiredLicence() public {
        updateLicence(collector, uint64(block.timestamp));
        vm.warp(block.timestamp + 1);
        expectUnauthorized(collector);
    }

    function test_anchor_revertsAfterRoleRevoked() public {
        pass(IConsortium.ProposalKind.RevokeRole, investorCourt, abi.encode(COURT_ROLE));
        expectUnauthorized(investorCourt);
    }

    function test_anchor_succeedsAgainAfterReinstatement() public {
        suspend(bank);
        expectUnauthorized(bank);
        reinstate(bank);
        bytes32 root = keccak256("after reinstatement");
        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(root, bank, 4, META, START_TIME);
        vm.prank(bank);
        registry.anchor(root, 4, META);
        assertAnchor(root, bank, START_BLOCK, 4, START_TIME);
    }

    /// Exactly BANK, COLLECTOR and COURT may anchor; every other single role is refused.
    function test_fuzz_anchor_onlyBankCollectorOrCourt(uint256 roleSeed, bytes32 root) public {
        uint256 held = bound(roleSeed, 0, 8);
        vm.assume(root != bytes32(0));
        bytes32[9] memory all = [
            BANK_ROLE,
            COLLECTOR_ROLE,
            MEDIATOR_ROLE,
            COURT_ROLE,
            INVESTOR_ROLE,
            AUDITOR_ROLE,
            ORACLE_ROLE,
            REGULATOR_ROLE,
            SETTLEMENT_BANK_ROLE
        ];
        address member = makeAddr("fuzzed member");
        admit(member, roles(all[held]));
        bool allowed = all[held] == BANK_ROLE || all[held] == COLLECTOR_ROLE || all[held] == COURT_ROLE;

        if (allowed) {
            vm.expectEmit(address(registry));
            emit IEvidenceRegistry.EvidenceAnchored(root, member, 9, META, START_TIME);
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IConsortiumGated.ConsortiumGatedUnauthorized.selector, member, EVIDENCE_ANCHORER_ROLE
                )
            );
        }
        vm.prank(member);
        registry.anchor(root, 9, META);
        assertEq(registry.isAnchored(root), allowed);
    }

    // =====================================================================
    // anchor: what may be anchored
    // =====================================================================

    function test_anchor_revertsOnZeroRoot() public {
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryZeroRoot.selector));
        vm.prank(bank);
        registry.anchor(bytes32(0), 5, META);
        assertFalse(registry.isAnchored(bytes32(0)));
    }

    function test_anchor_revertsOnZeroLeafCount() public {
        bytes32 root = keccak256("empty batch");
        vm.expectRevert(abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryZeroLeafCount.selector, root));
        vm.prank(court);
        registry.anchor(root, 0, META);
        assertFalse(registry.isAnchored(root));
    }

    /// The role check comes first: an outsider learns nothing about the root it sent.
    function test_anchor_checksRoleBeforeArguments() public {
        bytes32 root = keccak256("anchored");
        anchorAs(bank, root, 3);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, outsider, EVIDENCE_ANCHORER_ROLE
            )
        );
        vm.prank(outsider);
        registry.anchor(root, 3, META);
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGated.ConsortiumGatedUnauthorized.selector, investor, EVIDENCE_ANCHORER_ROLE
            )
        );
        vm.prank(investor);
        registry.anchor(bytes32(0), 0, META);
    }

    function test_anchor_revertsOnReanchorBySameSubmitter() public {
        bytes32 root = keccak256("batch");
        anchorAs(bank, root, 3);
        vm.roll(START_BLOCK + 50);
        vm.warp(START_TIME + 1 hours);

        vm.recordLogs();
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryAlreadyAnchored.selector, root, bank, START_BLOCK)
        );
        vm.prank(bank);
        registry.anchor(root, 3, META);
        assertEq(vm.getRecordedLogs().length, 0);
        assertAnchor(root, bank, START_BLOCK, 3, START_TIME);
    }

    /// Another member cannot overwrite the record, not even with a different count or metadata.
    function test_anchor_revertsOnOverwriteByOtherMember() public {
        bytes32 root = keccak256("batch");
        anchorAs(collector, root, 3);
        vm.roll(START_BLOCK + 1);

        vm.expectRevert(
            abi.encodeWithSelector(
                IEvidenceRegistry.EvidenceRegistryAlreadyAnchored.selector, root, collector, START_BLOCK
            )
        );
        vm.prank(court);
        registry.anchor(root, 99, keccak256("other metadata"));
        assertAnchor(root, collector, START_BLOCK, 3, START_TIME);
    }

    function test_anchor_keepsRecordWhenSubmitterIsLaterSuspended() public {
        bytes32 root = keccak256("batch");
        anchorAs(bank, root, 3);
        suspend(bank);
        assertAnchor(root, bank, START_BLOCK, 3, START_TIME);
        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryAlreadyAnchored.selector, root, bank, START_BLOCK)
        );
        vm.prank(court);
        registry.anchor(root, 3, META);
    }

    function test_anchor_storesEachRootSeparately() public {
        bytes32 first = keccak256("first");
        bytes32 second = keccak256("second");
        anchorAs(bank, first, 10);
        vm.roll(START_BLOCK + 1);
        vm.warp(START_TIME + 12);
        vm.expectEmit(address(registry));
        emit IEvidenceRegistry.EvidenceAnchored(second, bank, 20, META, START_TIME + 12);
        vm.prank(bank);
        registry.anchor(second, 20, META);

        assertAnchor(first, bank, START_BLOCK, 10, START_TIME);
        assertAnchor(second, bank, START_BLOCK + 1, 20, START_TIME + 12);
    }

    function test_fuzz_anchor_neverOverwrites(bytes32 root, uint32 count, uint32 secondCount, bytes32 meta) public {
        vm.assume(root != bytes32(0));
        count = uint32(bound(count, 1, type(uint32).max));
        secondCount = uint32(bound(secondCount, 1, type(uint32).max));
        anchorAs(court, root, count);
        vm.roll(START_BLOCK + 3);

        vm.expectRevert(
            abi.encodeWithSelector(IEvidenceRegistry.EvidenceRegistryAlreadyAnchored.selector, root, court, START_BLOCK)
        );
        vm.prank(bank);
        registry.anchor(root, secondCount, meta);
        assertAnchor(root, court, START_BLOCK, count, START_TIME);
    }

    // =====================================================================
    // verify
    // =====================================================================

    /// Every leaf of trees of 1, 2, 3, 5, 8 and 13 documents verifies against the anchored root.
    function test_verify_everyLeafOfSmallTrees() public {
        uint8[6] memory sizes = [1, 2, 3, 5, 8, 13];
        for (uint256 s = 0; s < sizes.length; s++) {
            bytes32[] memory values = docDigests(sizes[s]);
            (bytes32[] memory tree, uint256[] memory treeIndex) = StandardMerkle.build(values);
            anchorAs(bank, tree[0], sizes[s]);
            for (uint256 i = 0; i < values.length; i++) {
                bytes32[] memory proof = StandardMerkle.proof(tree, treeIndex[i]);
                assertTrue(registry.verify(tree[0], values[i], proof));
            }
        }
    }

    function test_verify_singleLeafTreeHasEmptyProof() public {
        bytes32 value = docDigest(7);
        bytes32 root = StandardMerkle.leafHash(value);
        anchorAs(court, root, 1);
        assertTrue(registry.verify(root, value, new bytes32[](0)));
        assertFalse(registry.verify(root, docDigest(8), new bytes32[](0)));
    }

    function test_verify_falseForUnanchoredRootEvenWithValidProof() public view {
        bytes32[] memory values = docDigests(5);
        (bytes32 root, bytes32[] memory proof) = StandardMerkle.rootAndProof(values, 2);
        assertFalse(registry.verify(root, values[2], proof));
        assertFalse(registry.verify(bytes32(0), values[2], proof));
    }

    function test_verify_falseForTamperedLeaf() public {
        bytes32[] memory values = docDigests(5);
        (bytes32 root, bytes32[] memory proof) = StandardMerkle.rootAndProof(values, 2);
        anchorAs(bank, root, 5);
        assertTrue(registry.verify(root, values[2], proof));
        assertFalse(registry.verify(root, values[2] ^ bytes32(uint256(1)), proof));
        assertFalse(registry.verify(root, values[3], proof));
    }

    function test_verify_falseForTamperedProof() public {
        bytes32[] memory values = docDigests(8);
        (bytes32 root, bytes32[] memory proof) = StandardMerkle.rootAndProof(values, 5);
        anchorAs(bank, root, 8);
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 saved = proof[i];
            proof[i] = saved ^ bytes32(uint256(1) << 255);
            assertFalse(registry.verify(root, values[5], proof));
            proof[i] = saved;
        }
        assertTrue(registry.verify(root, values[5], proof));
    }

    function test_verify_falseForTruncatedOrExtendedProof() public {
        bytes32[] memory values = docDigests(8);
        (bytes32 root, bytes32[] memory proof) = StandardMerkle.rootAndProof(values, 1);
        anchorAs(bank, root, 8);
        bytes32[] memory shorter = new bytes32[](proof.length - 1);
        bytes32[] memory longer = new bytes32[](proof.length + 1);
        for (uint256 i = 0; i < proof.length; i++) {
            if (i < shorter.length) shorter[i] = proof[i];
            longer[i] = proof[i];
        }
        longer[proof.length] = keccak256("extra");
        assertFalse(registry.verify(root, values[1], shorter));
        assertFalse(registry.verify(root, values[1], longer));
        assertFalse(registry.verify(root, values[1], new bytes32[](0)));
    }

    /// A proof is bound to its own root: valid proofs of one anchored batch fail against another.
    function test_verify_falseForProofOfAnotherAnchoredRoot() public {
        bytes32[] memory a = docDigests(4);
        bytes32[] memory b = docDigests(6);
        (bytes32 rootA, bytes32[] memory proofA) = StandardMerkle.rootAndProof(a, 1);
        (bytes32 rootB, bytes32[] memory proofB) = StandardMerkle.rootAndProof(b, 1);
        anchorAs(bank, rootA, 4);
        anchorAs(collector, rootB, 6);
        // document 1 is in both batches, with a proof for each
        assertTrue(registry.verify(rootA, a[1], proofA));
        assertTrue(registry.verify(rootB, b[1], proofB));
        assertFalse(registry.verify(rootA, a[1], proofB));
        assertFalse(registry.verify(rootB, b[1], proofA));
        // document 5 is only in batch B
        (, bytes32[] memory proof5) = StandardMerkle.rootAndProof(b, 5);
        assertTrue(registry.verify(rootB, b[5], proof5));
        assertFalse(registry.verify(rootA, b[5], proof5));
    }

    /// The contract hashes the value itself: passing a leaf hash or an inner node as the "document" fails.
    function test_verify_falseForLeafHashOrInnerNodeInsteadOfValue() public {
        bytes32[] memory values = docDigests(4);
        (bytes32[] memory tree, uint256[] memory treeIndex) = StandardMerkle.build(values);
        anchorAs(bank, tree[0], 4);
        bytes32[] memory proof = StandardMerkle.proof(tree, treeIndex[0]);
        assertTrue(registry.verify(tree[0], values[0], proof));
        assertFalse(registry.verify(tree[0], tree[treeIndex[0]], proof));
        // second preimage: node 1 with the proof of node 1 (its sibling, node 2) would pass an unhashed check
        bytes32[] memory innerProof = StandardMerkle.proof(tree, 1);
        assertEq(StandardMerkle.nodeHash(tree[1], innerProof[0]), tree[0]);
        assertFalse(registry.verify(tree[0], tree[1], innerProof));
    }

    /// Fixed vectors made by OpenZeppelin's JS library (npm merkle-tree 1.0.8,
    /// `StandardMerkleTree.of(values.map(v => [v]), ["bytes32"])`, values = sha256("document-0".."document-4")).
    function test_verify_proofsFromOpenZeppelinJsLibrary() public {
        bytes32 root = 0x17d49255fc04cfb75c6f07642a342e5789289cf06ce983a499af89d49daae36d;
        bytes32[] memory values = docDigests(5);
        assertEq(values[0], 0x19af7c216ad6f2eb7a9cebba898204c921937b4d6ed5dde822e3e8b384cb692f);
        bytes32[][] memory proofs = new bytes32[][](5);
        proofs[0] = new bytes32[](3);
        proofs[0][0] = 0x774c6086346d362613f945790f423a8327b0ed311d01dd20e4abc67366c523a3;
        proofs[0][1] = 0xfe948f991aa548b00dcdab0559c85d65c9250ba0f50d2952ac710ed3a8fee71a;
        proofs[0][2] = 0x50cbc376a7d33e3eddf8e03467dacc8f5a1332354717aeffa0fd866d4906359e;
        proofs[1] = new bytes32[](2);
        proofs[1][0] = 0x8d78fb02848af7ba14376e614b3400cad80ffeed359465923ebda2afc82649f9;
        proofs[1][1] = 0x50cbc376a7d33e3eddf8e03467dacc8f5a1332354717aeffa0fd866d4906359e;
        proofs[2] = new bytes32[](3);
        proofs[2][0] = 0x3365b7d13cabf5a62c44ae254573a44d7c728b29c9deabf48f6afa65e26a04b8;
        proofs[2][1] = 0xfe948f991aa548b00dcdab0559c85d65c9250ba0f50d2952ac710ed3a8fee71a;
        proofs[2][2] = 0x50cbc376a7d33e3eddf8e03467dacc8f5a1332354717aeffa0fd866d4906359e;
        proofs[3] = new bytes32[](2);
        proofs[3][0] = 0x9ce0de6725c22c8b7a864b87226f01c5c47ba22c234ede3cae8b8c4950a2a03f;
        proofs[3][1] = 0x0f9c54ce09b8ca42cf9cfd19d625ceb94fff2e02fe555765188f404a21991cf5;
        proofs[4] = new bytes32[](2);
        proofs[4][0] = 0xe604efa81131d02e9565efc978a731c43f7e0d4178aa08ed6f54adfbda8e656d;
        proofs[4][1] = 0x0f9c54ce09b8ca42cf9cfd19d625ceb94fff2e02fe555765188f404a21991cf5;

        assertFalse(registry.verify(root, values[0], proofs[0]));
        anchorAs(court, root, 5);
        for (uint256 i = 0; i < 5; i++) {
            assertTrue(registry.verify(root, values[i], proofs[i]));
            assertFalse(registry.verify(root, values[(i + 1) % 5], proofs[i]));
        }
        // the test helper agrees with the JS library, root and proofs
        (bytes32[] memory tree, uint256[] memory treeIndex) = StandardMerkle.build(values);
        assertEq(tree[0], root);
        assertEq(treeIndex[0], 8);
        assertEq(StandardMerkle.proof(tree, treeIndex[2]), proofs[2]);
    }

    function test_fuzz_verify_everyLeafVerifiesAndOutsiderDoesNot(uint256 n, uint256 pick, bytes32 other) public {
        n = bound(n, 1, 24);
        pick = bound(pick, 0, n - 1);
        bytes32[] memory values = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            values[i] = keccak256(abi.encode(other, i));
        }
        vm.assume(other != values[pick]);
        (bytes32 root, bytes32[] memory proof) = StandardMerkle.rootAndProof(values, pick);
        anchorAs(collector, root, uint32(n));
        assertTrue(registry.verify(root, values[pick], proof));
        assertFalse(registry.verify(root, other, proof));
    }

    // =====================================================================
    // gas (receipt-level figures are measured on anvil in tests/chain/test_evidence_registry.py)
    // =====================================================================

    function measureVerify(uint256 depth) internal returns (uint256 used) {
        bytes32 value = docDigest(depth);
        (bytes32 root, bytes32[] memory proof) = StandardMerkle.syntheticProof(value, depth, keccak256("seed"));
        anchorAs(bank, root, uint32(1) << uint32(depth));
        uint256 before = gasleft();
        bool ok = registry.verify(root, value, proof);
        used = before - gasleft();
        assertTrue(ok);
    }

    /// A 1,000-leaf tree has proofs of 9 or 10 siblings; a 100,000-leaf tree 16 or 17.
    function test_gas_verifyAtOneThousandAndOneHundredThousandLeaves() public {
        uint256 thousand = measureVerify(10);
        uint256 hundredThousand = measureVerify(17);
        emit log_named_uint("verify gas, 1,000 leaves (proof of 10)", thousand);
        emit log_named_uint("verify gas, 100,000 leaves (proof of 17)", hundredThousand);
        assertLt(thousand, 10_000);
        assertLt(hundredThousand, 14_000);
        assertGt(hundredThousand, thousand);
    }

    function test_gas_anchor() public {
        bytes32 root = keccak256("gas batch");
        vm.prank(court);
        uint256 before = gasleft();
        registry.anchor(root, 1_000, META);
        uint256 used = before - gasleft();
        emit log_named_uint("anchor gas (execution, COURT: three role checks)", used);
        assertTrue(registry.isAnchored(root));
        assertLt(used, 100_000);
    }

    function test_verify_emitsNothing() public {
        bytes32 value = docDigest(1);
        bytes32 root = StandardMerkle.leafHash(value);
        anchorAs(bank, root, 1);
        vm.recordLogs();
        assertTrue(registry.verify(root, value, new bytes32[](0)));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 0);
    }
}
