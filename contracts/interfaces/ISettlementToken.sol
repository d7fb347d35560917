// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IConsortiumGated} from "./IConsortiumGated.sol";

/// @title ISettlementToken
/// @notice The Recourse cash token: an ERC-20 with 2 decimals whose unit is one fen (minor unit of CNY).
/// Only the settlement bank mints and burns; only active consortium members and Recourse system
/// contracts (escrows) hold or move it; the regulator can pause every movement. A caller without the role a
/// function needs is refused with {IConsortiumGated-ConsortiumGatedUnauthorized}.
interface ISettlementToken is IERC20, IConsortiumGated {
    /// @notice `account` is neither an active consortium member nor a system contract.
    /// @param account The sender or recipient.
    error SettlementTokenNotMember(address account);
    /// @notice Minting or burning zero has no effect and is refused.
    error SettlementTokenZeroAmount();

    /// @notice Settlement cash was issued against a payment received off chain.
    /// @param to The member credited.
    /// @param amount Amount in fen.
    /// @param referenceDigest Digest of the off-chain payment reference.
    event SettlementIssued(address indexed to, uint256 amount, bytes32 indexed referenceDigest);
    /// @notice Settlement cash was redeemed (burned) by the settlement bank.
    /// @param from The settlement bank.
    /// @param amount Amount in fen.
    /// @param referenceDigest Digest of the off-chain payout reference.
    event SettlementRedeemed(address indexed from, uint256 amount, bytes32 indexed referenceDigest);

    /// @notice Mint `amount` fen to an active member or a system contract. Only the settlement bank.
    /// @param to The recipient.
    /// @param amount Amount in fen.
    /// @param referenceDigest Digest of the off-chain payment reference.
    function mint(address to, uint256 amount, bytes32 referenceDigest) external;
    /// @notice Burn `amount` fen of the caller's balance. Only the settlement bank.
    /// @param amount Amount in fen.
    /// @param referenceDigest Digest of the off-chain payout reference.
    function burn(uint256 amount, bytes32 referenceDigest) external;
    /// @notice Stop every transfer, mint and burn. Only the regulator.
    function pause() external;
    /// @notice Resume transfers. Only the regulator.
    function unpause() external;
}
