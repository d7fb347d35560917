// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IAssetFractions} from "../interfaces/IAssetFractions.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "../interfaces/IEvidenceRegistry.sol";
import {IFractionsFactory} from "../interfaces/IFractionsFactory.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Roles} from "../libraries/Roles.sol";
import {FractionsDeployer} from "./FractionsDeployer.sol";

/// @title FractionsFactory
/// @notice Deploys and records one AssetFractions token per asset (see {IFractionsFactory}).
/// @dev Must be a consortium system contract (SetSystemContract proposal) to enrol the tokens it deploys. The
/// tokens are created by a FractionsDeployer this factory creates in its constructor (the token's creation code
/// does not fit in the factory's).
contract FractionsFactory is ConsortiumGated, IFractionsFactory {
    /// @notice The most allowed regions of an asset.
    uint256 public constant MAX_REGIONS = 8;

    // --- storage ---
    ISettlementToken private immutable _token;
    IEvidenceRegistry private immutable _evidence;
    FractionsDeployer private immutable _deployer;
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
        _deployer = new FractionsDeployer();
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
        _checkTerms(terms);
        IConsortium c = _consortium();
        asset = _deployer.deploy(c, _token, msg.sender, terms, name, symbol);
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

    // --- internal ---

    function _checkTerms(IAssetFractions.Terms calldata t) private view {
        if (t.assetRef == bytes32(0)) revert IAssetFractions.FractionsInvalidTerms(8);
        if (t.price == 0) revert IAssetFractions.FractionsInvalidTerms(1);
        if (t.minSubscription == 0) revert IAssetFractions.FractionsInvalidTerms(2);
        if (t.hardCap == 0 || t.hardCap > type(uint80).max) revert IAssetFractions.FractionsInvalidTerms(4);
        if (t.softCap < t.minSubscription || t.softCap > t.hardCap) revert IAssetFractions.FractionsInvalidTerms(3);
        if (t.deadline <= block.timestamp) revert IAssetFractions.FractionsInvalidTerms(5);
        uint256 count = t.regions.length;
        if (count > MAX_REGIONS) revert IAssetFractions.FractionsInvalidTerms(6);
        for (uint256 i; i < count; ++i) {
            if (t.regions[i] == 0) revert IAssetFractions.FractionsInvalidTerms(6);
        }
        if (t.maxPerHolder != 0 && t.maxPerHolder < t.minSubscription) revert IAssetFractions.FractionsInvalidTerms(7);
    }
}
