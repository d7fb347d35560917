// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ConsortiumGated} from "../access/ConsortiumGated.sol";
import {IConsortium} from "../interfaces/IConsortium.sol";
import {ISettlementToken} from "../interfaces/ISettlementToken.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title SettlementToken
/// @notice ERC-20 cash token in fen; holders are restricted to active members and system contracts.
contract SettlementToken is ERC20, Pausable, ConsortiumGated, ISettlementToken {
    /// @param consortium_ The consortium contract.
    constructor(IConsortium consortium_) ERC20("Recourse Settlement CNY", "rCNY") ConsortiumGated(consortium_) {}

    // --- external ---

    /// @inheritdoc ISettlementToken
    function mint(address to, uint256 amount, bytes32 referenceDigest) external onlyActiveRole(Roles.SETTLEMENT_BANK) {
        if (amount == 0) revert SettlementTokenZeroAmount();
        _mint(to, amount);
        emit SettlementIssued(to, amount, referenceDigest);
    }

    /// @inheritdoc ISettlementToken
    function burn(uint256 amount, bytes32 referenceDigest) external onlyActiveRole(Roles.SETTLEMENT_BANK) {
        if (amount == 0) revert SettlementTokenZeroAmount();
        _burn(msg.sender, amount);
        emit SettlementRedeemed(msg.sender, amount, referenceDigest);
    }

    /// @inheritdoc ISettlementToken
    function pause() external onlyActiveRole(Roles.REGULATOR) {
        _pause();
    }

    /// @inheritdoc ISettlementToken
    function unpause() external onlyActiveRole(Roles.REGULATOR) {
        _unpause();
    }

    /// @notice Two decimals: one unit is one fen.
    /// @return 2.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    // --- internal ---

    /// @dev The one compliance point: every mint, burn and transfer passes here.
    function _update(address from, address to, uint256 value) internal override whenNotPaused {
        if (from != address(0)) {
            _requireHolder(from);
            // whoever moves tokens (owner or approved spender) must be a holder too
            if (_msgSender() != from) _requireHolder(_msgSender());
        }
        if (to != address(0)) _requireHolder(to);
        super._update(from, to, value);
    }

    function _requireHolder(address account) private view {
        IConsortium consortium_ = _consortium();
        if (!consortium_.isActiveMember(account) && !consortium_.isSystemContract(account)) {
            revert SettlementTokenNotMember(account);
        }
    }
}
