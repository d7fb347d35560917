// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title EvidenceRegistry
/// @notice Write-once anchors of evidence batch roots, and `StandardMerkleTree` proof checks against them.
/// @dev Not `Pausable`: anchoring moves no value, a misbehaving member is stopped by suspending it in the
/// consortium (immediate, k-of-n), and a global pause would let whoever holds it stop every party from
/// anchoring before a procedural deadline. `verify` is a view and must keep answering in any incident.
contract EvidenceRegistry is ConsortiumGated, IEvidenceRegistry {
    // --- storage ---
    mapping(bytes32 root => Anchor) private _anchors;

    // --- modifiers ---

    /// @dev Any one of three roles may anchor: the one check the base's single-role `onlyActiveRole` cannot
    /// express. It refuses with the base's error all the same.
    modifier onlyAnchorer() {
        if (
            !_hasActiveRole(msg.sender, Roles.BANK) && !_hasActiveRole(msg.sender, Roles.COLLECTOR)
                && !_hasActiveRole(msg.sender, Roles.COURT)
        ) {
            revert ConsortiumGatedUnauthorized(msg.sender, Roles.EVIDENCE_ANCHORER);
        }
        _;
    }

    /// @param consortium_ The consortium contract.
    constructor(IConsortium consortium_) ConsortiumGated(consortium_) {}

    // --- external ---

    /// @inheritdoc IEvidenceRegistry
    function anchor(bytes32 root, uint32 leafCount, bytes32 metaDigest) external onlyAnchorer {
        if (root == bytes32(0)) revert EvidenceRegistryZeroRoot();
        if (leafCount == 0) revert EvidenceRegistryZeroLeafCount(root);
        Anchor storage existing = _anchors[root];
        if (existing.submitter != address(0)) {
            revert EvidenceRegistryAlreadyAnchored(root, existing.submitter, existing.blockNumber);
        }
        // block numbers and times fit in 64 bits for far longer than any chain will run
        uint64 blockTime = uint64(block.timestamp);
        _anchors[root] = Anchor({
            submitter: msg.sender,
            blockNumber: uint64(block.number),
            leafCount: leafCount,
            blockTime: blockTime,
            metaDigest: metaDigest
        });
        emit EvidenceAnchored(root, msg.sender, leafCount, metaDigest, blockTime);
    }

    // --- external: views ---

    /// @inheritdoc IEvidenceRegistry
    function verify(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        if (_anchors[root].submitter == address(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, _leafHash(leaf));
    }

    /// @inheritdoc IEvidenceRegistry
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @inheritdoc IEvidenceRegistry
    function isAnchored(bytes32 root) external view returns (bool) {
        return _anchors[root].submitter != address(0);
    }

    // --- internal ---

    /// @dev `StandardMerkleTree` leaf for `["bytes32"]`: hashed twice, so no 64-byte internal node can pass
    /// for a leaf (second-preimage resistance).
    function _leafHash(bytes32 value) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(value))));
    }
}
