// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IConsortiumGated} from "../interfaces/IConsortiumGated.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title ConsortiumGated
/// @notice The one access-control base of Recourse contracts: role checks ask the consortium, and governed
/// settings accept only calls from the consortium itself.
/// @dev `onlyConsortium` is the AccessManager / TimelockController pattern: the consortium runs the k-of-n
/// approval (propose, approve, execute before the deadline) and then calls the setting, so a contract keeps no
/// proposals of its own and no single governor can change a governed setting.
abstract contract ConsortiumGated is IConsortiumGated {
    // --- storage ---
    IConsortium private immutable _consortiumContract;

    // --- modifiers ---

    /// @dev The caller must be an active member holding `role` now.
    modifier onlyActiveRole(bytes32 role) {
        _checkActiveRole(role);
        _;
    }

    /// @dev The caller must be the consortium, executing a `Call` proposal its governors approved.
    modifier onlyConsortium() {
        _checkConsortium();
        _;
    }

    /// @param consortium_ The consortium contract.
    constructor(IConsortium consortium_) {
        _consortiumContract = consortium_;
    }

    // --- external: views ---

    /// @inheritdoc IConsortiumGated
    function consortium() external view returns (IConsortium) {
        return _consortiumContract;
    }

    // --- internal ---

    function _consortium() internal view returns (IConsortium) {
        return _consortiumContract;
    }

    /// @dev Whether `account` is an active member holding `role` now.
    function _hasActiveRole(address account, bytes32 role) internal view returns (bool) {
        return _consortiumContract.hasActiveRole(account, role);
    }

    /// @dev Reverts unless the caller is an active member holding `role` now (for checks that must come after
    /// a function's own, cheaper ones).
    function _checkActiveRole(bytes32 role) internal view {
        if (!_consortiumContract.hasActiveRole(msg.sender, role)) revert ConsortiumGatedUnauthorized(msg.sender, role);
    }

    function _checkConsortium() private view {
        if (msg.sender != address(_consortiumContract)) {
            revert ConsortiumGatedUnauthorized(msg.sender, Roles.GOVERNANCE);
        }
    }
}
