// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice What a {HostileToken} calls on its hooked account after every transfer to it.
interface ITransferHook {
    function onTokenTransfer(address from, uint256 amount) external;
}

/// @notice A test-only ERC-20 with a transfer hook (as ERC-777 / ERC-1363 tokens have): after every transfer to the
/// account set with {setHook} it calls that account back, so a contract paying out in this token can be re-entered
/// from inside its own transfer. SettlementToken has no hooks; this token exists to prove that the withdrawal paths
/// would stay safe if the escrow token had them.
contract HostileToken is ERC20 {
    address public hook;

    constructor() ERC20("Hostile rCNY", "hCNY") {}

    function decimals() public pure override returns (uint8) {
        return 2;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHook(address account) external {
        hook = account;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (to != address(0) && to == hook) ITransferHook(to).onTokenTransfer(from, value);
    }
}
