// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Stands in for a Recourse escrow: a contract that holds settlement tokens once the consortium
/// marks it as a system contract.
contract MockEscrow {
    error MockEscrowTransferFailed();

    IERC20 public immutable token;

    constructor(IERC20 token_) {
        token = token_;
    }

    /// @notice Pulls `amount` from `from` (which must have approved this escrow).
    function pull(address from, uint256 amount) external {
        if (!token.transferFrom(from, address(this), amount)) revert MockEscrowTransferFailed();
    }

    /// @notice Pays `amount` out of the escrow to `to`.
    function pay(address to, uint256 amount) external {
        if (!token.transfer(to, amount)) revert MockEscrowTransferFailed();
    }
}
