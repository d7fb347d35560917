// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAssetFractions} from "../interfaces/IAssetFractions.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {AssetFractions} from "./AssetFractions.sol";

/// @title FractionsDeployer
/// @notice Holds AssetFractions' creation code for the FractionsFactory, which creates it in its constructor and
/// is the only account it deploys for.
/// @dev The token's creation code alone is close to the 24,576-byte code limit (EIP-170); embedded in the factory
/// it left no room, so it lives here and the factory stays small.
contract FractionsDeployer {
    /// @notice The caller is not the factory that created this deployer.
    /// @param caller The caller.
    error FractionsDeployerUnauthorized(address caller);

    // --- storage ---
    address private immutable _factory;

    constructor() {
        _factory = msg.sender;
    }

    /// @notice Deploy an AssetFractions token for the factory.
    /// @param consortium The consortium.
    /// @param token The settlement token.
    /// @param issuer The issuing BANK.
    /// @param terms The asset's terms.
    /// @param name Token name.
    /// @param symbol Token symbol.
    /// @return The new token.
    function deploy(
        IConsortium consortium,
        ISettlementToken token,
        address issuer,
        IAssetFractions.Terms calldata terms,
        string calldata name,
        string calldata symbol
    ) external returns (address) {
        if (msg.sender != _factory) revert FractionsDeployerUnauthorized(msg.sender);
        return address(new AssetFractions(consortium, token, _factory, issuer, terms, name, symbol));
    }
}
