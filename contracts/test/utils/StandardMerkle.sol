// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice Test-only reimplementation of OpenZeppelin's `StandardMerkleTree` (its JS merkle-tree library)
/// for leaf encoding `["bytes32"]`, so forge tests can build real trees and proofs: leaves are
/// `keccak256(keccak256(abi.encode(value)))`, sorted by hash and laid out at the end of a flat array in
/// reverse order; node `i` has children `2i+1` and `2i+2`; pairs are hashed in ascending order.
/// @dev Quadratic sort: meant for the few dozen leaves of a unit test. Fixed vectors made by the JS library
/// itself (see EvidenceRegistry.t.sol) check that this helper agrees with it.
library StandardMerkle {
    error StandardMerkleNoLeaves();

    function leafHash(bytes32 value) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(value))));
    }

    function nodeHash(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @notice Builds the flat tree of `values` and, for each value (in input order), its index in the tree.
    function build(bytes32[] memory values) internal pure returns (bytes32[] memory tree, uint256[] memory treeIndex) {
        uint256 n = values.length;
        if (n == 0) revert StandardMerkleNoLeaves();
        // stable insertion sort of value indexes by leaf hash (as the JS library's stable sort)
        uint256[] memory order = new uint256[](n);
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            hashes[i] = leafHash(values[i]);
            uint256 j = i;
            while (j > 0 && hashes[order[j - 1]] > hashes[i]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        tree = new bytes32[](2 * n - 1);
        treeIndex = new uint256[](n);
        for (uint256 k = 0; k < n; k++) {
            uint256 at = tree.length - 1 - k;
            tree[at] = hashes[order[k]];
            treeIndex[order[k]] = at;
        }
        for (uint256 i = tree.length - n; i > 0; i--) {
            tree[i - 1] = nodeHash(tree[2 * i - 1], tree[2 * i]);
        }
    }

    /// @notice The proof (siblings from the leaf upwards) of the node at `index`.
    function proof(bytes32[] memory tree, uint256 index) internal pure returns (bytes32[] memory p) {
        uint256 depth = 0;
        for (uint256 i = index; i > 0; i = (i - 1) / 2) {
            depth++;
        }
        p = new bytes32[](depth);
        for (uint256 d = 0; d < depth; d++) {
            p[d] = tree[index % 2 == 1 ? index + 1 : index - 1];
            index = (index - 1) / 2;
        }
    }

    /// @notice Root and proof of `value` in the tree of `values`.
    function rootAndProof(bytes32[] memory values, uint256 valueIndex)
        internal
        pure
        returns (bytes32 root, bytes32[] memory p)
    {
        (bytes32[] memory tree, uint256[] memory treeIndex) = build(values);
        return (tree[0], proof(tree, treeIndex[valueIndex]));
    }

    /// @notice A root and a proof of length `depth` for `value` with pseudo-random siblings: what a leaf at
    /// that depth of a large tree looks like to a verifier (its cost depends only on the proof length).
    function syntheticProof(bytes32 value, uint256 depth, bytes32 seed)
        internal
        pure
        returns (bytes32 root, bytes32[] memory p)
    {
        p = new bytes32[](depth);
        root = leafHash(value);
        for (uint256 d = 0; d < depth; d++) {
            p[d] = keccak256(abi.encode(seed, d));
            root = nodeHash(root, p[d]);
        }
    }
}
