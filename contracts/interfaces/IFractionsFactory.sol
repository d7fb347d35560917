// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAssetFractions} from "./IAssetFractions.sol";
import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title IFractionsFactory
/// @notice Deploys one {IAssetFractions} token per asset and records every issue, so that auditors and gateways
/// find every asset token from this contract's events alone. The factory is a consortium system contract (its
/// code approved by the governors) and enrols each token it deploys as one, so the token can hold the
/// SettlementToken escrow of its offering and its recoveries.
interface IFractionsFactory is IConsortiumGated {
    // --- errors ---
    /// @notice The asset reference already has a token.
    /// @param assetRef The asset reference.
    /// @param asset Its token.
    error FractionsAlreadyIssued(bytes32 assetRef, address asset);
    /// @notice The documents root is not anchored in the EvidenceRegistry.
    /// @param root The root.
    error FractionsDocumentsNotAnchored(bytes32 root);

    // --- events ---
    /// @notice A BANK issued a new asset token.
    /// @param asset The token.
    /// @param issuer The issuing BANK.
    /// @param assetRef Digest of the asset reference.
    /// @param index The token's position in {assetAt} (0-based).
    event FractionsIssued(address indexed asset, address indexed issuer, bytes32 indexed assetRef, uint256 index);

    /// @notice Issue a token for an asset. Only an active BANK; the documents root must be anchored; the terms
    /// are checked by the token (see {IAssetFractions-Terms}).
    /// @param terms The asset's terms.
    /// @param name The token name (no personal data).
    /// @param symbol The token symbol.
    /// @return asset The new token.
    function issue(IAssetFractions.Terms calldata terms, string calldata name, string calldata symbol)
        external
        returns (address asset);

    /// @notice Number of tokens issued.
    /// @return The count.
    function assetCount() external view returns (uint256);
    /// @notice The `index`-th token issued.
    /// @param index 0-based position.
    /// @return The token.
    function assetAt(uint256 index) external view returns (address);
    /// @notice The token of an asset reference.
    /// @param assetRef The asset reference.
    /// @return The token (zero if none).
    function assetOf(bytes32 assetRef) external view returns (address);
    /// @notice Whether `asset` was deployed by this factory.
    /// @param asset The account.
    /// @return Whether it is one of its tokens.
    function isAsset(address asset) external view returns (bool);
}
