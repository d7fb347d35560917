// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortium} from "./IConsortium.sol";

/// @title IConsortiumGated
/// @notice Access control shared by every Recourse contract: who may act is decided by the consortium, either
/// as a role an active member holds now (see {IConsortium-hasActiveRole}) or as a call the consortium itself
/// makes, which it does only for a `Call` proposal that k of n governors approved (see {IConsortium-execute}).
interface IConsortiumGated {
    /// @notice `account` may not call this function: it is not an active member holding `role` or, for a
    /// governed setting, not the consortium executing an approved proposal.
    /// @param account The caller.
    /// @param role The role it needs: a consortium role (`keccak256("<NAME>_ROLE")`), `GOVERNANCE_ROLE` for
    /// a governed setting, or `EVIDENCE_ANCHORER_ROLE` for "any one of BANK, COLLECTOR or COURT".
    error ConsortiumGatedUnauthorized(address account, bytes32 role);

    /// @notice The consortium that decides who may act here.
    /// @return The consortium contract.
    function consortium() external view returns (IConsortium);
}
