// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IAssetFractions} from "../interfaces/IAssetFractions.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";
import {IFractionsFactory} from "../interfaces/IFractionsFactory.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Roles} from "../libraries/Roles.sol";
import {AssetFractions} from "./AssetFractions.sol";

/// @title FractionsFactory
/// @notice Deploys and records one AssetFractions token per asset (see {IFractionsFactory}).
/// @dev Must be a consortium system contract (SetSystemContract proposal) to enrol the tokens it deploys.
contract FractionsFactory is ConsortiumGated, IFractionsFactory {
    // --- storage ---
    ISettlementToken private immutable _token;
    IEvidenceRegistry private immutable _evidence;
    address[] private _assets;
    mapping(address asset => bool) private _isAsset;
    mapping(bytes32 assetRef => address asset) private _byRef;

    /// @param consortium_ The consortium.
    /// @param token_ The settlement token the assets are paid in.
    /// @param evidence_ The evidence registry (an asset's documents must be anchored there).
    constructor(IConsortium consortium_, ISettlementToken token_, IEvidenceRegistry evidence_)
        ConsortiumGated(consortium_)
    {
        if (address(token_) == address(0) || address(evidence_) == address(0)) {
            revert IAssetFractions.FractionsZeroAmount();
        }
        _token = token_;
        _evidence = evidence_;
    }

    /// @inheritdoc IFractionsFactory
    function issue(IAssetFractions.Terms calldata terms, string calldata name, string calldata symbol)
        external
        onlyActiveRole(Roles.BANK)
        returns (address asset)
    {
        address existing = _byRef[terms.assetRef];
        if (existing != address(0)) revert FractionsAlreadyIssued(terms.assetRef, existing);
        if (!_evidence.isAnchored(terms.documentsRoot)) revert FractionsDocumentsNotAnchored(terms.documentsRoot);
        IConsortium c = _consortium();
        asset = address(new AssetFractions(c, _token, msg.sender, terms, name, symbol));
        uint256 index = _assets.length;
        _assets.push(asset);
        _isAsset[asset] = true;
        _byRef[terms.assetRef] = asset;
        emit FractionsIssued(asset, msg.sender, terms.assetRef, index);
        c.enrolSystemContract(asset);
    }

    /// @inheritdoc IFractionsFactory
    function assetCount() external view returns (uint256) {
        return _assets.length;
    }

    /// @inheritdoc IFractionsFactory
    function assetAt(uint256 index) external view returns (address) {
        return _assets[index];
    }

    /// @inheritdoc IFractionsFactory
    function assetOf(bytes32 assetRef) external view returns (address) {
        return _byRef[assetRef];
    }

    /// @inheritdoc IFractionsFactory
    function isAsset(address asset) external view returns (bool) {
        return _isAsset[asset];
    }
}
