// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title IEvidenceRegistry
/// @notice Anchors the Merkle root of a batch of document digests, once and for ever, so that anyone can
/// later check a document against the chain without trusting the gateway that submitted it. Trees follow
/// OpenZeppelin's `StandardMerkleTree` (its JS merkle-tree library) with leaf encoding `["bytes32"]`:
/// leaf = `keccak256(bytes.concat(keccak256(abi.encode(digest))))`, pairs hashed in ascending order.
/// @dev No personal data and no documents: only digests (the root, and a digest of the batch metadata such
/// as the case reference and URI scheme version) go on chain. A caller that is not an active BANK, COLLECTOR or
/// COURT is refused with {IConsortiumGated-ConsortiumGatedUnauthorized} and the role `EVIDENCE_ANCHORER_ROLE`.
interface IEvidenceRegistry is IConsortiumGated {
    /// @notice What the registry keeps for an anchored root.
    /// @param submitter The member that anchored it (zero for a root that was never anchored).
    /// @param blockNumber Block in which it was anchored.
    /// @param leafCount Number of leaves (document digests) in the tree.
    /// @param blockTime Block time at which it was anchored.
    /// @param metaDigest Digest of the batch metadata kept off chain.
    struct Anchor {
        address submitter;
        uint64 blockNumber;
        uint32 leafCount;
        uint64 blockTime;
        bytes32 metaDigest;
    }

    // --- errors ---
    /// @notice The zero root is not a Merkle root of any batch.
    error EvidenceRegistryZeroRoot();
    /// @notice A batch must have at least one leaf.
    /// @param root The root that was submitted with a zero leaf count.
    error EvidenceRegistryZeroLeafCount(bytes32 root);
    /// @notice The root is already anchored; an anchor is never overwritten.
    /// @param root The root.
    /// @param submitter Who anchored it first.
    /// @param blockNumber The block in which it was first anchored.
    error EvidenceRegistryAlreadyAnchored(bytes32 root, address submitter, uint64 blockNumber);

    // --- events ---
    /// @notice A batch root was anchored (the block number is the log's own).
    /// @param root The Merkle root.
    /// @param submitter The member that anchored it.
    /// @param leafCount Number of document digests in the tree.
    /// @param metaDigest Digest of the batch metadata kept off chain.
    /// @param blockTime Block time of the anchor.
    event EvidenceAnchored(
        bytes32 indexed root, address indexed submitter, uint32 leafCount, bytes32 metaDigest, uint64 blockTime
    );

    // --- writes ---
    /// @notice Anchor a batch root. Only active members holding BANK, COLLECTOR or COURT; a root is
    /// anchored at most once and never overwritten.
    /// @param root The `StandardMerkleTree` root of the batch.
    /// @param leafCount Number of leaves in the tree (at least one).
    /// @param metaDigest Digest of the batch metadata kept off chain (may be zero).
    function anchor(bytes32 root, uint32 leafCount, bytes32 metaDigest) external;

    // --- views ---
    /// @notice Whether document digest `leaf` is in the anchored tree with root `root`.
    /// @dev The leaf is hashed as `StandardMerkleTree` does for `["bytes32"]`, so proofs made by
    /// OpenZeppelin's JS merkle-tree library (`tree.getProof`) verify here unchanged.
    /// @param root The anchored root.
    /// @param leaf The document digest (the tree's value, not its leaf hash).
    /// @param proof Sibling hashes from the leaf up to the root.
    /// @return False for a root that is not anchored, otherwise whether the proof is valid.
    function verify(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (bool);
    /// @notice The anchor record of `root`.
    /// @param root The root.
    /// @return The record; every field is zero if the root was never anchored.
    function anchorOf(bytes32 root) external view returns (Anchor memory);
    /// @notice Whether `root` has been anchored.
    /// @param root The root.
    /// @return Whether it is anchored.
    function isAnchored(bytes32 root) external view returns (bool);
}
